"""String tensors: ``tf.constant("text")`` and every tensor of dtype ``tf.string``.

A string tensor holds bytes (text is stored as UTF-8, as in TensorFlow) in a NumPy object array on the host;
``numpy()`` gives ``bytes`` for a scalar and an object array of ``bytes`` otherwise, as TensorFlow does. Strings
never go to a device and are not differentiable, so they live outside the C++ engine: the shape ops that real code
applies to text (reshape, concat, gather, stack, ...) accept them through ``tapeflow``'s public names, and the text
ops (``tf.strings``) run over the array with Python's C-implemented ``bytes`` and ``re`` methods. What a text op
produces for the model (lengths, hashes, vocabulary indices, numbers) is an ordinary tensor in the engine.
"""
import numpy as np

from tapeflow import _core, errors
from tapeflow import dtypes as _dtypes
from tapeflow._tensor_base import TensorShape, _Ref


def _to_bytes(x):
    if isinstance(x, bytes):
        return x
    if isinstance(x, str):
        return x.encode("utf-8")
    if isinstance(x, (np.bytes_, np.str_)):
        return _to_bytes(x.item())
    raise TypeError("Failed to convert elements of %r to Tensor: a string tensor holds str or bytes, got %s"
                    % (x, type(x).__name__))


def _object_array(value):
    """``value`` (str, bytes, nested lists of them, NumPy str / bytes / object arrays) as an object array of
    bytes. A ragged nest raises ValueError, as in TensorFlow."""
    if isinstance(value, StringTensor):
        return value._a
    if isinstance(value, (str, bytes, np.str_, np.bytes_)):
        out = np.empty((), object)
        out[()] = _to_bytes(value)
        return out
    if isinstance(value, np.ndarray) and value.dtype.kind in "US":
        return np.vectorize(_to_bytes, otypes=[object])(value) if value.size else value.astype(object)
    try:
        a = np.array(value, dtype=object)
    except ValueError as e:
        raise ValueError("Can't convert non-rectangular Python sequence to Tensor.") from e
    if a.size == 0 and isinstance(value, (list, tuple)):
        return np.asarray(value, dtype=object).reshape(np.shape(value))
    flat = a.ravel()
    if any(isinstance(x, (list, tuple, np.ndarray)) for x in flat):
        raise ValueError("Can't convert non-rectangular Python sequence to Tensor.")
    return np.array([_to_bytes(x) for x in flat] or [], dtype=object).reshape(a.shape)


def is_string_value(value):
    """Whether ``value`` converts to a string tensor: str / bytes, a string tensor, a NumPy str or bytes array, an
    object array of str / bytes, or a (nested) list whose first leaf is str / bytes."""
    if isinstance(value, (StringTensor, str, bytes, np.str_, np.bytes_)):
        return True
    if isinstance(value, np.ndarray):
        return value.dtype.kind in "US" or (value.dtype == object and value.size > 0
                                            and isinstance(value.flat[0], (str, bytes)))
    while isinstance(value, (list, tuple)) and value:
        value = value[0]
    return isinstance(value, (str, bytes, np.str_, np.bytes_))


class StringTensor:
    """A tensor of dtype ``tf.string`` (see the module's docstring). ``tf.is_tensor`` is true for it."""

    __slots__ = ("_a", "__weakref__")
    __array_priority__ = 100

    def __init__(self, value):
        self._a = _object_array(value)

    # --- what every tensor has
    dtype = property(lambda self: _dtypes.string)
    shape = property(lambda self: TensorShape(self._a.shape))
    ndim = property(lambda self: self._a.ndim)
    _shape = property(lambda self: self._a.shape)  # as _core.Tensor's: a plain tuple
    device = property(lambda self: "/job:localhost/replica:0/task:0/device:CPU:0")

    def get_shape(self):
        return self.shape

    def set_shape(self, shape):
        if not self.shape.is_compatible_with(shape):
            raise ValueError("Tensor's shape %s is not compatible with supplied shape %s" % (self.shape,
                                                                                            TensorShape(shape)))

    def numpy(self):
        return self._a[()] if self._a.ndim == 0 else self._a.copy()

    _numpy = numpy

    def __array__(self, dtype=None, copy=None):
        return self._a.copy() if dtype is None else self._a.astype(dtype)

    def __len__(self):
        if self._a.ndim == 0:
            raise TypeError("len() of unsized object")
        return len(self._a)

    def __iter__(self):
        if self._a.ndim == 0:
            raise TypeError("Cannot iterate over a scalar tensor.")
        return (StringTensor(x) if self._a.ndim == 1 else _wrap(x) for x in self._a)

    def __getitem__(self, key):
        if isinstance(key, _core.Tensor):
            key = key.numpy()
        return _wrap(self._a[key])

    def __bool__(self):
        if self._a.ndim:
            raise ValueError("The truth value of a string tensor with more than one element is ambiguous")
        return bool(self._a[()])

    __hash__ = None  # as TensorFlow's tensors: compare with ==, key dicts with .ref()

    def ref(self):
        return _Ref(self)

    def __eq__(self, other):
        return equal(self, other)

    def __ne__(self, other):
        return not_equal(self, other)

    def __add__(self, other):
        return StringTensor(np.add(self._a, _object_array(other)))

    def __radd__(self, other):
        return StringTensor(np.add(_object_array(other), self._a))

    def __str__(self):
        return "tf.Tensor(%s, shape=%s, dtype=string)" % (_text(self._a, False), self.shape)

    def __repr__(self):
        return "<tf.Tensor: shape=%s, dtype=string, numpy=%s>" % (self.shape, _text(self._a, True))

    def __format__(self, spec):
        return format(str(self), spec)


