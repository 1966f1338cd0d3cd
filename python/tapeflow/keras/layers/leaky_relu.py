"""keras.layers.LeakyReLU."""
import warnings

from tapeflow.keras import activations
from tapeflow.keras.layers.layer import Layer


class LeakyReLU(Layer):
    """x for x >= 0, ``negative_slope * x`` below.

    Args:
      negative_slope: the slope below zero (default 0.3, as Keras); ``alpha`` is its deprecated name.

    Input shape: any. Output shape: the input's.
    """

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
            warnings.warn("Argument `alpha` is deprecated. Use `negative_slope` instead.", stacklevel=2)
        super().__init__(**kwargs)
        if negative_slope is None or negative_slope < 0:
            raise ValueError("The negative_slope value of a Leaky ReLU layer cannot be None or negative, got %r"
                             % (negative_slope,))
        self.negative_slope = negative_slope
        self.supports_masking = True

    def call(self, inputs):
        return activations.leaky_relu(inputs, negative_slope=self.negative_slope)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config["negative_slope"] = self.negative_slope
        return config
