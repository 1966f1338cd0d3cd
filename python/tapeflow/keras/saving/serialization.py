"""Configs of layers and models as JSON-ready dicts, and objects back from them.

The format is Keras 3's (``{"module", "class_name", "config", "registered_name",
"build_config"}``); the older tf.keras 2 form (``{"class_name", "config"}``) is read
too, so files written by either load here."""
import base64
import builtins
import contextlib
import inspect
import marshal
import threading
import types

from tapeflow.framework import TensorShape

from tapeflow.keras.saving.object_registration import get_registered_name, get_registered_object

# Keras config keys tapeflow accepts and ignores when they hold their default values.
_IGNORED_DEFAULTS = {"quantization_config": None, "ragged": False, "optional": False, "lora_rank": None,
                     "lora_alpha": None, "sparse": False}


def _builtin_classes():  # imported late: the layer modules import this one
    from tapeflow.keras import layers, models
    table = dict(layers._BY_NAME)
    table.update({"Sequential": models.Sequential, "Functional": models.Functional, "Model": models.Functional})
    return table


def _module_of(obj):
    """The module Keras 3 writes for the class (so Keras 3 reads tapeflow's files too)."""
    from tapeflow.keras import layers, models
    if type(obj) is models.Functional:
        return "keras.src.models.functional"
    if type(obj) is models.Sequential:
        return "keras"
    if type(obj).__name__ in layers._BY_NAME and layers._BY_NAME[type(obj).__name__] is type(obj):
        return "keras.layers"
    return type(obj).__module__


def serialize_keras_object(obj):
    """A layer or model as ``{"module", "class_name", "config", "registered_name", "build_config"}``."""
    cls = type(obj)
    registered = get_registered_name(cls)
    out = {"module": _module_of(obj), "class_name": cls.__name__, "config": obj.get_config(),
           "registered_name": registered if registered != cls.__name__ or cls.__name__ == "Functional" else None}
    shape = getattr(obj, "_build_input_shape", None)
    if shape is not None:
        out["build_config"] = {"input_shape": shape}
    return out


def _strip_ignored(config):
    for key, default in _IGNORED_DEFAULTS.items():
        if key in config and config[key] == default:
            del config[key]
    return config


def resolve_class(spec, custom_objects=None):
    """The class a serialized ``spec`` names; a ValueError naming it when it is unknown."""
    name = spec.get("registered_name") or spec["class_name"]
    cls = get_registered_object(name, custom_objects, _builtin_classes())
    if cls is None and name != spec["class_name"]:
        cls = get_registered_object(spec["class_name"], custom_objects, _builtin_classes())
    if cls is None:
        raise ValueError("Could not locate class %r. Make sure custom classes are decorated with "
                         "`@keras.saving.register_keras_serializable()` or passed in `custom_objects`. Full object "
                         "config: %r" % (spec["class_name"], spec))
    return cls


# Keras 3 records the ops it applies between layers of a functional model (the mask ``inputs != 0`` of an
# Embedding with mask_zero, operators on KerasTensors) as nodes of classes in keras.src.ops: the ones tapeflow
# maps to its functions.
_KERAS_OPS = {"NotEqual": "not_equal", "Equal": "equal", "Add": "add", "Subtract": "subtract",
              "Multiply": "multiply", "Divide": "divide", "TrueDivide": "divide", "Greater": "greater",
              "GreaterEqual": "greater_equal", "Less": "less", "LessEqual": "less_equal", "Negative": "negative",
              "Maximum": "maximum", "Minimum": "minimum", "LogicalAnd": "logical_and", "LogicalOr": "logical_or",
              "LogicalNot": "logical_not"}


def _keras_op_layer(spec):
    from tapeflow import _core
    from tapeflow.keras.layers.op_layer import OpLayer
    fn = getattr(_core, _KERAS_OPS[spec["class_name"]])
    return OpLayer(fn, name=(spec.get("config") or {}).get("name") or spec.get("name"))


