"""The op namespace shared by ``tapeflow``, ``tapeflow.math`` and ``tapeflow.nn``:
C++ ops from ``_core`` under TensorFlow's names, plus a few composites."""

import collections as _collections
import math as _math

import numpy as _np

from tapeflow import _core
from tapeflow import errors as _errors
from tapeflow import string_tensor as _string_tensor

_CORE_OPS = [
    # creation
    "zeros", "ones", "fill", "zeros_like", "ones_like", "eye", "range", "linspace",
    # elementwise
    "add", "subtract", "multiply", "divide", "truediv", "floordiv", "floormod", "pow", "maximum", "minimum",
    "squared_difference", "negative", "abs", "sign", "sqrt", "rsqrt", "exp", "log", "log1p", "expm1", "square",
    "tanh", "sigmoid", "erf", "sin", "cos", "reciprocal", "floor", "ceil", "round",
    "equal", "not_equal", "less", "less_equal", "greater", "greater_equal",
    "logical_and", "logical_or", "logical_xor", "logical_not", "is_nan", "is_inf", "is_finite",
    "where", "cast", "identity", "stop_gradient", "clip_by_value",
    # activations
    "relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "softplus", "softsign", "swish", "softmax", "log_softmax",
    # reductions
    "reduce_sum", "reduce_prod", "reduce_max", "reduce_min", "reduce_mean", "reduce_any", "reduce_all",
    "reduce_variance", "reduce_std", "reduce_logsumexp", "argmax", "argmin", "cumsum", "cumprod",
    # losses
    "sigmoid_cross_entropy_with_logits", "softmax_cross_entropy_with_logits", "sparse_softmax_cross_entropy_with_logits",
    # shapes and indexing
    "matmul", "reshape", "transpose", "broadcast_to", "expand_dims", "squeeze", "reverse", "slice", "concat", "stack",
    "unstack", "split", "tile", "pad", "gather", "gather_nd", "scatter_nd", "one_hot", "shape", "size", "rank",
]
globals().update({name: getattr(_core, name) for name in _CORE_OPS})


def _string_aware(numeric, on_strings, tensor_args):
    """The public op: ``numeric`` (a C++ op), or its string-tensor version when one of ``tensor_args`` (position,
    name) holds strings (for list-taking ops like ``concat``, when their first item does)."""
    def op(*args, **kwargs):
        for position, name in tensor_args:
            value = args[position] if position < len(args) else kwargs.get(name)
            if value is not None and _string_arg(value):
                return on_strings(*args, **kwargs)
        return numeric(*args, **kwargs)
    op.__name__ = op.__qualname__ = numeric.__name__
    op.__doc__ = numeric.__doc__
    return op


def _string_arg(a):
    if isinstance(a, (list, tuple)) and a and not _string_tensor.is_string_value(a):
        a = a[0]
    return _string_tensor.is_string_value(a)


def boolean_mask(tensor, mask, axis=None, name=None):
    """The entries (rows along ``axis``, default 0) of ``tensor`` where ``mask`` (boolean, the shape of the dims
    it covers) is True, flattened over those dims. Differentiable (a gather)."""
    tensor = _core.convert_to_tensor(tensor)
    m = _core.convert_to_tensor(mask).numpy().astype(bool)
    axis = 0 if axis is None else int(axis) % max(tensor.ndim, 1)
    dims = tuple(tensor.shape)[axis:axis + m.ndim]
    if m.ndim == 0 or dims != m.shape:
        raise ValueError("Shapes %s and %s are incompatible: the mask must have the shape of the masked dims"
                         % (list(tensor.shape), list(m.shape)))
    flat = _core.reshape(tensor, list(tensor.shape[:axis]) + [-1] + list(tensor.shape[axis + m.ndim:]))
    return _core.gather(flat, _core.convert_to_tensor(_np.flatnonzero(m).astype(_np.int64)), axis=axis)


UniqueOutput = _collections.namedtuple("Unique", ["y", "idx"])


