"""keras.layers.Activation."""
from tapeflow.keras import activations
from tapeflow.keras.layers.layer import Layer


class Activation(Layer):
    """Applies an activation function (a name such as ``"relu"``, or a callable).

    Input shape: any. Output shape: the input's.
    """

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config["activation"] = activations.serialize(self.activation)
        return config
