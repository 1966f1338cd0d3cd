"""keras.utils.image_dataset_from_directory: a tf.data.Dataset of images read from class subfolders, decoded with
Pillow (``pip install pillow``) and resized as TensorFlow resizes them."""
import os

import numpy as np

from tapeflow import _core, image
from tapeflow.data.dataset_ops import Dataset
from tapeflow.keras.layers.preprocessing._image import smart_resize

IMAGE_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
_CHANNELS = {"rgb": ("RGB", 3), "rgba": ("RGBA", 4), "grayscale": ("L", 1)}


def _pillow():
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("Reading images needs Pillow: `pip install pillow`.") from None
    return Image


def index_directory(directory, labels, formats, class_names, shuffle, seed, follow_links):
    """(file paths, labels, class names) as Keras lists them: class folders in sorted order, each one's files
    sorted, then shuffled with NumPy's RandomState(seed) (paths and labels alike)."""
    if labels == "inferred":
        found = sorted(d for d in os.listdir(directory) if os.path.isdir(os.path.join(directory, d)))
        if class_names is not None and sorted(class_names) != sorted(found) and set(class_names) - set(found):
            raise ValueError("The `class_names` passed did not match the names of the subdirectories of the target "
                             "directory. Expected: %s, but received: %s" % (found, class_names))
        class_names = list(class_names) if class_names is not None else found
        folders = [(os.path.join(directory, name), i) for i, name in enumerate(class_names)]
    else:
        folders = [(directory, None)]
        class_names = None
    paths, indices = [], []
    for folder, label in folders:
        files = []
        for root, _, names in os.walk(folder, followlinks=follow_links):
            files.extend(os.path.join(root, n) for n in names if n.lower().endswith(formats))
        for path in sorted(files):
            paths.append(path)
            indices.append(label)
    if labels not in ("inferred", None):
        if len(labels) != len(paths):
            raise ValueError("Expected the lengths of `labels` to match the number of files in the target "
                             "directory. len(labels) is %d while we found %d files in directory %s."
                             % (len(labels), len(paths), directory))
        indices = list(labels)
    if shuffle:
        seed = np.random.randint(1e6) if seed is None else seed
        np.random.RandomState(seed).shuffle(paths)
        np.random.RandomState(seed).shuffle(indices)
    return paths, indices, class_names


def split(paths, labels, validation_split, subset):
    """Keras's split: validation takes the last ``validation_split`` of the (shuffled) files."""
    if not validation_split:
        return paths, labels
    count = int(validation_split * len(paths))
    if subset == "training":
        print("Using %d files for training." % (len(paths) - count))
        return paths[:len(paths) - count], labels[:len(labels) - count]
    if subset == "validation":
        print("Using %d files for validation." % count)
        return paths[len(paths) - count:], labels[len(labels) - count:]
    raise ValueError('`subset` must be either "training" or "validation", received: %r' % (subset,))


class _ImageFiles(Dataset):
    """One (image[, label]) element per file: decoded, converted to the color mode and resized."""

    def __init__(self, paths, labels, label_mode, num_classes, mode, size, interpolation, crop):
        self._paths, self._labels = paths, labels
        self._label_mode, self._num_classes = label_mode, num_classes
        self._mode, self._size, self._interpolation, self._crop = mode, size, interpolation, crop

    def _cardinality(self):
        return len(self._paths)

    def _load(self, path):
        Image = _pillow()
        with Image.open(path) as img:
            if self._mode == "grayscale" and img.mode not in ("L", "I", "I;16", "F"):
                # color to gray with the weights TensorFlow's decoder uses, (9798 R + 19235 G + 3735 B) >> 15
                # (within one gray level of it: its rounding differs on a few pixels)
                rgb = np.asarray(img.convert("RGB"), dtype=np.int64)
                pixels = ((rgb @ np.array([9798, 19235, 3735])) >> 15).astype("float32")
            else:
                pixels = np.asarray(img.convert(_CHANNELS[self._mode][0]), dtype="float32")
        if pixels.ndim == 2:
            pixels = pixels[:, :, None]
        x = _core.convert_to_tensor(pixels)
        if self._crop:
            return smart_resize(x, self._size[0], self._size[1], self._interpolation)
        return image.resize(x, self._size, method=self._interpolation)

    def _label(self, k):
        if self._label_mode == "int":
            return _core.convert_to_tensor(np.int32(k))
        if self._label_mode == "binary":
            return _core.convert_to_tensor(np.array([k], dtype="float32"))
        return _core.convert_to_tensor(np.eye(self._num_classes, dtype="float32")[k])

    def _elements(self):
        for i, path in enumerate(self._paths):
            x = self._load(path)
            yield x if self._label_mode is None else (x, self._label(self._labels[i]))


