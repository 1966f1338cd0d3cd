"""keras.layers.RandomCrop."""
import numpy as np

from tapeflow import _core, image
from tapeflow import random as _random
from tapeflow.keras.layers.layer import Layer
from tapeflow.keras.layers.preprocessing._image import aspect_crop, as_float, check_channels_last, smart_resize


class RandomCrop(Layer):
    """In training, a ``height`` x ``width`` window at one random offset for the whole batch (fresh each call;
    images not larger than the window are resized as Keras 3 resizes them). At inference, the largest centered
    window of the target's aspect ratio, resized to it (as Keras documents; Keras 3.15 returns inference inputs
    unchanged, which changes the output shape).

    Input shape: (batch, H, W, C) or (H, W, C). Output shape: (..., height, width, C).
    """

    def __init__(self, height, width, seed=None, data_format=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        check_channels_last(self, data_format)
        self.height, self.width, self.seed = int(height), int(width), seed

    def call(self, inputs, training=True):
        x = as_float(inputs, self.dtype)
        h, w = x.shape[-3], x.shape[-2]
        if h is None or w is None:
            raise ValueError("RandomCrop requires the input to have a fully defined height and width. Received: "
                             "images.shape=%s" % (tuple(x.shape),))
        if not training:
            return as_float(smart_resize(x, self.height, self.width), self.dtype)
        if not (h > self.height and w > self.width):  # Keras 3's rule: the window at the aspect crop's offset,
            top, left, _, _ = aspect_crop(h, w, self.height, self.width)  # clipped by the image, resized
            window = x[..., top:top + self.height, left:left + self.width, :]
            return as_float(image.resize(window, (self.height, self.width)), self.dtype)
        picks = []
        for size, window, axis in ((h, self.height, x.ndim - 3), (w, self.width, x.ndim - 2)):
            start = _core.cast(_random.uniform([1], 0.0, float(size - window + 1), seed=self.seed), "int32")
            rows = _core.add(start, _core.convert_to_tensor(np.arange(window, dtype="int32")))
            picks.append((rows, axis))
        for rows, axis in picks:
            x = _core.gather(x, rows, axis=axis)
        return x

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-3]) + (self.height, self.width, input_shape[-1])

    def get_config(self):
        config = super().get_config()
        config.update({"height": self.height, "width": self.width, "seed": self.seed, "data_format": "channels_last"})
        return config
