"""keras.ops.image: resize, affine_transform and rgb_to_grayscale on channels-last images (KerasTensors too)."""
from tapeflow import _core, image as _image
from tapeflow.keras.layers.preprocessing import random_affine
from tapeflow.keras.layers.preprocessing._image import check_channels_last, smart_resize
from tapeflow.keras.ops import _keras_op


@_keras_op
def resize(images, size, interpolation="bilinear", antialias=False, crop_to_aspect_ratio=False,
           pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, data_format=None):
    """Resizes (H, W, C) or (B, H, W, C) images to ``size`` as TensorFlow does ("bilinear", "nearest");
    ``crop_to_aspect_ratio`` first crops the largest centered window of the target's aspect ratio."""
    check_channels_last("keras.ops.image", data_format)
    if antialias or pad_to_aspect_ratio:
        raise NotImplementedError("keras.ops.image.resize: antialias and pad_to_aspect_ratio are not supported in "
                                  "this tapeflow version")
    images = _core.convert_to_tensor(images)
    if images.ndim not in (3, 4):
        raise ValueError("Invalid images rank: expected rank 3 (single image) or rank 4 (batch of images). "
                         "Received input with shape: images.shape=%s" % (tuple(images.shape),))
    if crop_to_aspect_ratio:
        return smart_resize(images, size[0], size[1], interpolation)
    return _image.resize(images, size, method=interpolation)


@_keras_op
def affine_transform(images, transform, interpolation="bilinear", fill_mode="constant", fill_value=0,
                     data_format=None):
    """Samples each output pixel (x, y) at ``((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k)``, ``k = c0 x + c1 y +
    1``, for ``transform = [a0, a1, a2, b0, b1, b2, c0, c1]`` (one per image or one for all), as TensorFlow's
    projective transform does ("bilinear" or "nearest"; fill modes "constant", "reflect", "wrap", "nearest")."""
    check_channels_last("keras.ops.image", data_format)
    return random_affine.affine_transform(images, transform, interpolation, fill_mode, fill_value)


@_keras_op
def rgb_to_grayscale(images, data_format=None):
    """The ITU-R 601 luma of RGB images, keeping a channel axis of 1."""
    check_channels_last("keras.ops.image", data_format)
    return _image.rgb_to_grayscale(images)


__all__ = ["resize", "affine_transform", "rgb_to_grayscale"]