def unique(x, out_idx="int32", name=None):
    """The distinct values of the 1-D ``x`` in order of first appearance (``y``) and for each entry of ``x`` the
    position of its value in ``y`` (``idx``)."""
    strings = _string_tensor.is_string_value(x)
    values = _string_tensor.strings(x)._a if strings else _core.convert_to_tensor(x).numpy()
    if values.ndim != 1:
        raise _errors.InvalidArgumentError(None, None, "unique expects a 1D vector, got shape %s" % (list(values.shape),))
    first, idx = (_np.unique(values, return_index=True, return_inverse=True)[1:]
                  if values.size else (_np.zeros(0, _np.int64), _np.zeros(0, _np.int64)))
    order = _np.argsort(first, kind="stable")  # sorted-unique positions -> appearance order
    rank = _np.empty_like(order)
    rank[order] = _np.arange(len(order))
    y = values[first[order]]
    y = _string_tensor.strings(y) if strings else _core.convert_to_tensor(y)
    return UniqueOutput(y, _core.convert_to_tensor(rank[idx.reshape(-1)], dtype=out_idx))


globals().update({name: _string_aware(globals()[name], getattr(_string_tensor, name), tensor_args)
                  for name, tensor_args in _string_tensor.SHAPE_OPS.items()})
mod = floormod
silu = swish
floor_div = floordiv


def add_n(inputs, name=None):
    """Sums a list of tensors of the same shape and dtype."""
    if not inputs:
        raise ValueError("inputs must be a non-empty list of tensors")
    total = inputs[0]
    for t in inputs[1:]:
        total = _core.add(total, t)
    return total


def tensordot(a, b, axes, name=None):
    """Contracts ``axes`` of ``a`` with ``axes`` of ``b`` (an int N: the last N of a with the first N of b)."""
    a = _core.convert_to_tensor(a)
    b = _core.convert_to_tensor(b, dtype_hint=a.dtype)
    ra, rb = a.ndim, b.ndim
    if isinstance(axes, int) or (hasattr(axes, "__index__") and not isinstance(axes, (list, tuple))):
        n = int(axes)
        if n < 0 or n > ra or n > rb:
            raise ValueError("'axes' must be at most the rank of both operands, got %d for ranks %d and %d" % (n, ra, rb))
        axes_a, axes_b = list(range(ra - n, ra)), list(range(n))
    else:
        if len(axes) != 2:
            raise ValueError("'axes' must be an int or a pair of axis lists, got %r" % (axes,))
        axes_a, axes_b = axes
        axes_a = [axes_a] if isinstance(axes_a, int) else list(axes_a)
        axes_b = [axes_b] if isinstance(axes_b, int) else list(axes_b)
        if len(axes_a) != len(axes_b):
            raise ValueError("tensordot axes lists differ in length: %r vs %r" % (axes_a, axes_b))
        axes_a = [x % ra for x in axes_a]
        axes_b = [x % rb for x in axes_b]
    sa, sb = a._shape, b._shape
    for i, j in zip(axes_a, axes_b):
        if sa[i] != sb[j]:
            raise ValueError("tensordot: dimension %d of a (%d) does not match dimension %d of b (%d)" % (i, sa[i], j, sb[j]))
    free_a = [i for i in range(ra) if i not in axes_a]
    free_b = [j for j in range(rb) if j not in axes_b]
    k = 1
    for i in axes_a:
        k *= sa[i]
    m = 1
    for i in free_a:
        m *= sa[i]
    n = 1
    for j in free_b:
        n *= sb[j]
    a2 = _core.reshape(_core.transpose(a, free_a + axes_a), [m, k])
    b2 = _core.reshape(_core.transpose(b, axes_b + free_b), [k, n])
    return _core.reshape(_core.matmul(a2, b2), [sa[i] for i in free_a] + [sb[j] for j in free_b])


