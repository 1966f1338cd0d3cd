"""keras.activations: the activation functions by name, ``get`` and ``serialize``."""

from tapeflow import _core


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return _core.relu(x)
    x = _core.convert_to_tensor(x)
    neg = _core.multiply(_core.minimum(_core.subtract(x, threshold), 0.0), negative_slope) if negative_slope else None
    y = _core.where(_core.greater(x, threshold), x, _core.zeros_like(x)) if threshold else _core.relu(x)
    if max_value is not None:
        y = _core.minimum(y, max_value)
    return y if neg is None else _core.add(y, neg)


def _keep_logits(output, x, kind):
    """Records on a sigmoid or softmax output the tensor it was computed from, as Keras does on TensorFlow: the
    cross-entropy losses then start from the logits (exact, and no gradient lost to clipping where the
    probability saturates) and run as one fused kernel. ``kind`` is "sigmoid", or the softmax's class axis."""
    output._keras_logits = x
    output._keras_logits_kind = kind
    return output


def sigmoid(x):
    x = _core.convert_to_tensor(x)
    return _keep_logits(_core.sigmoid(x), x, "sigmoid")


def softmax(x, axis=-1):
    x = _core.convert_to_tensor(x)
    out = _core.softmax(x, axis)
    return _keep_logits(out, x, axis % x.ndim if isinstance(axis, int) and x.ndim else axis)


def log_softmax(x, axis=-1):
    return _core.log_softmax(x, axis)


def tanh(x):
    return _core.tanh(x)


def elu(x, alpha=1.0):
    y = _core.elu(x)
    if alpha == 1.0:
        return y
    return _core.where(_core.greater(x, 0.0), y, _core.multiply(y, alpha))


def selu(x):
    return _core.selu(x)


def gelu(x, approximate=False):
    return _core.gelu(x, approximate)


def softplus(x):
    return _core.softplus(x)


def softsign(x):
    return _core.softsign(x)


def swish(x):
    return _core.swish(x)


silu = swish


def mish(x):
    return _core.multiply(x, _core.tanh(_core.softplus(x)))


def leaky_relu(x, negative_slope=0.2):
    return _core.leaky_relu(x, negative_slope)


def relu6(x):
    return _core.relu6(x)


def hard_sigmoid(x):
    return _core.clip_by_value(_core.add(_core.multiply(x, 1.0 / 6.0), 0.5), 0.0, 1.0)


def hard_swish(x):
    return _core.multiply(x, hard_sigmoid(x))


def exponential(x):
    return _core.exp(x)


def linear(x):
    return x


_ALL = {f.__name__: f for f in (relu, sigmoid, softmax, log_softmax, tanh, elu, selu, gelu, softplus, softsign,
                                 swish, mish, leaky_relu, relu6, hard_sigmoid, hard_swish, exponential, linear)}
_ALL["silu"] = swish
_ALL["hard_silu"] = hard_swish


def get(identifier):
    """An activation from its name, a callable, or None (linear)."""
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        if identifier not in _ALL:
            raise ValueError("Could not interpret activation function identifier: %r" % (identifier,))
        return _ALL[identifier]
    if isinstance(identifier, dict):
        return get(identifier.get("config", identifier).get("name", identifier.get("class_name")))
    if callable(identifier):
        return identifier
    raise ValueError("Could not interpret activation function identifier: %r" % (identifier,))


def serialize(activation):
    name = getattr(activation, "__name__", None)
    if name in _ALL and _ALL[name] is activation:
        return name
    if name == "swish":
        return "swish"
    if hasattr(activation, "get_config"):
        return {"class_name": type(activation).__name__, "config": activation.get_config()}
    return name


def deserialize(config, custom_objects=None):
    if isinstance(config, str) and custom_objects and config in custom_objects:
        return custom_objects[config]
    return get(config)


