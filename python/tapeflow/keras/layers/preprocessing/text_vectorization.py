"""Keras 3's TextVectorization: raw strings to token indices or to multi-hot / count / tf-idf vectors."""
import numpy as np

from tapeflow import _core
from tapeflow import strings as tf_strings
from tapeflow.keras.engine.keras_tensor import KerasTensor
from tapeflow.keras.layers.layer import Layer
from tapeflow.keras.layers.preprocessing._adapt import adapt_batches
from tapeflow.keras.layers.preprocessing.index_lookup import StringLookup
from tapeflow.ragged import RaggedTensor
from tapeflow.string_tensor import StringTensor, strings

# Keras's punctuation class for "strip_punctuation" (ASCII punctuation).
_PUNCTUATION = r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']'
_STANDARDIZE = (None, "lower", "strip_punctuation", "lower_and_strip_punctuation")
_SPLIT = (None, "whitespace", "character")


class TextVectorization(Layer):
    """Maps strings to token indices ("int") or to "multi_hot" / "count" / "tf_idf" vectors, in three steps:
    ``standardize`` (lower-case and strip ASCII punctuation by default, or a callable on string tensors), ``split``
    (on whitespace by default, into characters, or a callable), ``ngrams`` (an int n for 1..n-grams, or a tuple of
    widths), then a vocabulary lookup (a StringLookup: index 0 is padding in "int" mode, then "[UNK]").

    Args:
      max_tokens: the vocabulary's largest size, padding and "[UNK]" included.
      output_sequence_length: "int" mode: pad or cut every row to this many tokens.
      pad_to_max_tokens: vector modes: make the last dimension ``max_tokens`` even if the vocabulary is smaller.
      vocabulary / idf_weights: a vocabulary (list, array or file of one token per line) instead of ``adapt``.
      ragged: "int" mode: return a RaggedTensor of each row's indices instead of a padded tensor.

    Input shape: a batch of strings ``(batch,)`` or ``(batch, 1)`` (or one string). Output shape: ``(batch,
    output_sequence_length)`` (the longest row when None) or ``(batch, vocabulary size)``. The vocabulary and idf
    weights are saved with the layer's config. Runs on the host (strings never enter the engine); its int64
    output feeds the model.
    """

    def __init__(self, max_tokens=None, standardize="lower_and_strip_punctuation", split="whitespace", ngrams=None,
                 output_mode="int", output_sequence_length=None, pad_to_max_tokens=False, vocabulary=None,
                 idf_weights=None, sparse=False, ragged=False, encoding="utf-8", name=None, **kwargs):
        for unused in ("vocabulary_size", "has_input_vocabulary", "vocabulary_dtype"):
            kwargs.pop(unused, None)
        kwargs.pop("dtype", None)
        super().__init__(name=name, **kwargs)
        if not (standardize in _STANDARDIZE or callable(standardize)):
            raise ValueError("Invalid value for argument `standardize`. Expected one of %s or a callable. Received: "
                             "standardize=%r" % (list(_STANDARDIZE), standardize))
        if not (split in _SPLIT or callable(split)):
            raise ValueError("Invalid value for argument `split`. Expected one of %s or a callable. Received: "
                             "split=%r" % (list(_SPLIT), split))
        if not (ngrams is None or isinstance(ngrams, int) or
                (isinstance(ngrams, (tuple, list)) and all(isinstance(n, int) for n in ngrams))):
            raise ValueError("`ngrams` must be None, an integer, or a tuple of integers. Received: ngrams=%r"
                             % (ngrams,))
        if output_mode != "int" and output_sequence_length is not None:
            raise ValueError("`output_sequence_length` must not be set if `output_mode` is not 'int'. Received "
                             "output_sequence_length=%r." % (output_sequence_length,))
        if ragged and output_mode != "int":
            raise ValueError("`ragged` must not be true if `output_mode` is %r." % (output_mode,))
        if sparse:
            raise ValueError("TextVectorization: sparse outputs are not supported (tapeflow has no sparse tensors)")
        self._standardize, self._split, self._ngrams_arg = standardize, split, ngrams
        self._ngrams = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else \
            (tuple(ngrams) if ngrams is not None else None)
        self._output_mode, self._output_sequence_length = output_mode, output_sequence_length
        self._ragged, self._encoding = ragged, encoding
        self._lookup_layer = StringLookup(max_tokens=max_tokens, vocabulary=vocabulary, idf_weights=idf_weights,
                                          pad_to_max_tokens=pad_to_max_tokens,
                                          mask_token="" if output_mode == "int" else None,
                                          output_mode=output_mode, encoding=encoding, name=self.name + "_lookup")
        self.built = True

    # --- the vocabulary (the lookup layer's)
    def get_vocabulary(self, include_special_tokens=True):
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def set_vocabulary(self, vocabulary, idf_weights=None):
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights)

    def vocabulary_size(self):
        return self._lookup_layer.vocabulary_size()

    def adapt(self, data, batch_size=None, steps=None):
        """Builds the vocabulary from text: an array or list of strings, a string tensor, a ``tf.data.Dataset`` of
        strings (or batches of them), or any iterable of batches."""
        if isinstance(data, (list, tuple, StringTensor, np.ndarray)):
            data = strings(data)._a
            data = data.reshape(-1, 1) if data.ndim == 1 else data
        docs = []
        for batch in adapt_batches(data, steps):
            batch = np.asarray(batch, dtype=object)
            tokens = self._preprocess(strings(batch.reshape(-1, 1) if batch.ndim <= 1 else batch))
            rows = tokens.to_list() if isinstance(tokens, RaggedTensor) else \
                strings(tokens)._a.reshape(len(batch) if batch.ndim else 1, -1).tolist()
            docs.extend(rows)
        self._lookup_layer.adapt_documents(docs)

    # --- the call
    def _preprocess(self, inputs):
        x = strings(inputs)
        if self._standardize in ("lower", "lower_and_strip_punctuation"):
            x = tf_strings.lower(x)
        if self._standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
            x = tf_strings.regex_replace(x, _PUNCTUATION, "")
        if callable(self._standardize):
            x = self._standardize(x)
        if self._split is not None:
            if x.ndim > 1:
                if x.shape[-1] != 1:
                    raise ValueError("When using `TextVectorization` to tokenize strings, the input rank must be 1 "
                                     "or the last shape dimension must be 1. Received: inputs.shape=%s with rank=%d"
                                     % (x.shape, x.ndim))
                x = strings(x._a[..., 0])
            if self._split == "whitespace":
                x = tf_strings.split(x)
            elif self._split == "character":
                x = tf_strings.unicode_split(x, "UTF-8")
            else:
                x = self._split(x)
        if self._ngrams is not None:
            x = tf_strings.ngrams(x, self._ngrams, separator=" ")
        return x

    def call(self, inputs):
        looked_up = self._lookup_layer(self._preprocess(inputs))
        if self._output_mode != "int":
            return looked_up
        if isinstance(looked_up, RaggedTensor):
            if self._ragged:
                return looked_up if self._output_sequence_length is None else RaggedTensor.from_row_lengths(
                    looked_up.flat_values, np.minimum(looked_up.row_lengths().numpy(), self._output_sequence_length))
            shape = [None, self._output_sequence_length]
            return looked_up.to_tensor(default_value=0, shape=shape)
        if self._output_sequence_length is not None:
            a = looked_up.numpy()[..., :self._output_sequence_length]
            pad = [(0, 0)] * (a.ndim - 1) + [(0, self._output_sequence_length - a.shape[-1])]
            return _core.convert_to_tensor(np.pad(a, pad))
        return looked_up

    def compute_output_spec(self, *args, **kwargs):
        return KerasTensor(self.compute_output_shape(tuple(args[0].shape)),
                           "int64" if self._output_mode == "int" else self._lookup_layer.dtype
                           if self._output_mode == "tf_idf" else "int64")

    def compute_output_shape(self, input_shape):
        if self._output_mode == "int":
            return (input_shape[0] if input_shape else None, self._output_sequence_length)
        lookup = self._lookup_layer
        depth = lookup.max_tokens if lookup.pad_to_max_tokens else lookup.vocabulary_size()
        return (input_shape[0] if input_shape else None, depth)

    def get_config(self):
        config = super().get_config()
        lookup = self._lookup_layer
        config.update({"max_tokens": lookup.max_tokens, "standardize": self._standardize, "split": self._split,
                       "ngrams": self._ngrams_arg, "output_mode": self._output_mode,
                       "output_sequence_length": self._output_sequence_length,
                       "pad_to_max_tokens": lookup.pad_to_max_tokens, "sparse": False, "ragged": self._ragged,
                       "vocabulary": lookup.get_vocabulary(include_special_tokens=False) or None,
                       "idf_weights": None if lookup._idf is None else lookup._idf.tolist(),
                       "encoding": self._encoding, "vocabulary_size": lookup.vocabulary_size()})
        config.pop("dtype", None)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("ngrams"), list):
            config["ngrams"] = tuple(config["ngrams"])
        return cls(**config)
