"""A seeded, bounded fuzzer of tapeflow's public ops.

Each case calls one public op with arguments drawn from a pool meant to break it: wrong dtypes, zero-size and
huge dimensions, out-of-range, negative and empty indices, int64 extremes, NaN and infinities, non-contiguous
views, Python lists and scalars, and arbitrary Python objects. A case's outcome is one of

- ``value``: the op returned; where NumPy computes the same thing the values are compared (``mismatch`` if
  they differ), and the op is run twice on the same inputs (``nondeterministic`` if the bits differ: a sign
  of uninitialised memory);
- ``error``: it raised one of the errors the API promises (ValueError, TypeError, IndexError, tf.errors, ...);
- ``bad_error``: it raised anything else (a RuntimeError from a failed cast, an AttributeError, ...);
- ``crash`` / ``hang``: the worker process died or a case ran past its time limit.

Cases run in worker processes, many per worker: a crash or a hang ends only its worker, is counted against the
case that was running, and a new worker goes on from the next case. Case ``i`` of seed ``s`` is the same on
every run, so a failure is replayed with ``python tests/fuzz_ops.py --seed s --start i --cases 1 -v``.

    python tests/fuzz_ops.py --cases 20000          # the local run
    TAPEFLOW_FUZZ_CASES=400 pytest tests/test_fuzz.py   # what CI runs (its default count)
"""
import argparse
import collections
import json
import os
import select
import subprocess
import sys
import tempfile
import time
import traceback

import numpy as np

BAD_OUTCOMES = ("bad_error", "mismatch", "nondeterministic", "crash", "hang")
CASE_SECONDS = 30.0  # a case slower than this is a hang
WORKER_MEMORY = 6 << 30  # address-space cap of a worker: a huge allocation fails instead of taking the machine

FLOATS = ("float32", "float64")
DTYPES = ("float32", "float64", "float16", "int32", "int64", "uint8", "bool")
SHAPES = ((), (0,), (1,), (3,), (2, 3), (3, 1), (1, 4), (0, 3), (3, 0), (2, 0, 2), (2, 3, 4), (4, 1, 3), (1, 1, 1))
HUGE = (2 ** 31, 2 ** 40, 2 ** 62, 2 ** 63 - 1, 2 ** 70, -2 ** 63, -1, -2 ** 70)
ODD_OBJECTS = (None, "abc", b"x", object(), [], [[1], [2, 3]], {"a": 1}, 1.5, float("nan"), True, 1 + 2j,
               np.array(["a", "b"]), (1, None), [1, "a"], type)


