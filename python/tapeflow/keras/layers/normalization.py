"""keras.layers.BatchNormalization, LayerNormalization and GroupNormalization (composed from tapeflow ops)."""
from tapeflow import _core
from tapeflow.keras import initializers, regularizers
from tapeflow.keras.layers.input_spec import InputSpec
from tapeflow.keras.layers.layer import Layer


def _axes(axis, ndim):
    axes = [axis] if isinstance(axis, int) else list(axis)
    out = sorted(a % ndim for a in axes)
    if any(a == 0 for a in out):
        raise ValueError("Normalization over the batch axis 0 is not allowed; got axis=%s" % (axis,))
    return out


def _param_shape(input_shape, axes):
    """Shape of gamma/beta broadcast against the input: the normalized axes kept, others 1."""
    return [input_shape[i] if i in axes else 1 for i in range(len(input_shape))]


class BatchNormalization(Layer):
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
        super().__init__(**kwargs)
        if synchronized:
            raise NotImplementedError("BatchNormalization(synchronized=True) needs several devices; tapeflow runs "
                                      "on one.")
        self.axis = axis
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center, self.scale = center, scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint, self.gamma_constraint = beta_constraint, gamma_constraint
        self.supports_masking = True

    def build(self, input_shape):
        ndim = len(input_shape)
        axis = self.axis % ndim if isinstance(self.axis, int) else self.axis
        dim = input_shape[axis]
        if dim is None:
            raise ValueError("Axis %s of input tensor should have a defined dimension but the layer received an "
                             "input with shape %s." % (self.axis, input_shape))
        self._axis = axis
        self._reduce = [i for i in range(ndim) if i != axis]
        self.gamma = self.add_weight(name="gamma", shape=(dim,), initializer=self.gamma_initializer,
                                     regularizer=self.gamma_regularizer, constraint=self.gamma_constraint) \
            if self.scale else None
        self.beta = self.add_weight(name="beta", shape=(dim,), initializer=self.beta_initializer,
                                    regularizer=self.beta_regularizer, constraint=self.beta_constraint) \
            if self.center else None
        self.moving_mean = self.add_weight(name="moving_mean", shape=(dim,), initializer=self.moving_mean_initializer,
                                           trainable=False)
        self.moving_variance = self.add_weight(name="moving_variance", shape=(dim,),
                                               initializer=self.moving_variance_initializer, trainable=False)
        self.input_spec = InputSpec(ndim=ndim, axes={axis: dim})
        self.built = True

    def _broadcast(self, v, ndim):
        return v if self._axis == ndim - 1 else _core.reshape(v, [-1 if i == self._axis else 1 for i in range(ndim)])

    def call(self, inputs, training=None, mask=None):
        x = inputs
        ndim = x.ndim
        if training and self.trainable:
            mean = _core.reduce_mean(x, self._reduce, False)
            variance = _core.reduce_mean(_core.square(_core.subtract(x, self._broadcast(mean, ndim))), self._reduce,
                                         False)
            m = self.momentum
            self.moving_mean.assign(_core.add(_core.multiply(self.moving_mean, m),
                                              _core.multiply(_core.stop_gradient(mean), 1.0 - m)))
            self.moving_variance.assign(_core.add(_core.multiply(self.moving_variance, m),
                                                  _core.multiply(_core.stop_gradient(variance), 1.0 - m)))
        else:
            mean, variance = self.moving_mean, self.moving_variance
        inv = _core.rsqrt(_core.add(variance, self.epsilon))
        if self.gamma is not None:
            inv = _core.multiply(inv, self.gamma)
        shift = _core.multiply(mean, inv)
        if self.beta is not None:
            shift = _core.subtract(self.beta, shift)
        else:
            shift = _core.negative(shift)
        return _core.add(_core.multiply(x, self._broadcast(inv, ndim)), self._broadcast(shift, ndim))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({
            "axis": self.axis, "momentum": self.momentum, "epsilon": self.epsilon, "center": self.center,
            "scale": self.scale, "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": None, "gamma_constraint": None, "synchronized": False,
        })
        return config


