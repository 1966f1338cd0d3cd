"""tapeflow.keras: the Keras API. ``from tapeflow import keras`` and use it as ``tf.keras``."""
from tapeflow.keras import (activations, backend, callbacks, initializers, layers, losses, metrics, models, ops,
                            optimizers, preprocessing, random, regularizers, saving, utils)
from tapeflow.keras.layers import Input, InputLayer, Layer
from tapeflow.keras.models import Model, Sequential
from tapeflow.keras.engine.keras_tensor import KerasTensor
from tapeflow.keras import applications  # noqa: E402 (builds on models and layers)



def __getattr__(name):
    if name == "datasets":
        import importlib
        return importlib.import_module("tapeflow.keras.datasets")
    raise AttributeError("module 'tapeflow.keras' has no attribute %r" % name)


__all__ = ["activations", "backend", "callbacks", "initializers", "layers", "losses", "metrics", "models", "ops",
           "optimizers", "preprocessing", "random", "regularizers", "saving", "utils", "Input", "InputLayer", "Layer", "Model", "Sequential", "KerasTensor"]
