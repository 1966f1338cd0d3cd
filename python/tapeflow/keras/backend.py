"""Session-wide Keras state: unique names, the float type, epsilon, and the
training flag that an outer layer call hands to the layers it calls."""
import collections
import re
import threading

import numpy as np

_state = threading.local()
_name_counts = collections.defaultdict(int)
_FLOATX = "float32"
_EPSILON = 1e-7


def floatx():
    return _FLOATX


def set_floatx(value):
    global _FLOATX
    if value not in ("float16", "float32", "float64"):
        raise ValueError("Unknown `floatx` value: %r. Expected one of float16, float32, float64" % (value,))
    _FLOATX = value


def epsilon():
    return _EPSILON


def set_epsilon(value):
    global _EPSILON
    _EPSILON = float(value)


def result_type(*dtypes):
    """The dtype tensors of these dtypes combine to, by Keras 3's rule for tensors: any float makes the result the
    widest float among them, else the widest; bool only with bool."""
    names = [np.dtype(getattr(d, "name", d)) for d in dtypes]
    if not names:
        return floatx()
    floats = [d for d in names if d.kind == "f"]
    pool = floats or [d for d in names if d.kind != "b"] or names
    return max(pool, key=lambda d: d.itemsize).name


def cast_to_result_type(tensors):
    """The tensors cast to the ``result_type`` of their dtypes."""
    from tapeflow import _core
    target = result_type(*[t.dtype for t in tensors])
    return [t if t.dtype.name == target else _core.cast(t, target) for t in tensors]


def image_data_format():
    return "channels_last"


def to_snake_case(name):
    """``Dense`` -> ``dense``, ``Conv2D`` -> ``conv2d``, ``BatchNormalization`` -> ``batch_normalization``."""
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    s = re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()
    return "private" + s if s.startswith("_") else s


def unique_name(prefix):
    """``prefix`` the first time, then ``prefix_1``, ``prefix_2``, ... until ``clear_session()``."""
    n = _name_counts[prefix]
    _name_counts[prefix] += 1
    return prefix if n == 0 else "%s_%d" % (prefix, n)


def clear_session(free_memory=True):
    """Resets the automatic layer and model names."""
    _name_counts.clear()


def in_training():
    """The ``training`` flag of the innermost enclosing layer call, or None."""
    stack = getattr(_state, "training", None)
    return stack[-1] if stack else None


class training_scope:
    def __init__(self, training):
        self.training = training

    def __enter__(self):
        if not hasattr(_state, "training"):
            _state.training = []
        _state.training.append(self.training)

    def __exit__(self, *exc):
        _state.training.pop()


def standardize_shape(shape):
    if shape is None:
        raise ValueError("Undefined shapes are not supported.")
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    return tuple(None if d is None else int(d) for d in shape)