class LayerNormalization(Layer):
    """Normalizes each sample over ``axis`` (default the last): ``gamma * (x - mean) / sqrt(var + epsilon) +
    beta``, with gamma and beta of the normalized axes' shape."""

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, rms_scaling=False, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        super().__init__(**kwargs)
        if rms_scaling:
            raise NotImplementedError("LayerNormalization(rms_scaling=True) is not supported in this version of "
                                      "tapeflow.")
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else axis
        self.epsilon = float(epsilon)
        self.center, self.scale = center, scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint, self.gamma_constraint = beta_constraint, gamma_constraint
        self.supports_masking = True

    def build(self, input_shape):
        self._axes = _axes(self.axis, len(input_shape))
        shape = tuple(input_shape[a] for a in self._axes)
        if any(d is None for d in shape):
            raise ValueError("LayerNormalization needs defined sizes on the normalized axes; got input shape %s"
                             % (input_shape,))
        self.gamma = self.add_weight(name="gamma", shape=shape, initializer=self.gamma_initializer,
                                     regularizer=self.gamma_regularizer, constraint=self.gamma_constraint) \
            if self.scale else None
        self.beta = self.add_weight(name="beta", shape=shape, initializer=self.beta_initializer,
                                    regularizer=self.beta_regularizer, constraint=self.beta_constraint) \
            if self.center else None
        self._param_shape = _param_shape(list(input_shape), self._axes)
        self.built = True

    def call(self, inputs):
        x = inputs
        mean = _core.reduce_mean(x, self._axes, True)
        centered = _core.subtract(x, mean)
        variance = _core.reduce_mean(_core.square(centered), self._axes, True)
        y = _core.multiply(centered, _core.rsqrt(_core.add(variance, self.epsilon)))
        shape = [1] + self._param_shape[1:]
        if self.gamma is not None:
            y = _core.multiply(y, _core.reshape(self.gamma, shape))
        if self.beta is not None:
            y = _core.add(y, _core.reshape(self.beta, shape))
        return y

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({
            "axis": self.axis, "epsilon": self.epsilon, "center": self.center, "scale": self.scale,
            "rms_scaling": False, "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": None, "gamma_constraint": None,
        })
        return config


class GroupNormalization(Layer):
    """Splits the channels (``axis``) into ``groups`` groups and normalizes each sample over each group's
    channels and all other non-batch axes; gamma and beta are per channel."""

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self.groups = int(groups)
        self.axis = axis
        self.epsilon = float(epsilon)
        self.center, self.scale = center, scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint, self.gamma_constraint = beta_constraint, gamma_constraint

    def build(self, input_shape):
        ndim = len(input_shape)
        self._axis = self.axis % ndim
        channels = input_shape[self._axis]
        if channels is None:
            raise ValueError("Axis %s of input tensor should have a defined dimension but the layer received an "
                             "input with shape %s." % (self.axis, input_shape))
        if channels < self.groups:
            raise ValueError("Number of groups (%d) cannot be more than the number of channels (%d)."
                             % (self.groups, channels))
        if channels % self.groups:
            raise ValueError("Number of groups (%d) must be a multiple of the number of channels (%d)."
                             % (self.groups, channels))
        self.gamma = self.add_weight(name="gamma", shape=(channels,), initializer=self.gamma_initializer,
                                     regularizer=self.gamma_regularizer, constraint=self.gamma_constraint) \
            if self.scale else None
        self.beta = self.add_weight(name="beta", shape=(channels,), initializer=self.beta_initializer,
                                    regularizer=self.beta_regularizer, constraint=self.beta_constraint) \
            if self.center else None
        self.input_spec = InputSpec(ndim=ndim, axes={self._axis: channels})
        self.built = True

    def call(self, inputs):
        x = inputs
        shape = list(x.shape)
        ndim, axis = len(shape), self._axis
        channels = shape[axis]
        grouped = shape[:axis] + [self.groups, channels // self.groups] + shape[axis + 1:]
        g = _core.reshape(x, grouped)
        reduce = [i for i in range(1, ndim + 1) if i != axis]  # all but the batch and the group axis
        mean = _core.reduce_mean(g, reduce, True)
        centered = _core.subtract(g, mean)
        variance = _core.reduce_mean(_core.square(centered), reduce, True)
        y = _core.reshape(_core.multiply(centered, _core.rsqrt(_core.add(variance, self.epsilon))), shape)
        param_shape = [channels if i == axis else 1 for i in range(ndim)]
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
            "groups": self.groups, "axis": self.axis, "epsilon": self.epsilon, "center": self.center,
            "scale": self.scale, "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": None, "gamma_constraint": None,
        })
        return config
