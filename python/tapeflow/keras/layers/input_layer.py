"""keras.Input and InputLayer: the entry points of a functional model."""
from tapeflow import dtypes as _dtypes
from tapeflow.keras import backend
from tapeflow.keras.engine.keras_tensor import KerasTensor, Node
from tapeflow.keras.layers.layer import Layer


class InputLayer(Layer):
    """A layer with no weights whose output is the symbolic input of a model.

    Args:
      shape: the shape of one sample (without the batch dimension).
      batch_size: an optional fixed batch size.
      dtype: the input's dtype (default floatx).
      name: the layer's name (default ``input_layer``, ``input_layer_1``, ...).
    """

    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, input_tensor=None,
                 name=None, input_shape=None, batch_input_shape=None, **kwargs):
        kwargs.pop("ragged", None)
        shape = shape if shape is not None else input_shape
        batch_shape = batch_shape if batch_shape is not None else batch_input_shape
        if shape is not None and batch_shape is not None:
            raise ValueError("You cannot pass both `shape` and `batch_shape` at the same time.")
        if batch_shape is None:
            if shape is None and input_tensor is None:
                raise ValueError("You must pass a `shape` argument.")
            if shape is not None:
                batch_shape = (batch_size,) + tuple(backend.standardize_shape(shape))
        if input_tensor is not None:
            batch_shape = tuple(input_tensor.shape)
            dtype = dtype or input_tensor.dtype
        super().__init__(name=name or backend.unique_name("input_layer"), dtype=dtype, **kwargs)
        self._batch_shape = tuple(backend.standardize_shape(batch_shape))
        self.built = True
        dtype = _dtypes.as_dtype(dtype).name if dtype is not None else backend.floatx()
        self._input_dtype = dtype
        self._output = KerasTensor(self._batch_shape, dtype, name=self._name)
        Node(self, (), {}, self._output)

    batch_shape = property(lambda self: self._batch_shape)
    dtype = property(lambda self: self._input_dtype)

    def call(self, inputs):
        return inputs

    def get_config(self):
        return {"batch_shape": self._batch_shape, "dtype": self._input_dtype, "sparse": False, "name": self._name}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if "batch_input_shape" in config:
            config["batch_shape"] = config.pop("batch_input_shape")
        return cls(**config)


def Input(shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, name=None, tensor=None, **kwargs):
    """A symbolic input tensor: ``keras.Input(shape=(3,))`` has shape ``(None, 3)``."""
    return InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, batch_shape=batch_shape, name=name,
                      input_tensor=tensor, **kwargs)._output
