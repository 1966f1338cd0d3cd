"""keras.layers.BatchNormalization, LayerNormalization and GroupNormalization (composed from tapeflow ops)."""
from tapeflow import _core
from tapeflow.keras import initializers, regularizers
from tapeflow.keras.layers.input_spec import InputSpec
from tapeflow.keras.layers.layer import Layer


def _standardize(x, axes, epsilon):
    """(x - mean) / sqrt(var + epsilon), the statistics over ``axes`` (kept for broadcasting)."""
    centered = _core.subtract(x, _core.reduce_mean(x, axes, True))
    variance = _core.reduce_mean(_core.square(centered), axes, True)
    return _core.multiply(centered, _core.rsqrt(_core.add(variance, epsilon)))


class _Normalization(Layer):
    """What the normalization layers share: ``epsilon`` and the learned scale ``gamma`` (``scale=True``) and
    offset ``beta`` (``center=True``), with their initializers, regularizers and constraints."""

    def __init__(self, epsilon, center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                 gamma_regularizer, beta_constraint, gamma_constraint, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)
        self.center, self.scale = center, scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint, self.gamma_constraint = beta_constraint, gamma_constraint
        self.supports_masking = True

    def _add_gamma_beta(self, shape):
        self.gamma = self.add_weight(name="gamma", shape=shape, initializer=self.gamma_initializer,
                                     regularizer=self.gamma_regularizer, constraint=self.gamma_constraint) \
            if self.scale else None
        self.beta = self.add_weight(name="beta", shape=shape, initializer=self.beta_initializer,
                                    regularizer=self.beta_regularizer, constraint=self.beta_constraint) \
            if self.center else None

    def _scale_and_shift(self, y, param_shape):
        """gamma * y + beta, with gamma and beta reshaped to ``param_shape`` for broadcasting."""
        if self.gamma is not None:
            y = _core.multiply(y, _core.reshape(self.gamma, param_shape))
        if self.beta is not None:
            y = _core.add(y, _core.reshape(self.beta, param_shape))
        return y

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({
            "epsilon": self.epsilon, "center": self.center, "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": None, "gamma_constraint": None,
        })
        return config


def _feature_axis(layer, input_shape):
    """``layer.axis`` as a non-negative index, after checking the input defines its size."""
    axis = layer.axis % len(input_shape)
    if input_shape[axis] is None:
        raise ValueError("Axis %s of input tensor should have a defined dimension but the layer received an input "
                         "with shape %s." % (layer.axis, input_shape))
    return axis