def image_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None,
                                 color_mode="rgb", batch_size=32, image_size=(256, 256), shuffle=True, seed=None,
                                 validation_split=None, subset=None, interpolation="bilinear", follow_links=False,
                                 crop_to_aspect_ratio=False, pad_to_aspect_ratio=False, data_format=None,
                                 verbose=True):
    """Images in ``directory/<class name>/`` as a dataset of (images, labels) batches, as Keras builds it:
    labels inferred from the sorted subfolder names ("int": int32 ids, "categorical": one-hot, "binary": float
    (batch, 1), None: images only), ``color_mode`` "rgb", "rgba" or "grayscale", resized to ``image_size``
    (float32), shuffled files (and a buffer of 8 batches reshuffled each pass) unless ``shuffle=False``, and
    ``validation_split`` with ``subset`` "training" / "validation" (use the same ``seed`` for both). The dataset
    has ``class_names`` and ``file_paths``."""
    if label_mode not in ("int", "categorical", "binary", None):
        raise ValueError('`label_mode` argument must be one of "int", "categorical", "binary", or None. '
                         "Received: label_mode=%r" % (label_mode,))
    if color_mode not in _CHANNELS:
        raise ValueError('`color_mode` must be one of {"rgb", "rgba", "grayscale"}. Received: color_mode=%r'
                         % (color_mode,))
    if pad_to_aspect_ratio:
        raise NotImplementedError("pad_to_aspect_ratio=True is not supported yet")
    if validation_split and subset in ("training", "validation") and shuffle and seed is None:
        raise ValueError("If using `validation_split` and shuffling the data, you must provide a `seed` argument, "
                         "to make sure that there is no overlap between the training and validation subset.")
    if labels is None:
        label_mode = None
    _pillow()
    paths, indices, names = index_directory(directory, labels, IMAGE_FORMATS, class_names, shuffle, seed,
                                            follow_links)
    num_classes = len(names) if names else (max(indices) + 1 if indices and indices[0] is not None else 0)
    if label_mode == "binary" and num_classes != 2:
        raise ValueError('When passing `label_mode="binary"`, there must be exactly 2 class_names. Received: '
                         "class_names=%s" % (names,))
    if verbose:
        print("Found %d files belonging to %d classes." % (len(paths), num_classes) if names is not None
              else "Found %d files." % len(paths))
    paths, indices = split(paths, indices, validation_split, subset)
    if not paths:
        raise ValueError("No images found in directory %s. Allowed formats: %s" % (directory, IMAGE_FORMATS))
    files = _ImageFiles(paths, indices, label_mode, num_classes, color_mode, tuple(image_size), interpolation,
                        crop_to_aspect_ratio)
    dataset = files
    if batch_size is not None:
        if shuffle:
            dataset = dataset.shuffle(batch_size * 8, seed=seed)
        dataset = dataset.batch(batch_size)
    elif shuffle:
        dataset = dataset.shuffle(1024, seed=seed)
    dataset.class_names = names
    dataset.file_paths = paths
    return dataset
