"""keras.layers.CenterCrop."""
from tapeflow.keras.layers.layer import Layer
from tapeflow.keras.layers.preprocessing._image import as_float, check_channels_last, smart_resize


class CenterCrop(Layer):
    """The central ``height`` x ``width`` window of images; an image smaller than that is first cropped to the
    target's aspect ratio and resized, as Keras does.

    Input shape: (..., H, W, C). Output shape: (..., height, width, C).
    """

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(**kwargs)
        check_channels_last(self, data_format)
        self.height, self.width = int(height), int(width)

    def call(self, inputs):
        x = as_float(inputs, self.dtype)
        h, w = x.shape[-3], x.shape[-2]
        if h < self.height or w < self.width:
            return as_float(smart_resize(x, self.height, self.width), self.dtype)
        top, left = (h - self.height) // 2, (w - self.width) // 2
        return x[..., top:top + self.height, left:left + self.width, :]

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-3]) + (self.height, self.width, input_shape[-1])

    def get_config(self):
        config = super().get_config()
        config.update({"data_format": "channels_last", "height": self.height, "width": self.width})
        return config
