"""keras.utils."""
import numpy as np

from tapeflow.keras.utils.dataset_utils import split_dataset, timeseries_dataset_from_array
from tapeflow.keras.utils.file_utils import get_file
from tapeflow.keras.utils.image_dataset import image_dataset_from_directory
from tapeflow.keras.utils.text_dataset import text_dataset_from_directory
from tapeflow.keras.utils.image_utils import array_to_img, img_to_array, load_img, save_img
from tapeflow.keras.saving.object_registration import (CustomObjectScope, custom_object_scope, get_custom_objects,
                                                       get_registered_name, get_registered_object,
                                                       register_keras_serializable)
from tapeflow.keras.utils.plot import model_to_dot, plot_model
from tapeflow.keras.utils.progbar import Progbar
from tapeflow.keras.utils.sequences import PyDataset, Sequence, pad_sequences


def to_categorical(y, num_classes=None, dtype="float32"):
    """One-hot encodes integer class labels: shape ``y.shape + (num_classes,)`` (a trailing 1 is dropped)."""
    y = np.asarray(y, dtype="int64")
    shape = y.shape
    if shape and shape[-1] == 1 and len(shape) > 1:
        shape = shape[:-1]
    y = y.reshape(-1)
    if y.size and y.min() < 0:
        raise ValueError("to_categorical expects non-negative class labels; got a minimum of %d" % y.min())
    if num_classes is None:
        num_classes = int(y.max()) + 1 if y.size else 0
    elif y.size and y.max() >= num_classes:
        raise ValueError("Class label %d is out of range for num_classes=%d" % (y.max(), num_classes))
    out = np.zeros((y.size, num_classes), dtype=dtype)
    out[np.arange(y.size), y] = 1
    return out.reshape(shape + (num_classes,))


def normalize(x, axis=-1, order=2):
    """``x`` divided by its ``order``-norm along ``axis`` (slices with norm 0 are left as they are)."""
    x = np.asarray(x)
    norm = np.atleast_1d(np.linalg.norm(x, order, axis))
    norm[norm == 0] = 1
    return x / np.expand_dims(norm, axis)


def set_random_seed(seed):
    """Seeds tapeflow's random ops, Python's ``random`` and NumPy's global generator."""
    import random

    from tapeflow import random as tf_random
    random.seed(seed)
    np.random.seed(seed)
    tf_random.set_seed(seed)


__all__ = ["Progbar", "to_categorical", "normalize", "set_random_seed", "get_file", "PyDataset", "Sequence",
           "pad_sequences", "model_to_dot", "plot_model", "CustomObjectScope", "custom_object_scope",
           "get_custom_objects", "get_registered_name", "get_registered_object", "register_keras_serializable",
           "timeseries_dataset_from_array", "split_dataset", "image_dataset_from_directory",
           "text_dataset_from_directory"]
