"""keras.optimizers."""
from tapeflow.keras.optimizers import schedules
from tapeflow.keras.optimizers.base import Optimizer
from tapeflow.keras.optimizers.sgd import SGD
from tapeflow.keras.optimizers.rmsprop import RMSprop
from tapeflow.keras.optimizers.adam import Adam, Adamax, AdamW, Nadam
from tapeflow.keras.optimizers.adagrad import Adadelta, Adagrad

_BY_NAME = {c.__name__.lower(): c for c in (SGD, RMSprop, Adam, AdamW, Adamax, Nadam, Adagrad, Adadelta)}


def get(identifier):
    """An optimizer from a name (``"adam"``, ``"sgd"``), a config dict or an Optimizer."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier.lower())
        if cls is None:
            raise ValueError("Could not interpret optimizer identifier: %r" % (identifier,))
        return cls()
    if isinstance(identifier, dict):
        cls = _BY_NAME.get(str(identifier.get("class_name", "")).lower())
        if cls is None:
            raise ValueError("Could not interpret optimizer identifier: %r" % (identifier,))
        return cls.from_config(identifier.get("config", {}))
    raise ValueError("Could not interpret optimizer identifier: %r" % (identifier,))


def serialize(optimizer):
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


deserialize = get
