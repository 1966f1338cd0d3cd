"""Captured steps: fit, evaluate and predict replay a step in C++ instead of running its Python code again.

The first step for an input signature (the shapes and dtypes of the batch's arrays) runs eagerly: it builds the
model, the optimizer's slots and the metrics (and after a plan went stale, it gives each variable storage of its
own again). The second runs eagerly too, on fresh input buffers, while the
engine records every kernel it launches (``_core._begin_capture``). Later steps with that signature copy the
batch into the buffers and replay the recorded kernels (``_Plan.run``, or ``_Plan.run_batches`` for the whole
epoch loop over arrays), with no Python, tape or allocation between kernels; the step's intermediate buffers
share one arena, placed by their lifetimes within the step. The step's results (the metrics'
tensors) are the same tensor objects each time, rewritten by every replay.

A capture that cannot be replayed (its Python code reads a computed value, creates a variable, or uses an
optimizer rule that computes in Python) reports why; the model then runs that kind of step eagerly from then on
and says so once. ``run_eagerly=True`` and overridden ``train_step`` / ``test_step`` / ``predict_step`` always run
eagerly.
"""
import logging

from tapeflow import _core, nest

_log = logging.getLogger("tapeflow")

MAX_SIGNATURES = 8  # captured plans kept per model and step kind (the oldest is dropped)


class Captured:
    """A replayable step: the plan, its input buffers (the batch's non-None leaves, flattened) and its result."""

    __slots__ = ("plan", "buffers", "result")

    def __init__(self, plan, buffers, result):
        self.plan, self.buffers, self.result = plan, buffers, result


_SEEN = object()  # the signature's first (building) step ran eagerly


def _tensor_leaves(structure):
    return [t for t in nest.flatten(structure) if isinstance(t, _core.Tensor)]


def _handed_out(result, copy, owned):
    """What ``StepCache.run`` returns for ``copy``: NumPy arrays for "numpy"; for "tensor", fresh copies unless
    the caller ``owned`` the result already (an eager step's)."""
    if copy == "numpy":
        convert = lambda t: t._numpy(copy=True)  # noqa: E731
    elif copy == "tensor" and not owned:
        convert = _core._buffer_copy
    else:
        return result
    return nest.map_structure(lambda t: convert(t) if isinstance(t, _core.Tensor) else t, result)


def signature(leaves):
    return tuple(None if t is None else (t._shape, t.dtype) for t in leaves)


class StepCache:
    """Per model: the captured plans of one kind of step (train, test or predict), keyed by signature."""

    def __init__(self, kind):
        self.kind = kind
        self.plans = {}
        self.off = None  # why this kind of step runs eagerly, once a capture failed

    def lookup(self, leaves):
        """The valid captured step for these batch leaves, or None."""
        entry = self.plans.get(signature(leaves))
        if isinstance(entry, Captured) and entry.plan.valid():
            return entry
        return None

    def run(self, fn, batch, variables, copy=None):
        """One step ``fn(batch)``: replayed when captured, else eager (and captured when it is the second).
        ``variables()`` lists the variables the step may write: before a capture each gets storage of its own, so
        that a value read from one earlier keeps its numbers when the step writes in place. ``copy``: None returns
        a replay's result tensors themselves (the plan's: the next replay rewrites them); "tensor" or "numpy"
        returns the caller's own copies, as tensors or NumPy arrays, taken under the plan's lock so that another
        thread's replay cannot rewrite them first."""
        leaves = nest.flatten(batch)
        if self.off is not None or not all(t is None or isinstance(t, _core.Tensor) for t in leaves):
            return _handed_out(fn(batch), copy, owned=True)
        key = signature(leaves)
        entry = self.plans.get(key)
        if isinstance(entry, Captured):
            if entry.plan.valid():
                values = [t for t in leaves if t is not None]
                if copy is None:
                    entry.plan.run(entry.buffers, values)
                    return entry.result
                copies = iter(entry.plan.run(entry.buffers, values, _tensor_leaves(entry.result), copy == "numpy"))
                return nest.map_structure(lambda t: next(copies) if isinstance(t, _core.Tensor) else t,
                                          entry.result)
            entry = None  # stale: one eager step (it copies variables that others hold on write), then capture
        if entry is None:
            self._store(key, _SEEN)
            return _handed_out(fn(batch), copy, owned=True)
        buffers = [None if t is None else _core._buffer_copy(t) for t in leaves]
        inputs = [b for b in buffers if b is not None]
        written = variables()
        _core._unshare(written)
        _core._begin_capture(written)
        try:
            result = fn(nest.pack_sequence_as(batch, buffers))
        finally:
            plan = _core._end_capture(inputs)
        if plan.failure is None:
            plan.plan_memory(_tensor_leaves(result))
            captured = Captured(plan, inputs, result)
            if copy is not None:  # copied before another thread can find the plan and replay it
                result = _handed_out(result, copy, owned=False)
            self._store(key, captured)
        else:
            self.off = plan.failure
            self.plans.clear()
            _log.warning("tapeflow: the %s step runs eagerly from now on: %s.", self.kind, plan.failure)
            result = _handed_out(result, copy, owned=True)
        return result

    def _store(self, key, value):
        self.plans.pop(key, None)
        if len(self.plans) >= MAX_SIGNATURES:
            del self.plans[next(iter(self.plans))]
        self.plans[key] = value
