"""keras.utils.load_img, img_to_array, array_to_img and save_img, on Pillow images as Keras's are."""
import os

import numpy as np

from tapeflow.keras.layers.preprocessing._image import aspect_crop, check_channels_last
from tapeflow.keras.utils.image_dataset import _pillow

_PIL_MODES = {"grayscale": "L", "rgb": "RGB", "rgba": "RGBA"}
_RESAMPLING = {"nearest": "NEAREST", "bilinear": "BILINEAR", "bicubic": "BICUBIC", "hamming": "HAMMING",
               "box": "BOX", "lanczos": "LANCZOS"}


def load_img(path, color_mode="rgb", target_size=None, interpolation="nearest", keep_aspect_ratio=False):
    """A PIL image read from ``path`` (a path or file object) in ``color_mode`` ("grayscale", "rgb", "rgba"),
    resized to ``target_size`` (height, width) with Pillow's ``interpolation``; ``keep_aspect_ratio`` first crops
    the centered window of the target's aspect ratio."""
    Image = _pillow()
    if color_mode not in _PIL_MODES:
        raise ValueError("color_mode must be 'grayscale', 'rgb', or 'rgba'. Received: color_mode=%r" % (color_mode,))
    if interpolation not in _RESAMPLING:
        raise ValueError("Invalid interpolation method %r. Supported methods are %s"
                         % (interpolation, ", ".join(_RESAMPLING)))
    if isinstance(path, (str, bytes, os.PathLike)):
        with open(path, "rb") as f:
            img = Image.open(f)
            img.load()
    else:
        img = Image.open(path)
    if img.mode != _PIL_MODES[color_mode]:
        img = img.convert(_PIL_MODES[color_mode])
    if target_size is not None:
        height, width = target_size
        if img.size != (width, height):
            box = None
            if keep_aspect_ratio:
                top, left, crop_h, crop_w = aspect_crop(img.size[1], img.size[0], height, width)
                box = (left, top, left + crop_w, top + crop_h)
            img = img.resize((width, height), getattr(Image.Resampling, _RESAMPLING[interpolation]), box=box)
    return img


def img_to_array(img, data_format=None, dtype=None):
    """The PIL image as a (height, width, channels) NumPy array of ``dtype`` (default float32)."""
    check_channels_last("keras.utils image functions", data_format)
    x = np.asarray(img, dtype=dtype or "float32")
    if x.ndim == 2:
        return x[:, :, None]
    if x.ndim != 3:
        raise ValueError("Unsupported image shape: %s" % (x.shape,))
    return x


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A PIL image of a (height, width, 1 | 3 | 4) array; ``scale`` maps its values onto 0-255 first."""
    check_channels_last("keras.utils image functions", data_format)
    Image = _pillow()
    x = np.asarray(x, dtype=dtype or "float32")
    if x.ndim != 3:
        raise ValueError("Expected image array to have rank 3 (single image). Got array with shape: %s" % (x.shape,))
    if scale:
        x = x - np.min(x)
        top = np.max(x)
        if top != 0:
            x = x / top
        x = x * 255
    modes = {1: "L", 3: "RGB", 4: "RGBA"}
    if x.shape[2] not in modes:
        raise ValueError("Unsupported channel number: %d" % x.shape[2])
    pixels = x.astype("uint8")
    return Image.fromarray(pixels[:, :, 0] if x.shape[2] == 1 else pixels, modes[x.shape[2]])


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Writes the array as an image file (the format from ``file_format`` or the path's extension)."""
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and (file_format == "jpeg" or str(path).lower().endswith((".jpg", ".jpeg"))):
        img = img.convert("RGB")
    img.save(path, format=file_format, **kwargs)
