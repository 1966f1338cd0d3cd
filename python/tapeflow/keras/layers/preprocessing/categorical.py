"""Keras 3's categorical preprocessing layers for numbers: CategoryEncoding, Discretization and IntegerLookup.

Their calls are tapeflow ops (comparisons, one_hot, reductions), so they run inside models, in replayed steps and
in ``tf.data`` ``map`` alike; ``adapt`` runs in NumPy over the data's batches."""
import os

import numpy as np

from tapeflow import _core
from tapeflow.keras.layers.layer import Layer
from tapeflow.keras.layers.preprocessing._adapt import adapt_batches

_MODES = ("int", "one_hot", "multi_hot", "count")


def encode(indices, output_mode, depth, dtype, count_weights=None):
    """Indices in [0, depth) as Keras encodes them: "int" as they are; "one_hot" one row per index (a last
    dimension of 1 replaced by ``depth``); "multi_hot" / "count" (optionally weighted) per sample (rows of a rank-2
    input, the whole of a rank-1 one). Indices outside [0, depth) count nowhere."""
    if output_mode == "int":
        return _core.cast(indices, dtype)
    if indices.ndim == 0:
        indices = _core.reshape(indices, [1])
    if output_mode == "one_hot":
        if indices.ndim > 1 and indices.shape[-1] == 1:
            indices = _core.squeeze(indices, [-1])
        return _core.one_hot(indices, depth, dtype=dtype)
    axis = 1 if indices.ndim > 1 else 0
    if count_weights is not None:
        weights = _core.convert_to_tensor(count_weights)
        hot = _core.multiply(_core.one_hot(indices, depth, dtype=weights.dtype), _core.expand_dims(weights, -1))
        return _core.reduce_sum(hot, axis=axis)
    hot = _core.one_hot(indices, depth, dtype=dtype)
    return _core.reduce_max(hot, axis=axis) if output_mode == "multi_hot" else _core.reduce_sum(hot, axis=axis)


def _check_mode(layer, mode, modes=_MODES):
    if mode not in modes:
        raise ValueError("Unknown value for `output_mode`. Expected one of %s. Received: output_mode=%r (layer %s)"
                         % (list(modes), mode, layer))


class CategoryEncoding(Layer):
    """Encodes integer indices in [0, num_tokens) as one-hot, multi-hot or count vectors.

    Args:
      num_tokens: the size of the encoding (indices at or beyond it count nowhere, as in Keras 3).
      output_mode: "one_hot", "multi_hot" (default) or "count".
      sparse: must be False (tapeflow has no sparse tensors).

    Call: ``layer(indices, count_weights=None)``; ``count_weights`` (same shape as the indices) weighs "count".
    """

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        _check_mode(self.name, output_mode, ("one_hot", "multi_hot", "count"))
        if num_tokens is None or int(num_tokens) < 1:
            raise ValueError("`num_tokens` must be >= 1. Received: num_tokens=%s" % (num_tokens,))
        if sparse:
            raise ValueError("CategoryEncoding: sparse outputs are not supported (tapeflow has no sparse tensors)")
        self.num_tokens, self.output_mode, self.sparse = int(num_tokens), output_mode, False

    def call(self, inputs, count_weights=None):
        if count_weights is not None and self.output_mode != "count":
            raise ValueError("`count_weights` is not used when `output_mode` is not 'count'. Received "
                             "`count_weights=%s`." % (count_weights,))
        indices = _core.cast(_core.convert_to_tensor(inputs), "int64")
        return encode(indices, self.output_mode, self.num_tokens, self.dtype, count_weights)

    def get_config(self):
        config = super().get_config()
        config.update({"num_tokens": self.num_tokens, "output_mode": self.output_mode})
        return config


def _summarize(values, epsilon):
    """A quantile summary of ``values``: every ``max(n·epsilon, 1)``-th sorted value with that weight."""
    values = np.sort(np.ravel(values))
    step = max(values.size * epsilon, 1)
    points = values[int(step) - 1::int(step)]
    return np.stack([points, np.full(points.shape, step)])


