"""keras.layers.RandomContrast."""
from tapeflow import _core
from tapeflow import random as _random
from tapeflow.keras.layers.layer import Layer
from tapeflow.keras.layers.preprocessing._image import as_float, per_image_shape


class RandomContrast(Layer):
    """In training, scales each image's deviation from its per-channel mean by a factor drawn from
    [1 - lower, 1 + upper], then clips to ``value_range``; at inference, the identity.

    Args:
      factor: a number f (lower = upper = f) or a pair (lower, upper), each in [0, 1].
      value_range: the images' range (default (0, 255)).
      seed: an op seed for the draws.

    Input shape: (batch, H, W, C) or (H, W, C). Output shape: the input's.
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(**kwargs)
        lower, upper = (factor, factor) if isinstance(factor, (int, float)) else factor
        if not (0.0 <= lower <= 1.0 and 0.0 <= upper):
            raise ValueError("The `factor` argument of RandomContrast must be in [0, 1], got %r" % (factor,))
        self.factor, self.lower, self.upper = factor, float(lower), float(upper)
        self.value_range, self.seed = list(value_range), seed

    def call(self, inputs, training=True):
        x = as_float(inputs, self.dtype)
        if not training:
            return x
        shape = per_image_shape(x)
        scale = _random.uniform(shape, 1.0 - self.lower, 1.0 + self.upper, dtype=self.dtype, seed=self.seed)
        mean = _core.reduce_mean(x, [-3, -2], True)
        out = _core.add(_core.multiply(_core.subtract(x, mean), scale), mean)
        return _core.clip_by_value(out, self.value_range[0], self.value_range[1])

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "value_range": self.value_range, "seed": self.seed})
        return config