# ----------------------------------------------------------------- argument pools
class Draw:
    """Everything drawn for one case, from one seeded generator."""

    def __init__(self, seed, index):
        self.rng = np.random.default_rng([seed, index])

    def pick(self, options):
        return options[int(self.rng.integers(len(options)))]

    def chance(self, p):
        return self.rng.random() < p

    def dtype(self, floats=False):
        return self.pick(FLOATS) if floats and self.chance(0.85) else self.pick(DTYPES)

    def shape(self):
        return self.pick(SHAPES)

    def array(self, shape=None, dtype=None, floats=False):
        shape = self.shape() if shape is None else shape
        dtype = dtype or self.dtype(floats)
        n = int(np.prod(shape))
        if dtype == "bool":
            return self.rng.random(n).reshape(shape) < 0.5
        if dtype in ("int32", "int64", "uint8"):
            info = np.iinfo(dtype)
            values = self.rng.integers(max(info.min, -9), min(info.max, 9), size=n, endpoint=True)
            values = values.astype(dtype)
            for k in range(n):
                if self.chance(0.08):
                    values[k] = self.pick((info.min, info.max, 0, 1))
            return values.reshape(shape)
        info = np.finfo(dtype)
        values = (self.rng.normal(size=n) * self.pick((1.0, 3.0, 100.0))).astype(dtype)
        for k in range(n):
            if self.chance(0.1):
                values[k] = self.pick((np.nan, np.inf, -np.inf, 0.0, -0.0, info.max, -info.max, info.tiny / 4,
                                       1e30 if dtype != "float16" else 6e4))
        return values.reshape(shape)

    def tensor_like(self, tf, a):
        """(the array as the op will receive it: a tensor, a non-contiguous view, the array, or a nested list;
        the array it stands for, converted as tapeflow converts a list: floats to float32, ints to int32)."""
        kind = self.pick(("tensor", "tensor", "view", "numpy", "list"))
        if kind == "view" and a.ndim:
            wide = np.zeros(a.shape[:-1] + (a.shape[-1] * 2,), dtype=a.dtype)
            wide[..., ::2] = a
            return tf.constant(wide)[..., ::2], a
        if kind == "numpy":
            return a, a
        if kind == "list" and a.size and a.dtype.kind in "fb":  # an empty list loses its inner dimensions
            return a.tolist(), a.astype("float32" if a.dtype.kind == "f" else bool)
        return tf.constant(a), a

    def operand(self, tf, floats=False, shape=None, dtype=None):
        """(what the op gets, the NumPy array it stands for or None for an odd object)."""
        if self.chance(0.04):
            return self.pick(ODD_OBJECTS), None
        return self.tensor_like(tf, self.array(shape, dtype, floats))

    def axis(self, ndim):
        if self.chance(0.15):
            return self.pick((None, 2 ** 70, -2 ** 63, 10 ** 10, [0, 0], [0, -1], "a", 1.5, [], (0,)))
        return int(self.rng.integers(-ndim - 1, ndim + 1)) if ndim else self.pick((0, -1, None))

    def int_or_huge(self, low, high):
        return self.pick(HUGE) if self.chance(0.12) else int(self.rng.integers(low, high + 1))

    def int_list(self, n, low, high):
        if self.chance(0.05):
            return self.pick(ODD_OBJECTS)
        return [self.int_or_huge(low, high) for _ in range(n)]

    def indices(self, tf, limit, shape=None):
        shape = self.pick(((3,), (0,), (2, 2), ())) if shape is None else shape
        idx = self.rng.integers(-1, max(limit, 1) + 1, size=int(np.prod(shape))).reshape(shape)
        if self.chance(0.1) and idx.size:
            idx.flat[0] = self.pick((2 ** 31 - 1, -2 ** 31, 2 ** 62, -2 ** 63))
        idx = idx.astype(self.pick(("int32", "int64"))) if np.abs(idx).max(initial=0) < 2 ** 31 else idx
        return self.tensor_like(tf, idx)


# ----------------------------------------------------------------- the ops
def _ref_unary(fn):
    def ref(a):
        if a is None or a.dtype.kind != "f":
            return None
        with np.errstate(all="ignore"):
            return fn(a.astype("float64")).astype(a.dtype)
    return ref


def _sigmoid(x):
    return np.where(x >= 0, 1 / (1 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x))))


UNARY = {
    "abs": np.abs, "negative": np.negative, "exp": np.exp, "log": np.log, "sqrt": np.sqrt, "square": np.square,
    "sin": np.sin, "cos": np.cos, "tanh": np.tanh, "sigmoid": _sigmoid, "floor": np.floor, "ceil": np.ceil,
    "round": np.round, "sign": np.sign, "relu": lambda x: np.maximum(x, 0), "reciprocal": lambda x: 1 / x,
    "rsqrt": lambda x: 1 / np.sqrt(x), "log1p": np.log1p, "expm1": np.expm1, "softplus": lambda x: np.logaddexp(0, x),
    "is_nan": None, "is_inf": None, "is_finite": None, "logical_not": None, "erf": None, "elu": None,
    "selu": None, "gelu": None, "softsign": lambda x: x / (1 + np.abs(x)), "relu6": lambda x: np.clip(x, 0, 6),
    "identity": lambda x: x, "stop_gradient": lambda x: x, "zeros_like": np.zeros_like, "ones_like": np.ones_like,
    "leaky_relu": None, "swish": None, "log_softmax": None, "softmax": None,
}

