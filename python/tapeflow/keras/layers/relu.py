"""keras.layers.ReLU."""
from tapeflow.keras import activations
from tapeflow.keras.layers.layer import Layer


class ReLU(Layer):
    """Rectified linear unit with options: ``max_value`` where x >= max_value, x where threshold <= x < max_value,
    ``negative_slope * (x - threshold)`` below the threshold.

    Args:
      max_value: the largest output (None: unbounded); not negative.
      negative_slope: the slope below the threshold; not negative.
      threshold: where the unit turns on; not negative.

    Input shape: any. Output shape: the input's.
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        for name, value in (("max_value", max_value), ("negative_slope", negative_slope), ("threshold", threshold)):
            if (value is None and name != "max_value") or (value is not None and value < 0.0):
                raise ValueError("%s of a ReLU layer cannot be None or a negative value. Received: %s=%s"
                                 % (name, name, value))
        self.max_value, self.negative_slope, self.threshold = max_value, negative_slope, threshold
        self.supports_masking = True

    def call(self, inputs):
        return activations.relu(inputs, negative_slope=self.negative_slope, max_value=self.max_value,
                                threshold=self.threshold)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"max_value": self.max_value, "negative_slope": self.negative_slope,
                       "threshold": self.threshold})
        return config
