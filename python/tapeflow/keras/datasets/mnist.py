"""keras.datasets.mnist: 70 000 28×28 grayscale images of handwritten digits."""
import os

from tapeflow.keras.utils.file_utils import GCS, fetch, load_npz
from tapeflow.keras.datasets._idx import read_idx

SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
_IDX = ["train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz"]


def load_data(path="mnist.npz"):
    """``(x_train, y_train), (x_test, y_test)``: uint8 arrays of shapes (60000, 28, 28), (60000,),
    (10000, 28, 28), (10000,). Reads Keras's ``mnist.npz`` (``path``: absolute or in the Keras cache,
    downloaded there with its checksum when missing), or a directory holding the four IDX files."""
    directory = os.path.expanduser(os.fspath(path)) if path else None
    if directory and os.path.isdir(directory):
        y_train, x_train, y_test, x_test = (read_idx(os.path.join(directory, f)) for f in _IDX)
        return (x_train, y_train), (x_test, y_test)
    f = load_npz(fetch("mnist.npz", GCS + "mnist.npz", SHA256, path))
    return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
