"""Vocabulary lookups, as Keras 3 has them: the shared ``IndexLookup`` base (vocabulary, ``adapt``, tf-idf weights,
the output encodings) and ``IntegerLookup`` / ``StringLookup``.

Index layout (Keras's): the mask token (if any) at 0, then ``num_oov_indices`` out-of-vocabulary slots, then the
vocabulary. ``adapt`` orders tokens by count, ties by the larger token first, as Keras does. IntegerLookup's call is
tapeflow ops (it runs inside replayed steps); StringLookup's looks strings up in a hash table on the host (strings
never enter the engine) and hands the engine an int64 index tensor.
"""
import collections
import os

import numpy as np

from tapeflow import _core
from tapeflow.keras.layers.layer import Layer
from tapeflow.keras.layers.preprocessing._adapt import adapt_batches
from tapeflow.keras.layers.preprocessing.categorical import _MODES, _check_mode, encode
from tapeflow.ragged import RaggedTensor
from tapeflow.string_tensor import StringTensor, strings


class IndexLookup(Layer):
    """The base of IntegerLookup and StringLookup (see the module's docstring). Subclasses give ``_token`` (a user
    value as a vocabulary key), ``_shown`` (a key as ``get_vocabulary`` shows it), ``_read_file`` and ``call``."""

    def __init__(self, max_tokens, num_oov_indices, mask_token, oov_token, vocabulary, idf_weights, invert,
                 output_mode, sparse, pad_to_max_tokens, name, min_oov=1, **kwargs):
        super().__init__(name=name, **kwargs)
        _check_mode(self.name, output_mode, _MODES + ("tf_idf",))
        kind = type(self).__name__
        if sparse:
            raise ValueError("%s: sparse outputs are not supported (tapeflow has no sparse tensors)" % kind)
        if num_oov_indices < min_oov:
            raise ValueError("%s: `num_oov_indices` must be at least %d. Received: num_oov_indices=%s"
                             % (kind, min_oov, num_oov_indices))
        if invert and output_mode != "int":
            raise ValueError("`output_mode` must be 'int' when `invert` is true. Received: output_mode=%r"
                             % (output_mode,))
        if output_mode == "tf_idf" and idf_weights is None and vocabulary is not None:
            raise ValueError("`idf_weights` must be set if output_mode is 'tf_idf' and a vocabulary is passed.")
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError("If pad_to_max_tokens is True, must set `max_tokens`. Received: max_tokens=None")
        self.max_tokens, self.num_oov_indices, self.mask_token = max_tokens, int(num_oov_indices), mask_token
        self.oov_token, self.invert, self.output_mode = oov_token, invert, output_mode
        self.pad_to_max_tokens, self.sparse = pad_to_max_tokens, False
        self._set_vocab([])
        self._idf = None
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)

    # --- what subclasses give
    def _token(self, value):
        raise NotImplementedError

    def _shown(self, token):
        return token

    def _read_file(self, path):
        raise NotImplementedError

    # --- the vocabulary
    def _specials(self):
        mask = [] if self.mask_token is None else [self._token(self.mask_token)]
        return mask + [self._token(self.oov_token)] * self.num_oov_indices

    def _set_vocab(self, tokens):
        self._vocab = list(tokens)
        start = len(self._specials())
        self._index = {t: i + start for i, t in enumerate(self._vocab)}

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """The vocabulary (a list, an array or a text file of one token per line), without or led by the special
        tokens; ``idf_weights`` per entry for "tf_idf"."""
        if isinstance(vocabulary, (str, os.PathLike)):
            vocabulary = self._read_file(vocabulary)
        elif isinstance(vocabulary, (StringTensor, _core.Tensor)):
            vocabulary = vocabulary.numpy()
        vocab = [self._token(v) for v in np.asarray(vocabulary, dtype=object).ravel().tolist()]
        specials = self._specials()
        if vocab[:len(specials)] == specials and specials:
            vocab = vocab[len(specials):]
        repeated = [t for t, n in collections.Counter(vocab).items() if n > 1]
        if repeated:
            raise ValueError("The passed vocabulary has at least one repeated term. Please uniquify your dataset. "
                             "The repeated terms are: %s" % [self._shown(t) for t in repeated])
        if any(t in specials for t in vocab):
            raise ValueError("Found a special token (mask %r or OOV %r) inside the vocabulary %s"
                             % (self.mask_token, self.oov_token, [self._shown(t) for t in vocab]))
        if self.max_tokens is not None and len(vocab) + len(specials) > self.max_tokens:
            raise ValueError("Attempted to set a vocabulary larger than the maximum vocab size. Received vocabulary "
                             "size is %d; `max_tokens` is %d." % (len(vocab) + len(specials), self.max_tokens))
        self._set_vocab(vocab)
        if self.output_mode == "tf_idf":
            if idf_weights is None:
                raise ValueError("`idf_weights` must be set if output_mode is 'tf_idf'")
            idf = np.asarray(idf_weights, "float32").ravel()
            if len(idf) != len(vocab):
                raise ValueError("`idf_weights` must be the same length as vocabulary. len(idf_weights) is %d; "
                                 "len(vocabulary) is %d" % (len(idf), len(vocab)))
            self._idf = idf

    def get_vocabulary(self, include_special_tokens=True):
        vocab = (self._specials() + self._vocab) if include_special_tokens else self._vocab
        return [self._shown(t) for t in vocab]

    def vocabulary_size(self):
        return len(self._specials()) + len(self._vocab)

    @property
    def idf_weights(self):
        if self._idf is None:
            return None
        front = np.full(len(self._specials()), self._idf.mean() if len(self._idf) else 0.0, "float32")
        return np.concatenate([front, self._idf])

    # --- adapt
    def _rows(self, batch):
        """The documents (token lists) of one batch of adapt data."""
        rows = batch.reshape(len(batch), -1) if batch.ndim > 1 else batch.reshape(1, -1)
        return [[self._token(v) for v in row] for row in rows.tolist()]

    def adapt(self, data, steps=None):
        """Builds the vocabulary from ``data`` (arrays, tensors, datasets, iterables of batches): the most frequent
        tokens (at most ``max_tokens`` with the special ones), and for "tf_idf" ``log(1 + documents / (1 +
        documents with the token))``."""
        self.adapt_documents(row for batch in adapt_batches(data, steps) for row in self._rows(batch))

    def adapt_documents(self, documents):
        """``adapt`` on documents given as lists of tokens."""
        counts, seen_in, rows = collections.Counter(), collections.Counter(), 0
        for row in documents:
            rows += 1
            counts.update(row)
            seen_in.update(set(row))
        for special in self._specials():
            counts.pop(special, None)
        tokens = sorted(counts, key=lambda t: (counts[t], t), reverse=True)
        if self.max_tokens is not None:
            tokens = tokens[:max(self.max_tokens - len(self._specials()), 0)]
        self._set_vocab(tokens)
        if self.output_mode == "tf_idf":
            seen = np.asarray([seen_in[t] for t in tokens], "float64")
            self._idf = np.log(1.0 + rows / (1.0 + seen)).astype("float32")

    # --- encoding
    def _encode(self, index):
        """Int64 ``index`` in the layer's ``output_mode``: itself, or its encodings without the mask slot."""
        if self.output_mode == "int":
            return index
        start = 1 if self.mask_token is not None else 0
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
                       "idf_weights": None if self._idf is None else self._idf.tolist(),
                       "vocabulary": [self._shown(t) for t in self._vocab] or None,
                       "vocabulary_size": self.vocabulary_size()})
        return config


