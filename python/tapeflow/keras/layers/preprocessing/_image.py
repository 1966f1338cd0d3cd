"""Helpers shared by the image preprocessing layers."""
from tapeflow import _core, image


def aspect_crop(h, w, height, width):
    """(top, left, crop_h, crop_w): the largest centered window of an h x w image with the aspect ratio of
    height x width (Keras's rule)."""
    crop_h, crop_w = max(min(h, int(w * height / width)), 1), max(min(w, int(h * width / height)), 1)
    return (h - crop_h) // 2, (w - crop_w) // 2, crop_h, crop_w


def smart_resize(images, height, width, interpolation="bilinear"):
    """Crops the largest centered window of the target's aspect ratio, then resizes it (Keras's rule for
    ``crop_to_aspect_ratio``)."""
    top, left, crop_h, crop_w = aspect_crop(images.shape[-3], images.shape[-2], height, width)
    window = images[..., top:top + crop_h, left:left + crop_w, :]
    return image.resize(window, (height, width), method=interpolation)


def per_image_shape(images):
    """The shape of one random draw per image of a (B, H, W, C) batch or one (H, W, C) image."""
    return [images.shape[0], 1, 1, 1] if images.ndim == 4 else [1, 1, 1]


def as_float(images, dtype):
    x = _core.convert_to_tensor(images)
    return x if x.dtype.name == dtype else _core.cast(x, dtype)


def check_channels_last(owner, data_format):
    """``owner``: the layer, or the name of the function, that takes only channels-last images."""
    if data_format not in (None, "channels_last"):
        name = owner if isinstance(owner, str) else type(owner).__name__
        raise NotImplementedError("%s supports channels_last images in this tapeflow version, got data_format=%r"
                                  % (name, data_format))
