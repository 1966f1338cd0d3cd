"""tf.nn: activations, losses, convolution and pooling."""
from tapeflow import _core, errors
from tapeflow._ops import (bias_add, elu, gelu, l2_normalize, leaky_relu, log_softmax, relu, relu6,  # noqa: F401
                           selu, sigmoid, sigmoid_cross_entropy_with_logits, silu, softmax,
                           softmax_cross_entropy_with_logits, softplus, softsign,
                           sparse_softmax_cross_entropy_with_logits, swish, tanh, top_k)


# ----------------------------------------------------------------- convolution and pooling
_INT32_MAX = 2 ** 31 - 1


def _checked(value, name, least):
    """An int attribute in [least, 2**31 - 1] (TensorFlow's int32 attributes), checked before any arithmetic."""
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise TypeError("`%s` must hold integers, got %r" % (name, value))
    value = int(value.__index__())
    if not least <= value <= _INT32_MAX:
        raise errors.InvalidArgumentError(None, None, "`%s` must be in [%d, %d], got %d"
                                          % (name, least, _INT32_MAX, value))
    return value


def _pair(value, name, rank=2):
    """An int or a list of ints >= 1 (per spatial axis, or TF's full-rank form with 1s at batch and channels)."""
    if isinstance(value, int):
        return [_checked(value, name, 1)] * rank
    value = list(value)
    if len(value) == rank + 2:
        value = value[1:-1]
    elif len(value) not in (1, rank):
        raise ValueError("`%s` must be an int or a list of %d (or %d) ints, got %r" % (name, rank, rank + 2, value))
    value = [_checked(v, name, 1) for v in value]
    return value * rank if len(value) == 1 else value


