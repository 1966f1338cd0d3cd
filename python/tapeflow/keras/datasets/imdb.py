"""keras.datasets.imdb: 50 000 movie reviews labelled by sentiment, as sequences of word indices
(words ranked by frequency: index i + index_from is the i-th most common word)."""
import numpy as np

from tapeflow.keras.datasets import _sequences as seq
from tapeflow.keras.utils.file_utils import GCS, fetch, load_npz

SHA256 = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
WORD_INDEX_MD5 = "bfafd718b763782e994055a2d397834f"


def load_data(path="imdb.npz", num_words=None, skip_top=0, maxlen=None, seed=113, start_char=1, oov_char=2,
              index_from=3, **kwargs):
    """``(x_train, y_train), (x_test, y_test)``: object arrays of lists of word indices and int64 labels
    (0 negative, 1 positive), 25 000 each, shuffled with ``seed``.

    Args:
      num_words: keep the ``num_words`` most frequent words (others become ``oov_char``).
      skip_top: also replace the ``skip_top`` most frequent words.
      maxlen: drop sequences of ``maxlen`` words or more.
      start_char: index marking the start of each sequence (None: no marker).
      oov_char: index for removed words (None: drop them).
      index_from: the offset added to every word index.
    """
    if kwargs:
        raise TypeError("Unrecognized keyword arguments: %s" % sorted(kwargs))
    f = load_npz(fetch("imdb.npz", GCS + "imdb.npz", SHA256, path))
    rng = np.random.RandomState(seed)
    x_train, y_train = seq.shuffled(rng, f["x_train"], f["y_train"])
    x_test, y_test = seq.shuffled(rng, f["x_test"], f["y_test"])
    x_train, x_test = seq.encode(x_train, start_char, index_from), seq.encode(x_test, start_char, index_from)
    if maxlen:
        x_train, y_train = seq.drop_long(maxlen, x_train, y_train)
        x_test, y_test = seq.drop_long(maxlen, x_test, y_test)
        if not x_train or not x_test:
            raise ValueError("After filtering for sequences shorter than maxlen=%s, no sequence was kept. Increase "
                             "maxlen." % maxlen)
    xs = seq.limit_vocabulary(x_train + x_test, num_words, skip_top, oov_char)
    n = len(x_train)
    return (seq.as_object_array(xs[:n]), y_train), (seq.as_object_array(xs[n:]), y_test)


def get_word_index(path="imdb_word_index.json"):
    """The word -> rank index (``load_data`` indices are these ranks plus ``index_from``)."""
    return seq.word_index("imdb_word_index.json", WORD_INDEX_MD5, path)