StringTensor.__module__ = "tapeflow"


def _text(a, is_repr):
    text = repr(a[()]) if a.ndim == 0 else (repr(a) if is_repr else str(a))
    return "\n" + text if "\n" in text else text


def _wrap(a):
    out = StringTensor.__new__(StringTensor)
    out._a = a if isinstance(a, np.ndarray) else _object_array(a)
    return out


def strings(value):
    """``value`` as a StringTensor (it is one, or converts to one)."""
    return value if isinstance(value, StringTensor) else _wrap(_object_array(value))


def _host(x):
    if isinstance(x, _core.Tensor):
        return x.numpy()
    return np.asarray(x)


# ----------------------------------------------------------------- the shape ops on strings
# Each takes the arguments of the numeric op of the same name (tapeflow._ops routes string inputs here).
def reshape(tensor, shape, name=None):
    shape = [int(d) for d in np.asarray(_host(shape)).reshape(-1)]
    try:
        return _wrap(strings(tensor)._a.reshape(shape))
    except ValueError as e:
        raise ValueError("[reshape] Cannot reshape a tensor with %d elements to shape %s"
                         % (strings(tensor)._a.size, shape)) from e


def expand_dims(input, axis, name=None):  # noqa: A002 - TensorFlow's argument name
    return _wrap(np.expand_dims(strings(input)._a, int(axis)))


def squeeze(input, axis=None, name=None):  # noqa: A002
    a = strings(input)._a
    return _wrap(np.squeeze(a, axis=None if axis is None else tuple(np.atleast_1d(axis).tolist())))


def concat(values, axis, name=None):
    return _wrap(np.concatenate([strings(v)._a for v in values], axis=int(axis)))


def stack(values, axis=0, name=None):
    return _wrap(np.stack([strings(v)._a for v in values], axis=int(axis)))


def unstack(value, num=None, axis=0, name=None):
    a = np.moveaxis(strings(value)._a, int(axis), 0)
    return [_wrap(x) if isinstance(x, np.ndarray) else strings(x) for x in a]


def gather(params, indices, validate_indices=None, axis=None, batch_dims=0, name=None):
    a, idx = strings(params)._a, _host(indices).astype(np.int64)
    axis = 0 if axis is None else int(axis)
    size = a.shape[axis]
    if idx.size and (idx.min() < 0 or idx.max() >= size):
        bad = idx[(idx < 0) | (idx >= size)].ravel()[0]
        raise errors.InvalidArgumentError(None, None, "indices = %d is not in [0, %d)" % (bad, size))
    return _wrap(np.take(a, idx, axis=axis))


def boolean_mask(tensor, mask, axis=None, name=None):
    a, m = strings(tensor)._a, _host(mask).astype(bool)
    axis = 0 if axis is None else int(axis)
    lead = a.shape[:axis]
    flat = a.reshape(lead + (-1,) + a.shape[axis + m.ndim:]) if m.ndim else a
    return _wrap(np.compress(m.reshape(-1), flat, axis=axis))


def transpose(a, perm=None, conjugate=False, name=None):
    return _wrap(np.transpose(strings(a)._a, None if perm is None else [int(p) for p in _host(perm)]))


def tile(input, multiples, name=None):  # noqa: A002
    return _wrap(np.tile(strings(input)._a, [int(m) for m in _host(multiples)]))


