"""The word-index sequence processing shared by imdb and reuters (as tf.keras does it)."""
import json

import numpy as np

from tapeflow.keras.utils.file_utils import GCS, fetch


def shuffled(rng, *arrays):
    indices = np.arange(len(arrays[0]))
    rng.shuffle(indices)
    return [a[indices] for a in arrays]


def encode(sequences, start_char, index_from):
    if start_char is not None:
        return [[start_char] + [w + index_from for w in x] for x in sequences]
    return [[w + index_from for w in x] for x in sequences]


def drop_long(maxlen, sequences, labels):
    """Keeps the sequences shorter than ``maxlen`` (and their labels)."""
    keep = [i for i, x in enumerate(sequences) if len(x) < maxlen]
    return [sequences[i] for i in keep], labels[keep]


def limit_vocabulary(sequences, num_words, skip_top, oov_char):
    """Words outside [skip_top, num_words) become ``oov_char``, or are dropped when it is None."""
    if not num_words:
        num_words = max(max(x) for x in sequences if x)
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in x] for x in sequences]
    return [[w for w in x if skip_top <= w < num_words] for x in sequences]


def as_object_array(sequences):
    out = np.empty(len(sequences), dtype=object)
    out[:] = sequences
    return out


def word_index(fname, md5, path):
    with open(fetch(fname, GCS + fname, md5, path)) as f:
        return json.load(f)
