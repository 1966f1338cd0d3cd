"""keras.utils.text_dataset_from_directory: a tf.data.Dataset of the texts of ``.txt`` files in class subfolders,
with the files, order, split and labels Keras gives."""
import numpy as np

from tapeflow import _core
from tapeflow.data.dataset_ops import Dataset
from tapeflow.keras.utils.image_dataset import index_directory, split
from tapeflow.string_tensor import strings


class _TextFiles(Dataset):
    """One (text[, label]) element per file: its bytes (the first ``max_length`` with max_length)."""

    def __init__(self, paths, labels, label_mode, num_classes, max_length):
        self._paths, self._labels, self._label_mode = paths, labels, label_mode
        self._num_classes, self._max_length = num_classes, max_length

    def _cardinality(self):
        return len(self._paths)

    def _label(self, k):
        if self._label_mode == "int":
            return _core.convert_to_tensor(np.int32(k))
        if self._label_mode == "binary":
            return _core.convert_to_tensor(np.array([k], dtype="float32"))
        return _core.convert_to_tensor(np.eye(self._num_classes, dtype="float32")[k])

    def _elements(self):
        for i, path in enumerate(self._paths):
            with open(path, "rb") as f:
                text = f.read() if self._max_length is None else f.read(self._max_length)
            x = strings(text)
            yield x if self._label_mode is None else (x, self._label(self._labels[i]))


def text_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None, batch_size=32,
                                max_length=None, shuffle=True, seed=None, validation_split=None, subset=None,
                                follow_links=False, verbose=True):
    """The ``.txt`` files in ``directory/<class name>/`` as a dataset of (texts, labels) batches, as Keras builds
    it: string tensors of the files' contents (cut to ``max_length`` bytes), labels inferred from the sorted
    subfolder names ("int": int32, "categorical": one-hot, "binary": float (batch, 1), None: texts only), files
    shuffled (and a buffer of 8 batches reshuffled each pass) unless ``shuffle=False``, ``validation_split`` with
    ``subset`` "training", "validation" or "both" (a pair of datasets). The dataset has ``class_names`` and
    ``file_paths``."""
    if label_mode not in ("int", "categorical", "binary", None):
        raise ValueError('`label_mode` argument must be one of "int", "categorical", "binary", or None. '
                         "Received: label_mode=%r" % (label_mode,))
    if validation_split and shuffle and seed is None:
        raise ValueError("If using `validation_split` and shuffling the data, you must provide a `seed` argument, "
                         "to make sure that there is no overlap between the training and validation subset.")
    if labels is None:
        label_mode = None
    paths, indices, names = index_directory(directory, labels, (".txt",), class_names, shuffle, seed, follow_links)
    num_classes = len(names) if names else (max(indices) + 1 if indices and indices[0] is not None else 0)
    if label_mode == "binary" and num_classes != 2:
        raise ValueError('When passing `label_mode="binary"`, there must be exactly 2 class_names. Received: '
                         "class_names=%s" % (names,))
    if verbose:
        print("Found %d files belonging to %d classes." % (len(paths), num_classes) if names is not None
              else "Found %d files." % len(paths))
    if subset == "both":
        return tuple(_dataset(*split(paths, indices, validation_split, part), label_mode, num_classes, max_length,
                              batch_size, shuffle, seed, names) for part in ("training", "validation"))
    paths, indices = split(paths, indices, validation_split, subset)
    if not paths:
        raise ValueError("No text files found in directory %s. Allowed format: .txt" % (directory,))
    return _dataset(paths, indices, label_mode, num_classes, max_length, batch_size, shuffle, seed, names)


def _dataset(paths, indices, label_mode, num_classes, max_length, batch_size, shuffle, seed, names):
    dataset = _TextFiles(paths, indices, label_mode, num_classes, max_length)
    if batch_size is not None:
        if shuffle:
            dataset = dataset.shuffle(batch_size * 8, seed=seed)
        dataset = dataset.batch(batch_size)
    elif shuffle:
        dataset = dataset.shuffle(1024, seed=seed)
    dataset.class_names = names
    dataset.file_paths = paths
    return dataset