def deserialize_keras_object(spec, custom_objects=None):
    """A layer or model from its serialized form (Keras 3 or tf.keras 2)."""
    if not isinstance(spec, dict) or "class_name" not in spec:
        raise ValueError("Expected a serialized Keras object (a dict with 'class_name' and 'config'); got %r" % (spec,))
    op = spec["class_name"] in _KERAS_OPS
    if op and str(spec.get("module", "")).startswith("keras.src.ops"):
        return _keras_op_layer(spec)
    from tapeflow.keras.models import Model
    try:
        cls = resolve_class(spec, custom_objects)
    except ValueError:
        if not op:
            raise
        return _keras_op_layer(spec)  # Keras 3's .h5 files do not name the module
    config = _strip_ignored(dict(spec.get("config") or {}))
    if "custom_objects" in inspect.signature(cls.from_config).parameters:
        obj = cls.from_config(config, custom_objects=custom_objects)
    else:
        obj = cls.from_config(config)
    build = spec.get("build_config")
    if build and not obj.built and build.get("input_shape") is not None:
        shape = _as_shape(build["input_shape"])
        obj.build(TensorShape(shape) if isinstance(shape, tuple) and not isinstance(obj, Model) else shape)
        obj.built = True
        obj._build_input_shape = build["input_shape"]
    return obj


def with_sublayers(config, keys, custom_objects=None):
    """A copy of a layer config whose serialized layers under ``keys`` (where present and not None) are rebuilt:
    the from_config of wrappers (the cell of an RNN, the layers of Bidirectional and TimeDistributed)."""
    config = dict(config)
    for key in keys:
        if config.get(key) is not None:
            config[key] = deserialize_keras_object(config[key], custom_objects)
    return config


def _as_shape(shape):
    """JSON lists back to shape tuples (nested lists of shapes stay lists)."""
    if isinstance(shape, list) and shape and isinstance(shape[0], list):
        return [_as_shape(s) for s in shape]
    if isinstance(shape, dict):
        return {k: _as_shape(v) for k, v in shape.items()}
    return tuple(shape)


# ----------------------------------------------------------------- Python functions (Lambda layers)
_SAFE_MODE = threading.local()


@contextlib.contextmanager
def safe_mode_scope(safe_mode=True):
    previous = getattr(_SAFE_MODE, "value", True)
    _SAFE_MODE.value = safe_mode
    try:
        yield
    finally:
        _SAFE_MODE.value = previous


def serialize_function(fn):
    """A named module-level function by its (registered) name; a lambda or nested function as Keras 3's
    ``__lambda__`` dict (its bytecode, defaults and closure), which loads only with ``safe_mode=False``."""
    qualname = getattr(fn, "__qualname__", "")
    if isinstance(fn, types.FunctionType) and (fn.__name__ == "<lambda>" or "<locals>" in qualname):
        closure = tuple(c.cell_contents for c in fn.__closure__) if fn.__closure__ else None
        return {"class_name": "__lambda__",
                "config": {"code": base64.encodebytes(marshal.dumps(fn.__code__)).decode("ascii"),
                           "defaults": fn.__defaults__, "closure": closure}}
    return get_registered_name(fn)


def deserialize_function(spec, custom_objects=None):
    if isinstance(spec, str):
        import tapeflow
        fn = get_registered_object(spec, custom_objects, {"tf": tapeflow})
        if fn is None:
            from tapeflow.keras import activations
            try:
                fn = activations.get(spec)
            except ValueError:
                raise ValueError("Could not locate function %r. Make sure custom functions are decorated with "
                                 "`@keras.saving.register_keras_serializable()` or passed in `custom_objects`."
                                 % spec) from None
        return fn
    if not (isinstance(spec, dict) and spec.get("class_name") == "__lambda__"):
        raise ValueError("Cannot deserialize the function %r" % (spec,))
    if getattr(_SAFE_MODE, "value", True):
        raise ValueError("Requested the deserialization of a `Lambda` layer whose `function` is a Python lambda. "
                         "This carries a potential risk of arbitrary code execution and thus it is disallowed by "
                         "default. If you trust the source of the artifact, you can override this error by passing "
                         "`safe_mode=False` to the loading function.")
    config = spec["config"]
    try:
        code = marshal.loads(base64.decodebytes(config["code"].encode("ascii")))
    except (ValueError, EOFError, TypeError) as e:
        raise ValueError("The Lambda function's bytecode cannot be read (saved by another Python version?): %s"
                         % e) from None
    import numpy
    import tapeflow
    scope = {"tf": tapeflow, "keras": tapeflow.keras, "np": numpy, "__builtins__": builtins}
    scope.update(custom_objects or {})
    closure = config.get("closure")
    cells = tuple(types.CellType(v) for v in closure) if closure else None
    defaults = tuple(config["defaults"]) if config.get("defaults") else None
    return types.FunctionType(code, scope, code.co_name, defaults, cells)
