"""keras.layers.Dropout."""
from tapeflow import _core
from tapeflow.keras.layers.layer import Layer


def keep_mask(shape, rate, dtype, seed=None):
    """1 / (1 - rate) where a uniform draw keeps the unit (probability 1 - rate), else 0."""
    keep = _core.greater_equal(_core.random_uniform(list(shape), 0.0, 1.0, dtype, seed), rate)
    return _core.multiply(_core.cast(keep, dtype), 1.0 / (1.0 - rate))


class Dropout(Layer):
    """Sets a fraction ``rate`` of inputs to 0 and scales the rest by ``1 / (1 - rate)``,
    only when called with ``training=True`` (``fit`` does); otherwise the identity.

    Args:
      rate: float in [0, 1).
      noise_shape: the shape of the keep mask, broadcast against the input (None entries take the input's size).
      seed: an optional int seed.
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate <= 1:
            raise ValueError("Invalid value received for argument `rate`. Expected a float value between 0 and 1. "
                             "Received: rate=%r" % (rate,))
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self.supports_masking = True

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        if self.rate == 1:
            return _core.zeros_like(inputs)
        shape = list(inputs._shape)
        if self.noise_shape is not None:
            shape = [s if n is None else n for s, n in zip(shape, self.noise_shape)]
        return _core.multiply(inputs, keep_mask(shape, self.rate, inputs.dtype.name, self.seed))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "noise_shape": self.noise_shape, "seed": self.seed})
        return config
