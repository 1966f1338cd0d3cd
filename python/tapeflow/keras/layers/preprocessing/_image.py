"""Helpers shared by the image preprocessing layers."""
from tapeflow import _core, image


def smart_resize(images, height, width, interpolation="bilinear"):
    """Crops the largest centered window of the target's aspect ratio, then resizes it (Keras's rule for
    ``crop_to_aspect_ratio``)."""
    h, w = images.shape[-3], images.shape[-2]
    crop_h, crop_w = min(h, int(w * height / width)), min(w, int(h * width / height))
    top, left = (h - crop_h) // 2, (w - crop_w) // 2
    window = images[..., top:top + crop_h, left:left + crop_w, :]
    return image.resize(window, (height, width), method=interpolation)


def as_float(images, dtype):
    x = _core.convert_to_tensor(images)
    return x if x.dtype.name == dtype else _core.cast(x, dtype)


def check_channels_last(layer, data_format):
    if data_format not in (None, "channels_last"):
        raise NotImplementedError("%s supports channels_last images in this tapeflow version, got data_format=%r"
                                  % (type(layer).__name__, data_format))
