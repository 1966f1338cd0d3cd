"""The UCI 8×8 handwritten digits (1 797 images), shipped inside tapeflow so that
examples and tests have a real data set offline. A tapeflow addition: tf.keras
has no such module. Source and licence: ``data/README.md`` (CC BY 4.0)."""
import gzip
import os

import numpy as np


def load_data(test_split=0.2, seed=113):
    """``(x_train, y_train), (x_test, y_test)``: uint8 images of shape (n, 8, 8) with values
    0..16 and uint8 labels 0..9, split after a seeded shuffle."""
    filename = os.path.join(os.path.dirname(__file__), "data", "digits.csv.gz")
    with gzip.open(filename, "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.uint8)
    x = table[:, :64].reshape(-1, 8, 8)
    y = table[:, 64]
    order = np.random.RandomState(seed).permutation(len(y))
    x, y = x[order], y[order]
    n_test = int(len(y) * test_split)
    return (x[n_test:], y[n_test:]), (x[:n_test], y[:n_test])
