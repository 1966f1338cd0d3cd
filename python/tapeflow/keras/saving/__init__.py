"""keras.saving: saving and loading models, and registering custom objects for it."""
from tapeflow.keras.saving.object_registration import (CustomObjectScope, custom_object_scope, get_custom_objects,
                                                       get_registered_name, get_registered_object,
                                                       register_keras_serializable)
from tapeflow.keras.saving.saving_lib import load_model, load_weights, save_model, save_weights
from tapeflow.keras.saving.serialization import deserialize_keras_object, serialize_keras_object

__all__ = ["CustomObjectScope", "custom_object_scope", "get_custom_objects", "get_registered_name",
           "get_registered_object", "register_keras_serializable", "load_model", "load_weights", "save_model",
           "save_weights", "deserialize_keras_object", "serialize_keras_object"]
