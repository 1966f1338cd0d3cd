"""tf.Variable: a mutable tensor. It is a ``_core.Tensor`` (ops take it directly);
its identity on the tape survives assignments, and assignments never change
values that tensors or the tape already hold (copy on write in C++)."""
import weakref

from tapeflow import _core
from tapeflow import framework as _fw

_by_id = weakref.WeakValueDictionary()  # tape ids -> Python Variable objects


def _lookup(t):
    return _by_id.get(t._id, t)


class Variable(_core.Tensor):
    """A variable holding a tensor value that ``assign``, ``assign_add`` and ``assign_sub`` update.

    Args:
      initial_value: a tensor-like value, or a callable returning one.
      trainable: whether a ``GradientTape`` watches it automatically (default True).
      name: the variable's name; ``.name`` reports it with a ``:0`` suffix as TensorFlow does.
      dtype: converts ``initial_value`` to this dtype.
      shape, validate_shape: accepted for compatibility; the shape is the initial value's.
      constraint: an optional projection applied by optimizers after an update.
    """

    def __init__(self, initial_value=None, trainable=None, validate_shape=True, caching_device=None, name=None,
                 variable_def=None, dtype=None, import_scope=None, constraint=None, synchronization=None,
                 aggregation=None, shape=None, experimental_enable_variable_lifting=True):
        if initial_value is None:
            raise ValueError("The `initial_value` arg (None) must be specified unless `variable_def` is provided.")
        if callable(initial_value):
            initial_value = initial_value()
        value = _core.convert_to_tensor(initial_value, dtype=dtype)
        if shape is not None and validate_shape and not _fw.TensorShape(value._shape).is_compatible_with(shape):
            raise ValueError("The initial value's shape (%s) is not compatible with the explicitly supplied `shape` "
                             "argument (%s)." % (_fw.TensorShape(value._shape), _fw.TensorShape(shape)))
        _core.Tensor.__init__(self, _core._make_variable(value, True if trainable is None else bool(trainable)))
        name = "Variable" if name is None else str(name)
        self._name = name if ":" in name else name + ":0"
        self._constraint = constraint
        self._trainable_flag = True if trainable is None else bool(trainable)
        self.synchronization = synchronization
        self.aggregation = aggregation
        _by_id[self._id] = self

    name = property(lambda self: self._name)
    trainable = property(lambda self: self._trainable_flag)
    constraint = property(lambda self: self._constraint)

    def numpy(self):
        """A copy of the current value as a NumPy array."""
        return self._numpy(copy=True)

    def value(self):
        return _core.identity(self)

    def read_value(self):
        return _core.identity(self)

    def assign(self, value, use_locking=None, name=None, read_value=True):
        """Replaces the value. The new value must have the variable's shape and dtype."""
        self._assign(value)
        return self if read_value else None

    def assign_add(self, delta, use_locking=None, name=None, read_value=True):
        self._assign_add(delta)
        return self if read_value else None

    def assign_sub(self, delta, use_locking=None, name=None, read_value=True):
        self._assign_sub(delta)
        return self if read_value else None

    def __getitem__(self, key):
        return _SliceRef(_core.Tensor.__getitem__(self, key), self, key)

    def __repr__(self):
        return "<tf.Variable '%s' shape=%s dtype=%s, numpy=%s>" % (
            self._name, self.shape, self.dtype.name, _fw._numpy_text(self, True))

    __str__ = __repr__

    def __deepcopy__(self, memo):
        return Variable(self.numpy(), trainable=self.trainable, name=self._name.split(":")[0], dtype=self.dtype)


class _SliceRef(_core.Tensor):
    """The value of ``v[key]``; ``.assign(value)`` writes into that slice of ``v``."""

    def __init__(self, value, variable, key):
        _core.Tensor.__init__(self, value)
        self._variable = variable
        self._key = key

    def assign(self, value, use_locking=None, name=None, read_value=True):
        self._variable._assign_slice(self._key, value)
        return self._variable if read_value else None
