"""tf.Module: a named container whose variables (and those of its submodules) are found through its attributes."""
import contextlib
import re

from tapeflow import variables as _variables


def _snake(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def walk(obj, seen=None):
    """(attribute path, value) for every Variable and Module reachable from ``obj``'s attributes, through lists,
    tuples and dicts, attributes in sorted order (as TensorFlow walks a module), each object once."""
    seen = set() if seen is None else seen
    items = sorted(vars(obj).items()) if hasattr(obj, "__dict__") else []
    out = []

    def visit(path, value):
        if isinstance(value, (_variables.Variable, Module)):
            if id(value) in seen:
                return
            seen.add(id(value))
            out.append((path, value))
            if isinstance(value, Module):
                out.extend((path + "/" + p, v) for p, v in walk(value, seen))
        elif isinstance(value, (list, tuple)):
            for i, v in enumerate(value):
                visit("%s/%d" % (path, i), v)
        elif isinstance(value, dict):
            for k in sorted(value, key=str):
                visit("%s/%s" % (path, k), value[k])
    for key, value in items:
        if key not in ("_name", "_scope_name"):
            visit(key, value)
    return out


class Module:
    """Base class for modules: ``variables``, ``trainable_variables``, ``non_trainable_variables`` and
    ``submodules`` collect what the module's attributes hold (recursively), as tf.Module does."""

    def __init__(self, name=None):
        if name is not None and not re.match(r"^[A-Za-z][\w.\-]*$", name):
            raise ValueError("%r is not a valid module name. Module names must be valid Python identifiers (e.g. "
                             "a valid class name)." % (name,))
        self._name = name or _snake(type(self).__name__)

    @property
    def name(self):
        return self._name

    @property
    def name_scope(self):
        return contextlib.nullcontext(self._name)

    @property
    def variables(self):
        return tuple(v for _, v in walk(self) if isinstance(v, _variables.Variable))

    @property
    def trainable_variables(self):
        return tuple(v for v in self.variables if v.trainable)

    @property
    def non_trainable_variables(self):
        return tuple(v for v in self.variables if not v.trainable)

    @property
    def submodules(self):
        return tuple(v for _, v in walk(self) if isinstance(v, Module))

    @classmethod
    def with_name_scope(cls, method):
        """A decorator kept for compatibility: tapeflow has no graph name scopes."""
        return method