BINARY = {
    "add": np.add, "subtract": np.subtract, "multiply": np.multiply, "divide": np.divide, "maximum": np.maximum,
    "minimum": np.minimum, "pow": np.power, "equal": np.equal, "not_equal": np.not_equal, "less": np.less,
    "less_equal": np.less_equal, "greater": np.greater, "greater_equal": np.greater_equal,
    "floordiv": None, "floormod": None, "squared_difference": lambda a, b: np.square(a - b),
    "logical_and": np.logical_and, "logical_or": np.logical_or, "logical_xor": np.logical_xor, "truediv": None,
}
# integer results NumPy and TensorFlow agree on (wrapping arithmetic, comparisons)
INT_SAFE = {"add", "subtract", "multiply", "maximum", "minimum", "equal", "not_equal", "less", "less_equal",
            "greater", "greater_equal", "squared_difference"}

REDUCE = {"reduce_sum": np.sum, "reduce_mean": np.mean, "reduce_max": np.max, "reduce_min": np.min,
          "reduce_prod": np.prod, "reduce_any": np.any, "reduce_all": np.all, "reduce_logsumexp": None,
          "reduce_std": np.std, "reduce_variance": np.var}
IN_OWN_DTYPE = {"reduce_std", "reduce_variance"}  # squares overflow in float32 as tapeflow's and TF's do


def _unary_case(tf, d, name):
    x, a = d.operand(tf, floats=True)
    fn = getattr(tf, name) if hasattr(tf, name) else getattr(tf.nn, name)
    ref = _ref_unary(UNARY[name]) if UNARY[name] is not None else (lambda a: None)
    return (lambda: fn(x)), (lambda: ref(a))


def _binary_case(tf, d, name):
    dtype = d.dtype(floats=True)
    sa, sb = d.shape(), d.shape()
    if d.chance(0.7):
        sb = sa if d.chance(0.6) else sa[1:]
    x, a = d.operand(tf, dtype=dtype if d.chance(0.9) else None, shape=sa)
    y, b = d.operand(tf, dtype=dtype if d.chance(0.9) else None, shape=sb)
    if d.chance(0.1):
        y, b = d.pick((2, -1.5, 2 ** 70, True)), None
    fn = getattr(tf, name)
    np_fn = BINARY[name]

    def ref():
        if np_fn is None or a is None or b is None or a.dtype != b.dtype or a.dtype == np.float16:
            return None
        if a.dtype.kind in "iu" and name not in INT_SAFE:
            return None
        if a.dtype == bool and not name.startswith("logical"):
            return None
        with np.errstate(all="ignore"):
            if a.dtype.kind == "f":
                return np_fn(a.astype("float64"), b.astype("float64")).astype(
                    bool if name in ("equal", "not_equal", "less", "less_equal", "greater", "greater_equal")
                    else a.dtype)
            return np_fn(a, b)
    return (lambda: fn(x, y)), ref


def _reduce_case(tf, d, name):
    x, a = d.operand(tf, floats=True)
    axis = d.axis(a.ndim if a is not None else 1)
    keepdims = d.chance(0.3)
    fn = getattr(tf, name)

    def ref():
        if REDUCE[name] is None or a is None or a.dtype.kind != "f" or a.dtype == np.float16:
            return None
        if not (axis is None or isinstance(axis, int)) or a.size == 0:
            return None
        with np.errstate(all="ignore"):
            out = REDUCE[name](a if name in IN_OWN_DTYPE else a.astype("float64"), axis=axis, keepdims=keepdims)
        return np.asarray(out).astype(bool if name in ("reduce_any", "reduce_all") else a.dtype)
    return (lambda: fn(x, axis=axis, keepdims=keepdims)), ref


def _arg_case(tf, d, name):
    x, a = d.operand(tf, floats=True)
    axis = d.axis(a.ndim if a is not None else 1) if d.chance(0.8) else 0
    fn = getattr(tf, name)

    def ref():
        if a is None or a.dtype.kind != "f" or not isinstance(axis, int) or a.size == 0 or np.isnan(a).any():
            return None
        return (np.argmax if name == "argmax" else np.argmin)(a, axis=axis).astype("int64")
    return (lambda: fn(x, axis=axis)), ref


