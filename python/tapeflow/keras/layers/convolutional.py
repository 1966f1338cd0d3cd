"""keras.layers.Conv1D and Conv2D (C++ im2col + GEMM through tapeflow.nn.conv2d)."""

from tapeflow import _core, nn
from tapeflow.keras import activations, initializers, regularizers
from tapeflow.keras.layers.input_spec import InputSpec
from tapeflow.keras.layers.layer import Layer


def normalize_tuple(value, rank, name):
    if isinstance(value, int):
        return (value,) * rank
    value = tuple(int(v) for v in value)
    if len(value) != rank:
        raise ValueError("The `%s` argument must be a tuple of %d integers. Received: %s" % (name, rank, value))
    return value


def normalize_padding(padding, allowed):
    padding = str(padding).lower()
    if padding not in allowed:
        raise ValueError("The `padding` argument must be one of %s. Received: %s" % (allowed, padding))
    return padding


def normalize_data_format(data_format):
    data_format = data_format or "channels_last"
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError("The `data_format` argument must be one of 'channels_first', 'channels_last'. Received: %s"
                         % data_format)
    return data_format


def nn_data_format(data_format, rank):
    """tf.nn's name for a Keras data_format: NWC / NCW (1-D), NHWC / NCHW (2-D)."""
    last = data_format == "channels_last"
    return ("NWC" if last else "NCW") if rank == 1 else ("NHWC" if last else "NCHW")


def spatial_axes(rank, data_format):
    """The indices of the spatial axes of a (rank + 2)-D input in ``data_format``."""
    return list(range(1, rank + 1)) if data_format == "channels_last" else list(range(2, rank + 2))