def bias_add(value, bias, data_format=None, name=None):
    """Adds a 1-D bias to the last axis of ``value`` (or axis 1 with data_format='NCHW')."""
    value = _core.convert_to_tensor(value)
    bias = _core.convert_to_tensor(bias, dtype_hint=value.dtype)
    if bias.ndim != 1:
        raise ValueError("bias must be 1-D, got shape %s" % (bias.shape,))
    if data_format is not None and data_format.startswith("NC"):
        bias = _core.reshape(bias, [-1] + [1] * (value.ndim - 2))
    return _core.add(value, bias)


def _values(t):
    """The dense tensor, or an IndexedSlices' values."""
    from tapeflow.framework import IndexedSlices
    return t.values if isinstance(t, IndexedSlices) else _core.convert_to_tensor(t)


def _like(t, values):
    from tapeflow.framework import IndexedSlices
    return IndexedSlices(values, t.indices, t.dense_shape) if isinstance(t, IndexedSlices) else values


def clip_by_norm(t, clip_norm, axes=None, name=None):
    """``t * clip_norm / max(norm(t), clip_norm)``, the L2 norm over ``axes`` (all by default); for
    IndexedSlices, over the values, and the result is IndexedSlices."""
    v = _values(t)
    l2sum = _core.reduce_sum(_core.square(v), axes, True)
    norm = _core.sqrt(l2sum)
    clip = _core.cast(_core.convert_to_tensor(clip_norm), v.dtype.name)
    return _like(t, _core.divide(_core.multiply(v, clip), _core.maximum(norm, clip)))


def _direction(direction):
    direction = str(direction).upper()
    if direction not in ("ASCENDING", "DESCENDING"):
        raise ValueError('`direction` should be one of {"ASCENDING", "DESCENDING"}. Received: direction=%r'
                         % (direction,))
    return direction == "DESCENDING"


def _along(x, axis, fn):
    """fn(x with ``axis`` moved last) with the axis moved back."""
    if x.ndim == 0:
        raise _errors.InvalidArgumentError(None, None, "sort needs a tensor of rank >= 1, got a scalar")
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise TypeError("`axis` must be an int, got %r" % (axis,))
    if not -x.ndim <= axis < x.ndim:
        raise _errors.InvalidArgumentError(None, None, "axis %d is out of range for a tensor of rank %d"
                                           % (axis, x.ndim))
    axis = axis % x.ndim
    if axis == x.ndim - 1:
        return fn(x)
    perm = [d for d in range(x.ndim) if d != axis] + [axis]
    back = [perm.index(d) for d in range(x.ndim)]
    return _core.transpose(fn(_core.transpose(x, perm)), back)


def _sorted_by(x, order):
    """x (sorted axis last) gathered in ``order`` along its last axis: differentiable through gather."""
    return _core.gather(x, order, axis=x.ndim - 1, batch_dims=x.ndim - 1)


def argsort(values, axis=-1, direction="ASCENDING", stable=False, name=None):
    """The int32 positions that sort ``values`` along ``axis`` (always stable here)."""
    values = _core.convert_to_tensor(values)
    return _core.cast(_core._argsort(values, axis, _direction(direction)), "int32")


def sort(values, axis=-1, direction="ASCENDING", name=None):
    """``values`` sorted along ``axis``; the gradient goes back to each value's place."""
    values = _core.convert_to_tensor(values)
    descending = _direction(direction)
    return _along(values, axis, lambda v: _sorted_by(v, _core._argsort(v, -1, descending)))


TopKV2 = _collections.namedtuple("TopKV2", ["values", "indices"])


def top_k(input, k=1, sorted=True, index_type="int32", name=None):  # noqa: A002 - TensorFlow's argument names
    """The ``k`` largest entries of the last axis (ties: the lower index first) and their int32 indices."""
    x = _core.convert_to_tensor(input)
    if x.ndim == 0:
        raise ValueError("top_k needs an input of rank >= 1, got a scalar")
    k = int(k)
    if not 0 <= k <= x.shape[-1]:
        raise _errors.InvalidArgumentError(None, None, "input must have at least k columns. Had %d, needed %d"
                                           % (x.shape[-1], k))
    order = _core._argsort(x, -1, True)[..., :k]
    return TopKV2(_sorted_by(x, order), _core.cast(order, index_type))