def _cum_case(tf, d, name):
    x, a = d.operand(tf, floats=True)
    axis = d.axis(a.ndim if a is not None else 1) if d.chance(0.8) else 0
    exclusive, reverse = d.chance(0.3), d.chance(0.3)
    fn = getattr(tf, name)

    def ref():
        if a is None or a.dtype.kind != "f" or a.dtype == np.float16 or not isinstance(axis, int) or not a.ndim:
            return None
        v = a.astype("float64")
        if reverse:
            v = np.flip(v, axis)
        with np.errstate(all="ignore"):
            out = (np.cumsum if name == "cumsum" else np.cumprod)(v, axis=axis)
            if exclusive:
                first = np.zeros_like(np.take(v, [0], axis=axis)) if name == "cumsum" else \
                    np.ones_like(np.take(v, [0], axis=axis))
                out = np.concatenate([first, np.take(out, range(v.shape[axis] - 1), axis=axis)], axis=axis)
        if reverse:
            out = np.flip(out, axis)
        return out.astype(a.dtype)
    return (lambda: fn(x, axis=axis, exclusive=exclusive, reverse=reverse)), ref


def _sort_case(tf, d, name):
    x, a = d.operand(tf, floats=True)
    axis = d.axis(a.ndim if a is not None else 1) if d.chance(0.7) else -1
    if name == "top_k":
        k = d.int_or_huge(0, 4)
        return (lambda: tf.math.top_k(x, k=k).values), \
            (lambda: -np.sort(-a, -1)[..., :k] if a is not None and a.ndim and a.dtype.kind == "f" and
             0 <= k <= a.shape[-1] and not np.isnan(a).any() else None)
    descending = d.chance(0.5)
    fn = tf.sort if name == "sort" else tf.argsort
    direction = "DESCENDING" if descending else "ASCENDING"

    def ref():
        if a is None or a.dtype.kind != "f" or not isinstance(axis, int) or not a.ndim or np.isnan(a).any():
            return None
        order = np.argsort(-a if descending else a, axis=axis, kind="stable")
        return np.take_along_axis(a, order, axis) if name == "sort" else order.astype("int32")
    return (lambda: fn(x, axis=axis, direction=direction)), ref


def _shape_case(tf, d, name):
    x, a = d.operand(tf)
    nd = a.ndim if a is not None else 1
    if name == "reshape":
        shape = d.pick(([-1], [2, -1], [0], [-1, -1], [0, -1], [3, 2 ** 62], [2 ** 70], [-2], "x",
                        list(a.shape[::-1]) if a is not None else [1], [1, -1, 1]))
        return (lambda: tf.reshape(x, shape)), (lambda: _np_or_none(lambda: np.reshape(a, shape)))
    if name == "transpose":
        perm = d.pick((None, list(range(nd))[::-1], [0] * nd, [nd], list(range(nd)), [2 ** 70] * nd))
        return (lambda: tf.transpose(x, perm)), (lambda: _np_or_none(lambda: np.transpose(a, perm)))
    if name == "expand_dims":
        axis = d.axis(nd + 1)
        return (lambda: tf.expand_dims(x, axis)), (lambda: _np_or_none(lambda: np.expand_dims(a, axis)))
    if name == "squeeze":
        axis = d.axis(nd) if d.chance(0.6) else None
        return (lambda: tf.squeeze(x, axis)), (lambda: _np_or_none(lambda: np.squeeze(a, axis)))
    if name == "reverse":
        axis = [d.axis(nd)]
        return (lambda: tf.reverse(x, axis)), (lambda: _np_or_none(lambda: np.flip(a, axis)))
    if name == "tile":
        mult = d.int_list(nd, 0, 3)
        return (lambda: tf.tile(x, mult)), (lambda: _np_or_none(lambda: np.tile(a, mult) if a.ndim else None))
    if name == "pad":
        pads = [d.int_list(2, 0, 2) for _ in range(nd)]
        return (lambda: tf.pad(x, pads)), (lambda: _np_or_none(lambda: np.pad(a, pads)))
    if name == "broadcast_to":
        shape = d.pick(([2, 3], [0, 3], [3], [4, 2, 3], [2 ** 40, 2 ** 40], [0, 2 ** 62], [-1], [2, 0]))
        return (lambda: tf.broadcast_to(x, shape)), (lambda: _np_or_none(lambda: np.broadcast_to(a, shape)))
    if name == "slice":
        begin, size = d.int_list(nd, -1, 3), d.int_list(nd, -1, 3)
        return (lambda: tf.slice(x, begin, size)), (lambda: None)
    if name == "getitem":  # on a tensor or a view (indexing a Python object would test Python)
        if a is None or not hasattr(x, "numpy"):
            a = d.array()
            x = tf.constant(a)
        key = _slice_key(d, a.ndim)
        return (lambda: x[key]), (lambda: _np_or_none(lambda: a[key]))
    raise KeyError(name)


