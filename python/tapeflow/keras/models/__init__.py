"""keras.models."""
import json

from tapeflow.keras.models.model import Model
from tapeflow.keras.models.functional import Functional
from tapeflow.keras.models.sequential import Sequential
from tapeflow.keras.models.cloning import clone_model
from tapeflow.keras.saving import load_model, save_model


def model_from_json(json_string, custom_objects=None):
    """A model (new weights) from the JSON string ``model.to_json()`` wrote."""
    from tapeflow.keras.saving.object_registration import CustomObjectScope
    from tapeflow.keras.saving.serialization import deserialize_keras_object
    with CustomObjectScope(custom_objects or {}):
        return deserialize_keras_object(json.loads(json_string), custom_objects)


def model_from_config(config, custom_objects=None):
    from tapeflow.keras.saving.serialization import deserialize_keras_object
    return deserialize_keras_object(config, custom_objects)


__all__ = ["Model", "Functional", "Sequential", "load_model", "save_model", "model_from_json", "model_from_config",
           "clone_model"]
