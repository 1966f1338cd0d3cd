"""Reader for the CIFAR "python version" archives: pickled batches, each a dict with
``data`` (N × 3072 uint8: the red, green then blue 32×32 planes) and the labels."""
import os
import tarfile

import numpy as np

from tapeflow.keras.utils.file_utils import fetch, keras_cache_dir, safe_unpickle


def read_batches(name, archive_name, folder, origin, sha256, members, label_key, path=None):
    """``{member: (images (N, 32, 32, 3) uint8, labels (N, 1) uint8)}`` from the extracted folder (in the Keras
    cache, or ``path``), else from the archive itself (``path``, or the cache, downloading it when missing)."""
    directory = os.path.expanduser(os.fspath(path)) if path else keras_cache_dir(folder)
    if os.path.isdir(directory) and all(os.path.isfile(os.path.join(directory, m)) for m in members):
        raw = {}
        for m in members:
            with open(os.path.join(directory, m), "rb") as f:
                raw[m] = f.read()
    else:
        archive = fetch(archive_name, origin, sha256, path if path and not os.path.isdir(directory) else None)
        raw = {}
        try:
            with tarfile.open(archive, "r:gz") as tf:
                for member in tf.getmembers():
                    base = os.path.basename(member.name)
                    if member.isfile() and base in members:
                        raw[base] = tf.extractfile(member).read()
        except (tarfile.TarError, EOFError, OSError) as e:
            raise ValueError("Could not read the %s archive %s (truncated or not the published file?): %s"
                             % (name, archive, e)) from None
        missing = [m for m in members if m not in raw]
        if missing:
            raise ValueError("The %s archive %s lacks %s" % (name, archive, missing))
    out = {}
    for m in members:
        try:
            batch = safe_unpickle(raw[m], encoding="bytes")
            data = np.asarray(batch[b"data"], dtype=np.uint8)
            labels = np.asarray(batch[label_key], dtype=np.uint8)
        except Exception as e:  # a damaged pickle can fail in many ways
            raise ValueError("The %s batch %r is damaged or not a CIFAR batch: %s" % (name, m, e)) from None
        if data.ndim != 2 or data.shape[1] != 3072 or len(labels) != len(data):
            raise ValueError("The %s batch %r has data of shape %s and %d labels; expected (N, 3072) and N"
                             % (name, m, data.shape, len(labels)))
        out[m] = (data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), labels.reshape(-1, 1))
    return out
