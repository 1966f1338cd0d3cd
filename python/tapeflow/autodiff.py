"""tf.GradientTape over the C++ tape (``_core._Tape``)."""
import contextlib
import enum

from tapeflow import _core
from tapeflow import nest
from tapeflow import variables as _vars
from tapeflow.framework import IndexedSlices


class UnconnectedGradients(enum.Enum):
    """What ``gradient`` returns for sources the target does not depend on."""
    NONE = "none"
    ZERO = "zero"


class GradientTape:
    """Records operations for automatic differentiation.

    Inside ``with tf.GradientTape() as tape:``, ops whose inputs are watched are
    recorded: trainable variables are watched on first use (unless
    ``watch_accessed_variables=False``) and ``tape.watch(t)`` adds any tensor.
    ``tape.gradient(target, sources)`` then returns d(sum of target)/d(source)
    in the structure of ``sources``. A non-persistent tape allows one
    ``gradient`` call. Tapes nest: a gradient computed inside an outer tape is
    recorded by it, which gives higher derivatives.
    """

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self._tape = _core._Tape(bool(persistent), bool(watch_accessed_variables))
        self._persistent = bool(persistent)

    def __enter__(self):
        self._tape.push()
        return self

    def __exit__(self, exc_type, exc, tb):
        self._tape.pop()
        return False

    def watch(self, tensor):
        """Ensures that ``tensor`` (or every tensor in a nested structure) is traced by this tape."""
        for t in nest.flatten(tensor):
            if not isinstance(t, _core.Tensor):
                raise ValueError("Passed in object %r of type %r, not a tf.Tensor or tf.Variable." % (t, type(t).__name__))
            self._tape.watch(t)

    @contextlib.contextmanager
    def stop_recording(self):
        """Temporarily stops recording operations on this tape."""
        self._tape.pause()
        try:
            yield
        finally:
            self._tape.resume()

    def reset(self):
        """Clears everything recorded so far."""
        self._tape.reset()

    def watched_variables(self):
        return tuple(_vars._lookup(v) for v in self._tape.watched_variables())

    def gradient(self, target, sources, output_gradients=None, unconnected_gradients=UnconnectedGradients.NONE):
        """Gradients of ``target`` with respect to ``sources``, structured like ``sources``.

        Non-scalar targets are summed (or weighted by ``output_gradients``). Sources the
        target does not depend on get ``None``, or zeros with ``unconnected_gradients="zero"``.
        """
        unconnected = UnconnectedGradients(unconnected_gradients.value if isinstance(unconnected_gradients, UnconnectedGradients)
                                           else unconnected_gradients)
        flat_targets = nest.flatten(target)
        flat_sources = nest.flatten(sources)
        for s in flat_sources:
            if not isinstance(s, _core.Tensor):
                raise ValueError("Arguments to gradient must be tensors or variables, got %r of type %s" % (s, type(s).__name__))
        targets = [t if isinstance(t, _core.Tensor) else _core.convert_to_tensor(t) for t in flat_targets]
        if output_gradients is None:
            out_grads = [None] * len(targets)
        else:
            out_grads = [None if g is None else _core.convert_to_tensor(g) for g in nest.flatten(output_gradients)]
            if len(out_grads) != len(targets):
                raise ValueError("output_gradients must have one entry per target (%d vs %d)" % (len(out_grads), len(targets)))
        grads = [IndexedSlices(g[0], g[1], s._shape) if isinstance(g, tuple) else g
                 for g, s in zip(self._tape.gradient(targets, flat_sources, out_grads), flat_sources)]
        if unconnected is UnconnectedGradients.ZERO:
            grads = [_core.zeros_like(s) if g is None else g for g, s in zip(grads, flat_sources)]
        return nest.pack_sequence_as(sources, grads)
