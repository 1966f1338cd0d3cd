"""keras.layers.RandomFlip."""
from tapeflow import _core
from tapeflow import random as _random
from tapeflow.keras.layers.layer import Layer
from tapeflow.keras.layers.preprocessing._image import as_float, check_channels_last, per_image_shape


class RandomFlip(Layer):
    """In training, flips each image left-right and/or up-down with probability 1/2 (fresh draws every call, also
    in replayed steps); at inference, the identity.

    Args:
      mode: "horizontal", "vertical" or "horizontal_and_vertical" (default).
      seed: an op seed for the draws.

    Input shape: (batch, H, W, C) or (H, W, C). Output shape: the input's.
    """

    def __init__(self, mode="horizontal_and_vertical", seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        check_channels_last(self, data_format)
        if mode not in ("horizontal", "vertical", "horizontal_and_vertical"):
            raise ValueError("RandomFlip layer %s received an unknown mode argument %r" % (self.name, mode))
        self.mode, self.seed = mode, seed

    def call(self, inputs, training=True):
        x = as_float(inputs, self.dtype)
        if not training:
            return x
        batch = per_image_shape(x)
        for axis, active in ((-2, self.mode != "vertical"), (-3, self.mode != "horizontal")):
            if active:
                flip = _core.less(_random.uniform(batch, seed=self.seed), 0.5)
                x = _core.where(flip, _core.reverse(x, [x.ndim + axis]), x)
        return x

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"data_format": "channels_last", "seed": self.seed, "mode": self.mode})
        return config
