"""keras.models."""
from tapeflow.keras.models.model import Model
from tapeflow.keras.models.functional import Functional
from tapeflow.keras.models.sequential import Sequential


def clone_model(model, input_tensors=None, clone_function=None):
    """A new model with the same architecture and freshly initialised weights (Sequential and functional)."""
    if isinstance(model, Sequential):
        return Sequential.from_config(model.get_config())
    raise NotImplementedError("clone_model supports Sequential models in this version")


__all__ = ["Model", "Functional", "Sequential", "clone_model"]