def l2_normalize(x, axis=None, epsilon=1e-12, name=None, dim=None):
    """``x / sqrt(max(sum(x ** 2, axis), epsilon))`` (TensorFlow's definition); all axes when ``axis`` is None."""
    x = _core.convert_to_tensor(x)
    axis = dim if axis is None else axis
    square_sum = _core.reduce_sum(_core.square(x), axis, True)
    floor = _core.cast(_core.convert_to_tensor(epsilon), x.dtype.name)
    return _core.multiply(x, _core.rsqrt(_core.maximum(square_sum, floor)))


def global_norm(t_list, name=None):
    """``sqrt(sum of squares of every tensor)``; None entries are skipped, IndexedSlices count their values."""
    squares = [_core.reduce_sum(_core.square(_values(t))) for t in t_list if t is not None]
    if not squares:
        return _core.convert_to_tensor(0.0)
    if len({s.dtype for s in squares}) > 1:  # mixed precisions: summed in float32
        squares = [_core.cast(s, "float32") for s in squares]
    return _core.sqrt(add_n(squares))


def clip_by_global_norm(t_list, clip_norm, use_norm=None, name=None):
    """Scales every tensor by ``clip_norm / max(global_norm, clip_norm)``; returns ``(clipped, global_norm)``.
    A non-finite norm makes every entry NaN, as in TensorFlow. None entries stay None."""
    if isinstance(t_list, (str, bytes)) or not hasattr(t_list, "__iter__"):
        raise TypeError("t_list should be a sequence of tensors, got %r" % (t_list,))
    t_list = list(t_list)
    norm = global_norm(t_list) if use_norm is None else _core.convert_to_tensor(use_norm)
    if not norm.dtype.is_floating:
        norm = _core.cast(norm, "float32")
    clip = _core.cast(_core.convert_to_tensor(clip_norm), norm.dtype.name)
    # tensors all the way (no host read, so the gradient and a captured step see it): a zero norm gives
    # 1 / 0 = inf and so the scale 1
    scale = _core.multiply(clip, _core.minimum(_core.reciprocal(norm), _core.reciprocal(clip)))
    nan = _core.cast(_core.convert_to_tensor(float("nan")), norm.dtype.name)
    scale = _core.where(_core.is_finite(norm), scale, nan)
    out = []
    for t in t_list:
        if t is None:
            out.append(None)
            continue
        v = _values(t)
        out.append(_like(t, _core.multiply(v, _core.cast(scale, v.dtype.name))))
    return out, norm


def einsum(equation, *inputs, **kwargs):
    """Einstein summation over one or two tensors (``"bij,bjk->bik"``, ``"...ij->...ji"``, implicit outputs),
    lowered to transposes, sums and one batched matmul, so it is differentiable and fast. A letter repeated
    within one operand (a diagonal) is not supported."""
    operands = [_core.convert_to_tensor(x) for x in inputs]
    if not 1 <= len(operands) <= 2:
        raise NotImplementedError("einsum takes one or two operands in tapeflow, got %d" % len(operands))
    specs, out = _einsum_specs(equation.replace(" ", ""), operands)
    for spec in specs:
        if len(set(spec)) != len(spec):
            raise NotImplementedError("einsum: a letter repeated within one operand (%r) is not supported" % spec)
    sizes = {}
    for spec, x in zip(specs, operands):
        for letter, n in zip(spec, x.shape):
            if sizes.setdefault(letter, n) != n and n != 1 and sizes[letter] != 1:
                raise ValueError("einsum: dimension %r has sizes %d and %d" % (letter, sizes[letter], n))
            sizes[letter] = max(sizes[letter], n)
    if len(operands) == 1:
        x, spec = _einsum_reduce(operands[0], specs[0], out)
        return _core.transpose(x, [spec.index(c) for c in out]) if spec != out else x
    (a, sa), (b, sb) = [_einsum_reduce(x, s, out + (specs[1] if i == 0 else specs[0])) for i, (x, s) in
                        enumerate(zip(operands, specs))]
    batch = [c for c in out if c in sa and c in sb]
    contracted = [c for c in sa if c in sb and c not in out]
    free_a = [c for c in sa if c not in sb]
    free_b = [c for c in sb if c not in sa]

    def arrange(x, spec, order):
        x = _core.transpose(x, [spec.index(c) for c in order]) if list(spec) != order else x
        target = [sizes[c] for c in order]
        return _core.broadcast_to(x, target) if list(x.shape) != target else x
    a = arrange(a, sa, batch + free_a + contracted)
    b = arrange(b, sb, batch + contracted + free_b)
    n = [_math.prod(sizes[c] for c in group) for group in (batch, free_a, contracted, free_b)]
    product = _core.matmul(_core.reshape(a, [n[0], n[1], n[2]]), _core.reshape(b, [n[0], n[2], n[3]]))
    result_spec = batch + free_a + free_b
    result = _core.reshape(product, [sizes[c] for c in result_spec])
    return _core.transpose(result, [result_spec.index(c) for c in out]) if result_spec != list(out) else result


