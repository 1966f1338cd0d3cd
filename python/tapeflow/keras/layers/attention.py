"""keras.layers.MultiHeadAttention and keras.layers.Attention (dot-product attention)."""
import math

from tapeflow import _core
from tapeflow.keras import initializers, regularizers
from tapeflow.keras.layers.dropout import Dropout
from tapeflow.keras.layers.layer import Layer

_LARGE_NEGATIVE = -1e9  # added to masked scores before the softmax, as Keras does for float32


def _masked_softmax(scores, keep):
    """softmax(scores) over the last axis, with ``keep`` (bool, broadcastable) False entries pushed to ~0."""
    if keep is not None:
        scores = _core.add(scores, _core.multiply(_core.subtract(1.0, _core.cast(keep, scores.dtype.name)),
                                                  _LARGE_NEGATIVE))
    return _core.softmax(scores, -1)


def _causal(tq, tk):
    """(1, Tq, Tk) bool: query i may attend to keys j <= i (aligned at the start, as Keras)."""
    rows = _core.expand_dims(_core.range(0, tq, 1, "int32"), -1)
    cols = _core.expand_dims(_core.range(0, tk, 1, "int32"), 0)
    return _core.expand_dims(_core.greater_equal(rows, cols), 0)


def _and(a, b):
    """The logical and of two masks as bool (None: no mask)."""
    if a is None or b is None:
        return None if a is None and b is None else _core.cast(b if a is None else a, "bool")
    return _core.logical_and(_core.cast(a, "bool"), _core.cast(b, "bool"))


class MultiHeadAttention(Layer):
    """Multi-head attention (Vaswani et al., 2017) over ``(batch, time, features)`` tensors, as Keras's layer.

    Args:
      num_heads: number of heads. key_dim: size of each head for query and key. value_dim: for value (default
        key_dim). dropout: on the attention probabilities (training only). use_bias: biases of the projections.
      output_shape: the last dimension of the output (default: the query's).
      attention_axes: only the default (attention over the time axis) is supported.
      kernel/bias initializers, regularizers and constraints for the four projections.

    ``call(query, value, key=None, attention_mask=None, return_attention_scores=False, training=None,
    use_causal_mask=False)``; the Keras masks of query, value and key are honoured. Weights (in order): query,
    key, value kernels (features, heads, dim) with biases (heads, dim), and the output kernel
    (heads, value_dim, output) with its bias.
    """

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True, output_shape=None,
                 attention_axes=None, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, seed=None, flash_attention=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if attention_axes is not None and tuple(attention_axes if isinstance(attention_axes, (list, tuple))
                                                 else (attention_axes,)) not in ((1,), (-2,)):
            raise NotImplementedError("MultiHeadAttention(attention_axes=%r) is not supported in this version of "
                                      "tapeflow; only attention over the time axis." % (attention_axes,))
        if flash_attention:
            raise NotImplementedError("MultiHeadAttention(flash_attention=True) is not supported in this version "
                                      "of tapeflow.")
        self.num_heads = int(num_heads)
        self.key_dim = int(key_dim)
        self.value_dim = int(value_dim) if value_dim else self.key_dim
        self.dropout = float(dropout)
        self.use_bias = use_bias
        self._output_shape = output_shape
        self.attention_axes = attention_axes
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = kernel_constraint
        self.bias_constraint = bias_constraint
        self.seed = seed
        self._dropout_layer = Dropout(self.dropout, seed=seed)
        self.supports_masking = True

    def _proj(self, name, in_dim, heads_dim):
        kernel = self.add_weight(name="%s/kernel" % name, shape=(in_dim,) + heads_dim,
                                 initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
                                 constraint=self.kernel_constraint)
        bias = self.add_weight(name="%s/bias" % name, shape=heads_dim,
                               initializer=self.bias_initializer, regularizer=self.bias_regularizer,
                               constraint=self.bias_constraint) if self.use_bias else None
        return kernel, bias

    def build(self, query_shape, value_shape=None, key_shape=None):
        value_shape = query_shape if value_shape is None else value_shape
        key_shape = value_shape if key_shape is None else key_shape
        h = self.num_heads
        self._q = self._proj("query", query_shape[-1], (h, self.key_dim))
        self._k = self._proj("key", key_shape[-1], (h, self.key_dim))
        self._v = self._proj("value", value_shape[-1], (h, self.value_dim))
        out = self._output_shape
        out_dim = query_shape[-1] if out is None else (out if isinstance(out, int) else tuple(out)[-1])
        self._out_dim = out_dim
        kernel = self.add_weight(name="attention_output/kernel", shape=(h, self.value_dim, out_dim),
                                 initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
                                 constraint=self.kernel_constraint)
        bias = self.add_weight(name="attention_output/bias", shape=(out_dim,), initializer=self.bias_initializer,
                               regularizer=self.bias_regularizer, constraint=self.bias_constraint) \
            if self.use_bias else None
        self._o = (kernel, bias)
        self.built = True

    def _maybe_build(self, inputs):
        """Built in ``call``, where the value and key shapes are known too."""

    @staticmethod
    def _heads(x, proj):
        """(B, T, F) -> (B, heads, T, dim)."""
        kernel, bias = proj
        f, h, d = kernel.shape
        y = _core.matmul(x, _core.reshape(kernel, [f, h * d]))
        if bias is not None:
            y = _core.add(y, _core.reshape(bias, [h * d]))
        return _core.transpose(_core.reshape(y, [x.shape[0], x.shape[1], h, d]), [0, 2, 1, 3])

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None, attention_mask=None,
             return_attention_scores=False, training=None, use_causal_mask=False):
        if not self.built:
            self.build(tuple(query.shape), tuple(value.shape), None if key is None else tuple(key.shape))
        key_given = key is not None
        key = value if key is None else key
        query_mask = getattr(query, "_keras_mask", None) if query_mask is None else query_mask
        value_mask = getattr(value, "_keras_mask", None) if value_mask is None else value_mask
        if key_given and key is not value and key_mask is None:
            key_mask = getattr(key, "_keras_mask", None)
        tq, tk = query.shape[1], key.shape[1]
        keep = None  # (B, Tq, Tk): queries as rows, keys as columns
        for m, axis in ((query_mask, -1), (value_mask, -2), (key_mask, -2)):
            if m is not None:
                keep = _and(keep, _core.expand_dims(m, axis))
        if use_causal_mask:
            keep = _and(keep, _causal(tq, tk))
        keep = _and(attention_mask, keep)
        q = _core.multiply(self._heads(query, self._q), 1.0 / math.sqrt(self.key_dim))
        k = self._heads(key, self._k)
        v = self._heads(value, self._v)
        scores = _core.matmul(q, k, transpose_b=True)  # (B, heads, Tq, Tk)
        probs = _masked_softmax(scores, None if keep is None else _core.expand_dims(keep, 1))
        dropped = self._dropout_layer(probs, training=training)
        ctx = _core.matmul(dropped, v)  # (B, heads, Tq, dv)
        ctx = _core.reshape(_core.transpose(ctx, [0, 2, 1, 3]), [query.shape[0], tq, self.num_heads * self.value_dim])
        kernel, bias = self._o
        out = _core.matmul(ctx, _core.reshape(kernel, [self.num_heads * self.value_dim, self._out_dim]))
        if bias is not None:
            out = _core.add(out, bias)
        return (out, probs) if return_attention_scores else out

    def compute_mask(self, inputs, mask=None):
        return mask[0] if isinstance(mask, (list, tuple)) else mask

    def get_config(self):
        config = super().get_config()
        config.update({
            "num_heads": self.num_heads, "key_dim": self.key_dim, "value_dim": self.value_dim,
            "dropout": self.dropout, "use_bias": self.use_bias, "output_shape": self._output_shape,
            "attention_axes": self.attention_axes,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": None, "bias_constraint": None, "seed": self.seed,
        })
        return config


