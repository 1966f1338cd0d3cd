"""``tf.RaggedTensor`` and ``tf.ragged``: rows of different lengths, as ``tf.strings.split`` returns them.

A ragged tensor is a flat tensor of ``values`` (numeric or string; or itself ragged, for more ragged dimensions)
cut into rows by ``row_splits`` (int64, ``nrows + 1`` offsets: row ``i`` is ``values[row_splits[i]:row_splits[i +
1]]``), TensorFlow's own encoding. Element-wise ops (``tf.strings.lower``, ...) act on its flat values; the rest
goes through ``to_tensor`` (padded) or ``to_list``.
"""
import numpy as np

from tapeflow import _core, dtypes, errors
from tapeflow import string_tensor as _strings
from tapeflow._tensor_base import TensorShape


def _host(t):
    return t._a if isinstance(t, _strings.StringTensor) else t.numpy()


def _tensor(a, like_strings):
    return _strings.strings(a) if like_strings else _core.convert_to_tensor(a)


class RaggedTensor:
    """A tensor whose dimension 1 (and further, if ``values`` is ragged) varies by row. Build one with
    ``tf.ragged.constant`` or the ``from_row_*`` constructors."""

    def __init__(self, values, row_splits, validate=True, uniform_row_length=None):
        splits = np.asarray(_host(row_splits) if hasattr(row_splits, "numpy") else row_splits, np.int64).reshape(-1)
        if validate:
            n = values.nrows() if isinstance(values, RaggedTensor) else (values.shape[0] if values.ndim else 0)
            if len(splits) == 0 or splits[0] != 0 or (np.diff(splits) < 0).any() or splits[-1] != n:
                raise errors.InvalidArgumentError(
                    None, None, "Arguments to from_row_splits do not form a valid RaggedTensor: row_splits must "
                                "start at 0, not decrease and end at the number of values (%d); got %s"
                                % (n, splits.tolist()))
        self._values, self._splits, self._uniform = values, splits, uniform_row_length

    # --- constructors
    @classmethod
    def from_row_splits(cls, values, row_splits, name=None, validate=True):
        return cls(_as_values(values), row_splits, validate)

    @classmethod
    def from_row_lengths(cls, values, row_lengths, name=None, validate=True):
        lengths = np.asarray(_plain(row_lengths), np.int64).reshape(-1)
        return cls(_as_values(values), np.concatenate([[0], np.cumsum(lengths)]), validate)

    @classmethod
    def from_uniform_row_length(cls, values, uniform_row_length, nrows=None, validate=True, name=None):
        """Rows of ``uniform_row_length`` values each: a ragged tensor whose dimension 1 is known."""
        values, n = _as_values(values), int(uniform_row_length)
        count = values.nrows() if isinstance(values, RaggedTensor) else values.shape[0]
        count = int(count.numpy()) if hasattr(count, "numpy") else count
        rows = (count // n if n else int(nrows or 0)) if nrows is None else int(nrows)
        return cls(values, np.arange(rows + 1, dtype=np.int64) * n, validate, uniform_row_length=n)

    @classmethod
    def from_value_rowids(cls, values, value_rowids, nrows=None, name=None, validate=True):
        ids = np.asarray(_plain(value_rowids), np.int64).reshape(-1)
        if len(ids) and (np.diff(ids) < 0).any():
            raise errors.InvalidArgumentError(None, None, "value_rowids must be sorted in ascending order")
        nrows = int(ids[-1]) + 1 if nrows is None and len(ids) else int(nrows or 0)
        return cls.from_row_lengths(values, np.bincount(ids, minlength=nrows)[:nrows], validate=validate)

    @classmethod
    def from_tensor(cls, tensor, lengths=None, padding=None, ragged_rank=1, name=None):
        t = _as_values(tensor)
        a = _host(t)
        if a.ndim < 2:
            raise ValueError("from_tensor: the tensor must have rank 2 or more, got shape %s" % (list(a.shape),))
        if lengths is not None:
            lens = np.asarray(_plain(lengths), np.int64).reshape(-1)
        elif padding is not None:
            pad = np.asarray(_plain(padding) if not isinstance(padding, (str, bytes)) else _strings._to_bytes(padding),
                             dtype=a.dtype)
            keep = (a != pad).reshape(a.shape[0], a.shape[1], -1).any(axis=2)
            lens = np.where(keep.any(axis=1), a.shape[1] - np.argmax(keep[:, ::-1], axis=1), 0)
        else:
            lens = np.full(a.shape[0], a.shape[1], np.int64)
        rows = [a[i, :n] for i, n in enumerate(lens)]
        flat = np.concatenate(rows) if rows else a.reshape((0,) + a.shape[2:])
        return cls.from_row_lengths(_tensor(flat, a.dtype == object), lens)

    # --- structure
    values = property(lambda self: self._values)
    row_splits = property(lambda self: _core.convert_to_tensor(self._splits))
    ragged_rank = property(lambda self: 1 + (self._values.ragged_rank if isinstance(self._values, RaggedTensor)
                                             else 0))
    dtype = property(lambda self: self._values.dtype)

    @property
    def flat_values(self):
        v = self._values
        return v.flat_values if isinstance(v, RaggedTensor) else v

    @property
    def nested_row_splits(self):
        inner = self._values.nested_row_splits if isinstance(self._values, RaggedTensor) else ()
        return (self.row_splits,) + tuple(inner)

    @property
    def shape(self):
        inner = list(self._values.shape)[1:]
        return TensorShape([len(self._splits) - 1, self._uniform] + inner)

    def get_shape(self):
        return self.shape

    ndim = property(lambda self: len(self.shape))

    def nrows(self, out_type="int64", name=None):
        return _core.convert_to_tensor(np.int64(len(self._splits) - 1), dtype=out_type)

    def row_lengths(self, axis=1, name=None):
        if axis != 1:
            raise NotImplementedError("row_lengths: tapeflow gives the lengths of dimension 1 only (axis=1)")
        return _core.convert_to_tensor(np.diff(self._splits))

    def value_rowids(self, name=None):
        return _core.convert_to_tensor(np.repeat(np.arange(len(self._splits) - 1), np.diff(self._splits)))

    def bounding_shape(self, axis=None, name=None, out_type="int64"):
        shape = [len(self._splits) - 1, int(np.diff(self._splits).max(initial=0))]
        inner = self._values.bounding_shape().numpy().tolist()[1:] if isinstance(self._values, RaggedTensor) else \
            list(self._values.shape)[1:]
        shape = np.asarray(shape + inner, np.int64)
        return _core.convert_to_tensor(shape if axis is None else shape[axis], dtype=out_type)

    def with_values(self, new_values):
        return RaggedTensor(_as_values(new_values), self._splits)

    def with_flat_values(self, new_values):
        if isinstance(self._values, RaggedTensor):
            return RaggedTensor(self._values.with_flat_values(new_values), self._splits)
        return self.with_values(new_values)

    # --- conversions
    def to_list(self):
        inner = self._values.to_list() if isinstance(self._values, RaggedTensor) else _host(self._values).tolist()
        return [inner[a:b] for a, b in zip(self._splits[:-1], self._splits[1:])]

    def numpy(self):
        """An object array of the rows as NumPy arrays (nested for more ragged dimensions), as TensorFlow."""
        out = np.empty(len(self._splits) - 1, object)
        for i, (a, b) in enumerate(zip(self._splits[:-1], self._splits[1:])):
            out[i] = self[i].numpy() if isinstance(self._values, RaggedTensor) else _host(self._values)[a:b]
        return out

    def to_tensor(self, default_value=None, name=None, shape=None):
        """The rows padded with ``default_value`` (zero or ``b""``) to the longest row, or cut / padded to
        ``shape`` (None entries: the bounding size)."""
        strings = isinstance(self.flat_values, _strings.StringTensor)
        bound = self.bounding_shape().numpy().tolist()
        if shape is not None:
            shape = [bound[i] if d is None or d == -1 else int(d) for i, d in enumerate(list(shape))]
        else:
            shape = bound
        fill = (b"" if strings else 0) if default_value is None else (
            _strings._to_bytes(default_value) if strings else _plain(default_value))
        out = np.empty(shape, object) if strings else np.zeros(shape, _host(self.flat_values).dtype)
        out[...] = fill
        self._scatter(out, [], shape)
        return _tensor(out, strings)

    def _scatter(self, out, prefix, shape):
        """Writes the rows into ``out[prefix]`` (row i at index i), each cut to ``shape``."""
        depth = len(prefix)
        if isinstance(self._values, RaggedTensor):
            for i in range(min(len(self._splits) - 1, shape[depth])):
                _slice_rows(self._values, self._splits[i], self._splits[i + 1])._scatter(out, prefix + [i], shape)
            return
        lengths = np.diff(self._splits)
        rows = np.repeat(np.arange(len(lengths)), lengths)
        cols = np.arange(self._splits[-1] - self._splits[0]) - np.repeat(self._splits[:-1] - self._splits[0], lengths)
        keep = (rows < shape[depth]) & (cols < shape[depth + 1])
        values = _host(self._values)[keep][(slice(None),) + tuple(slice(0, d) for d in shape[depth + 2:])]
        out[tuple(prefix)][rows[keep], cols[keep]] = values

    def __getitem__(self, key):
        n = len(self._splits) - 1
        if isinstance(key, (int, np.integer)):
            i = int(key) + n if key < 0 else int(key)
            if not 0 <= i < n:
                raise IndexError("row %d out of range for a RaggedTensor of %d rows" % (key, n))
            return _slice_rows(self._values, self._splits[i], self._splits[i + 1])
        if isinstance(key, slice):
            rows = range(n)[key]
            if rows.step != 1:
                raise NotImplementedError("RaggedTensor slicing with a step")
            splits = self._splits[rows.start:rows.start + len(rows) + 1]
            return RaggedTensor(_slice_rows(self._values, splits[0], splits[-1]), splits - splits[0], validate=False)
        raise TypeError("RaggedTensor indices must be an int or a slice, got %r" % (key,))

    def __len__(self):
        return len(self._splits) - 1

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __repr__(self):
        return "<tf.RaggedTensor %s>" % (self.to_list(),)

    __str__ = __repr__


def _slice_rows(values, a, b):
    if isinstance(values, RaggedTensor):
        splits = values._splits[a:b + 1]
        return RaggedTensor(_slice_rows(values._values, splits[0], splits[-1]), splits - splits[0], validate=False)
    return values[int(a):int(b)]


def _plain(x):
    return x.numpy() if hasattr(x, "numpy") else np.asarray(x)


def _as_values(x):
    if isinstance(x, RaggedTensor) or isinstance(x, _strings.StringTensor) or isinstance(x, _core.Tensor):
        return x
    return _strings.strings(x) if _strings.is_string_value(x) else _core.convert_to_tensor(x)


# ----------------------------------------------------------------- tf.ragged
def constant(pylist, dtype=None, ragged_rank=None, inner_shape=None, name=None, row_splits_dtype="int64"):
    """A RaggedTensor from nested Python lists (``tf.ragged.constant``): every list level but the innermost
    scalars becomes a ragged dimension (or the first ``ragged_rank`` levels, the rest uniform)."""
    depth = _depth(pylist)
    if ragged_rank is None:
        ragged_rank = depth - 1 if inner_shape is None else depth - 1 - len(inner_shape)
    if ragged_rank < 1 or depth < 2:
        raise ValueError("tf.ragged.constant: the value must be a nested list of rank 2 or more, got %r" % (pylist,))
    return _build(pylist, ragged_rank, dtype)


def _depth(x):
    if isinstance(x, (list, tuple)):
        return 1 + max((_depth(v) for v in x), default=0)
    return 0


def _build(rows, ragged_rank, dtype):
    if any(not isinstance(r, (list, tuple)) for r in rows):
        raise ValueError("tf.ragged.constant: all scalar values must have the same nesting depth")
    lengths = [len(r) for r in rows]
    flat = [v for r in rows for v in r]
    if ragged_rank > 1:
        return RaggedTensor.from_row_lengths(_build(flat, ragged_rank - 1, dtype), lengths)
    if any(_depth(v) != _depth(flat[0]) for v in flat):
        raise ValueError("tf.ragged.constant: all scalar values must have the same nesting depth")
    if _strings.is_string_value(flat):
        values = _strings.strings(flat)
    elif flat:  # Python ints and floats become int32 and float32, as tf.constant makes them
        values = _core.convert_to_tensor(flat, dtype=dtype)
    else:
        values = _core.zeros([0], dtypes.float32 if dtype is None else dtype)
    return RaggedTensor.from_row_lengths(values, lengths)


def map_flat_values(op, *args, **kwargs):
    """``op`` applied to the flat values of the ragged arguments (they must share their row partitions)."""
    ragged = next(a for a in list(args) + list(kwargs.values()) if isinstance(a, RaggedTensor))
    args = [a.flat_values if isinstance(a, RaggedTensor) else a for a in args]
    kwargs = {k: v.flat_values if isinstance(v, RaggedTensor) else v for k, v in kwargs.items()}
    return ragged.with_flat_values(op(*args, **kwargs))


def stack_rows(rows, strings):
    """A RaggedTensor (ragged rank 1) of 1-D host arrays ``rows``."""
    lengths = [len(r) for r in rows]
    flat = np.concatenate(rows) if rows else np.zeros(0, object if strings else np.int64)
    return RaggedTensor.from_row_lengths(_tensor(flat.astype(object) if strings else flat, strings), lengths)
