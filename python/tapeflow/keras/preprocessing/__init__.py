"""keras.preprocessing (the tf.keras 2 location of ``sequence.pad_sequences``)."""
from tapeflow.keras.preprocessing import sequence

__all__ = ["sequence"]