def _paddings(padding, size, window, stride, dilation):
    """(before, after) for one spatial axis under TF's "SAME" / "VALID" rules (window, stride and dilation
    already checked by _pair)."""
    padding = padding.upper()
    if padding == "VALID":
        return 0, 0
    if padding != "SAME":
        raise ValueError("padding must be 'SAME' or 'VALID' (or explicit pairs), got %r" % (padding,))
    span = (window - 1) * dilation + 1
    out = -(-size // stride)
    total = max((out - 1) * stride + span - size, 0)
    return total // 2, total - total // 2


def _spatial_pads(padding, shape, windows, strides, dilations, data_format):
    if not isinstance(padding, str):  # explicit: [[0, 0], [top, bottom], [left, right], [0, 0]] (NHWC)
        pairs = [list(p) for p in padding]
        pairs = pairs[1:-1] if data_format.startswith("NH") or data_format == "NWC" else pairs[2:]
        return [_checked(v, "padding", 0) for p in pairs for v in p]
    out = []
    for size, k, s, d in zip(shape, windows, strides, dilations):
        out.extend(_paddings(padding, size, k, s, d))
    return out


def _to_nhwc(x, data_format):
    if data_format in ("NHWC", None):
        return x, lambda y: y
    if data_format == "NCHW":
        return _core.transpose(x, [0, 2, 3, 1]), lambda y: _core.transpose(y, [0, 3, 1, 2])
    raise ValueError("data_format must be 'NHWC' or 'NCHW', got %r" % (data_format,))


def conv2d(input, filters, strides, padding, data_format="NHWC", dilations=None, name=None):
    """2-D convolution: ``input`` (batch, height, width, in_channels), ``filters`` (height, width,
    in_channels / groups, out_channels); ``padding`` "SAME", "VALID" or explicit pairs. Grouped when
    in_channels is a multiple of the filters' in_channels."""
    x = _core.convert_to_tensor(input)
    f = _core.convert_to_tensor(filters)
    if x.ndim != 4:
        raise ValueError("conv2d expects a rank-4 input, got shape %s" % (tuple(x.shape),))
    x, back = _to_nhwc(x, data_format)
    strides, dilations = _pair(strides, "strides"), _pair(1 if dilations is None else dilations, "dilations")
    if f.ndim != 4 or f.shape[2] == 0 or x.shape[3] % f.shape[2]:
        raise ValueError("input depth %s is not a multiple of the filters' input depth (filters shape %s)"
                         % (x.shape[3], tuple(f.shape)))
    pads = _spatial_pads(padding, x.shape[1:3], f.shape[:2], strides, dilations, "NHWC")
    return back(_core._conv2d(x, f, strides, dilations, pads, x.shape[3] // f.shape[2]))


def conv2d_transpose(input, filters, output_shape, strides, padding="SAME", data_format="NHWC", dilations=None,
                     name=None):
    """The transpose of conv2d (its gradient with respect to the input): ``filters`` (height, width,
    out_channels, in_channels), ``output_shape`` (batch, height, width, out_channels) in NHWC order."""
    x = _core.convert_to_tensor(input)
    f = _core.convert_to_tensor(filters)
    x, back = _to_nhwc(x, data_format)
    output_shape = [int(d) for d in (output_shape.numpy() if hasattr(output_shape, "numpy") else output_shape)]
    if data_format == "NCHW":
        output_shape = [output_shape[0], output_shape[2], output_shape[3], output_shape[1]]
    strides, dilations = _pair(strides, "strides"), _pair(1 if dilations is None else dilations, "dilations")
    if f.ndim != 4 or len(output_shape) != 4 or output_shape[3] != f.shape[2]:
        raise ValueError("output_shape %s must be rank 4 with depth equal to the filters' out_channels (filters shape "
                         "%s)" % (output_shape, tuple(f.shape)))
    pads = _spatial_pads(padding, output_shape[1:3], f.shape[:2], strides, dilations, "NHWC")
    return back(_core._conv2d_transpose(x, f, output_shape[1:3], strides, dilations, pads))


def conv1d(input, filters, stride, padding, data_format="NWC", dilations=None, name=None):
    """1-D convolution: ``input`` (batch, width, in_channels), ``filters`` (width, in_channels, out_channels)."""
    x = _core.convert_to_tensor(input)
    f = _core.convert_to_tensor(filters)
    if data_format not in ("NWC", "NCW"):
        raise ValueError("data_format must be 'NWC' or 'NCW', got %r" % (data_format,))
    if data_format == "NCW":
        x = _core.transpose(x, [0, 2, 1])
    stride = _pair(stride, "stride", 1)[0]
    dilation = _pair(1 if dilations is None else dilations, "dilations", 1)[0]
    if not isinstance(padding, str):
        padding = [[0, 0], [0, 0]] + [list(p) for p in padding][1:]
    y = conv2d(_core.expand_dims(x, 1), _core.expand_dims(f, 0), [1, stride], padding, dilations=[1, dilation])
    y = _core.squeeze(y, [1])
    return _core.transpose(y, [0, 2, 1]) if data_format == "NCW" else y


def _pool(kernel, input, ksize, strides, padding, data_format, rank):
    x = _core.convert_to_tensor(input)
    if x.ndim != rank + 2:
        raise ValueError("pooling expects a rank-%d input, got shape %s" % (rank + 2, tuple(x.shape)))
    if rank == 1:
        if data_format == "NCW":
            x = _core.transpose(x, [0, 2, 1])
        x = _core.expand_dims(x, 1)
        ksize, strides = [1] + _pair(ksize, "ksize", 1), [1] + _pair(strides, "strides", 1)
        back = (lambda y: _core.transpose(_core.squeeze(y, [1]), [0, 2, 1])) if data_format == "NCW" else \
            (lambda y: _core.squeeze(y, [1]))
    else:
        x, back = _to_nhwc(x, data_format)
        ksize, strides = _pair(ksize, "ksize"), _pair(strides, "strides")
    pads = _spatial_pads(padding, x.shape[1:3], ksize, strides, [1, 1], "NHWC")
    return back(kernel(x, ksize, strides, pads))


def max_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):
    """Max over ksize windows (padding never wins), NHWC."""
    return _pool(_core._max_pool2d, input, ksize, strides, padding, data_format, 2)


def avg_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):
    """Mean over ksize windows, counting only positions inside the input (as TF), NHWC."""
    return _pool(_core._avg_pool2d, input, ksize, strides, padding, data_format, 2)


def max_pool1d(input, ksize, strides, padding, data_format="NWC", name=None):
    return _pool(_core._max_pool2d, input, ksize, strides, padding, data_format, 1)


def avg_pool1d(input, ksize, strides, padding, data_format="NWC", name=None):
    return _pool(_core._avg_pool2d, input, ksize, strides, padding, data_format, 1)


def max_pool(input, ksize, strides, padding, data_format=None, name=None):
    x = _core.convert_to_tensor(input)
    return (max_pool1d if x.ndim == 3 else max_pool2d)(x, ksize, strides, padding,
                                                       data_format or ("NWC" if x.ndim == 3 else "NHWC"))


def avg_pool(input, ksize, strides, padding, data_format=None, name=None):
    x = _core.convert_to_tensor(input)
    return (avg_pool1d if x.ndim == 3 else avg_pool2d)(x, ksize, strides, padding,
                                                       data_format or ("NWC" if x.ndim == 3 else "NHWC"))
