"""keras.utils dataset builders on tf.data: ``timeseries_dataset_from_array`` and ``split_dataset``."""
import math

import numpy as np

from tapeflow import _core
from tapeflow.data.dataset_ops import Dataset, _Elements


class _Timeseries(Dataset):
    """Windows of ``data`` (and their targets) at the given start positions, batched: each batch is one gather
    of a (batch, sequence_length) index grid, in C++."""

    def __init__(self, data, targets, positions, sequence_length, sampling_rate, batch_size, shuffle_seed):
        self._data, self._targets = data, targets
        self._positions = positions
        self._offsets = np.arange(sequence_length, dtype=np.int64) * sampling_rate
        self._batch, self._seed, self._pass = batch_size, shuffle_seed, 0

    def _cardinality(self):
        n = len(self._positions)
        return n if self._batch is None else math.ceil(n / self._batch)

    def _elements(self):
        positions = self._positions
        if self._seed is not None and self._batch is not None:  # Keras reshuffles locally, 8 batches at a time
            positions = _core._shuffle_order(_core.convert_to_tensor(positions), self._batch * 8,
                                             (self._seed * 1000003 + self._pass) & (2 ** 63 - 1)).numpy()
            self._pass += 1
        step = 1 if self._batch is None else self._batch
        for start in range(0, len(positions), step):
            chunk = positions[start:start + step]
            windows = _core.gather(self._data, _core.convert_to_tensor(chunk[:, None] + self._offsets))
            if self._batch is None:
                windows = windows[0]
            if self._targets is None:
                yield windows
                continue
            target = _core.gather(self._targets, _core.convert_to_tensor(chunk if self._batch else chunk[0]))
            yield windows, target


def timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride=1, sampling_rate=1,
                                  batch_size=128, shuffle=False, seed=None, start_index=None, end_index=None):
    """A dataset of sliding windows over ``data`` (``(batch, sequence_length, ...)`` batches), with
    ``targets[i]`` for the window starting at step ``i`` when targets are given, as Keras builds it: windows start
    every ``sequence_stride`` steps from ``start_index`` and take every ``sampling_rate``-th step; ``shuffle``
    shuffles the windows' order (reshuffled locally on each pass)."""
    n = len(data)
    if start_index and not 0 <= start_index < n:
        raise ValueError("`start_index` must be 0 or greater and lower than the length of the data. Received: "
                         "start_index=%s, for data of length %d" % (start_index, n))
    if end_index and not (0 < end_index < n and (not start_index or end_index > start_index)):
        raise ValueError("`end_index` must be higher than 0 and `start_index` and lower than the length of the "
                         "data. Received: end_index=%s, for data of length %d" % (end_index, n))
    for name, value in (("sampling_rate", sampling_rate), ("sequence_stride", sequence_stride)):
        if not 0 < value < n:
            raise ValueError("`%s` must be higher than 0 and lower than the length of the data. Received: %s=%s, "
                             "for data of length %d" % (name, name, value, n))
    start = start_index or 0
    end = end_index or n
    count = end - start - (sequence_length - 1) * sampling_rate
    if targets is not None:
        count = min(count, len(targets))
    positions = np.arange(0, max(count, 0), sequence_stride, dtype=np.int64)
    if shuffle:
        seed = np.random.randint(1e6) if seed is None else seed
        np.random.RandomState(seed).shuffle(positions)
    data_t = _core.convert_to_tensor(np.asarray(data)[start:end])
    targets_t = None if targets is None else _core.convert_to_tensor(np.asarray(targets)[start:end])
    return _Timeseries(data_t, targets_t, positions, sequence_length, sampling_rate, batch_size,
                       seed if shuffle else None)


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None):
    """Splits arrays (a tuple of arrays) or a finite dataset into two datasets by ``left_size`` / ``right_size``
    (fractions in (0, 1) or counts; one may be None for the rest), as Keras does."""
    if isinstance(dataset, Dataset):
        elements = list(dataset._elements())
        n = len(elements)
    else:
        arrays = dataset if isinstance(dataset, (tuple, list)) else (dataset,)
        arrays = tuple(np.asarray(a) for a in arrays)
        n = len(arrays[0])
    if left_size is None and right_size is None:
        raise TypeError("You must specify either `left_size` or `right_size`.")

    def count(size):
        if size is None:
            return None
        if isinstance(size, float):
            if not 0 < size < 1:
                raise ValueError("A float size must be in (0, 1), got %r" % size)
            return round(size * n)
        if not 0 <= size <= n:
            raise ValueError("A size must be at most the number of samples (%d), got %r" % (n, size))
        return int(size)
    left, right = count(left_size), count(right_size)
    left = n - right if left is None else left
    right = n - left if right is None else right
    if left + right > n:
        raise ValueError("The sizes add up to %d, more than the %d samples" % (left + right, n))
    order = np.random.RandomState(seed).permutation(n) if shuffle else np.arange(n)
    if isinstance(dataset, Dataset):
        pick = [elements[i] for i in order]
        return _Elements(pick[:left]), _Elements(pick[left:left + right])
    sides = [tuple(a[order[:left]] for a in arrays), tuple(a[order[left:left + right]] for a in arrays)]
    wrap = (lambda t: t) if isinstance(dataset, (tuple, list)) else (lambda t: t[0])
    return tuple(Dataset.from_tensor_slices(wrap(side)) for side in sides)

