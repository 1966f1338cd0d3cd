"""keras.applications.imagenet_utils: ImageNet's preprocessing modes and top-k class names."""
import json

import numpy as np

from tapeflow.keras.applications._common import preprocess
from tapeflow.keras.utils.file_utils import get_file

_CLASS_INDEX_URL = "https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json"


def preprocess_input(x, data_format=None, mode="caffe"):
    """RGB images in [0, 255] in one of Keras's modes: "caffe", "tf" or "torch"."""
    if mode not in ("caffe", "tf", "torch"):
        raise ValueError("Expected mode to be one of `caffe`, `tf` or `torch`. Received: mode=%s" % (mode,))
    return preprocess(x, mode)


def _class_index():
    with open(get_file("imagenet_class_index.json", _CLASS_INDEX_URL, cache_subdir="models",
                       file_hash="c2c37ea517e94d9795004a39431a14cb")) as f:
        return json.load(f)


def decode_predictions(preds, top=5):
    """For each row of (samples, 1000) ImageNet scores, the ``top`` (class id, name, score) tuples, best first.
    The class index is Keras's ``imagenet_class_index.json`` from ~/.keras/models (downloaded when missing)."""
    preds = np.asarray(preds.numpy() if hasattr(preds, "numpy") else preds)
    if preds.ndim != 2 or preds.shape[1] != 1000:
        raise ValueError("`decode_predictions` expects a batch of predictions (i.e. a 2D array of shape "
                         "(samples, 1000)). Received array with shape: %s" % (preds.shape,))
    index = _class_index()
    results = []
    for row in preds:
        best = np.argsort(row, kind="stable")[-top:][::-1]
        results.append(sorted((tuple(index[str(i)]) + (row[i],) for i in best), key=lambda t: t[2], reverse=True))
    return results
