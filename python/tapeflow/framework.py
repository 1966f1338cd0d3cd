"""Tensor presentation and conversion: TensorShape, the Python face of
``_core.Tensor`` (shape, dtype, numpy, printing), constant and convert_to_tensor."""
import numpy as np

from tapeflow import _core
from tapeflow import dtypes as _dtypes
from tapeflow import string_tensor as _strings
from tapeflow._tensor_base import TensorShape, _Ref
from tapeflow.string_tensor import StringTensor

Tensor = _core.Tensor


def _numpy_text(t, is_repr):
    a = t._numpy()
    if a.ndim == 0:
        text = str(a[()])  # NumPy's shortest repr for the dtype: float32 0.1 prints as 0.1
    else:
        text = repr(a) if is_repr else str(a)
    if "\n" in text:
        text = "\n" + text
    return text


def _tensor_str(self):
    return "tf.Tensor(%s, shape=%s, dtype=%s)" % (_numpy_text(self, False), self.shape, self.dtype.name)


def _tensor_repr(self):
    return "<tf.Tensor: shape=%s, dtype=%s, numpy=%s>" % (self.shape, self.dtype.name, _numpy_text(self, True))


def _tensor_format(self, format_spec):
    """``f"{t:0.2f}"``: the value formatted as NumPy formats it (a scalar takes any number format)."""
    return str(self) if not format_spec else self._numpy().__format__(format_spec)


Tensor.shape = property(lambda self: TensorShape(self._shape), doc="The shape of this tensor (a TensorShape).")
Tensor.dtype = property(lambda self: _dtypes.from_code(self._dtype_code), doc="The DType of this tensor.")
Tensor.device = property(lambda self: "/job:localhost/replica:0/task:0/device:" + self._device_str)
Tensor.__format__ = _tensor_format
Tensor.numpy = lambda self: self._numpy()
Tensor.numpy.__doc__ = "The value as a NumPy array (read-only, shares memory with the tensor)."
Tensor.get_shape = lambda self: self.shape


def _set_shape(self, shape):
    """Eager tensors know their shape: ``set_shape`` checks that ``shape`` (None for any size) is compatible."""
    if not TensorShape(self._shape).is_compatible_with(shape):
        raise ValueError("Tensor's shape %s is not compatible with supplied shape %s"
                         % (TensorShape(self._shape), TensorShape(shape)))


Tensor.set_shape = _set_shape
Tensor.ref = lambda self: _Ref(self)
Tensor.experimental_ref = Tensor.ref
Tensor.__str__ = _tensor_str
Tensor.__repr__ = _tensor_repr
Tensor.__module__ = "tapeflow"


def convert_to_tensor(value, dtype=None, dtype_hint=None, name=None):
    """Converts a tensor, NumPy array, nested list, Python scalar or IndexedSlices to a Tensor."""
    if isinstance(value, IndexedSlices):
        value = value._dense()
    if _is_string(value, dtype):
        return _strings.strings(value)
    return _core.convert_to_tensor(value, dtype=dtype, dtype_hint=dtype_hint)


def _is_string(value, dtype):
    """Whether a conversion makes a string tensor: string values (unless ``dtype`` asks for a number, which the
    C++ conversion then refuses with TypeError) or ``dtype=tf.string``."""
    if dtype is not None and _dtypes.as_dtype(dtype) == _dtypes.string:
        if not _strings.is_string_value(value):
            raise TypeError("Failed to convert %r to a string tensor: its elements are not str or bytes" % (value,))
        return True
    return dtype is None and _strings.is_string_value(value)


class IndexedSlices:
    """``tf.IndexedSlices``: rows of a tensor of shape ``dense_shape``: ``values[i]`` belongs to row
    ``indices[i]`` (duplicates add up). ``tape.gradient`` returns one for a variable read only through row lookups
    (``tf.gather`` on axis 0, ``Embedding``), so that only the rows used get a gradient."""

    def __init__(self, values, indices, dense_shape=None):
        self.values = values
        self.indices = indices
        self.dense_shape = None if dense_shape is None else _core.convert_to_tensor(
            np.asarray(dense_shape, dtype=np.int64))

    dtype = property(lambda self: self.values.dtype)
    device = property(lambda self: self.values.device)

    @property
    def shape(self):
        if self.dense_shape is None:
            return TensorShape((None,) + tuple(self.values.shape)[1:])
        return TensorShape(self.dense_shape.numpy().tolist())

    def _dense(self):
        if self.dense_shape is None:
            raise ValueError("Cannot convert an IndexedSlices without dense_shape to a Tensor")
        return _core.scatter_nd(_core.expand_dims(self.indices, -1), self.values,
                                self.dense_shape.numpy().tolist())

    def __neg__(self):
        return IndexedSlices(_core.negative(self.values), self.indices, self.dense_shape)

    def __repr__(self):
        return "IndexedSlices(indices=%r, values=%r, dense_shape=%r)" % (self.indices, self.values, self.dense_shape)


def constant(value, dtype=None, shape=None, name="Const"):
    """Creates a constant tensor from a tensor-like value (``tf.constant``).

    Python floats become float32 and Python ints int32 unless ``dtype`` says otherwise;
    NumPy arrays keep their dtype. With ``shape``, a scalar is broadcast to it and other
    values are reshaped (their element count must match).
    """
    t = convert_to_tensor(value, dtype=dtype)
    if isinstance(t, StringTensor):
        return t if shape is None else _strings.reshape(t, shape) if t._a.size != 1 else _strings.fill(shape, t)
    if shape is None:
        return t
    shape = tuple(int(d) for d in shape)
    count = int(np.prod(shape, dtype=np.int64))
    size = int(np.prod(t._shape, dtype=np.int64))
    if size == count:
        return _core.reshape(t, shape)
    if size == 1:
        return _core.fill(shape, _core.reshape(t, ()))
    raise TypeError("Eager execution of tf.constant with unsupported shape. Tensor %s (converted from %r) has %d "
                    "elements, but got `shape` %s with %d elements)." % (t, value, size, shape, count))


def is_tensor(x):
    return isinstance(x, (Tensor, StringTensor))
