"""keras.layers: the layer catalogue."""
from tapeflow.keras.layers.layer import Layer
from tapeflow.keras.layers.input_spec import InputSpec
from tapeflow.keras.layers.input_layer import Input, InputLayer
from tapeflow.keras.layers.dense import Dense
from tapeflow.keras.layers.activation import Activation
from tapeflow.keras.layers.flatten import Flatten
from tapeflow.keras.layers.reshape import Reshape
from tapeflow.keras.layers.dropout import Dropout
from tapeflow.keras.layers.lambda_layer import Lambda
from tapeflow.keras.layers.merging import (Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract, add,
                                           average, concatenate, maximum, minimum, multiply, subtract)

__all__ = ["Layer", "InputSpec", "Input", "InputLayer", "Dense", "Activation", "Flatten", "Reshape", "Dropout",
           "Lambda", "Add", "Average", "Concatenate", "Maximum", "Minimum", "Multiply", "Subtract", "add", "average",
           "concatenate", "maximum", "minimum", "multiply", "subtract"]

_BY_NAME = {name: globals()[name] for name in __all__ if isinstance(globals()[name], type)}


def serialize(layer):
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def deserialize(config, custom_objects=None):
    """A layer from ``{"class_name": ..., "config": ...}``; ``custom_objects`` maps names of user classes."""
    name = config["class_name"]
    cls = (custom_objects or {}).get(name) or _BY_NAME.get(name)
    if cls is None:
        raise ValueError("Unknown layer: %r. Please ensure you are using a `keras.utils.custom_object_scope` and that "
                         "this object is included in the scope (or pass it in `custom_objects`)." % name)
    return cls.from_config(config["config"])
