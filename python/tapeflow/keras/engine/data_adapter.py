"""Batches for fit / evaluate / predict from arrays (NumPy, tensors, lists of
them, dicts keyed by input or output names) or from an iterable of batches.

Arrays are converted to tensors once; a batch is a view (in order) or a gather
by shuffled indices, both in C++."""
import math

import numpy as np

from tapeflow import _core, _ops, nest
from tapeflow.data import dataset_ops
from tapeflow.data.dataset_ops import INFINITE_CARDINALITY, Dataset
from tapeflow.keras import backend
from tapeflow.keras.utils.sequences import PyDataset
from tapeflow.string_tensor import StringTensor, is_string_value, strings


def unpack_x_y_sample_weight(data):
    """``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)`` -> the three (missing ones None)."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data
    raise ValueError("Data is expected to be in format `x`, `(x,)`, `(x, y)`, or `(x, y, sample_weight)`, found: %s"
                     % (data,))


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    if y is None:
        return (x,)
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def _to_tensor(a):
    if isinstance(a, (_core.Tensor, StringTensor)):
        return a
    if is_string_value(a):  # text: a string tensor, fed to the model's string layers on the host
        return strings(a)
    a = np.asarray(a)
    if a.dtype == object:
        raise ValueError("Failed to convert a NumPy array to a Tensor (unsupported object type). Arrays passed to "
                         "fit/evaluate/predict must hold numbers.")
    if a.dtype.kind == "f" and a.dtype != np.dtype(backend.floatx()):
        a = a.astype(backend.floatx())
    elif a.dtype.kind == "b":
        a = a.astype("float32")
    elif a.dtype.kind == "u" and a.dtype != np.uint8:
        a = a.astype("int64")
    view = _core._array_view(a)  # no copy of a large data set when its layout allows (fit only reads it)
    return view if view is not None else _core.convert_to_tensor(np.ascontiguousarray(a))


def _class_sample_weights(y, sample_weight, class_weight):
    """Per-sample weights from ``class_weight`` (labels as integers or one-hot), times ``sample_weight``."""
    if isinstance(y, (list, tuple, dict)) and len(nest.flatten(y)) > 1:
        raise ValueError("`class_weight` is only supported for Models with a single output.")
    labels = np.asarray(nest.flatten(y)[0])
    cls = labels.argmax(-1) if labels.ndim > 1 and labels.shape[-1] > 1 else labels.reshape(len(labels))
    if cls.dtype.kind == "f" and not np.isfinite(cls).all():
        raise ValueError("Labels must be finite class indices to apply `class_weight`; found %s"
                         % cls[~np.isfinite(cls)][0])
    if cls.size and cls.min() < 0:
        raise ValueError("Labels must be non-negative class indices to apply `class_weight`; found %s" % cls.min())
    # one weight per distinct label (not a table as long as the largest label: one label of 10**9 is 4 GB)
    distinct, where = np.unique(cls.astype("int64"), return_inverse=True)
    per_label = np.array([class_weight.get(int(c), 1.0) for c in distinct], dtype="float32")
    weights = per_label[where.reshape(-1)]
    if sample_weight is not None:
        weights = weights * np.asarray(sample_weight, dtype="float32").reshape(len(weights))
    return weights


class ArrayData:
    """In-memory arrays split into batches.

    Args:
      x, y, sample_weight: arrays or nested structures of arrays with the same first dimension.
      batch_size: samples per batch (the last batch may be smaller).
      shuffle: reshuffle the order every epoch.
      steps: an optional limit on batches per epoch.
    """

    def __init__(self, x, y=None, sample_weight=None, batch_size=32, shuffle=False, steps=None, class_weight=None):
        if class_weight is not None:
            sample_weight = _class_sample_weights(y, sample_weight, class_weight)
        self.structure = pack_x_y_sample_weight(x, y, sample_weight)
        self.tensors = [None if v is None else _to_tensor(v) for v in nest.flatten(self.structure)]
        sizes = [t.shape[0] if t.ndim else None for t in self.tensors if t is not None]
        if any(s is None for s in sizes):
            raise ValueError("Arrays passed to fit/evaluate/predict need a batch dimension; got a scalar")
        if len(set(sizes)) > 1:
            raise ValueError("Data cardinality is ambiguous. Make sure all arrays contain the same number of samples. "
                             "Received sizes (x, then y, then sample weights): %s" % (sizes,))
        self.num_samples = sizes[0] if sizes else 0
        if int(batch_size) <= 0:
            raise ValueError("batch_size must be a positive integer; received %r" % (batch_size,))
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.max_steps = None if steps is None else int(steps)
        self.order = None  # the current epoch's shuffled order (int64 NumPy array), once drawn
        self.next_order = None  # an order the next epoch takes instead of drawing one (a resumed run's)

    @property
    def steps(self):
        """Batches per epoch: all samples, or ``max_steps`` if fewer (or if there are no samples)."""
        steps = int(math.ceil(self.num_samples / self.batch_size))
        if self.max_steps is None:
            return steps
        return min(self.max_steps, steps) if steps else self.max_steps

    def split(self, fraction):
        """Takes the last ``fraction`` of the samples (before any shuffling) as validation data."""
        if not 0 < fraction < 1:
            raise ValueError("`validation_split` must be between 0 and 1, received %r" % (fraction,))
        split_at = int(self.num_samples * (1.0 - fraction))
        if split_at == 0 or split_at == self.num_samples:
            raise ValueError("Training data contains %d samples, which is not sufficient to split it into a "
                             "validation and training set as specified by `validation_split=%s`."
                             % (self.num_samples, fraction))
        val = [None if t is None else t[split_at:] for t in self.tensors]
        self.tensors = [None if t is None else t[:split_at] for t in self.tensors]
        self.num_samples = split_at
        return nest.pack_sequence_as(self.structure, val)

    def epoch_order(self):
        """This epoch's sample order: an int64 permutation tensor when shuffling (drawn from NumPy's global
        generator, or ``next_order`` once when set), else None (in sequence)."""
        if not self.shuffle:
            return None
        self.order = _take_order(self, lambda: np.random.permutation(self.num_samples))
        return _core.convert_to_tensor(self.order)

    @property
    def full_steps(self):
        """The leading steps whose batches hold exactly batch_size samples."""
        return min(self.steps, self.num_samples // self.batch_size)

    def batch(self, step, order=None):
        """Batch ``step`` (a view in sequence, or a gather by ``order``), or None past the end."""
        start = step * self.batch_size
        stop = min(start + self.batch_size, self.num_samples)
        if start >= stop:
            return None
        if order is None:
            batch = [None if t is None else t[start:stop] for t in self.tensors]
        else:
            idx = order[start:stop]
            batch = [None if t is None else _ops.gather(t, idx) for t in self.tensors]
        return nest.pack_sequence_as(self.structure, batch)

    def batches(self, start=0):
        """This epoch's batches from step ``start`` on."""
        order = self.epoch_order()
        for step in range(start, self.steps):
            batch = self.batch(step, order)
            if batch is None:
                return
            yield batch

    def __iter__(self):
        return self.batches()


