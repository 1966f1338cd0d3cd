"""The layer behind operators on KerasTensors (``x + y``, ``x[:, 0]``) in functional models."""
from tapeflow.keras.layers.layer import Layer


class OpLayer(Layer):
    """Applies a tensor function; made automatically, not by users."""

    def __init__(self, fn, **kwargs):
        super().__init__(**kwargs)
        self.fn = fn

    def call(self, *args, **kwargs):
        return self.fn(*args, **kwargs)

    def get_config(self):
        config = super().get_config()
        config["function"] = getattr(self.fn, "__name__", None)
        return config
