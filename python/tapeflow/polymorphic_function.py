"""tf.function: a Python function traced once per input signature and replayed from its recorded kernels.

The first call with a new signature runs the Python function once while the engine records every kernel it
launches (the capture ``fit`` uses, ``graph/plan.h``); later calls with that signature copy the tensor arguments
into the recorded input buffers and replay the kernels in C++, with no Python, tape or allocation between them,
and return fresh copies of the outputs. As in TensorFlow, Python side effects (``print``, appending to a list)
happen while tracing only; ``tf.print`` prints at every call.

The signature is, for each argument leaf: a tensor's (or NumPy array's) shape and dtype, a ``tf.Variable``'s
identity (it is used in place, not copied), and any other Python value itself: a new value retraces, as in
TensorFlow. ``input_signature`` fixes the accepted specs (a call that does not match raises); a dimension given
as None accepts any size, and each size seen is its own recording.

A function that creates variables runs eagerly on its first call (the variables must exist before a recording)
and is traced on the next. One whose Python code reads a computed value (``float(t)``, ``t.numpy()``, ``if t >
0:``), or that cannot be recorded for another reason, runs eagerly from then on and says why once in the log, as
``fit`` does. Called under a ``GradientTape`` (so that gradients flow through it) or while another capture
records, it runs its Python as ordinary eager code. ``tf.config.run_functions_eagerly(True)`` turns recording
off everywhere.
"""
import functools
import logging
import weakref

import numpy as np

from tapeflow import _core, config, dtypes, nest
from tapeflow import variables as _variables
from tapeflow.framework import TensorShape

_log = logging.getLogger("tapeflow")

MAX_SIGNATURES = 32  # recordings kept per function (the oldest is dropped)
_EAGER_FIRST = object()  # this signature's first call created variables: record on the next


class TensorSpec:
    """The shape (None for any size) and dtype of a tensor argument: ``tf.TensorSpec(shape, dtype, name)``."""

    def __init__(self, shape, dtype="float32", name=None):
        self.shape = TensorShape(shape)
        self.dtype = dtypes.as_dtype(dtype)
        self.name = name

    def is_compatible_with(self, value):
        return self.dtype == value.dtype and self.shape.is_compatible_with(value.shape)

    def __eq__(self, other):
        return isinstance(other, TensorSpec) and (self.shape, self.dtype) == (other.shape, other.dtype)

    def __hash__(self):
        return hash((self.shape, self.dtype.name))

    def __repr__(self):
        return "TensorSpec(shape=%s, dtype=%s, name=%r)" % (self.shape, repr(self.dtype), self.name)


class _Recording:
    """One signature's replayable plan: its input buffers (the tensor arguments, flattened), the result
    structure, and the result tensors the plan rewrites."""

    __slots__ = ("plan", "buffers", "result", "tensors")

    def __init__(self, plan, buffers, result):
        self.plan, self.buffers, self.result = plan, buffers, result
        self.tensors = [t for t in nest.flatten(result) if isinstance(t, _core.Tensor)]


def _leaf_key(x):
    if isinstance(x, _variables.Variable):
        return ("variable", id(x))
    if isinstance(x, _core.Tensor):
        return ("tensor", tuple(x._shape), x.dtype.name)
    if isinstance(x, np.ndarray):
        return ("tensor", x.shape, x.dtype.str)
    try:
        hash(x)
    except TypeError:
        return ("object", type(x).__name__, id(x))
    return ("value", type(x).__name__, x)


def _is_input(x):
    """Whether an argument leaf is fed to the recording through an input buffer (tensors and arrays, not
    variables, which the kernels use in place)."""
    return isinstance(x, np.ndarray) or (isinstance(x, _core.Tensor) and not isinstance(x, _variables.Variable))


