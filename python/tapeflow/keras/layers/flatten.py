"""keras.layers.Flatten."""
import numpy as np

from tapeflow import _core
from tapeflow.keras.layers.layer import Layer


class Flatten(Layer):
    """Flattens every axis after the batch axis: ``(batch, d1, d2, ...)`` -> ``(batch, d1*d2*...)``.

    Args:
      data_format: ``"channels_last"`` (default) or ``"channels_first"`` (channels are moved last first).
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last", "channels_first"):
            raise ValueError("The `data_format` argument must be one of {'channels_first', 'channels_last'}. "
                             "Received: data_format=%r" % (data_format,))
        self.data_format = data_format or "channels_last"

    def call(self, inputs):
        if self.data_format == "channels_first" and inputs.ndim > 2:
            inputs = _core.transpose(inputs, [0] + list(range(2, inputs.ndim)) + [1])
        return _core.reshape(inputs, [inputs._shape[0] if inputs.ndim else 1, -1])

    def compute_output_shape(self, input_shape):
        rest = tuple(input_shape)[1:]
        n = None if any(d is None for d in rest) else int(np.prod(rest, dtype=np.int64))
        return (tuple(input_shape)[0] if len(input_shape) else None, n)

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        return config