class BatchNormalization(_Normalization):
    """Normalizes each feature (along ``axis``) by the batch statistics during training (``training=True``)
    and by moving averages of them at inference: ``gamma * (x - mean) / sqrt(var + epsilon) + beta``.

    Args:
      axis: the feature axis (default -1, channels last).
      momentum: moving statistics update as ``moving = moving * momentum + batch * (1 - momentum)``.
      epsilon: added to the variance.
      center, scale: whether to learn beta and gamma.

    Weights (in this order): gamma, beta (trainable), moving_mean, moving_variance (non-trainable).
    A frozen layer (``trainable=False``) uses the moving statistics even when training, as tf.keras does.
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 synchronized=False, **kwargs):
        super().__init__(epsilon, center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                         gamma_regularizer, beta_constraint, gamma_constraint, **kwargs)
        if synchronized:
            raise NotImplementedError("BatchNormalization(synchronized=True) needs several devices; tapeflow runs "
                                      "on one.")
        self.axis = axis
        self.momentum = float(momentum)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)

    def build(self, input_shape):
        ndim = len(input_shape)
        self._axis = _feature_axis(self, input_shape)
        dim = input_shape[self._axis]
        self._add_gamma_beta((dim,))
        self.moving_mean = self.add_weight(name="moving_mean", shape=(dim,), initializer=self.moving_mean_initializer,
                                           trainable=False)
        self.moving_variance = self.add_weight(name="moving_variance", shape=(dim,),
                                               initializer=self.moving_variance_initializer, trainable=False)
        self.input_spec = InputSpec(ndim=ndim, axes={self._axis: dim})
        self.built = True

    def _broadcast(self, v, ndim):
        return v if self._axis == ndim - 1 else _core.reshape(v, [-1 if i == self._axis else 1 for i in range(ndim)])

    def call(self, inputs, training=None, mask=None):
        x = inputs
        ndim = x.ndim
        if training and self.trainable:  # one fused C++ op: batch statistics, normalization and its gradient
            y, mean, variance = _core._batch_norm(x, self.gamma, self.beta, self._axis, self.epsilon)
            m = self.momentum
            self.moving_mean.assign(_core.add(_core.multiply(self.moving_mean, m),
                                              _core.multiply(_core.stop_gradient(mean), 1.0 - m)))
            self.moving_variance.assign(_core.add(_core.multiply(self.moving_variance, m),
                                                  _core.multiply(_core.stop_gradient(variance), 1.0 - m)))
            return y
        mean, variance = self.moving_mean, self.moving_variance
        # One multiply-add over x: x * (gamma / sqrt(var + eps)) + (beta - mean * gamma / sqrt(var + eps)).
        inv = _core.rsqrt(_core.add(variance, self.epsilon))
        if self.gamma is not None:
            inv = _core.multiply(inv, self.gamma)
        shift = _core.negative(_core.multiply(mean, inv))
        if self.beta is not None:
            shift = _core.add(shift, self.beta)
        return _core.add(_core.multiply(x, self._broadcast(inv, ndim)), self._broadcast(shift, ndim))

    def get_config(self):
        config = super().get_config()
        config.update({
            "axis": self.axis, "momentum": self.momentum,
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
            "synchronized": False,
        })
        return config


class LayerNormalization(_Normalization):
    """Normalizes each sample over ``axis`` (default the last): ``gamma * (x - mean) / sqrt(var + epsilon) +
    beta``, with gamma and beta of the normalized axes' shape."""

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, rms_scaling=False, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        super().__init__(epsilon, center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                         gamma_regularizer, beta_constraint, gamma_constraint, **kwargs)
        if rms_scaling:
            raise NotImplementedError("LayerNormalization(rms_scaling=True) is not supported in this version of "
                                      "tapeflow.")
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else axis

    def build(self, input_shape):
        ndim = len(input_shape)
        axes = sorted(a % ndim for a in ([self.axis] if isinstance(self.axis, int) else self.axis))
        if 0 in axes:
            raise ValueError("Normalization over the batch axis 0 is not allowed; got axis=%s" % (self.axis,))
        shape = tuple(input_shape[a] for a in axes)
        if any(d is None for d in shape):
            raise ValueError("LayerNormalization needs defined sizes on the normalized axes; got input shape %s"
                             % (input_shape,))
        self._axes = axes
        self._add_gamma_beta(shape)
        self._param_shape = [1] + [input_shape[i] if i in axes else 1 for i in range(1, ndim)]
        self.built = True

    def call(self, inputs):
        return self._scale_and_shift(_standardize(inputs, self._axes, self.epsilon), self._param_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"axis": self.axis, "rms_scaling": False})
        return config


class GroupNormalization(_Normalization):
    """Splits the channels (``axis``) into ``groups`` groups and normalizes each sample over each group's
    channels and all other non-batch axes; gamma and beta are per channel."""

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        super().__init__(epsilon, center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                         gamma_regularizer, beta_constraint, gamma_constraint, **kwargs)
        self.groups = int(groups)
        self.axis = axis

    def build(self, input_shape):
        ndim = len(input_shape)
        self._axis = _feature_axis(self, input_shape)
        channels = input_shape[self._axis]
        if channels < self.groups:
            raise ValueError("Number of groups (%d) cannot be more than the number of channels (%d)."
                             % (self.groups, channels))
        if channels % self.groups:
            raise ValueError("Number of groups (%d) must be a multiple of the number of channels (%d)."
                             % (self.groups, channels))
        self._add_gamma_beta((channels,))
        self.input_spec = InputSpec(ndim=ndim, axes={self._axis: channels})
        self.built = True

    def call(self, inputs):
        shape = list(inputs.shape)
        ndim, axis = len(shape), self._axis
        channels = shape[axis]
        grouped = _core.reshape(inputs, shape[:axis] + [self.groups, channels // self.groups] + shape[axis + 1:])
        reduce = [i for i in range(1, ndim + 1) if i != axis]  # all but the batch and the group axis
        y = _core.reshape(_standardize(grouped, reduce, self.epsilon), shape)
        return self._scale_and_shift(y, [channels if i == axis else 1 for i in range(ndim)])

    def get_config(self):
        config = super().get_config()
        config.update({"groups": self.groups, "axis": self.axis})
        return config
