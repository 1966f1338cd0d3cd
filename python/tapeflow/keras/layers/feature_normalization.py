"""keras.layers.Normalization: the preprocessing layer that standardises features."""
import numpy as np

from tapeflow import _core
from tapeflow.keras import backend
from tapeflow.keras.layers.layer import Layer
from tapeflow.keras.layers.preprocessing._adapt import adapt_batches


class Normalization(Layer):
    """``(x - mean) / max(sqrt(variance), epsilon)`` with a mean and variance per position of ``axis`` (the
    others are averaged over), learned by ``adapt(data)`` or given; ``invert=True`` undoes it.

    Args:
      axis: the axis or axes that keep their own statistics (default -1, the features); None: one mean and
        variance for everything.
      mean, variance: fixed statistics (both or neither), broadcast over the kept axes.
      invert: apply the inverse, ``x * max(sqrt(variance), epsilon) + mean``.

    Input shape: any, with the kept axes known. Output shape: the input's (in the layer's float dtype).
    """

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        self.axis = () if axis is None else ((axis,) if isinstance(axis, int) else tuple(axis))
        if (mean is None) != (variance is None):
            raise ValueError("When setting values directly, both `mean` and `variance` must be set. Received: "
                             "mean=%s and variance=%s" % (mean, variance))
        if mean is not None and np.shape(mean) != np.shape(variance):
            raise ValueError("When setting values directly, `mean` and `variance` must have the same shape. "
                             "Received: mean shape %s and variance shape %s" % (np.shape(mean), np.shape(variance)))
        self.input_mean, self.input_variance, self.invert = mean, variance, invert
        self.supports_masking = True

    def build(self, input_shape):
        ndim = len(input_shape)
        if any(not -ndim <= a < ndim for a in self.axis):
            raise ValueError("All `axis` values must be in the range [-ndim, ndim). Received inputs with ndim=%d, "
                             "while axis=%s" % (ndim, self.axis))
        self._keep = tuple(sorted(a % ndim for a in self.axis))
        if any(input_shape[a] is None for a in self._keep):
            raise ValueError("All `axis` values to be kept must have a known shape. Received axis=%s, inputs.shape=%s"
                             % (self.axis, tuple(input_shape)))
        self._reduce = tuple(d for d in range(ndim) if d not in self._keep)
        self._broadcast = [input_shape[d] if d in self._keep else 1 for d in range(ndim)]
        stats_shape = tuple(input_shape[d] for d in self._keep)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(name="mean", shape=stats_shape, initializer="zeros", trainable=False)
            self.adapt_variance = self.add_weight(name="variance", shape=stats_shape, initializer="ones",
                                                  trainable=False)
            # Keras keeps a "count" weight at 0 for files of older versions; kept so that weights files match
            self.count = self.add_weight(name="count", shape=(), dtype="int64", initializer="zeros",
                                         trainable=False)
        self.built = True

    def _statistics(self):
        if self.input_mean is not None:
            return [_core.cast(_core.broadcast_to(_core.convert_to_tensor(np.asarray(v, "float64")),
                                                  self._broadcast), self.dtype)
                    for v in (self.input_mean, self.input_variance)]
        return [_core.cast(_core.reshape(v, self._broadcast), self.dtype)
                for v in (self.adapt_mean, self.adapt_variance)]

    @property
    def mean(self):
        """The mean, shaped to broadcast against the input (Keras's ``layer.mean``); None before build."""
        return self._statistics()[0] if self.built else None

    @property
    def variance(self):
        return self._statistics()[1] if self.built else None

    def adapt(self, data, batch_size=None, steps=None):
        """Learns the mean and variance of ``data``: an array or tensor, a ``tf.data.Dataset`` of batches (or of
        ``(x, y)`` batches), or any iterable of batches. Accumulated in float64 over every batch."""
        total = squares = None
        count = 0
        for batch in adapt_batches(data, steps):
            batch = batch.astype("float64")
            if batch.ndim == 1 and len(self.axis) == 1 and self.axis != (0,) and not self.built:
                batch = batch[:, None]  # a dataset of scalars: batched as features
            if not self.built:
                self.build(batch.shape)
            if self.input_mean is not None:
                raise ValueError("Cannot adapt a Normalization layer that was given a mean and a variance")
            s = batch.sum(axis=self._reduce)
            q = np.square(batch).sum(axis=self._reduce)
            n = int(np.prod([batch.shape[d] for d in self._reduce]))
            total, squares, count = (s, q, n) if total is None else (total + s, squares + q, count + n)
        if not count:
            raise ValueError("adapt() received no data")
        mean = total / count
        self.adapt_mean.assign(mean.astype("float32"))
        self.adapt_variance.assign(np.maximum(squares / count - np.square(mean), 0.0).astype("float32"))

    def call(self, inputs):
        x = _core.cast(_core.convert_to_tensor(inputs), self.dtype)
        mean, variance = self._statistics()
        scale = _core.maximum(_core.sqrt(variance), _core.cast(_core.convert_to_tensor(backend.epsilon()),
                                                                self.dtype))
        if self.invert:
            return _core.add(mean, _core.multiply(x, scale))
        return _core.divide(_core.subtract(x, mean), scale)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"axis": self.axis, "invert": self.invert,
                       "mean": None if self.input_mean is None else np.asarray(self.input_mean).tolist(),
                       "variance": None if self.input_variance is None else np.asarray(self.input_variance).tolist()})
        return config
