"""keras.models."""
from tapeflow.keras.models.model import Model
from tapeflow.keras.models.functional import Functional
from tapeflow.keras.models.sequential import Sequential

__all__ = ["Model", "Functional", "Sequential"]
