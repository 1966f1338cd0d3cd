"""keras.layers pooling: MaxPooling1D/2D, AveragePooling1D/2D (C++ kernels through tapeflow.nn) and the
global poolings."""
from tapeflow import _core, nn
from tapeflow.keras.layers.convolutional import (nn_data_format, normalize_data_format, normalize_padding,
                                                 normalize_tuple, output_length, spatial_axes)
from tapeflow.keras.layers.input_spec import InputSpec
from tapeflow.keras.layers.layer import Layer


class _Pooling(Layer):
    rank = None
    mode = None

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.pool_size = normalize_tuple(pool_size, self.rank, "pool_size")
        self.strides = normalize_tuple(strides, self.rank, "strides") if strides is not None else self.pool_size
        self.padding = normalize_padding(padding, ("valid", "same"))
        self.data_format = normalize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs):
        fn = {("max", 1): nn.max_pool1d, ("avg", 1): nn.avg_pool1d, ("max", 2): nn.max_pool2d,
              ("avg", 2): nn.avg_pool2d}[(self.mode, self.rank)]
        return fn(inputs, list(self.pool_size), list(self.strides), self.padding.upper(),
                  data_format=nn_data_format(self.data_format, self.rank))

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        last = self.data_format == "channels_last"
        spatial = input_shape[1:-1] if last else input_shape[2:]
        out = tuple(output_length(s, k, self.padding, st) for s, k, st in zip(spatial, self.pool_size, self.strides))
        return (input_shape[0],) + out + (input_shape[-1],) if last else input_shape[:2] + out

    def get_config(self):
        config = super().get_config()
        config.update({"pool_size": self.pool_size, "padding": self.padding, "strides": self.strides,
                       "data_format": self.data_format})
        return config


class MaxPooling2D(_Pooling):
    """The maximum over ``pool_size`` windows moved by ``strides`` (default ``pool_size``); "valid" or "same"."""
    rank, mode = 2, "max"


class AveragePooling2D(_Pooling):
    """The mean over ``pool_size`` windows (with "same", of the positions inside the input)."""
    rank, mode = 2, "avg"


class MaxPooling1D(_Pooling):
    rank, mode = 1, "max"


class AveragePooling1D(_Pooling):
    rank, mode = 1, "avg"


class _GlobalPooling(Layer):
    rank = None
    mode = None

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format)
        self.keepdims = keepdims
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs):
        reduce = _core.reduce_max if self.mode == "max" else _core.reduce_mean
        return reduce(inputs, spatial_axes(self.rank, self.data_format), self.keepdims)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        axes = spatial_axes(self.rank, self.data_format)
        if self.keepdims:
            return tuple(1 if i in axes else d for i, d in enumerate(input_shape))
        return tuple(d for i, d in enumerate(input_shape) if i not in axes)

    def get_config(self):
        config = super().get_config()
        config.update({"data_format": self.data_format, "keepdims": self.keepdims})
        return config


class GlobalMaxPooling1D(_GlobalPooling):
    rank, mode = 1, "max"


class GlobalAveragePooling1D(_GlobalPooling):
    """The mean over the time axis; with a Keras mask (batch, time), the mean over the unmasked steps."""

    rank, mode = 1, "avg"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(data_format=data_format, keepdims=keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        axis = spatial_axes(1, self.data_format)[0]
        m = _core.expand_dims(_core.cast(mask, inputs.dtype.name), 2 if axis == 1 else 1)
        total = _core.reduce_sum(_core.multiply(inputs, m), axis, self.keepdims)
        return _core.divide(total, _core.reduce_sum(m, axis, self.keepdims))

    def compute_mask(self, inputs, mask=None):
        return None


class GlobalMaxPooling2D(_GlobalPooling):
    rank, mode = 2, "max"


class GlobalAveragePooling2D(_GlobalPooling):
    rank, mode = 2, "avg"


MaxPool1D, MaxPool2D, AvgPool1D, AvgPool2D = MaxPooling1D, MaxPooling2D, AveragePooling1D, AveragePooling2D
GlobalMaxPool1D, GlobalMaxPool2D = GlobalMaxPooling1D, GlobalMaxPooling2D
GlobalAvgPool1D, GlobalAvgPool2D = GlobalAveragePooling1D, GlobalAveragePooling2D
