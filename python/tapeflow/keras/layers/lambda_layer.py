"""keras.layers.Lambda."""
import inspect

from tapeflow.keras.layers.layer import Layer


class Lambda(Layer):
    """Wraps a function of tensors as a layer: ``Lambda(lambda x: x ** 2)``.

    Args:
      function: called as ``function(inputs, **arguments)``.
      output_shape: optional; otherwise inferred by running the function.
      arguments: optional keyword arguments for the function.
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError("Lambda expects a callable `function`, got %r" % (function,))
        self.function = function
        self.arguments = dict(arguments or {})
        self._output_shape = output_shape
        try:
            self._fn_takes_training = "training" in inspect.signature(function).parameters
        except (TypeError, ValueError):
            self._fn_takes_training = False

    def call(self, inputs, training=None):
        kwargs = dict(self.arguments)
        if self._fn_takes_training:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_output_spec(self, *args, **kwargs):
        if self._output_shape is not None and not callable(self._output_shape):
            from tapeflow.keras.engine.keras_tensor import KerasTensor
            first = args[0]
            return KerasTensor((first.shape[0],) + tuple(self._output_shape), self.dtype)
        return self._spec_by_running(args, kwargs)

    def get_config(self):
        from tapeflow.keras.saving.serialization import serialize_function
        config = super().get_config()
        config.update({"function": serialize_function(self.function), "arguments": self.arguments,
                       "output_shape": self._output_shape})
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """A Python lambda in the config loads only with ``safe_mode=False`` (it is code from the file)."""
        from tapeflow.keras.saving.serialization import deserialize_function
        config = dict(config)
        config["function"] = deserialize_function(config["function"], custom_objects)
        for key in ("function_type", "module", "output_shape_type", "output_shape_module"):  # tf.keras 2 keys
            config.pop(key, None)
        if isinstance(config.get("output_shape"), list):
            config["output_shape"] = tuple(config["output_shape"])
        return cls(**config)
