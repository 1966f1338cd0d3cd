"""keras.layers.PReLU."""
from tapeflow import _core
from tapeflow.keras import initializers, regularizers
from tapeflow.keras.layers.layer import Layer


class PReLU(Layer):
    """Parametric ReLU: x for x >= 0, ``alpha * x`` below, with ``alpha`` a learned weight of the input's shape
    without the batch axis (size 1 on ``shared_axes``).

    Args:
      alpha_initializer, alpha_regularizer, alpha_constraint: of the ``alpha`` weight (zeros by default; the
        constraint is not saved in the config).
      shared_axes: axes (1-based, after the batch axis) that share one alpha, e.g. the spatial axes of images.

    Input shape: any, with a batch axis. Output shape: the input's.
    """

    def __init__(self, alpha_initializer="Zeros", alpha_regularizer=None, alpha_constraint=None, shared_axes=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = alpha_constraint  # a callable projection, applied by optimizers
        if shared_axes is None or isinstance(shared_axes, (list, tuple)):
            self.shared_axes = None if shared_axes is None else list(shared_axes)
        else:
            self.shared_axes = [shared_axes]

    def build(self, input_shape):
        shape = list(input_shape[1:])
        for axis in self.shared_axes or ():
            if not 1 <= axis < len(input_shape):
                raise ValueError("shared_axes %s do not fit an input of rank %d" % (self.shared_axes, len(input_shape)))
            shape[axis - 1] = 1
        if any(d is None for d in shape):
            raise ValueError("PReLU needs the input's dimensions after the batch axis (or those axes shared), got "
                             "input shape %s" % (tuple(input_shape),))
        self.alpha = self.add_weight(name="alpha", shape=shape, initializer=self.alpha_initializer,
                                     regularizer=self.alpha_regularizer, constraint=self.alpha_constraint)
        self.built = True

    def call(self, inputs):
        return _core.subtract(_core.relu(inputs), _core.multiply(self.alpha, _core.relu(_core.negative(inputs))))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"alpha_initializer": initializers.serialize(self.alpha_initializer),
                       "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
                       "alpha_constraint": None,  # as Dense: constraint objects are not serialized yet
                       "shared_axes": self.shared_axes})
        return config
