"""Batch sources for fit (``PyDataset`` / ``Sequence``) and ``pad_sequences``."""
import concurrent.futures

import numpy as np


class PyDataset:
    """A batch source for ``fit`` / ``evaluate`` / ``predict``: subclasses implement ``__len__`` (batches per
    epoch) and ``__getitem__(index)`` (one batch: ``x``, ``(x, y)`` or ``(x, y, sample_weight)``), and
    optionally ``on_epoch_end``, called after each training epoch.

    Args:
      workers: with more than 1, batches are prepared ahead by this many threads (in order).
      max_queue_size: how many batches may be prepared ahead.
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        if use_multiprocessing:
            raise NotImplementedError("PyDataset(use_multiprocessing=True) is not supported in this version of "
                                      "tapeflow; use workers=N for threads.")
        self._workers = workers
        self._max_queue_size = max_queue_size

    workers = property(lambda self: getattr(self, "_workers", 1))
    max_queue_size = property(lambda self: getattr(self, "_max_queue_size", 10))
    use_multiprocessing = property(lambda self: False)

    def __getitem__(self, index):
        raise NotImplementedError("PyDataset subclasses must implement __getitem__(index)")

    def __len__(self):
        raise NotImplementedError("PyDataset subclasses must implement __len__()")

    @property
    def num_batches(self):
        return len(self)

    def on_epoch_end(self):
        """Called at the end of every training epoch (e.g. to reshuffle)."""

    def batches(self, order):
        """The batches at the indices ``order``, prepared ahead by the worker threads when there are several."""
        if self.workers <= 1:
            for i in order:
                yield self[i]
            return
        with concurrent.futures.ThreadPoolExecutor(self.workers) as pool:
            pending = []
            for i in order:
                pending.append(pool.submit(self.__getitem__, i))
                if len(pending) > self.max_queue_size:
                    yield pending.pop(0).result()
            for f in pending:
                yield f.result()


Sequence = PyDataset  # the tf.keras 2 name


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0.0):
    """Pads (or truncates) a list of sequences to one length: a NumPy array ``(len(sequences), maxlen)``
    (plus any trailing dimensions of the elements).

    Args:
      maxlen: the length (default: the longest sequence).
      dtype: the output dtype (strings are allowed with an object or string dtype).
      padding: "pre" or "post": where the values are added.
      truncating: "pre" or "post": which end of a longer sequence is cut.
      value: the padding value.
    """
    if not hasattr(sequences, "__len__"):
        raise ValueError("`sequences` must be iterable.")
    if padding not in ("pre", "post"):
        raise ValueError('Padding type "%s" not understood' % padding)
    if truncating not in ("pre", "post"):
        raise ValueError('Truncating type "%s" not understood' % truncating)
    lengths, sample_shape = [], ()
    for x in sequences:
        if not hasattr(x, "__len__"):
            raise ValueError("`sequences` must be a list of iterables. Found non-iterable: %r" % (x,))
        lengths.append(len(x))
        if len(x) and not sample_shape:
            sample_shape = np.asarray(x).shape[1:]
    if maxlen is None:
        maxlen = max(lengths, default=0)
    is_str = np.issubdtype(np.dtype(dtype), np.str_) or np.dtype(dtype) == object
    if isinstance(value, str) and not is_str:
        raise ValueError("`dtype` %s is not compatible with `value`'s type: %s. You should set `dtype=object` for "
                         "variable length strings." % (dtype, type(value)))
    out = np.full((len(sequences), maxlen) + tuple(sample_shape), value, dtype=dtype)
    for i, s in enumerate(sequences):
        if not len(s) or maxlen == 0:
            continue
        trunc = np.asarray(s[-maxlen:] if truncating == "pre" else s[:maxlen], dtype=dtype)
        if trunc.shape[1:] != tuple(sample_shape):
            raise ValueError("Shape of sample %s of sequence at position %d is different from expected shape %s"
                             % (trunc.shape[1:], i, sample_shape))
        if padding == "post":
            out[i, :len(trunc)] = trunc
        else:
            out[i, -len(trunc):] = trunc
    return out