class IntegerLookup(IndexLookup):
    """Maps integers to indices in a vocabulary (or back, with ``invert=True``): the mask token (if any) to 0,
    out-of-vocabulary integers to the next ``num_oov_indices`` indices (``x mod num_oov_indices`` among them), the
    vocabulary after. Outputs "int" indices (int64) or their "one_hot" / "multi_hot" / "count" / "tf_idf"
    encodings (the mask dropped from them). See the module's docstring for ``adapt``.

    Lookups compare each input with every vocabulary entry (tapeflow ops, so they replay in captured steps): fine
    for categorical features, costly for vocabularies of many thousands.
    """

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1, vocabulary=None,
                 vocabulary_dtype="int64", idf_weights=None, invert=False, output_mode="int", sparse=False,
                 pad_to_max_tokens=False, name=None, **kwargs):
        for unused in ("vocabulary_size", "oov_method", "salt"):
            kwargs.pop(unused, None)
        if vocabulary_dtype != "int64":
            raise ValueError("IntegerLookup may only have an integer vocabulary_dtype of int64. Received: "
                             "vocabulary_dtype=%s" % (vocabulary_dtype,))
        self.vocabulary_dtype = vocabulary_dtype
        super().__init__(max_tokens, num_oov_indices, mask_token, oov_token, vocabulary, idf_weights, invert,
                         output_mode, sparse, pad_to_max_tokens, name, **kwargs)

    def _token(self, value):
        return int(value)

    def _read_file(self, path):
        with open(path) as f:
            return [int(line) for line in f if line.strip()]

    def call(self, inputs):
        x = _core.cast(_core.convert_to_tensor(inputs), "int64")
        specials = self._specials()
        vocab = np.asarray(self._vocab, "int64")
        if self.invert:
            table = _core.convert_to_tensor(np.asarray(specials + self._vocab, "int64"))
            inside = _core.logical_and(_core.greater_equal(x, 0), _core.less(x, table.shape[0]))
            looked_up = _core.gather(table, _core.clip_by_value(x, 0, table.shape[0] - 1))
            return _core.where(inside, looked_up, _core.fill(x.shape, np.int64(self.oov_token)))
        start = 1 if self.mask_token is not None else 0
        if self.num_oov_indices == 1:
            index = _core.fill(x.shape, np.int64(start))
        else:
            index = _core.add(_core.floormod(x, np.int64(self.num_oov_indices)), np.int64(start))
        if len(vocab):
            hits = _core.cast(_core.equal(_core.expand_dims(x, -1), _core.convert_to_tensor(vocab)), "int32")
            found = _core.greater(_core.reduce_max(hits, axis=-1), 0)
            position = _core.add(_core.cast(_core.argmax(hits, axis=-1), "int64"), np.int64(len(specials)))
            index = _core.where(found, position, index)
        if self.mask_token is not None:
            index = _core.where(_core.equal(x, np.int64(self.mask_token)), _core.zeros(x.shape, "int64"), index)
        return self._encode(index)

    def get_config(self):
        config = super().get_config()
        config["vocabulary_dtype"] = self.vocabulary_dtype
        return config


