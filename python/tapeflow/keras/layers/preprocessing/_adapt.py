"""The data ``adapt`` methods of preprocessing layers read."""
import numpy as np

from tapeflow import _core
from tapeflow.data.dataset_ops import Dataset


def adapt_batches(data, steps=None):
    """NumPy batches of ``data`` for ``adapt``: an array or tensor (one batch), a ``tf.data.Dataset`` or any
    iterable of batches (the first element of ``(x, y)`` batches), at most ``steps`` of them."""
    if isinstance(data, Dataset):
        batches = data.as_numpy_iterator()
    elif isinstance(data, (np.ndarray, _core.Tensor)) or not hasattr(data, "__iter__"):
        batches = iter([data])
    else:
        batches = iter(data)
    for i, batch in enumerate(batches):
        if steps is not None and i >= steps:
            return
        yield np.asarray(batch[0] if isinstance(batch, tuple) else batch)
