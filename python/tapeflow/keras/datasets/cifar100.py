"""keras.datasets.cifar100: 60 000 32×32 colour images in 100 classes (20 superclasses)."""
from tapeflow.keras.datasets._cifar import read_batches

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
SHA256 = "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"


def load_data(label_mode="fine", path=None):
    """``(x_train, y_train), (x_test, y_test)``: uint8 arrays of shapes (50000, 32, 32, 3), (50000, 1),
    (10000, 32, 32, 3), (10000, 1); ``label_mode`` "fine" (100 classes) or "coarse" (20 superclasses).
    Files are found as for cifar10 (``cifar-100-python.tar.gz`` or its folder ``cifar-100-python``)."""
    if label_mode not in ("fine", "coarse"):
        raise ValueError('`label_mode` must be one of `"fine"`, `"coarse"`. Received: label_mode=%s.' % label_mode)
    b = read_batches("CIFAR-100", "cifar-100-python.tar.gz", "cifar-100-python", ORIGIN, SHA256, ["train", "test"],
                     label_mode.encode() + b"_labels", path)
    return b["train"], b["test"]
