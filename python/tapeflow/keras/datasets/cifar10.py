"""keras.datasets.cifar10: 60 000 32×32 colour images in 10 classes."""
import numpy as np

from tapeflow.keras.datasets._cifar import read_batches

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
SHA256 = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"


def load_data(path=None):
    """``(x_train, y_train), (x_test, y_test)``: uint8 arrays of shapes (50000, 32, 32, 3), (50000, 1),
    (10000, 32, 32, 3), (10000, 1) (channels last).

    Reads the published "python version" archive ``cifar-10-python.tar.gz``, or its extracted folder
    ``cifar-10-batches-py``, from ``path`` or the Keras cache (downloading the archive there when missing).
    """
    members = ["data_batch_%d" % i for i in range(1, 6)] + ["test_batch"]
    b = read_batches("CIFAR-10", "cifar-10-python.tar.gz", "cifar-10-batches-py", ORIGIN, SHA256, members,
                     b"labels", path)
    x_train = np.concatenate([b[m][0] for m in members[:5]])
    y_train = np.concatenate([b[m][1] for m in members[:5]])
    return (x_train, y_train), b["test_batch"]
