"""Registering user classes and functions so saved models that use them can be reloaded."""
import threading

_GLOBAL_CUSTOM_OBJECTS = {}  # "package>name" -> class or function
_GLOBAL_CUSTOM_NAMES = {}  # the object -> "package>name"
_SCOPE = threading.local()


def register_keras_serializable(package="Custom", name=None):
    """Decorator: registers a class or function as ``package>name`` (name defaults to its ``__name__``), so
    ``load_model`` finds it without ``custom_objects``."""
    def decorator(obj):
        registered = "%s>%s" % (package, name or obj.__name__)
        if isinstance(obj, type) and not hasattr(obj, "get_config"):
            raise ValueError("Cannot register a class that does not have a get_config() method.")
        _GLOBAL_CUSTOM_OBJECTS[registered] = obj
        _GLOBAL_CUSTOM_NAMES[obj] = registered
        return obj
    return decorator


def get_registered_name(obj):
    """The name ``obj`` was registered under, else its ``__name__``."""
    return _GLOBAL_CUSTOM_NAMES.get(obj, getattr(obj, "__name__", None))


def get_registered_object(name, custom_objects=None, module_objects=None):
    """Looks ``name`` up in ``custom_objects``, the active ``custom_object_scope``s, the registry, then
    ``module_objects``; None when it is in none of them."""
    for table in [custom_objects or {}] + list(reversed(getattr(_SCOPE, "stack", []))) + [_GLOBAL_CUSTOM_OBJECTS]:
        if name in table:
            return table[name]
    # A registered "package>name" may be asked for by its bare name (and the reverse).
    bare = name.split(">")[-1]
    for registered, obj in _GLOBAL_CUSTOM_OBJECTS.items():
        if registered.split(">")[-1] == bare:
            return obj
    if custom_objects and bare in custom_objects:
        return custom_objects[bare]
    if module_objects and bare in module_objects:
        return module_objects[bare]
    return None


def get_custom_objects():
    """The global registry (a mutable dict: entries added to it are found by deserialization)."""
    return _GLOBAL_CUSTOM_OBJECTS


class CustomObjectScope:
    """``with custom_object_scope({"MyLayer": MyLayer}):`` makes the objects visible to deserialization."""

    def __init__(self, *custom_objects):
        self.custom_objects = {}
        for objects in custom_objects:
            self.custom_objects.update(objects or {})

    def __enter__(self):
        if not hasattr(_SCOPE, "stack"):
            _SCOPE.stack = []
        _SCOPE.stack.append(self.custom_objects)
        return self

    def __exit__(self, *exc):
        _SCOPE.stack.pop()


custom_object_scope = CustomObjectScope
