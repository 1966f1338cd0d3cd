"""keras.layers.Resizing."""
from tapeflow import image
from tapeflow.keras.layers.layer import Layer
from tapeflow.keras.layers.preprocessing._image import as_float, check_channels_last, smart_resize


class Resizing(Layer):
    """Resizes images (batch, height, width, channels) or one image to ``height`` x ``width``.

    Args:
      height, width: the output size.
      interpolation: "bilinear" (default) or "nearest".
      crop_to_aspect_ratio: first crop the largest centered window of the target's aspect ratio (no distortion).

    Input shape: (..., H, W, C). Output shape: (..., height, width, C).
    """

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False, pad_to_aspect_ratio=False,
                 fill_mode="constant", fill_value=0.0, antialias=False, data_format=None, **kwargs):
        super().__init__(**kwargs)
        check_channels_last(self, data_format)
        if pad_to_aspect_ratio:
            raise NotImplementedError("Resizing(pad_to_aspect_ratio=True) is not supported yet")
        self.height, self.width, self.interpolation = int(height), int(width), interpolation
        self.crop_to_aspect_ratio, self.antialias = crop_to_aspect_ratio, antialias
        self.fill_mode, self.fill_value = fill_mode, fill_value

    def call(self, inputs):
        x = as_float(inputs, self.dtype)
        if self.crop_to_aspect_ratio:
            out = smart_resize(x, self.height, self.width, self.interpolation)
        else:
            out = image.resize(x, (self.height, self.width), method=self.interpolation, antialias=self.antialias)
        return as_float(out, self.dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-3]) + (self.height, self.width, input_shape[-1])

    def get_config(self):
        config = super().get_config()
        config.update({"data_format": "channels_last", "height": self.height, "width": self.width,
                       "interpolation": self.interpolation, "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
                       "pad_to_aspect_ratio": False, "fill_mode": self.fill_mode, "fill_value": self.fill_value,
                       "antialias": self.antialias})
        return config
