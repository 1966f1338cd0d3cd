"""keras.datasets.mnist: 70 000 28×28 grayscale images of handwritten digits."""
import os

import numpy as np

from tapeflow.keras.datasets._files import find_files, keras_cache_dir
from tapeflow.keras.datasets._idx import read_idx

_IDX = ["train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz"]


def load_data(path="mnist.npz"):
    """``(x_train, y_train), (x_test, y_test)`` as uint8 arrays, from Keras's ``mnist.npz``
    (in the Keras cache or at ``path``) or from the four IDX files in a directory."""
    if path and os.path.isfile(os.path.expanduser(path)):
        return _from_npz(os.path.expanduser(path))
    cached = os.path.join(keras_cache_dir(""), "mnist.npz")
    if os.path.isfile(cached):
        return _from_npz(cached)
    d = find_files("mnist", _IDX, path if path and os.path.isdir(os.path.expanduser(path)) else None)
    y_train, x_train, y_test, x_test = (read_idx(os.path.join(d, f)) for f in _IDX)
    return (x_train, y_train), (x_test, y_test)


def _from_npz(filename):
    with np.load(filename, allow_pickle=False) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
