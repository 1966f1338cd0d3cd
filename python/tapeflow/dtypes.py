"""tf.DType objects: ``tf.float32`` and friends, and ``as_dtype`` for names and NumPy types."""
import builtins

import numpy as np

__all__ = ["DType", "as_dtype", "float16", "half", "float32", "float64", "double",
           "int32", "int64", "uint8", "bool", "string"]


class DType:
    """An element type. Codes match the C++ ``tapeflow::DType`` enum."""

    __slots__ = ("_code", "_name", "_np")

    def __init__(self, code, name, np_type):
        self._code = code
        self._name = name
        self._np = np.dtype(np_type)

    name = property(lambda self: self._name)
    as_numpy_dtype = property(lambda self: self._np.type)
    size = property(lambda self: self._np.itemsize)
    is_floating = property(lambda self: self._np.kind == "f")
    is_integer = property(lambda self: self._np.kind in "iu")
    is_unsigned = property(lambda self: self._np.kind == "u" or self._np.kind == "b")
    is_bool = property(lambda self: self._np.kind == "b")
    is_numpy_compatible = property(lambda self: True)
    base_dtype = property(lambda self: self)
    real_dtype = property(lambda self: self)

    @property
    def min(self):
        return False if self.is_bool else (np.finfo(self._np).min if self.is_floating else np.iinfo(self._np).min)

    @property
    def max(self):
        return True if self.is_bool else (np.finfo(self._np).max if self.is_floating else np.iinfo(self._np).max)

    def __repr__(self):
        return "tf." + self._name

    def __str__(self):
        return "<dtype: '%s'>" % self._name

    def __eq__(self, other):
        if isinstance(other, DType):
            return self._code == other._code
        try:
            return self._code == as_dtype(other)._code
        except TypeError:
            return False

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return hash(self._code)

    def __reduce__(self):
        return as_dtype, (self._name,)


float32 = DType(0, "float32", np.float32)
float64 = DType(1, "float64", np.float64)
float16 = DType(2, "float16", np.float16)
int32 = DType(3, "int32", np.int32)
int64 = DType(4, "int64", np.int64)
uint8 = DType(5, "uint8", np.uint8)
bool = DType(6, "bool", np.bool_)  # noqa: A001 - tf.bool
string = DType(7, "string", object)  # bytes, host only: see tapeflow.string_tensor
half, double = float16, float64

_BY_CODE = (float32, float64, float16, int32, int64, uint8, bool, string)
_BY_NAME = {d.name: d for d in _BY_CODE}
_BY_NAME.update({"float": float32, "double": float64, "half": float16})


def from_code(code):
    return _BY_CODE[code]


def as_dtype(type_value):
    """Converts a DType, a name (``"float32"``), a NumPy dtype/type or a Python type to a DType."""
    if isinstance(type_value, DType):
        return type_value
    if isinstance(type_value, str):
        if type_value in _BY_NAME:
            return _BY_NAME[type_value]
        raise TypeError("Cannot convert value %r to a TensorFlow DType." % (type_value,))
    if type_value is float:
        return float32
    if type_value is int:
        return int32
    if type_value is builtins.bool:
        return bool
    if type_value in (bytes, builtins.str):
        return string
    try:
        np_type = np.dtype(type_value)
        name = "string" if np_type.kind in "OSU" else np_type.name
    except TypeError:
        name = None
    if name in _BY_NAME:
        return _BY_NAME[name]
    raise TypeError("Cannot convert value %r to a TensorFlow DType." % (type_value,))
