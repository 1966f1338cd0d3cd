"""keras.preprocessing.sequence."""
from tapeflow.keras.utils.sequences import pad_sequences

__all__ = ["pad_sequences"]