def _compress(summary, epsilon):
    """The summary's values at cumulative weight fractions epsilon, 2·epsilon, ... 1 (interpolated), with the
    weight between them; a summary already within 1/epsilon points is kept."""
    if summary.shape[1] * epsilon < 1:
        return summary
    fractions = np.arange(0.0, 1.0, epsilon) + epsilon
    cumulative = np.cumsum(summary[1])
    at = cumulative / cumulative[-1]
    points = np.interp(fractions, at, summary[0])
    weights = np.diff(np.interp(fractions, at, cumulative), prepend=0.0)
    return np.stack([points, weights]).astype("float32")


class Discretization(Layer):
    """Buckets numbers by boundaries: index i for ``bin_boundaries[i-1] <= x < bin_boundaries[i]`` (NaN in the
    last bucket), encoded as "int" (int32), "one_hot", "multi_hot" or "count".

    Args:
      bin_boundaries: increasing boundaries; or
      num_bins: the number of buckets ``adapt`` finds as approximate quantiles of the data, within ``epsilon``
        (Keras's summary algorithm, so adapting on the same data gives Keras's boundaries).
    """

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int", sparse=False,
                 dtype=None, name=None):
        super().__init__(name=name, dtype=dtype)
        _check_mode(self.name, output_mode)
        if sparse:
            raise ValueError("Discretization: sparse outputs are not supported (tapeflow has no sparse tensors)")
        if num_bins is not None and num_bins < 0:
            raise ValueError("`num_bins` must be greater than or equal to 0. Received: `num_bins=%s`" % num_bins)
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError("Both `num_bins` and `bin_boundaries` should not be set. Received: `num_bins=%s` and "
                             "`bin_boundaries=%s`" % (num_bins, bin_boundaries))
        self.bin_boundaries = None if bin_boundaries is None else [float(b) for b in bin_boundaries]
        self.num_bins, self.epsilon, self.output_mode, self.sparse = num_bins, epsilon, output_mode, False

    def adapt(self, data, steps=None):
        """Sets ``bin_boundaries`` to ``num_bins`` approximate quantiles of ``data`` (arrays, datasets, iterables
        of batches)."""
        if self.num_bins is None:
            raise ValueError("Cannot adapt a Discretization layer that has been initialized with `bin_boundaries`, "
                             "use `num_bins` instead.")
        summary = np.zeros((2, 0), "float32")
        for batch in adapt_batches(data, steps):
            merged = np.concatenate([_summarize(batch.astype("float32"), self.epsilon), summary], axis=1)
            summary = _compress(merged[:, np.argsort(merged[0], kind="stable")], self.epsilon)
        if summary.shape[1] == 0:
            raise ValueError("adapt() received no data")
        self.bin_boundaries = _compress(summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def call(self, inputs):
        if self.bin_boundaries is None:
            raise ValueError("You need to either pass the `bin_boundaries` argument at construction time or call "
                             "`adapt(dataset)` before you can start using the `Discretization` layer.")
        x = _core.cast(_core.convert_to_tensor(inputs), "float32")
        count = len(self.bin_boundaries)
        boundaries = _core.convert_to_tensor(np.asarray(self.bin_boundaries, "float32"))
        above = _core.cast(_core.greater_equal(_core.expand_dims(x, -1), boundaries), "int32")
        index = _core.where(_core.is_nan(x), _core.fill(x.shape, np.int32(count)), _core.reduce_sum(above, axis=-1))
        return encode(index, self.output_mode, count + 1, "int32" if self.output_mode == "int" else self.dtype)

    def get_config(self):
        return {"bin_boundaries": self.bin_boundaries, "num_bins": self.num_bins, "epsilon": self.epsilon,
                "output_mode": self.output_mode, "sparse": False, "name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        boundaries = config.pop("bin_boundaries", None) if config.get("num_bins") is not None else None
        layer = cls(**config)
        if boundaries is not None:  # an adapted layer: its boundaries and its num_bins both
            layer.bin_boundaries = boundaries
        return layer


class IntegerLookup(Layer):
    """Maps integers to indices in a vocabulary (or back, with ``invert=True``): the mask token (if any) to 0,
    out-of-vocabulary integers to the next ``num_oov_indices`` indices (``x mod num_oov_indices`` among them), the
    vocabulary after. Outputs "int" indices (int64) or their "one_hot" / "multi_hot" / "count" / "tf_idf"
    encodings (the mask dropped from them).

    ``adapt`` builds the vocabulary from data: most frequent first, ties larger integer first, at most
    ``max_tokens`` entries with the special ones; for "tf_idf" it learns ``log(1 + documents / (1 + documents
    with the token))`` per token, the mean for the out-of-vocabulary slots. Lookups compare each input with every
    vocabulary entry: fine for categorical features, costly for vocabularies of many thousands.
    """

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1, vocabulary=None,
                 vocabulary_dtype="int64", idf_weights=None, invert=False, output_mode="int", sparse=False,
                 pad_to_max_tokens=False, name=None, **kwargs):
        kwargs.pop("vocabulary_size", None)
        kwargs.pop("oov_method", None)
        kwargs.pop("salt", None)
        super().__init__(name=name, **kwargs)
        _check_mode(self.name, output_mode, _MODES + ("tf_idf",))
        if sparse:
            raise ValueError("IntegerLookup: sparse outputs are not supported (tapeflow has no sparse tensors)")
        if vocabulary_dtype != "int64":
            raise ValueError("IntegerLookup may only have an integer vocabulary_dtype of int64. Received: "
                             "vocabulary_dtype=%s" % (vocabulary_dtype,))
        if num_oov_indices < 1:
            raise ValueError("IntegerLookup: `num_oov_indices` must be at least 1 in tapeflow (an out-of-vocabulary "
                             "integer needs an index). Received: num_oov_indices=%s" % (num_oov_indices,))
        if invert and output_mode != "int":
            raise ValueError("`output_mode` must be 'int' when `invert` is true. Received: output_mode=%r"
                             % (output_mode,))
        if output_mode == "tf_idf" and idf_weights is None and vocabulary is not None:
            raise ValueError("`idf_weights` must be set if output_mode is 'tf_idf' and a vocabulary is passed.")
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError("If pad_to_max_tokens is True, must set `max_tokens`. Received: max_tokens=None")
        self.max_tokens, self.num_oov_indices, self.mask_token = max_tokens, int(num_oov_indices), mask_token
        self.oov_token, self.invert, self.output_mode = oov_token, invert, output_mode
        self.pad_to_max_tokens, self.vocabulary_dtype, self.sparse = pad_to_max_tokens, vocabulary_dtype, False
        self._vocab = np.zeros(0, "int64")
        self._idf = None
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)

    def _specials(self):
        return ([] if self.mask_token is None else [self.mask_token]) + [self.oov_token] * self.num_oov_indices

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """The vocabulary (a list, an array or a text file of one integer per line), without or led by the special
        tokens; ``idf_weights`` per entry for "tf_idf"."""
        if isinstance(vocabulary, (str, os.PathLike)):
            with open(vocabulary) as f:
                vocabulary = [int(line) for line in f if line.strip()]
        vocab = np.asarray(vocabulary).astype("int64").ravel()
        specials = self._specials()
        if len(vocab) >= len(specials) and vocab[:len(specials)].tolist() == specials:
            vocab = vocab[len(specials):]
        values, counts = np.unique(vocab, return_counts=True)
        if (counts > 1).any():
            raise ValueError("The passed vocabulary has at least one repeated term. Please uniquify your dataset. "
                             "The repeated terms are: %s" % values[counts > 1].tolist())
        if any(t in specials for t in vocab.tolist()):
            raise ValueError("Found a special token (mask %s or OOV %s) inside the vocabulary %s"
                             % (self.mask_token, self.oov_token, vocab.tolist()))
        if self.max_tokens is not None and len(vocab) + len(specials) > self.max_tokens:
            raise ValueError("Attempted to set a vocabulary larger than the maximum vocab size. Received vocabulary "
                             "size is %d; `max_tokens` is %d." % (len(vocab) + len(specials), self.max_tokens))
        self._vocab = vocab
        if self.output_mode == "tf_idf":
            if idf_weights is None:
                raise ValueError("`idf_weights` must be set if output_mode is 'tf_idf'")
            idf = np.asarray(idf_weights, "float32").ravel()
            if len(idf) != len(vocab):
                raise ValueError("`idf_weights` must be the same length as vocabulary. len(idf_weights) is %d; "
                                 "len(vocabulary) is %d" % (len(idf), len(vocab)))
            self._idf = idf

    def get_vocabulary(self, include_special_tokens=True):
        vocab = self._vocab.tolist()
        return (self._specials() + vocab) if include_special_tokens else vocab

    def vocabulary_size(self):
        return len(self._specials()) + len(self._vocab)

    @property
    def idf_weights(self):
        if self._idf is None:
            return None
        front = np.full(len(self._specials()), self._idf.mean() if len(self._idf) else 0.0, "float32")
        return np.concatenate([front, self._idf])

    def adapt(self, data, steps=None):
        counts, documents, rows = {}, {}, 0
        for batch in adapt_batches(data, steps):
            batch = batch.astype("int64")
            for row in (batch.reshape(len(batch), -1) if batch.ndim > 1 else batch.reshape(1, -1)):
                rows += 1
                values, n = np.unique(row, return_counts=True)
                for v, c in zip(values.tolist(), n.tolist()):
                    counts[v] = counts.get(v, 0) + c
                    documents[v] = documents.get(v, 0) + 1
        for special in self._specials():
            counts.pop(special, None)
        tokens = sorted(counts, key=lambda t: (counts[t], t), reverse=True)
        if self.max_tokens is not None:
            tokens = tokens[:max(self.max_tokens - len(self._specials()), 0)]
        self._vocab = np.asarray(tokens, "int64")
        if self.output_mode == "tf_idf":
            seen = np.asarray([documents[t] for t in tokens], "float64")
            self._idf = np.log(1.0 + rows / (1.0 + seen)).astype("float32")

    def call(self, inputs):
        x = _core.cast(_core.convert_to_tensor(inputs), "int64")
        specials = self._specials()
        if self.invert:
            table = _core.convert_to_tensor(np.asarray(specials + self._vocab.tolist(), "int64"))
            inside = _core.logical_and(_core.greater_equal(x, 0), _core.less(x, table.shape[0]))
            looked_up = _core.gather(table, _core.clip_by_value(x, 0, table.shape[0] - 1))
            return _core.where(inside, looked_up, _core.fill(x.shape, np.int64(self.oov_token)))
        start = 1 if self.mask_token is not None else 0
        if self.num_oov_indices == 1:
            index = _core.fill(x.shape, np.int64(start))
        else:
            index = _core.add(_core.floormod(x, np.int64(self.num_oov_indices)), np.int64(start))
        if len(self._vocab):
            hits = _core.cast(_core.equal(_core.expand_dims(x, -1), _core.convert_to_tensor(self._vocab)), "int32")
            found = _core.greater(_core.reduce_max(hits, axis=-1), 0)
            position = _core.add(_core.cast(_core.argmax(hits, axis=-1), "int64"), np.int64(len(specials)))
            index = _core.where(found, position, index)
        if self.mask_token is not None:
            index = _core.where(_core.equal(x, np.int64(self.mask_token)), _core.zeros(x.shape, "int64"), index)
        if self.output_mode == "int":
            return index
        depth = self.max_tokens if self.pad_to_max_tokens else self.vocabulary_size()
        if self.mask_token is not None:  # the encodings leave the mask out
            index, depth = _core.subtract(index, np.int64(1)), depth - 1
        if self.output_mode != "tf_idf":
            return encode(index, self.output_mode, depth, "int64")
        counts = encode(index, "count", depth, self.dtype)
        idf = self.idf_weights[start:]
        return _core.multiply(counts, np.pad(idf, (0, depth - len(idf))).astype(self.dtype))

    def get_config(self):
        config = super().get_config()
        config.update({"invert": self.invert, "max_tokens": self.max_tokens, "num_oov_indices": self.num_oov_indices,
                       "oov_token": self.oov_token, "mask_token": self.mask_token, "output_mode": self.output_mode,
                       "sparse": False, "pad_to_max_tokens": self.pad_to_max_tokens,
                       "vocabulary_dtype": self.vocabulary_dtype,
                       "idf_weights": None if self._idf is None else self._idf.tolist(),
                       "vocabulary": self._vocab.tolist() if len(self._vocab) else None, "vocabulary_size": self.vocabulary_size()})
        return config
