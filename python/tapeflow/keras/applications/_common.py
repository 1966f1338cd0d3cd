"""What the keras.applications builders share: input shapes, the classifier top and pooling, weight files."""
import os

import numpy as np

from tapeflow.keras import layers
from tapeflow.keras.utils.file_utils import get_file

_STORAGE = "https://storage.googleapis.com/tensorflow/keras-applications/"


def check_weights(weights, include_top, classes):
    if not (weights in ("imagenet", None) or os.path.exists(os.fspath(weights))):
        raise ValueError("The `weights` argument should be either `None` (random initialization), 'imagenet' "
                         "(pre-training on ImageNet), or the path to the weights file to be loaded. Received: "
                         "weights=%s" % (weights,))
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError("If using `weights='imagenet'` with `include_top=True`, `classes` should be 1000. "
                         "Received classes=%s" % (classes,))


def input_shape_for(input_shape, default_size, min_size, require_flatten, weights):
    """The model's input shape (channels last): the default for ImageNet weights with the top, else the given one
    (checked) or (None, None, 3)."""
    default = (default_size, default_size, 3)
    if weights == "imagenet" and require_flatten:
        if input_shape is not None and tuple(input_shape) != default:
            raise ValueError("When setting `include_top=True` and loading `imagenet` weights, `input_shape` should be "
                             "%s. Received: input_shape=%s" % (default, input_shape))
        return default
    if input_shape is None:
        return default if require_flatten else (None, None, 3)
    input_shape = tuple(input_shape)
    if len(input_shape) != 3:
        raise ValueError("`input_shape` must be a tuple of three integers. Received: input_shape=%s" % (input_shape,))
    if weights == "imagenet" and input_shape[-1] != 3:
        raise ValueError("The input must have 3 channels; Received `input_shape=%s`" % (input_shape,))
    if any(d is not None and d < min_size for d in input_shape[:2]):
        raise ValueError("Input size must be at least %dx%d; Received: input_shape=%s" % (min_size, min_size,
                                                                                          input_shape))
    return input_shape


def image_input(input_tensor, shape):
    if input_tensor is None:
        return layers.Input(shape=shape)
    return input_tensor


def pooled(x, pooling, avg_name=None, max_name=None):
    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name=avg_name)(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name=max_name)(x)
    return x


def load(model, weights, top_file, notop_file, include_top, subdir):
    """Loads ``weights``: a file path, or 'imagenet' (Keras's published file, from ~/.keras/models or downloaded)."""
    if weights == "imagenet":
        name = top_file if include_top else notop_file
        weights = get_file(name, _STORAGE + subdir + "/" + name, cache_subdir="models")
    if weights is not None:
        model.load_weights(weights)
    return model


def preprocess(x, mode):
    """Keras's ImageNet preprocessing of RGB images in [0, 255]: "caffe" (BGR, mean-centred), "tf" ([-1, 1]) or
    "torch" ([0, 1] standardized)."""
    x = np.array(x, dtype="float32", copy=True) if not hasattr(x, "numpy") else x.numpy().astype("float32")
    if mode == "tf":
        return x / 127.5 - 1.0
    if mode == "torch":
        return (x / 255.0 - np.array([0.485, 0.456, 0.406], "float32")) / np.array([0.229, 0.224, 0.225], "float32")
    return x[..., ::-1] - np.array([103.939, 116.779, 123.68], "float32")