class PlannedData(ArrayData):
    """A dataset that only selects rows of arrays and batches them (``from_tensor_slices`` / ``range`` with
    ``shuffle``, ``repeat``, ``skip``, ``take``, ``shard``, then ``batch`` and ``prefetch``): fit and evaluate loop
    over it in C++ as over arrays, each pass taking the rows in the order the pipeline gives (a new shuffle each
    pass, as iterating the dataset would)."""

    def __init__(self, batched):
        tensors, structure, self._chunks = batched._inner._index_plan()
        x, y, sample_weight = unpack_x_y_sample_weight(structure)
        ArrayData.__init__(self, x, y, sample_weight, batched._size)
        self.num_samples = batched._inner._cardinality()  # rows per pass (repeat and take change it)
        self._drop = batched._drop

    @property
    def steps(self):
        return self.num_samples // self.batch_size if self._drop else -(-self.num_samples // self.batch_size)

    def epoch_order(self):
        chunks = list(self._chunks())
        return _core.convert_to_tensor(np.concatenate(chunks) if chunks else np.zeros(0, np.int64))


def _planned(dataset):
    """The dataset as PlannedData when it is a finite, batched index plan (prefetch aside), else None."""
    while isinstance(dataset, dataset_ops._Prefetch):
        dataset = dataset._inner
    if type(dataset) is not dataset_ops._Batch or dataset._inner._index_plan() is None:
        return None
    return PlannedData(dataset) if dataset._inner._cardinality() >= 0 else None


def _take_order(data, draw):
    order = data.next_order if data.next_order is not None else draw()
    data.next_order = None
    return np.asarray(order, dtype="int64")