class Function:
    """The callable ``tf.function`` returns. ``experimental_get_tracing_count()`` says how many times the
    Python function was traced (run to record)."""

    def __init__(self, python_function, input_signature=None, reduce_retracing=False, jit_compile=None, name=None):
        functools.update_wrapper(self, python_function)
        self._python_function = python_function
        self.input_signature = None if input_signature is None else tuple(input_signature)
        self._recordings = {}
        self._tracing_count = 0
        self._off = None  # why this function runs eagerly, once a recording failed
        self._bound = weakref.WeakKeyDictionary()  # instance -> its bound Function (decorated methods)
        self.__name__ = name or getattr(python_function, "__name__", "function")

    @property
    def python_function(self):
        return self._python_function

    def experimental_get_tracing_count(self):
        return self._tracing_count

    def __get__(self, instance, owner):
        if instance is None:
            return self
        bound = self._bound.get(instance)
        if bound is None:
            bound = Function(self._python_function.__get__(instance, owner), self.input_signature,
                             name=self.__name__)
            self._bound[instance] = bound
        return bound

    def _check_signature(self, args, kwargs):
        if kwargs:
            raise TypeError("%s has an input_signature: pass its arguments by position, not by name (%s)"
                            % (self.__name__, sorted(kwargs)))
        if len(args) != len(self.input_signature):
            raise TypeError("%s takes %d arguments by its input_signature, got %d"
                            % (self.__name__, len(self.input_signature), len(args)))
        for spec, arg in zip(nest.flatten(self.input_signature), nest.flatten(args)):
            if isinstance(spec, TensorSpec) and not spec.is_compatible_with(_core.convert_to_tensor(arg)):
                raise ValueError("Python inputs incompatible with input_signature: %r does not match %r"
                                 % (arg, spec))

    def __call__(self, *args, **kwargs):
        if self.input_signature is not None:
            self._check_signature(args, kwargs)
        if config.functions_run_eagerly() or self._off is not None or _core._capturing() or _core._tape_active():
            return self._python_function(*args, **kwargs)
        if not kwargs and all(type(x) is _core.Tensor for x in args):  # the common call: tensors only
            leaves, values = args, args
        else:
            leaves = nest.flatten((args, kwargs))
            values = None
        key = tuple(_leaf_key(x) for x in leaves)
        entry = self._recordings.get(key)
        if isinstance(entry, _Recording):
            if entry.plan.valid():
                if values is None:
                    values = [_core.convert_to_tensor(x) for x in leaves if _is_input(x)]
                copies = entry.plan.run(entry.buffers, values, entry.tensors)
                if type(entry.result) is _core.Tensor:
                    return copies[0]
                copies = iter(copies)
                return nest.map_structure(lambda t: next(copies) if isinstance(t, _core.Tensor) else t,
                                          entry.result)
            entry = None  # stale (a variable moved to new storage): record again
        return self._record(key, leaves, args, kwargs, first=entry is None)

    def _record(self, key, leaves, args, kwargs, first):
        buffers = [_core._buffer_copy(_core.convert_to_tensor(x)) if _is_input(x) else x for x in leaves]
        fed = [b for b, x in zip(buffers, leaves) if _is_input(x)]
        call_args, call_kwargs = nest.pack_sequence_as((args, kwargs), buffers)
        written = list(_variables._by_id.values())  # any of them may be written: holders keep their values
        _core._unshare(written)
        self._tracing_count += 1
        _core._begin_capture(written)
        try:
            result = self._python_function(*call_args, **call_kwargs)
        finally:
            plan = _core._end_capture(fed)
        if plan.failure is None:
            recording = _Recording(plan, fed, result)
            plan.plan_memory(recording.tensors)
            self._store(key, recording)
            return nest.map_structure(lambda t: _core._buffer_copy(t) if isinstance(t, _core.Tensor) else t, result)
        if first and plan.failure.startswith("a variable is created"):
            self._store(key, _EAGER_FIRST)  # variables exist now: the next call records
        else:
            self._off = plan.failure
            self._recordings.clear()
            _log.warning("tapeflow: tf.function %s runs eagerly from now on: %s.", self.__name__, plan.failure)
        return result

    def _store(self, key, value):
        self._recordings.pop(key, None)
        if len(self._recordings) >= MAX_SIGNATURES:
            del self._recordings[next(iter(self._recordings))]
        self._recordings[key] = value


def function(func=None, input_signature=None, autograph=True, jit_compile=None, reduce_retracing=False,
             experimental_implements=None, experimental_autograph_options=None, experimental_attributes=None,
             experimental_relax_shapes=None, experimental_compile=None, experimental_follow_type_hints=None,
             name=None):
    """``@tf.function`` / ``tf.function(f, ...)``: traces ``f`` once per input signature and replays its
    kernels (see the module docstring). ``jit_compile`` and ``reduce_retracing`` are accepted."""
    def wrap(f):
        return Function(f, input_signature=input_signature, reduce_retracing=reduce_retracing,
                        jit_compile=jit_compile, name=name)
    return wrap if func is None else wrap(func)