def broadcast_to(input, shape, name=None):  # noqa: A002
    return _wrap(np.broadcast_to(strings(input)._a, [int(d) for d in _host(shape)]).copy())


def reverse(tensor, axis, name=None):
    return _wrap(np.flip(strings(tensor)._a, axis=tuple(int(x) for x in np.atleast_1d(_host(axis)))))


def slice(input_, begin, size, name=None):  # noqa: A001
    a = strings(input_)._a
    index = tuple(np.s_[int(b):(a.shape[i] if int(s) == -1 else int(b) + int(s))]
                  for i, (b, s) in enumerate(zip(_host(begin), _host(size))))
    return _wrap(a[index])


def pad(tensor, paddings, mode="CONSTANT", constant_values=b"", name=None):
    if mode.upper() != "CONSTANT":
        raise ValueError("pad: a string tensor pads in CONSTANT mode only, got mode=%r" % (mode,))
    value = b"" if constant_values in (0, None) else _to_bytes(constant_values)
    return _wrap(np.pad(strings(tensor)._a, _host(paddings).astype(np.int64).tolist(), constant_values=value))


def identity(input, name=None):  # noqa: A002
    return _wrap(strings(input)._a.copy())


def shape(input, out_type=None, name=None):  # noqa: A002
    return _core.convert_to_tensor(np.asarray(strings(input)._a.shape, dtype=np.int32), dtype=out_type)


def size(input, out_type=None, name=None):  # noqa: A002
    return _core.convert_to_tensor(np.int32(strings(input)._a.size), dtype=out_type)


def rank(input, name=None):  # noqa: A002
    return _core.convert_to_tensor(np.int32(strings(input)._a.ndim))


def _compare(x, y, op):
    a, b = strings(x)._a, strings(y)._a
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError as e:
        raise errors.InvalidArgumentError(None, None, "Incompatible shapes: %s vs. %s" % (list(a.shape),
                                                                                             list(b.shape))) from e
    return _core.convert_to_tensor(np.asarray(op(a, b), dtype=bool))


def equal(x, y, name=None):
    if not is_string_value(x) or not is_string_value(y):
        raise TypeError("equal: cannot compare a string tensor with %r" % (y if is_string_value(x) else x,))
    return _compare(x, y, np.equal)


def not_equal(x, y, name=None):
    if not is_string_value(x) or not is_string_value(y):
        raise TypeError("not_equal: cannot compare a string tensor with %r" % (y if is_string_value(x) else x,))
    return _compare(x, y, np.not_equal)


def add(x, y, name=None):
    return _wrap(np.add(strings(x)._a, strings(y)._a))


def where(condition, x=None, y=None, name=None):
    if x is None or y is None:
        raise ValueError("where: a string tensor is a value to choose (x, y), not a condition")
    return _wrap(np.where(_host(condition).astype(bool), strings(x)._a, strings(y)._a))


def fill(dims, value, name=None):
    out = np.empty([int(d) for d in _host(dims)], object)
    out.fill(_to_bytes(strings(value)._a[()]))
    return _wrap(out)


def zeros_like(input, dtype=None, name=None):  # noqa: A002
    return fill(strings(input)._a.shape, b"")


def split(value, num_or_size_splits, axis=0, num=None, name=None):
    a = strings(value)._a
    if np.ndim(num_or_size_splits) == 0:
        parts = np.split(a, int(num_or_size_splits), axis=int(axis))
    else:
        parts = np.split(a, np.cumsum(_host(num_or_size_splits))[:-1], axis=int(axis))
    return [_wrap(p) for p in parts]


# The ops above, each with the arguments (position, name) that hold its tensors: a string tensor in one of them
# routes tapeflow's public op of that name here.
SHAPE_OPS = {name: ((0, first),) for name, first in [
    ("reshape", "tensor"), ("expand_dims", "input"), ("squeeze", "input"), ("concat", "values"), ("stack", "values"),
    ("unstack", "value"), ("gather", "params"), ("boolean_mask", "tensor"), ("transpose", "a"), ("tile", "input"),
    ("broadcast_to", "input"), ("reverse", "tensor"), ("slice", "input_"), ("pad", "tensor"), ("identity", "input"),
    ("shape", "input"), ("size", "input"), ("rank", "input"), ("zeros_like", "input"), ("split", "value")]}
SHAPE_OPS.update({"equal": ((0, "x"), (1, "y")), "not_equal": ((0, "x"), (1, "y")), "add": ((0, "x"), (1, "y")),
                  "where": ((1, "x"), (2, "y")), "fill": ((1, "value"),)})