class Attention(Layer):
    """Dot-product attention (Luong style): ``softmax(query @ key^T) @ value``.

    Args:
      use_scale: learn a scalar that multiplies the scores. score_mode: ``"dot"`` or ``"concat"``
        (``sum(tanh(query + key))`` times a learned scalar). dropout: on the attention weights (training only).

    ``call([query, value(, key)], mask=[query_mask, value_mask], return_attention_scores=False, training=None,
    use_causal_mask=False)``: masked values get no weight, masked queries output zeros.
    """

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        if score_mode not in ("dot", "concat"):
            raise ValueError("Invalid value for argument score_mode. Expected one of {'dot', 'concat'}. "
                             "Received: score_mode=%s" % (score_mode,))
        self.use_scale = use_scale
        self.score_mode = score_mode
        self.dropout = float(dropout)
        self.seed = seed
        self._dropout_layer = Dropout(self.dropout, seed=seed)
        self.supports_masking = True

    def build(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or not isinstance(input_shape[0], (list, tuple)) \
                or len(input_shape) not in (2, 3):
            raise ValueError("Attention layer must be called on a list of inputs, namely [query, value] or "
                             "[query, value, key]. Received: %s" % (input_shape,))
        self.scale = self.add_weight(name="scale", shape=(), initializer="ones") if self.use_scale else None
        self.concat_score_weight = self.add_weight(name="concat_score_weight", shape=(), initializer="ones") \
            if self.score_mode == "concat" else None
        self.built = True

    def call(self, inputs, mask=None, training=None, return_attention_scores=False, use_causal_mask=False):
        if not isinstance(inputs, (list, tuple)) or len(inputs) not in (2, 3):
            raise ValueError("Attention layer must be called on a list of inputs, namely [query, value] or "
                             "[query, value, key].")
        q, v = inputs[0], inputs[1]
        k = inputs[2] if len(inputs) > 2 else v
        q_mask, v_mask = (list(mask) + [None, None])[:2] if isinstance(mask, (list, tuple)) else (None, None)
        if self.score_mode == "dot":
            scores = _core.matmul(q, k, transpose_b=True)
            if self.scale is not None:
                scores = _core.multiply(scores, self.scale)
        else:
            s = _core.add(_core.expand_dims(q, -2), _core.expand_dims(k, -3))
            if self.scale is not None:
                s = _core.multiply(s, self.scale)
            scores = _core.multiply(self.concat_score_weight, _core.reduce_sum(_core.tanh(s), -1))
        keep = None if v_mask is None else _core.expand_dims(_core.cast(v_mask, "bool"), -2)
        if use_causal_mask:
            keep = _and(keep, _causal(scores.shape[-2], scores.shape[-1]))
        weights = _masked_softmax(scores, keep)
        out = _core.matmul(self._dropout_layer(weights, training=training), v)
        if q_mask is not None:
            out = _core.multiply(out, _core.expand_dims(_core.cast(q_mask, out.dtype.name), -1))
        return [out, weights] if return_attention_scores else out

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)) and mask and mask[0] is not None:
            return _core.cast(mask[0], "bool")
        return None

    def get_config(self):
        config = super().get_config()
        config.update({"use_scale": self.use_scale, "score_mode": self.score_mode, "dropout": self.dropout,
                       "seed": self.seed})
        return config