def _batch_tensor(a):
    """A generator's NumPy array (or another framework's tensor, such as a PyTorch DataLoader's, through
    ``__array__``) as a tensor of its own dtype (what the step would convert it to), so that steps over generator
    batches are captured and replayed like those over arrays; anything else as it is."""
    if not isinstance(a, (np.ndarray, _core.Tensor)) and hasattr(a, "__array__") and not np.isscalar(a):
        a = np.asarray(a)
    if isinstance(a, np.ndarray) and a.dtype.kind in "fiub" and a.size:
        try:
            return _core.convert_to_tensor(np.ascontiguousarray(a))
        except (TypeError, ValueError):  # a dtype tensors lack: the step reports it as it would
            return a
    return a


class IterableData:
    """Batches from a generator, an iterator, or a ``PyDataset`` / ``Sequence`` (indexed batches, in a shuffled
    order when ``shuffle``; its ``on_epoch_end`` is called after each full pass) yielding
    ``(x, y[, sample_weight])``."""

    def __init__(self, source, steps=None, shuffle=False):
        self.source = source
        self.steps = steps
        self.shuffle = shuffle
        self.indexed = hasattr(source, "__getitem__") and hasattr(source, "__len__")
        self.order = self.next_order = None  # as ArrayData's, for shuffled indexed sources
        # A tf.data dataset is iterated afresh each epoch, unless steps_per_epoch is given: then, as Keras does,
        # one iterator runs on across epochs (an infinite dataset needs the steps).
        self.dataset = isinstance(source, Dataset)
        self.persistent = self.dataset and steps is not None
        self._iterator = None
        if self.dataset and steps is None:
            n = source._cardinality()
            if n == INFINITE_CARDINALITY:
                raise ValueError("When providing an infinite dataset, you must specify the number of steps to run "
                                 "(if you did not intend to create an infinite dataset, make sure to not call "
                                 "`repeat()` on the dataset).")
            self.steps = n if n >= 0 else None
        elif steps is None and hasattr(source, "__len__"):
            self.steps = len(source)

    def batches(self, start=0):
        """This epoch's batches from step ``start`` on (an indexed source's are not loaded before it; an
        iterator's earlier batches are drawn and dropped)."""
        if self.indexed:
            if self.shuffle:
                self.order = _take_order(self, lambda: np.random.permutation(len(self.source)))
            order = self.order if self.shuffle else range(len(self.source))
            if self.steps is not None:
                order = order[:self.steps]
            order = order[start:]
            it = self.source.batches(order) if isinstance(self.source, PyDataset) else (self.source[i] for i in order)
        elif self.persistent:
            if self._iterator is None:
                self._iterator = iter(self.source)
            it = self._iterator
            for _ in range(start):
                next(it, None)
        else:
            it = iter(self.source) if not hasattr(self.source, "__next__") else self.source
            for _ in range(start):
                next(it, None)
        for step, batch in enumerate(it, start):
            if self.steps is not None and step >= self.steps:
                return
            batch = tuple(batch) if isinstance(batch, (list, tuple)) else (batch,)
            yield nest.map_structure(_batch_tensor, batch)
        if self.indexed and hasattr(self.source, "on_epoch_end"):
            self.source.on_epoch_end()

    def __iter__(self):
        return self.batches()


def make_data(x, y=None, sample_weight=None, batch_size=None, shuffle=False, steps=None, class_weight=None):
    if x is None:
        raise ValueError("Expected input data `x`, received None")
    if isinstance(x, Dataset):
        if y is not None or sample_weight is not None:
            raise ValueError("`y` and `sample_weight` arguments are not supported when using a dataset as input: "
                             "its elements should be (x, y) or (x, y, sample_weight) batches.")
        if class_weight is not None:
            raise ValueError("`class_weight` is not supported with a dataset as input in this tapeflow version; "
                             "yield (x, y, sample_weight) elements instead.")
        planned = _planned(x) if steps is None else None
        return planned if planned is not None else IterableData(x, steps, False)
    iterable = hasattr(x, "__next__") or hasattr(x, "__iter__") or hasattr(x, "__getitem__")
    if iterable and not isinstance(x, (np.ndarray, _core.Tensor, list, tuple, dict)) and not hasattr(x, "__array__"):
        # generators, PyDataset / Sequence, and other iterables of batches (a PyTorch DataLoader)
        if y is not None:
            raise ValueError("`y` argument is not supported when using a generator or dataset as input; the batches "
                             "should hold (x, y) pairs.")
        return IterableData(x, steps, shuffle)
    return ArrayData(x, y, sample_weight, 32 if batch_size is None else batch_size, shuffle, steps, class_weight)