def _slice_key(d, nd):
    parts = []
    for _ in range(int(d.rng.integers(0, nd + 2))):
        kind = d.pick(("int", "slice", "slice", "none", "ellipsis"))
        if kind == "int":
            parts.append(d.int_or_huge(-3, 3))
        elif kind == "slice":
            parts.append(slice(*(d.pick((None, d.int_or_huge(-4, 4))) for _ in range(2)),
                               d.pick((None, d.int_or_huge(-3, 3)))))
        elif kind == "none":
            parts.append(None)
        else:
            parts.append(Ellipsis)
    return tuple(parts)


def _np_or_none(fn):
    """NumPy's result, or None where NumPy refuses the arguments or one is an odd object (no array)."""
    try:
        with np.errstate(all="ignore"):
            out = fn()
    except Exception:
        return None
    return None if out is None or np.asarray(out).dtype == object else out


def _index_case(tf, d, name):
    x, a = d.operand(tf)
    n = a.shape[0] if a is not None and a.ndim else 3
    if name == "gather":
        idx, i = d.indices(tf, n)
        axis = d.axis(a.ndim if a is not None else 1) if d.chance(0.3) else 0

        def ref():
            if a is None or not a.ndim or not isinstance(axis, int) or (i < 0).any() or (i >= n).any() or axis:
                return None
            return np.take(a, i, axis=0)
        return (lambda: tf.gather(x, idx, axis=axis)), ref
    if name == "gather_nd":
        k = int(d.rng.integers(0, (a.ndim if a is not None else 1) + 2))
        idx, i = d.indices(tf, n, (int(d.rng.integers(0, 3)), k))

        def ref():
            if a is None or k > a.ndim or any((i[:, j] < 0).any() or (i[:, j] >= a.shape[j]).any()
                                              for j in range(k)):
                return None
            return np.stack([a[tuple(row)] for row in i]) if len(i) else None
        return (lambda: tf.gather_nd(x, idx)), ref
    if name == "scatter_nd":
        shape = d.pick(([5], [4, 2], [0], [2 ** 40], [3, -1]))
        k = int(d.rng.integers(0, 3))
        rows = int(d.rng.integers(0, 3))
        idx, _ = d.indices(tf, 4, (rows, k))
        upd, _ = d.operand(tf, floats=True, shape=(rows,) + tuple(shape[k:]) if k <= len(shape) else (rows,))
        return (lambda: tf.scatter_nd(idx, upd, shape)), (lambda: None)
    if name == "one_hot":
        idx, i = d.indices(tf, 4)
        depth = d.int_or_huge(0, 5)
        return (lambda: tf.one_hot(idx, depth)), (lambda: None)
    raise KeyError(name)


