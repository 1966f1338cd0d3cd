"""keras.layers.RandomBrightness."""
from tapeflow import _core
from tapeflow import random as _random
from tapeflow.keras.layers.layer import Layer
from tapeflow.keras.layers.preprocessing._image import as_float, per_image_shape


def _bounds(factor, name):
    low, high = (-abs(factor), abs(factor)) if isinstance(factor, (int, float)) else (float(factor[0]),
                                                                                       float(factor[1]))
    if not -1.0 <= low <= high <= 1.0:
        raise ValueError("The `%s` argument should be a number (or a pair) in [-1, 1], got %r" % (name, factor))
    return low, high


class RandomBrightness(Layer):
    """In training, adds to each image a delta drawn from ``factor`` (a fraction of the value range), then clips
    to ``value_range``; at inference, the identity.

    Args:
      factor: a number f (draws in [-f, f]) or a pair (low, high), as fractions of the value range.
      value_range: the images' range (default [0, 255]).
      seed: an op seed for the draws.

    Input shape: (batch, H, W, C) or (H, W, C). Output shape: the input's.
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(**kwargs)
        self.factor, self._low, self._high = factor, *_bounds(factor, "factor")
        self.value_range, self.seed = list(value_range), seed

    def call(self, inputs, training=True):
        x = as_float(inputs, self.dtype)
        if not training:
            return x
        span = self.value_range[1] - self.value_range[0]
        shape = per_image_shape(x)
        delta = _random.uniform(shape, self._low * span, self._high * span, dtype=self.dtype, seed=self.seed)
        return _core.clip_by_value(_core.add(x, delta), self.value_range[0], self.value_range[1])

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "value_range": self.value_range, "seed": self.seed})
        return config
