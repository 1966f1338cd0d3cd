"""keras.datasets.reuters: 11 228 Reuters newswires labelled over 46 topics, as sequences of word
indices (encoded as for imdb)."""
import numpy as np

from tapeflow.keras.datasets import _sequences as seq
from tapeflow.keras.utils.file_utils import GCS, fetch, load_npz

SHA256 = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"
WORD_INDEX_MD5 = "4d44cc38712099c9e383dc6e5f11a921"


def load_data(path="reuters.npz", num_words=None, skip_top=0, maxlen=None, test_split=0.2, seed=113, start_char=1,
              oov_char=2, index_from=3):
    """``(x_train, y_train), (x_test, y_test)``: object arrays of lists of word indices and int64 topic labels,
    split after a seeded shuffle (``test_split`` of them for testing). Other arguments as for imdb."""
    f = load_npz(fetch("reuters.npz", GCS + "reuters.npz", SHA256, path))
    xs, labels = seq.shuffled(np.random.RandomState(seed), f["x"], f["y"])
    xs = seq.encode(xs, start_char, index_from)
    if maxlen:
        xs, labels = seq.drop_long(maxlen, xs, labels)
    xs = seq.limit_vocabulary(xs, num_words, skip_top, oov_char)
    n = int(len(xs) * (1 - test_split))
    return (seq.as_object_array(xs[:n]), labels[:n]), (seq.as_object_array(xs[n:]), labels[n:])


def get_word_index(path="reuters_word_index.json"):
    return seq.word_index("reuters_word_index.json", WORD_INDEX_MD5, path)