def output_length(size, window, padding, stride, dilation=1):
    """Keras's conv_output_length: the output size along one axis (None stays None)."""
    if size is None:
        return None
    span = (window - 1) * dilation + 1
    if padding in ("same", "causal"):
        return -(-size // stride)
    return max((size - span) // stride + 1, 0)


class _Conv(Layer):
    rank = None

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1, groups=1,
                 activation=None, use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if not isinstance(filters, int) or filters <= 0:
            raise ValueError("Invalid value for argument `filters`. Expected a strictly positive value. Received "
                             "filters=%r." % (filters,))
        self.filters = filters
        self.groups = int(groups)
        if self.groups < 1 or filters % self.groups:
            raise ValueError("The number of filters must be evenly divisible by the number of groups. Received: "
                             "groups=%s, filters=%s." % (groups, filters))
        self.kernel_size = normalize_tuple(kernel_size, self.rank, "kernel_size")
        self.strides = normalize_tuple(strides, self.rank, "strides")
        self.dilation_rate = normalize_tuple(dilation_rate, self.rank, "dilation_rate")
        if any(s > 1 for s in self.strides) and any(d > 1 for d in self.dilation_rate):
            raise ValueError("`strides > 1` not supported in conjunction with `dilation_rate > 1`. Received: "
                             "strides=%s and dilation_rate=%s" % (self.strides, self.dilation_rate))
        self.padding = normalize_padding(padding, ("valid", "same", "causal") if self.rank == 1 else ("valid", "same"))
        self.data_format = normalize_data_format(data_format)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = kernel_constraint
        self.bias_constraint = bias_constraint
        self.input_spec = InputSpec(min_ndim=self.rank + 2)

    def _channel_axis(self):
        return -1 if self.data_format == "channels_last" else 1

    def _nn_format(self):
        return nn_data_format(self.data_format, self.rank)

    def build(self, input_shape):
        channels = input_shape[self._channel_axis()]
        if channels is None:
            raise ValueError("The channel dimension of the inputs to %s should be defined. Found None; full input "
                             "shape received: %s" % (type(self).__name__, input_shape))
        self._add_kernels(channels)
        self.bias = self.add_weight(name="bias", shape=(self.filters,), initializer=self.bias_initializer,
                                    regularizer=self.bias_regularizer, constraint=self.bias_constraint) \
            if self.use_bias else None
        self.input_spec = InputSpec(min_ndim=self.rank + 2, axes={self._channel_axis(): channels})
        self.built = True

    def _add_kernel(self, shape, name="kernel"):
        return self.add_weight(name=name, shape=shape, initializer=self.kernel_initializer,
                               regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)

    def _add_kernels(self, channels):
        """The weights before the bias (a convolution: kernel_size + (in_channels // groups, filters))."""
        if channels % self.groups:
            raise ValueError("The number of input channels must be evenly divisible by the number of groups. "
                             "Received groups=%s, but the input has %s channels." % (self.groups, channels))
        self.kernel = self._add_kernel(self.kernel_size + (channels // self.groups, self.filters))

    def _depthwise(self, x, kernel):
        """Each input channel convolved with its own depth_multiplier filters (kernel kh, kw, C, multiplier):
        a grouped convolution whose output channel c * m + j is channel c's filter j."""
        shape = list(kernel.shape)
        return nn.conv2d(x, _core.reshape(kernel, shape[:2] + [1, shape[2] * shape[3]]), list(self.strides),
                         self.padding.upper(), data_format=self._nn_format(), dilations=list(self.dilation_rate))

    def _convolve(self, x):
        raise NotImplementedError

    def call(self, inputs):
        x = self._convolve(inputs)
        if self.bias is not None:
            if self.data_format == "channels_last":
                x = _core.add(x, self.bias)
            else:
                x = _core.add(x, _core.reshape(self.bias, [self.filters] + [1] * self.rank))
        return self.activation(x)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        first = self.data_format == "channels_last"
        spatial = input_shape[1:-1] if first else input_shape[2:]
        out = tuple(output_length(s, k, self.padding, st, d)
                    for s, k, st, d in zip(spatial, self.kernel_size, self.strides, self.dilation_rate))
        return (input_shape[0],) + out + (self.filters,) if first else (input_shape[0], self.filters) + out

    def get_config(self):
        config = super().get_config()
        config.update({
            "filters": self.filters, "kernel_size": self.kernel_size, "strides": self.strides,
            "padding": self.padding, "data_format": self.data_format, "dilation_rate": self.dilation_rate,
            "groups": self.groups, "activation": activations.serialize(self.activation), "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": None, "bias_constraint": None,
        })
        return config


class Conv2D(_Conv):
    """2-D convolution: ``activation(conv2d(inputs, kernel) + bias)``.

    Args:
      filters: the number of output channels.
      kernel_size, strides, dilation_rate: an int or a pair.
      padding: "valid" or "same" (TF's rule: the output is ceil(input / stride)).
      data_format: "channels_last" (default, NHWC) or "channels_first" (NCHW).
      groups: splits input channels and filters into this many groups, convolved separately.
      activation, use_bias, initializers, regularizers, constraints: as Dense.

    Kernel shape: ``kernel_size + (in_channels // groups, filters)``.
    """

    rank = 2

    def _convolve(self, x):
        return nn.conv2d(x, self.kernel, list(self.strides), self.padding.upper(), data_format=self._nn_format(),
                         dilations=list(self.dilation_rate))


class Conv1D(_Conv):
    """1-D convolution over (batch, steps, channels); ``padding="causal"`` pads only on the left, so an
    output step never sees later input steps. Other arguments as Conv2D."""

    rank = 1

    def _convolve(self, x):
        padding = self.padding.upper()
        if self.padding == "causal":
            left = (self.kernel_size[0] - 1) * self.dilation_rate[0]
            padding = [[0, 0], [left, 0], [0, 0]]
        return nn.conv1d(x, self.kernel, self.strides[0], padding, data_format=self._nn_format(),
                         dilations=self.dilation_rate[0])


Convolution1D = Conv1D
Convolution2D = Conv2D


def deconv_output_length(size, kernel, padding, output_padding, stride, dilation=1):
    """Keras's output size of a transposed convolution along one axis (None stays None)."""
    if size is None:
        return None
    span = (kernel - 1) * dilation + 1
    if output_padding is None:
        return size * stride + max(span - stride, 0) if padding == "valid" else size * stride
    pad = span // 2 if padding == "same" else 0
    return (size - 1) * stride + span - 2 * pad + output_padding


class Conv2DTranspose(_Conv):
    """The transpose of Conv2D (upsampling by ``strides``). Kernel shape: ``kernel_size + (filters,
    in_channels)``; ``output_padding`` adds rows / columns at the end of the output, as in tf.keras."""

    rank = 2

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None, data_format=None,
                 dilation_rate=1, **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
                         dilation_rate=dilation_rate, **kwargs)
        self.output_padding = normalize_tuple(output_padding, 2, "output_padding") if output_padding is not None \
            else None
        if self.output_padding is not None and any(p >= s for p, s in zip(self.output_padding, self.strides)):
            raise ValueError("Strides %s must be greater than output padding %s." % (self.strides,
                                                                                     self.output_padding))

    def _add_kernels(self, channels):
        self.kernel = self._add_kernel(self.kernel_size + (self.filters, channels))  # maps filters -> inputs

    def _out_hw(self, spatial):
        pads = self.output_padding or (None, None)
        return [deconv_output_length(s, k, self.padding, p, st, d)
                for s, k, p, st, d in zip(spatial, self.kernel_size, pads, self.strides, self.dilation_rate)]

    def _convolve(self, x):
        last = self.data_format == "channels_last"
        shape = list(x.shape)
        hw = self._out_hw(shape[1:3] if last else shape[2:4])
        out_shape = [shape[0]] + hw + [self.filters] if last else [shape[0], self.filters] + hw
        return nn.conv2d_transpose(x, self.kernel, out_shape, list(self.strides), self.padding.upper(),
                                   data_format=self._nn_format(), dilations=list(self.dilation_rate))

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        last = self.data_format == "channels_last"
        hw = tuple(self._out_hw(input_shape[1:3] if last else input_shape[2:4]))
        return (input_shape[0],) + hw + (self.filters,) if last else (input_shape[0], self.filters) + hw

    def get_config(self):
        config = super().get_config()
        config.pop("groups")
        config["output_padding"] = self.output_padding
        return config


def _depthwise_names(config):
    """The depthwise layers' Keras names for the kernel arguments (kernel_* -> depthwise_*)."""
    for arg in ("initializer", "regularizer", "constraint"):
        config["depthwise_" + arg] = config.pop("kernel_" + arg)


class DepthwiseConv2D(_Conv):
    """Convolves each input channel with its own ``depth_multiplier`` filters (output channels
    ``in_channels * depth_multiplier``). Kernel shape: ``kernel_size + (in_channels, depth_multiplier)``."""

    rank = 2

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1, data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(1, kernel_size, strides=strides, padding=padding, data_format=data_format,
                         dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
                         kernel_initializer=depthwise_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=depthwise_regularizer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer, kernel_constraint=depthwise_constraint,
                         bias_constraint=bias_constraint, **kwargs)
        self.depth_multiplier = int(depth_multiplier)

    def _add_kernels(self, channels):
        self.filters = channels * self.depth_multiplier
        self.kernel = self.depthwise_kernel = self._add_kernel(self.kernel_size + (channels, self.depth_multiplier))

    def _convolve(self, x):
        return self._depthwise(x, self.depthwise_kernel)

    def compute_output_shape(self, input_shape):
        self.filters = input_shape[self._channel_axis()] * self.depth_multiplier
        return super().compute_output_shape(input_shape)

    def get_config(self):
        config = super().get_config()
        for key in ("filters", "groups"):
            config.pop(key)
        config["depth_multiplier"] = self.depth_multiplier
        _depthwise_names(config)
        return config


class SeparableConv2D(_Conv):
    """A depthwise convolution followed by a 1x1 convolution to ``filters`` channels. Weights:
    depthwise_kernel ``kernel_size + (in_channels, depth_multiplier)``, pointwise_kernel
    ``(1, 1, in_channels * depth_multiplier, filters)``, bias."""

    rank = 2

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 depth_multiplier=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 pointwise_initializer="glorot_uniform", bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
                         dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
                         kernel_initializer=depthwise_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=depthwise_regularizer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer, kernel_constraint=depthwise_constraint,
                         bias_constraint=bias_constraint, **kwargs)
        self.depth_multiplier = int(depth_multiplier)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.pointwise_constraint = pointwise_constraint

    def _add_kernels(self, channels):
        self.depthwise_kernel = self._add_kernel(self.kernel_size + (channels, self.depth_multiplier),
                                                 "depthwise_kernel")
        self.pointwise_kernel = self.add_weight(name="pointwise_kernel",
                                                shape=(1, 1, channels * self.depth_multiplier, self.filters),
                                                initializer=self.pointwise_initializer,
                                                regularizer=self.pointwise_regularizer,
                                                constraint=self.pointwise_constraint)

    def _convolve(self, x):
        return nn.conv2d(self._depthwise(x, self.depthwise_kernel), self.pointwise_kernel, 1, "VALID",
                         data_format=self._nn_format())

    def get_config(self):
        config = super().get_config()
        config.pop("groups")
        config["depth_multiplier"] = self.depth_multiplier
        _depthwise_names(config)
        config.update({"pointwise_initializer": initializers.serialize(self.pointwise_initializer),
                       "pointwise_regularizer": regularizers.serialize(self.pointwise_regularizer),
                       "pointwise_constraint": None})
        return config


Convolution2DTranspose = Conv2DTranspose
SeparableConvolution2D = SeparableConv2D
