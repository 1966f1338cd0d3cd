"""Keras 3's categorical preprocessing layers for numbers: CategoryEncoding and Discretization (IntegerLookup is
in index_lookup.py).

Their calls are tapeflow ops (comparisons, one_hot, reductions), so they run inside models, in replayed steps and
in ``tf.data`` ``map`` alike; ``adapt`` runs in NumPy over the data's batches."""

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
