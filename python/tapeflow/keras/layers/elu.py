"""keras.layers.ELU."""
from tapeflow.keras import activations
from tapeflow.keras.layers.layer import Layer


class ELU(Layer):
    """Exponential linear unit: x for x > 0, ``alpha * (exp(x) - 1)`` below.

    Args:
      alpha: the scale of the negative part (default 1.0).

    Input shape: any. Output shape: the input's.
    """

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = alpha
        self.supports_masking = True

    def call(self, inputs):
        return activations.elu(inputs, alpha=self.alpha)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config["alpha"] = self.alpha
        return config
