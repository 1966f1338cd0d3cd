"""The shuffled train/test split of the housing regression data sets."""
import numpy as np

from tapeflow.keras.utils.file_utils import GCS, fetch, load_npz


def load(fname, sha256, path, test_split, seed, limit=None):
    if not 0 <= test_split < 1:
        raise ValueError("`test_split` must be in [0, 1). Received: test_split=%s" % test_split)
    f = load_npz(fetch(fname, GCS + fname, sha256, path))
    x, y = f["x"][:limit], f["y"][:limit]
    order = np.arange(len(x))
    np.random.RandomState(seed).shuffle(order)
    x, y = x[order], y[order]
    n = int(len(x) * (1 - test_split))
    return (x[:n], y[:n]), (x[n:], y[n:])
