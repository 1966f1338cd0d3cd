"""keras.datasets.fashion_mnist: 70 000 28×28 grayscale images of 10 kinds of clothing."""
import os

from tapeflow.keras.utils.file_utils import GCS, fetch, keras_cache_dir
from tapeflow.keras.datasets._idx import read_idx

# The published files and their sha256 digests.
FILES = {"train-labels-idx1-ubyte.gz": "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
         "train-images-idx3-ubyte.gz": "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
         "t10k-labels-idx1-ubyte.gz": "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
         "t10k-images-idx3-ubyte.gz": "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa"}
SYSTEM_DIRS = ["/usr/share/datasets/fashion-mnist"]  # Debian's dataset-fashion-mnist package


def load_data(path=None):
    """``(x_train, y_train), (x_test, y_test)``: uint8 arrays of shapes (60000, 28, 28), (60000,),
    (10000, 28, 28) and (10000,), read from the published IDX files.

    Looks in ``path`` (a directory), ``/usr/share/datasets/fashion-mnist`` and the Keras cache
    ``~/.keras/datasets/fashion-mnist``, where missing files are downloaded (checksums checked).
    """
    def one(name):
        if path:
            return fetch(name, None, None, os.path.join(os.path.expanduser(os.fspath(path)), name))
        for d in SYSTEM_DIRS + [keras_cache_dir("fashion-mnist")]:
            if os.path.isfile(os.path.join(d, name)):
                return os.path.join(d, name)
        return fetch(os.path.join("fashion-mnist", name), GCS + name, FILES[name])
    y_train, x_train, y_test, x_test = (read_idx(one(name)) for name in FILES)
    return (x_train, y_train), (x_test, y_test)