def _join_case(tf, d, name):
    x, a = d.operand(tf)
    y, b = d.operand(tf, dtype=a.dtype.name if a is not None and d.chance(0.8) else None,
                     shape=a.shape if a is not None and d.chance(0.7) else None)
    axis = d.axis(a.ndim if a is not None else 1) if d.chance(0.7) else 0
    if name == "concat":
        return (lambda: tf.concat([x, y], axis)), \
            (lambda: _np_or_none(lambda: np.concatenate([a, b], axis) if a.dtype == b.dtype and a.ndim else None))
    if name == "stack":
        return (lambda: tf.stack([x, y], axis)), \
            (lambda: _np_or_none(lambda: np.stack([a, b], axis) if a.dtype == b.dtype else None))
    if name == "where":
        c, cond = d.operand(tf, dtype="bool", shape=a.shape if a is not None and d.chance(0.8) else None)
        return (lambda: tf.where(c, x, y)), \
            (lambda: _np_or_none(lambda: np.where(cond, a, b) if a.dtype == b.dtype and cond is not None else None))
    if name == "matmul":
        return (lambda: tf.matmul(x, y)), (lambda: None)
    if name == "split":
        n = d.int_or_huge(0, 3)
        return (lambda: tf.split(x, n, axis)), (lambda: None)
    raise KeyError(name)


def _creation_case(tf, d, name):
    dtype = d.pick(DTYPES + (None, "complex64", "str", 7))
    if name in ("zeros", "ones"):
        shape = d.pick(([2, 3], [0], [], [2 ** 40, 2 ** 40], [-1], [2 ** 70], "3", [1.5], [0, 2 ** 62]))
        return (lambda: getattr(tf, name)(shape, dtype=dtype)), \
            (lambda: _np_or_none(lambda: getattr(np, name)(shape, dtype=dtype)) if dtype in FLOATS else None)
    if name == "fill":
        shape = d.pick(([2, 3], [0], [], [2 ** 40, 2 ** 40], [-1]))
        value = d.pick((1, 2.5, np.nan, 2 ** 70, "a", None, True))
        return (lambda: tf.fill(shape, value)), (lambda: None)
    if name == "range":
        args = [d.pick((0, 1, 5, -3, 2.5, 2 ** 62, -2 ** 63, np.nan, np.inf)) for _ in range(3)]
        if d.chance(0.3):
            args[2] = 0
        return (lambda: tf.range(*args)), (lambda: None)
    if name == "eye":
        n = d.int_or_huge(0, 4)
        return (lambda: tf.eye(n)), (lambda: _np_or_none(lambda: np.eye(n, dtype="float32")))
    if name == "linspace":
        num = d.int_or_huge(0, 5)
        return (lambda: tf.linspace(0.0, 1.0, num)), (lambda: None)
    if name == "cast":
        x, a = d.operand(tf)
        return (lambda: tf.cast(x, dtype)), (lambda: None)
    raise KeyError(name)


def _nn_case(tf, d, name):
    if name in ("max_pool2d", "avg_pool2d", "conv2d"):
        x, a = d.operand(tf, floats=True, shape=d.pick(((1, 4, 4, 2), (2, 3, 3, 1), (1, 0, 4, 2), (4, 4))))
        ksize = d.pick((1, 2, 3, 5, 2 ** 20, 2 ** 40, 0, -1, [2, 3], [1, 2, 2, 1]))
        strides = d.pick((1, 2, 0, -1, 2 ** 31, [1, 2]))
        padding = d.pick(("SAME", "VALID", "FULL", [[0, 0], [1, 1], [1, 1], [0, 0]], [[0, 0], [2 ** 63 - 1, 0],
                                                                                     [0, 0], [0, 0]]))
        if name == "conv2d":
            f, _ = d.operand(tf, floats=True, shape=d.pick(((2, 2, 2, 3), (1, 1, 2, 1), (3, 3, 1, 1), (2, 2))))
            dil = d.pick((1, 2, 2 ** 62, 0))
            return (lambda: tf.nn.conv2d(x, f, strides, padding, dilations=dil)), (lambda: None)
        return (lambda: getattr(tf.nn, name)(x, ksize, strides, padding)), (lambda: None)
    if name == "sparse_softmax_cross_entropy_with_logits":
        logits, _ = d.operand(tf, floats=True, shape=d.pick(((3, 4), (0, 4), (3, 0), (4,))))
        labels, _ = d.indices(tf, 4, d.pick(((3,), (0,), (2,))))
        return (lambda: tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)), \
            (lambda: None)
    if name == "clip_by_value":
        x, a = d.operand(tf, floats=True)
        lo, hi = d.pick((0.0, -1.0, np.nan, None)), d.pick((1.0, -2.0, np.inf, "a"))
        return (lambda: tf.clip_by_value(x, lo, hi)), (lambda: None)
    if name == "bias_add":
        x, _ = d.operand(tf, floats=True)
        b, _ = d.operand(tf, floats=True, shape=d.pick(((3,), (4,), (0,), ())))
        return (lambda: tf.nn.bias_add(x, b)), (lambda: None)
    raise KeyError(name)