class StringLookup(IndexLookup):
    """Maps strings to indices in a vocabulary (or indices back to strings, with ``invert=True``): the mask token
    (if any) to 0, out-of-vocabulary strings to the next ``num_oov_indices`` indices (chosen by FarmHash
    Fingerprint64 when there are several, as Keras), the vocabulary after; "int" (int64) or the "one_hot" /
    "multi_hot" / "count" / "tf_idf" encodings. ``get_vocabulary`` gives ``str``. Ragged input gives ragged
    output in "int" mode.

    Args: as Keras 3's (``max_tokens``, ``num_oov_indices=1``, ``mask_token=None``, ``oov_token="[UNK]"``,
    ``vocabulary``, ``idf_weights``, ``invert``, ``output_mode="int"``, ``pad_to_max_tokens``, ``encoding``).
    """

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token="[UNK]", vocabulary=None,
                 idf_weights=None, invert=False, output_mode="int", pad_to_max_tokens=False, sparse=False,
                 encoding="utf-8", name=None, **kwargs):
        for unused in ("vocabulary_size", "vocabulary_dtype", "has_input_vocabulary"):
            kwargs.pop(unused, None)
        self.encoding = encoding
        super().__init__(max_tokens, num_oov_indices, mask_token, oov_token, vocabulary, idf_weights, invert,
                         output_mode, sparse, pad_to_max_tokens, name, min_oov=0, **kwargs)

    def _token(self, value):
        if isinstance(value, str):
            return value.encode(self.encoding)
        if isinstance(value, (bytes, np.bytes_)):
            return bytes(value)
        raise TypeError("StringLookup: expected strings, got %r of type %s" % (value, type(value).__name__))

    def _shown(self, token):
        return token.decode(self.encoding, "replace")

    def _read_file(self, path):
        with open(path, encoding=self.encoding) as f:
            return [line.rstrip("\r\n") for line in f if line.rstrip("\r\n")]

    def _rows(self, batch):
        if batch.dtype.kind not in "OSU":
            raise ValueError("StringLookup.adapt expects string data, got %s" % batch.dtype)
        return super()._rows(batch)

    def lookup(self, a):
        """Int64 indices of the object array of bytes ``a`` (a NumPy array of the same shape)."""
        if self.num_oov_indices > 1:
            flat = a.ravel().tolist()
            oov = _core.string_hash_buckets(flat, self.num_oov_indices, []).numpy() if flat else []
            out = [self._index.get(t, -1) for t in flat]
            start = 1 if self.mask_token is not None else 0
            out = [i if i >= 0 else start + int(o) for i, o in zip(out, oov)]
        else:
            oov = 1 if self.mask_token is not None else 0
            out = [self._index.get(t, oov) for t in a.ravel().tolist()]
        out = np.asarray(out, np.int64).reshape(a.shape)
        if self.mask_token is not None:
            out[a == self._token(self.mask_token)] = 0
        return out

    def call(self, inputs):
        if isinstance(inputs, RaggedTensor):
            if self.output_mode == "int" or self.invert:
                return inputs.with_flat_values(self.call(inputs.flat_values))
            return self._encode_rows(inputs)
        if self.invert:
            table = np.asarray(self.get_vocabulary(), dtype=object)
            idx = _core.convert_to_tensor(inputs).numpy().astype(np.int64)
            inside = (idx >= 0) & (idx < len(table))
            out = np.where(inside, table[np.clip(idx, 0, max(len(table) - 1, 0))] if len(table) else "",
                           self.oov_token)
            return strings(out)
        index = _core.convert_to_tensor(self.lookup(strings(inputs)._a))
        return self._encode(index)

    def _encode_rows(self, ragged):
        """The "multi_hot" / "count" / "tf_idf" encoding of each row of a ragged tensor of strings (ragged rank 1)."""
        if self.output_mode == "one_hot" or ragged.ragged_rank != 1:
            raise ValueError("StringLookup: output_mode=%r takes dense input or ragged rows of tokens"
                             % (self.output_mode,))
        index = self.lookup(strings(ragged.flat_values)._a)
        depth = self.max_tokens if self.pad_to_max_tokens else self.vocabulary_size()
        if self.mask_token is not None:
            index, depth = index - 1, depth - 1
        rows = ragged.value_rowids().numpy()
        keep = (index >= 0) & (index < depth)
        counts = np.zeros((len(ragged), depth), np.float64)
        np.add.at(counts, (rows[keep], index[keep]), 1.0)
        if self.output_mode == "multi_hot":
            return _core.convert_to_tensor(np.minimum(counts, 1).astype(np.int64))
        if self.output_mode == "count":
            return _core.convert_to_tensor(counts.astype(np.int64))
        idf = self.idf_weights[1 if self.mask_token is not None else 0:]
        return _core.convert_to_tensor((counts * np.pad(idf, (0, depth - len(idf)))).astype(self.dtype))

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        depth = self.max_tokens if self.pad_to_max_tokens else self.vocabulary_size()
        depth -= 1 if self.mask_token is not None else 0
        return (input_shape[0], depth) if len(input_shape) <= 2 else tuple(input_shape[:-1]) + (depth,)

    def compute_output_spec(self, *args, **kwargs):
        from tapeflow.keras.engine.keras_tensor import KerasTensor
        shape = self.compute_output_shape(args[0].shape)
        dtype = "string" if self.invert else "int64" if self.output_mode == "int" else self.dtype
        return KerasTensor(shape, dtype)

    def get_config(self):
        config = super().get_config()
        config["encoding"] = self.encoding
        return config
