"""What numeric (``_core.Tensor``) and string tensors share: TensorShape and the hashable reference
``t.ref()``."""
import numpy as np


class TensorShape(tuple):
    """A shape: a tuple of ints (``None`` for unknown dimensions) that prints like TensorFlow's."""

    def __new__(cls, dims=()):
        if dims is None:
            raise ValueError("tapeflow does not support shapes of unknown rank")
        if isinstance(dims, (int, np.integer)):
            dims = (dims,)
        return super().__new__(cls, (None if d is None else int(d) for d in dims))

    rank = property(lambda self: len(self))
    ndims = rank
    dims = property(lambda self: list(self))

    def as_list(self):
        return list(self)

    def num_elements(self):
        if any(d is None for d in self):
            return None
        n = 1
        for d in self:
            n *= d
        return n

    def is_fully_defined(self):
        return all(d is not None for d in self)

    def is_compatible_with(self, other):
        other = TensorShape(other)
        return len(self) == len(other) and all(a is None or b is None or a == b for a, b in zip(self, other))

    def concatenate(self, other):
        return TensorShape(tuple(self) + tuple(TensorShape(other)))

    def __getitem__(self, key):
        r = tuple.__getitem__(self, key)
        return TensorShape(r) if isinstance(key, slice) else r

    def __eq__(self, other):
        try:
            return tuple(self) == tuple(TensorShape(other))
        except (TypeError, ValueError):
            return False

    def __ne__(self, other):
        return not self.__eq__(other)

    __hash__ = tuple.__hash__

    def __add__(self, other):
        return self.concatenate(other)

    def __repr__(self):
        return "TensorShape(%s)" % list(self)

    def __str__(self):
        if len(self) == 1:
            return "(%s,)" % self[0]
        return "(%s)" % ", ".join(str(d) for d in self)


class _Ref:
    """A hashable reference to a tensor or variable (``t.ref()``)."""

    __slots__ = ("_t",)

    def __init__(self, t):
        self._t = t

    def deref(self):
        return self._t

    def __hash__(self):
        return id(self._t)

    def __eq__(self, other):
        return isinstance(other, _Ref) and other._t is self._t