OPS = ([(n, _unary_case) for n in UNARY] + [(n, _binary_case) for n in BINARY] +
       [(n, _reduce_case) for n in REDUCE] + [("argmax", _arg_case), ("argmin", _arg_case)] +
       [("cumsum", _cum_case), ("cumprod", _cum_case)] +
       [(n, _sort_case) for n in ("sort", "argsort", "top_k")] +
       [(n, _shape_case) for n in ("reshape", "transpose", "expand_dims", "squeeze", "reverse", "tile", "pad",
                                   "broadcast_to", "slice", "getitem")] +
       [(n, _index_case) for n in ("gather", "gather_nd", "scatter_nd", "one_hot")] +
       [(n, _join_case) for n in ("concat", "stack", "where", "matmul", "split")] +
       [(n, _creation_case) for n in ("zeros", "ones", "fill", "range", "eye", "linspace", "cast")] +
       [(n, _nn_case) for n in ("max_pool2d", "avg_pool2d", "conv2d", "sparse_softmax_cross_entropy_with_logits",
                                "clip_by_value", "bias_add")])


# ----------------------------------------------------------------- one case, in a worker
BIG = 1 << 24  # outputs with more elements are not compared (converting them could exhaust the worker)


def _outputs(value):
    values = value if isinstance(value, (list, tuple)) else [value]
    if any(int(np.prod(getattr(v, "shape", ()) or ())) > BIG for v in values):
        return None
    return [np.array(v) for v in values]


def _same_bits(xs, ys):
    return len(xs) == len(ys) and all(
        x.shape == y.shape and x.dtype == y.dtype and x.tobytes() == y.tobytes() for x, y in zip(xs, ys))


def _close(got, want):
    want = np.asarray(want)
    if got.shape != want.shape:
        return "shape %s, NumPy %s" % (got.shape, want.shape)
    if got.dtype.kind == "f":
        rtol = {"float16": 2e-3, "float32": 2e-5}.get(got.dtype.name, 1e-9)
        g, w = got.astype("float64"), want.astype("float64")
        same = (np.isnan(g) & np.isnan(w)) | (g == w) | (np.abs(g - w) <= rtol * np.abs(w) + 1e-30)
        if not same.all():
            at = tuple(np.argwhere(~same)[0])
            return "at %s: %r, NumPy %r" % (at, g[at], w[at])
        return None
    if not np.array_equal(got, want.astype(got.dtype)):
        return "values %s, NumPy %s" % (got.ravel()[:8], want.ravel()[:8])
    return None


def run_case(tf, seed, index):
    """(op, outcome, detail) of case ``index``."""
    d = Draw(seed, index)
    name, make = OPS[int(d.rng.integers(len(OPS)))]
    try:
        call, ref = make(tf, d, name)
    except Exception as e:  # a tensor the case could not even build (its own arguments) is no finding
        return name, "error", "setup: %s: %s" % (type(e).__name__, e)
    allowed = (ValueError, TypeError, IndexError, NotImplementedError, OverflowError, MemoryError, tf.errors.OpError)
    try:
        first = _outputs(call())
    except allowed as e:
        return name, "error", "%s: %s" % (type(e).__name__, str(e)[:200])
    except Exception as e:
        return name, "bad_error", "%s: %s\n%s" % (type(e).__name__, str(e)[:300], traceback.format_exc()[-1500:])
    if first is None:
        return name, "value", "too large to compare"
    try:
        second = _outputs(call())
    except Exception as e:
        return name, "nondeterministic", "the second call raised %s: %s" % (type(e).__name__, e)
    if not _same_bits(first, second):
        return name, "nondeterministic", "two calls on the same inputs gave different bits"
    try:
        want = ref()
    except Exception:  # NumPy refuses these arguments: nothing to compare
        want = None
    if want is not None and len(first) == 1:
        problem = _close(first[0], want)
        if problem:
            return name, "mismatch", problem
        return name, "value", "compared"
    return name, "value", ""


