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

    def build(self, input_shape):
        channels = input_shape[self._channel_axis()]
        if channels is None:
            raise ValueError("The channel dimension of the inputs should be defined. Found None; full input shape "
                             "received: %s" % (input_shape,))
        if channels % self.groups:
            raise ValueError("The number of input channels must be evenly divisible by the number of groups. "
                             "Received groups=%s, but the input has %s channels (full input shape is %s)."
                             % (self.groups, channels, input_shape))
        self.kernel = self.add_weight(name="kernel", shape=self.kernel_size + (channels // self.groups, self.filters),
                                      initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.bias = self.add_weight(name="bias", shape=(self.filters,), initializer=self.bias_initializer,
                                    regularizer=self.bias_regularizer, constraint=self.bias_constraint) \
            if self.use_bias else None
        self.input_spec = InputSpec(min_ndim=self.rank + 2, axes={self._channel_axis(): channels})
        self.built = True

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
        fmt = "NHWC" if self.data_format == "channels_last" else "NCHW"
        return nn.conv2d(x, self.kernel, list(self.strides), self.padding.upper(), data_format=fmt,
                         dilations=list(self.dilation_rate))


class Conv1D(_Conv):
    """1-D convolution over (batch, steps, channels); ``padding="causal"`` pads only on the left, so an
    output step never sees later input steps. Other arguments as Conv2D."""

    rank = 1

    def _convolve(self, x):
        fmt = "NWC" if self.data_format == "channels_last" else "NCW"
        padding = self.padding.upper()
        if self.padding == "causal":
            left = (self.kernel_size[0] - 1) * self.dilation_rate[0]
            padding = [[0, 0], [left, 0], [0, 0]]
        return nn.conv1d(x, self.kernel, self.strides[0], padding, data_format=fmt, dilations=self.dilation_rate[0])


Convolution1D = Conv1D
Convolution2D = Conv2D
