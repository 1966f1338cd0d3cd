"""keras.layers.Rescaling."""
from tapeflow import _core
from tapeflow.keras.layers.layer import Layer


class Rescaling(Layer):
    """``inputs * scale + offset`` in the layer's float dtype (integer images become floats), e.g.
    ``Rescaling(1 / 255)`` or ``Rescaling(1 / 127.5, offset=-1)``.

    Args:
      scale, offset: numbers, or lists broadcast against the last axis (per channel).

    Input shape: any. Output shape: the input's.
    """

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale, self.offset = scale, offset
        self.supports_masking = True

    def call(self, inputs):
        dtype = self.dtype
        x = _core.cast(_core.convert_to_tensor(inputs), dtype)
        scale = _core.cast(_core.convert_to_tensor(self.scale), dtype)
        offset = _core.cast(_core.convert_to_tensor(self.offset), dtype)
        return _core.add(_core.multiply(x, scale), offset)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"scale": self.scale, "offset": self.offset})
        return config