def worker(seed, start, stop):
    import resource
    if "asan" not in os.environ.get("LD_PRELOAD", ""):  # AddressSanitizer reserves terabytes of address space
        resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY, WORKER_MEMORY))
    import warnings
    warnings.simplefilter("ignore")
    import tapeflow as tf
    out = sys.stdout
    for i in range(start, stop):
        out.write("S %d\n" % i)
        out.flush()
        op, outcome, detail = run_case(tf, seed, i)
        out.write(json.dumps({"i": i, "op": op, "outcome": outcome, "detail": detail}) + "\n")
        out.flush()


# ----------------------------------------------------------------- the driver
def fuzz(seed=0, start=0, cases=400, verbose=False):
    """Runs cases [start, start + cases) in workers; returns (Counter of outcomes, list of bad case records)."""
    counts, bad, compared = collections.Counter(), [], 0
    i, stop = start, start + cases
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    if "asan" in env.get("LD_PRELOAD", ""):  # the address-space cap is unusable there: cap single allocations
        env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":allocator_may_return_null=1:max_allocation_size_mb=%d" \
            % (WORKER_MEMORY >> 20)
    while i < stop:
        errors = tempfile.TemporaryFile("w+")  # the worker's stderr: what a crash said
        proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--worker", str(seed), str(i),
                                 str(stop)], stdout=subprocess.PIPE, stderr=errors, env=env, text=True)
        running, deadline = None, time.time() + 60  # the first case also waits for the import
        while True:
            ready, _, _ = select.select([proc.stdout], [], [], max(0.0, deadline - time.time()))
            if not ready:  # a hang: counted against the running case; a new worker goes on after it
                proc.kill()
                proc.wait()
                record = {"i": running if running is not None else i, "op": "?", "outcome": "hang", "detail": ""}
                counts["hang"] += 1
                bad.append(record)
                i = record["i"] + 1
                break
            line = proc.stdout.readline()
            if not line:  # the worker died: a crash of the running case (or it finished)
                rc = proc.wait()
                if running is not None:
                    errors.seek(0)
                    counts["crash"] += 1
                    said = [l for l in errors.read().splitlines() if not l.startswith("S ")]
                    bad.append({"i": running, "op": "?", "outcome": "crash",  # the report's first lines
                                "detail": "exit status %s: %s" % (rc, "\n".join(said[:6])[:1500])})
                    i = running + 1
                break
            if line.startswith("S "):
                running, deadline = int(line[2:]), time.time() + CASE_SECONDS
                continue
            record = json.loads(line)
            running, i = None, record["i"] + 1
            counts[record["outcome"]] += 1
            compared += record["detail"] == "compared"
            if record["outcome"] in BAD_OUTCOMES:
                bad.append(record)
            if verbose:
                print("%6d %-38s %-16s %s" % (record["i"], record["op"], record["outcome"], record["detail"][:150]))
        proc.stdout.close()
        errors.close()
    counts["compared_with_numpy"] = compared
    return counts, bad


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--cases", type=int, default=20000)
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("--worker", nargs=3, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    t0 = time.time()
    counts, bad = fuzz(args.seed, args.start, args.cases, args.verbose)
    print("%d cases in %.0f s: %s" % (args.cases, time.time() - t0, dict(sorted(counts.items()))))
    for record in bad:
        print(json.dumps(record))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
