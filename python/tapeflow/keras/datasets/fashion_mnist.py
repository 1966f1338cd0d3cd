"""keras.datasets.fashion_mnist: 70 000 28×28 grayscale images of 10 kinds of clothing."""
import os

from tapeflow.keras.datasets._files import find_files
from tapeflow.keras.datasets._idx import read_idx

FILES = ["train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
         "t10k-images-idx3-ubyte.gz"]
SYSTEM_DIRS = ["/usr/share/datasets/fashion-mnist"]  # Debian's dataset-fashion-mnist package


def load_data(path=None):
    """``(x_train, y_train), (x_test, y_test)``: uint8 arrays of shapes (60000, 28, 28), (60000,),
    (10000, 28, 28) and (10000,), read from the published IDX files.

    Looks in ``path`` (a directory), the Keras cache ``~/.keras/datasets/fashion-mnist`` and
    ``/usr/share/datasets/fashion-mnist``.
    """
    d = find_files("fashion-mnist", FILES, path, SYSTEM_DIRS)
    y_train, x_train, y_test, x_test = (read_idx(os.path.join(d, f)) for f in FILES)
    return (x_train, y_train), (x_test, y_test)