def _einsum_specs(equation, operands):
    """The operands' subscripts and the output's, with ``...`` spelled out as letters of its own."""
    lhs, arrow, rhs = equation.partition("->")
    specs = lhs.split(",")
    if len(specs) != len(operands):
        raise ValueError("einsum: the equation %r names %d operands, %d were given" % (equation, len(specs),
                                                                                       len(operands)))
    free_letters = [c for c in "ZYXWVUTSRQPONMLKJIHGFEDCBA" if c not in equation]
    ellipsis = 0
    for spec, x in zip(specs, operands):
        if "..." in spec:
            ellipsis = max(ellipsis, x.ndim - (len(spec) - 3))
    dots = "".join(free_letters[:ellipsis][::-1])
    expanded = []
    for spec, x in zip(specs, operands):
        if "..." in spec:
            spec = spec.replace("...", dots[len(dots) - (x.ndim - (len(spec) - 3)):])
        if len(spec) != x.ndim:
            raise ValueError("einsum: subscripts %r do not fit an operand of rank %d" % (spec, x.ndim))
        expanded.append(spec)
    if arrow:
        out = rhs.replace("...", dots)
    else:  # implicit: the letters seen once, in alphabetical order, after the ellipsis
        counts = {}
        for spec in expanded:
            for c in spec:
                counts[c] = counts.get(c, 0) + 1
        out = dots + "".join(sorted(c for c, k in counts.items() if k == 1 and c not in dots))
    return expanded, out


def _einsum_reduce(x, spec, keep):
    """x with the axes whose letters are not in ``keep`` summed away; (tensor, its remaining subscripts)."""
    gone = [i for i, c in enumerate(spec) if c not in keep]
    if not gone:
        return x, spec
    return _core.reduce_sum(x, gone, False), "".join(c for c in spec if c in keep)


def cond(pred, true_fn=None, false_fn=None, name=None):
    """tf.cond: ``true_fn()`` if ``pred`` else ``false_fn()``, run eagerly (the predicate is read on the host)."""
    return true_fn() if bool(_core.convert_to_tensor(pred)) else false_fn()


def while_loop(cond, body, loop_vars, shape_invariants=None, parallel_iterations=10, back_prop=True,
               swap_memory=False, maximum_iterations=None, name=None):
    """tf.while_loop, run eagerly: ``loop_vars = body(*loop_vars)`` while ``cond(*loop_vars)``."""
    state = list(loop_vars)
    steps = 0
    while bool(_core.convert_to_tensor(cond(*state))) and (maximum_iterations is None or steps < maximum_iterations):
        out = body(*state)
        state = list(out) if isinstance(out, (tuple, list)) else [out]
        steps += 1
    return type(loop_vars)(state) if isinstance(loop_vars, (tuple, list)) else state[0]
