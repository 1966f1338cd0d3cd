"""keras.callbacks: hooks into fit / evaluate / predict."""
from tapeflow.keras.callbacks.base import Callback, CallbackList, History, ProgbarLogger
from tapeflow.keras.callbacks.checkpoint import BackupAndRestore, ModelCheckpoint
from tapeflow.keras.callbacks.monitoring import (CSVLogger, EarlyStopping, LambdaCallback, LearningRateScheduler,
                                                 ReduceLROnPlateau, TerminateOnNaN)
from tapeflow.keras.callbacks.tensorboard import TensorBoard

__all__ = ["Callback", "CallbackList", "History", "ProgbarLogger", "BackupAndRestore", "ModelCheckpoint", "CSVLogger",
           "EarlyStopping", "LambdaCallback", "LearningRateScheduler", "ReduceLROnPlateau", "TerminateOnNaN",
           "TensorBoard"]
