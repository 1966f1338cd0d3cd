"""Merge layers: Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, and
their functional forms (``add([a, b])``, ``concatenate([a, b])``, ...). Each takes a
list of tensors; all but Concatenate broadcast them elementwise."""
from tapeflow import _core
from tapeflow.framework import TensorShape
from tapeflow.keras import backend
from tapeflow.keras.layers.layer import Layer


def _broadcast(a, b):
    a, b = tuple(a), tuple(b)
    if len(a) < len(b):
        a, b = b, a
    b = (1,) * (len(a) - len(b)) + b
    out = []
    for x, y in zip(a, b):
        if x is None or y is None:
            out.append(None if x in (None, 1) or y in (None, 1) else x)
        elif x == 1 or y == 1 or x == y:
            out.append(max(x, y) if 1 in (x, y) else x)
        else:
            raise ValueError("Inputs have incompatible shapes. Received shapes %s and %s" % (a, b))
    return tuple(out)


class _Merge(Layer):
    _min_inputs = 2

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def _check(self, inputs):
        if not isinstance(inputs, (list, tuple)) or isinstance(inputs, TensorShape):
            raise ValueError("A merge layer should be called on a list of inputs. Received: inputs=%s (not a list "
                             "of tensors)" % (inputs,))
        if len(inputs) < self._min_inputs:
            raise ValueError("A merge layer should be called on a list of at least %d inputs. Got %d inputs."
                             % (self._min_inputs, len(inputs)))

    def build(self, input_shape):
        self._check(input_shape)
        self.built = True

    def call(self, inputs):
        self._check(inputs)
        out = inputs[0]
        for x in inputs[1:]:
            out = self._merge(out, x)
        return self._finish(out, len(inputs))

    def _finish(self, out, n):
        return out

    def compute_mask(self, inputs, mask=None):
        """A step is kept where every masked input keeps it."""
        if mask is None or all(m is None for m in mask):
            return None
        keep = None
        for m in mask:
            if m is not None:
                m = _core.cast(m, "bool")
                keep = m if keep is None else _core.logical_and(keep, m)
        return keep

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        out = tuple(input_shape[0])
        for s in input_shape[1:]:
            out = _broadcast(out, s)
        return out


class Add(_Merge):
    """Elementwise sum of a list of inputs."""
    _merge = staticmethod(_core.add)


class Multiply(_Merge):
    """Elementwise product of a list of inputs."""
    _merge = staticmethod(_core.multiply)


class Maximum(_Merge):
    """Elementwise maximum of a list of inputs."""
    _merge = staticmethod(_core.maximum)


class Minimum(_Merge):
    """Elementwise minimum of a list of inputs."""
    _merge = staticmethod(_core.minimum)


class Average(_Merge):
    """Elementwise mean of a list of inputs."""
    _merge = staticmethod(_core.add)

    def _finish(self, out, n):
        return _core.multiply(out, 1.0 / n)


class Subtract(_Merge):
    """``inputs[0] - inputs[1]``; exactly two inputs."""

    def _check(self, inputs):
        super()._check(inputs)
        if len(inputs) != 2:
            raise ValueError("A `Subtract` layer should be called on exactly 2 inputs. Received: inputs=%s"
                             % (inputs,))

    _merge = staticmethod(_core.subtract)


class Concatenate(_Merge):
    """Concatenates a list of inputs along ``axis`` (default -1); other axes must match."""

    _min_inputs = 1

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs):
        self._check(inputs)
        # mixed dtypes meet at Keras 3's result type (int64 with float32 is float32)
        return _core.concat(backend.cast_to_result_type(list(inputs)), self.axis)

    def compute_mask(self, inputs, mask=None):
        """The masks concatenated along ``axis`` (an input without one counts as all kept), then reduced over
        the last axis with any(), as Keras does."""
        if mask is None or all(m is None for m in mask):
            return None
        full = []
        for x, m in zip(inputs, mask):
            if m is None:
                full.append(_core.cast(_core.ones_like(x), "bool"))
            elif m.ndim < x.ndim:
                full.append(_core.broadcast_to(_core.expand_dims(_core.cast(m, "bool"), -1), list(x.shape)))
            else:
                full.append(_core.cast(m, "bool"))
        return _core.reduce_any(_core.concat(full, self.axis), -1)

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        shapes = [tuple(s) for s in input_shape]
        rank = len(shapes[0])
        if any(len(s) != rank for s in shapes):
            raise ValueError("A `Concatenate` layer requires inputs with matching shapes except for the concatenation "
                             "axis. Received: input_shape=%s" % (shapes,))
        axis = self.axis % rank
        out = list(shapes[0])
        for s in shapes[1:]:
            for i in range(rank):
                if i == axis:
                    out[i] = None if out[i] is None or s[i] is None else out[i] + s[i]
                elif out[i] is not None and s[i] is not None and out[i] != s[i]:
                    raise ValueError("A `Concatenate` layer requires inputs with matching shapes except for the "
                                     "concatenation axis. Received: input_shape=%s" % (shapes,))
                elif out[i] is None:
                    out[i] = s[i]
        return tuple(out)

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config


def add(inputs, **kwargs):
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    return Concatenate(axis=axis, **kwargs)(inputs)
