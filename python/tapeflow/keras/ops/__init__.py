"""keras.ops: Keras 3's NumPy-like and neural-network functions, under Keras 3's names and argument conventions.

Each function takes tensors, NumPy arrays or Python numbers and returns a tensor; it is differentiable where the
op is. Given a symbolic KerasTensor (a functional model being built), it adds an op layer to the graph instead,
as Keras does, so ``keras.ops.sum(x, axis=-1)`` works between ``keras.Input`` and ``keras.Model``.
"""
import builtins
import functools

import numpy as np

from tapeflow import _core, _ops, dtypes, nn
from tapeflow.keras import activations, backend
from tapeflow.keras import losses as _losses
from tapeflow.keras.engine.keras_tensor import any_symbolic, op_call

_T = _core.convert_to_tensor


def _keras_op(fn):
    """Runs ``fn`` on values, or through an op layer when any argument is a KerasTensor."""
    @functools.wraps(fn)
    def op(*args, **kwargs):
        if any_symbolic((list(args), kwargs)):
            return op_call(fn, fn.__name__, *args, **kwargs)
        return fn(*args, **kwargs)
    return op


def _axis(axis):
    return list(axis) if isinstance(axis, tuple) else axis


# ----------------------------------------------------------------- conversion and creation
def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    return _T(x, dtype=dtype) if dtype is not None else _T(x)


def convert_to_numpy(x):
    return np.array(x)


def shape(x):
    """The static shape as a tuple (None for unknown dimensions of a KerasTensor)."""
    return tuple(x.shape)


@_keras_op
def cast(x, dtype):
    return _core.cast(_T(x), dtypes.as_dtype(dtype).name)


def zeros(shape, dtype=None):
    return _core.zeros(list(shape), dtype or backend.floatx())


def ones(shape, dtype=None):
    return _core.ones(list(shape), dtype or backend.floatx())


def full(shape, fill_value, dtype=None):
    value = _T(fill_value) if dtype is None else _T(fill_value, dtype=dtype)
    return _core.fill(list(shape), value)


@_keras_op
def zeros_like(x, dtype=None):
    return _core.zeros_like(_T(x)) if dtype is None else zeros(tuple(x.shape), dtype)


@_keras_op
def ones_like(x, dtype=None):
    return _core.ones_like(_T(x)) if dtype is None else ones(tuple(x.shape), dtype)


@_keras_op
def full_like(x, fill_value, dtype=None):
    return full(tuple(_T(x).shape), fill_value, dtype or _T(x).dtype.name)


def arange(start, stop=None, step=1, dtype=None):
    if stop is None:
        start, stop = 0, start
    if dtype is None:
        ints = builtins.all(isinstance(v, (int, np.integer)) for v in (start, stop, step))
        dtype = "int32" if ints else backend.floatx()
    return _core.range(start, stop, step, dtype=dtypes.as_dtype(dtype).name)


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    values = np.linspace(start, stop, num, endpoint=endpoint, dtype=dtype or backend.floatx())
    return _T(values)


def eye(N, M=None, k=0, dtype=None):
    return _T(np.eye(N, M, k, dtype=dtype or backend.floatx()))


def identity(n, dtype=None):
    return eye(n, dtype=dtype)


# ----------------------------------------------------------------- elementwise
def _unary(name, fn):
    def op(x):
        return fn(_T(x))
    op.__name__ = name
    return _keras_op(op)


def _weak(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _promoted(x1, x2):
    """Both operands as tensors of one dtype, by Keras 3's rule: a Python number takes the other side's dtype (a
    Python float with an integer tensor makes both floatx); an int with a float is the float; two floats or two
    ints are the wider."""
    if _weak(x1) != _weak(x2):
        scalar, t = (x1, _T(x2)) if _weak(x1) else (x2, _T(x1))
        if isinstance(scalar, float) and not t.dtype.is_floating:
            t = _core.cast(t, backend.floatx())
        s = _T(scalar, dtype=t.dtype.name)
        return (s, t) if _weak(x1) else (t, s)
    a, b = _T(x1), _T(x2)
    if a.dtype != b.dtype and a.dtype.name != "bool" and b.dtype.name != "bool":
        floats = [t.dtype for t in (a, b) if t.dtype.is_floating]
        pool = floats or [a.dtype, b.dtype]
        target = builtins.max(pool, key=lambda d: d.size).name
        a, b = _core.cast(a, target), _core.cast(b, target)
    return a, b


def _binary(name, fn):
    def op(x1, x2):
        return fn(*_promoted(x1, x2))
    op.__name__ = name
    return _keras_op(op)


for _name, _fn in (("abs", _core.abs), ("absolute", _core.abs), ("negative", _core.negative),
                   ("square", _core.square), ("sqrt", _core.sqrt), ("exp", _core.exp), ("log", _core.log),
                   ("log1p", _core.log1p), ("expm1", _core.expm1), ("tanh", _core.tanh), ("sin", _core.sin),
                   ("cos", _core.cos), ("floor", _core.floor), ("ceil", _core.ceil), ("round", _core.round),
                   ("sign", _core.sign), ("reciprocal", _core.reciprocal), ("rsqrt", _core.rsqrt),
                   ("erf", _core.erf), ("logical_not", _core.logical_not), ("isnan", _core.is_nan),
                   ("isinf", _core.is_inf), ("isfinite", _core.is_finite)):
    globals()[_name] = _unary(_name, _fn)
for _name, _fn in (("add", _core.add), ("subtract", _core.subtract), ("multiply", _core.multiply),
                   ("divide", _core.truediv), ("true_divide", _core.truediv), ("power", _core.pow),
                   ("maximum", _core.maximum), ("minimum", _core.minimum), ("mod", _core.floormod),
                   ("floor_divide", _core.floordiv), ("equal", _core.equal), ("not_equal", _core.not_equal),
                   ("greater", _core.greater), ("greater_equal", _core.greater_equal), ("less", _core.less),
                   ("less_equal", _core.less_equal), ("logical_and", _core.logical_and),
                   ("logical_or", _core.logical_or), ("logical_xor", _core.logical_xor), ("matmul", _core.matmul)):
    globals()[_name] = _binary(_name, _fn)


@_keras_op
def clip(x, x_min, x_max):
    return _core.clip_by_value(_T(x), x_min, x_max)


@_keras_op
def where(condition, x1=None, x2=None):
    if x1 is None and x2 is None:
        raise NotImplementedError("keras.ops.where(condition) (the indices of true elements) has a data-dependent "
                                  "shape, which tapeflow does not support yet")
    return _core.where(_T(condition), x1, x2)


@_keras_op
def dot(x1, x2):
    a, b = _promoted(x1, x2)
    if a.ndim == 0 or b.ndim == 0:
        return _core.multiply(a, b)
    if b.ndim == 1:
        return _core.reduce_sum(_core.multiply(a, b), -1)
    return _core.tensordot(a, b, [[a.ndim - 1], [b.ndim - 2]])


@_keras_op
def einsum(subscripts, *operands, **kwargs):
    return _ops.einsum(subscripts, *operands)


@_keras_op
def sort(x, axis=-1):
    return _ops.sort(x, axis=axis)


@_keras_op
def argsort(x, axis=-1):
    return _ops.argsort(x, axis=axis)


def top_k(x, k, sorted=True):  # noqa: A002 - Keras's argument name
    result = _ops.top_k(x, k=k, sorted=sorted)
    return result.values, result.indices


@_keras_op
def stop_gradient(variable):
    return _core.stop_gradient(_T(variable))


# ----------------------------------------------------------------- reductions
def _reduction(name, fn):
    def op(x, axis=None, keepdims=False):
        return fn(_T(x), _axis(axis), keepdims)
    op.__name__ = name
    return _keras_op(op)


for _name, _fn in (("sum", _core.reduce_sum), ("mean", _core.reduce_mean), ("max", _core.reduce_max),
                   ("amax", _core.reduce_max), ("min", _core.reduce_min), ("amin", _core.reduce_min),
                   ("prod", _core.reduce_prod), ("std", _core.reduce_std), ("var", _core.reduce_variance),
                   ("logsumexp", _core.reduce_logsumexp), ("all", _core.reduce_all), ("any", _core.reduce_any)):
    globals()[_name] = _reduction(_name, _fn)


def _arg_reduction(name, fn):
    def op(x, axis=None, keepdims=False):
        x = _T(x)
        if axis is None:  # over the flattened tensor, as NumPy
            out = fn(_core.reshape(x, [-1]), axis=0)
            return _core.cast(_core.reshape(out, [1] * x.ndim) if keepdims else out, "int32")
        out = fn(x, axis=axis)
        return _core.cast(_core.expand_dims(out, axis) if keepdims else out, "int32")
    op.__name__ = name
    return _keras_op(op)


argmax = _arg_reduction("argmax", _core.argmax)
argmin = _arg_reduction("argmin", _core.argmin)


@_keras_op
def cumsum(x, axis=None, dtype=None):
    x = _T(x)
    out = _core.cumsum(_core.reshape(x, [-1]), 0) if axis is None else _core.cumsum(x, axis)
    return out if dtype is None else _core.cast(out, dtypes.as_dtype(dtype).name)


@_keras_op
def cumprod(x, axis=None, dtype=None):
    x = _T(x)
    out = _core.cumprod(_core.reshape(x, [-1]), 0) if axis is None else _core.cumprod(x, axis)
    return out if dtype is None else _core.cast(out, dtypes.as_dtype(dtype).name)


@_keras_op
def norm(x, ord=None, axis=None, keepdims=False):
    if ord not in (None, 2, "fro", "euclidean"):
        raise NotImplementedError("keras.ops.norm supports the L2 / Frobenius norm in tapeflow, got ord=%r" % (ord,))
    return _core.sqrt(_core.reduce_sum(_core.square(_T(x)), _axis(axis), keepdims))


# ----------------------------------------------------------------- shapes and indexing
@_keras_op
def reshape(x, newshape):
    return _core.reshape(_T(x), list(newshape) if isinstance(newshape, (tuple, list)) else [newshape])


@_keras_op
def transpose(x, axes=None):
    x = _T(x)
    return _core.transpose(x, list(axes) if axes is not None else list(range(x.ndim))[::-1])


@_keras_op
def expand_dims(x, axis):
    x = _T(x)
    for a in sorted(axis) if isinstance(axis, (tuple, list)) else [axis]:
        x = _core.expand_dims(x, a)
    return x


@_keras_op
def squeeze(x, axis=None):
    return _core.squeeze(_T(x), None if axis is None else _axis(axis if isinstance(axis, (list, tuple)) else [axis]))


@_keras_op
def concatenate(xs, axis=0):
    return _core.concat(backend.cast_to_result_type([_T(x) for x in xs]), axis)


@_keras_op
def stack(x, axis=0):
    return _core.stack([_T(t) for t in x], axis)


@_keras_op
def split(x, indices_or_sections, axis=0):
    x = _T(x)
    if isinstance(indices_or_sections, int):
        return _core.split(x, indices_or_sections, axis)
    bounds = [0] + list(indices_or_sections) + [x.shape[axis]]
    return _core.split(x, [b - a for a, b in zip(bounds[:-1], bounds[1:])], axis)


@_keras_op
def tile(x, repeats):
    x = _T(x)
    repeats = [repeats] if isinstance(repeats, int) else list(repeats)
    while len(repeats) < x.ndim:
        repeats = [1] + repeats
    while x.ndim < len(repeats):
        x = _core.expand_dims(x, 0)
    return _core.tile(x, repeats)


@_keras_op
def repeat(x, repeats, axis=None):
    x = _T(x)
    if axis is None:
        x, axis = _core.reshape(x, [-1]), 0
    axis = axis % x.ndim
    counts = np.broadcast_to(np.asarray(repeats), (x.shape[axis],))
    index = _T(np.repeat(np.arange(x.shape[axis]), counts).astype("int64"))
    return _core.gather(x, index, axis=axis)


@_keras_op
def flip(x, axis=None):
    x = _T(x)
    axes = list(range(x.ndim)) if axis is None else (list(axis) if isinstance(axis, (tuple, list)) else [axis])
    return _core.reverse(x, axes)


@_keras_op
def take(x, indices, axis=None):
    x = _T(x)
    if axis is None:
        x, axis = _core.reshape(x, [-1]), 0
    return _core.gather(x, _T(indices), axis=axis)


@_keras_op
def take_along_axis(x, indices, axis=None):
    x, indices = _T(x), np.asarray(indices)
    if axis is None:
        x, axis = _core.reshape(x, [-1]), 0
    axis = axis % x.ndim
    grid = np.indices(indices.shape, sparse=True)
    full_index = [g for g in grid]
    full_index[axis] = indices
    coords = np.stack(np.broadcast_arrays(*full_index), -1).astype("int64")
    return _core.gather_nd(x, _T(coords))


@_keras_op
def pad(x, pad_width, mode="constant", constant_values=None):
    x = _T(x)
    widths = np.broadcast_to(np.asarray(pad_width), (x.ndim, 2)).tolist()
    return _core.pad(x, widths, mode.upper(), 0 if constant_values is None else constant_values)


@_keras_op
def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    return _core.one_hot(_T(x), num_classes, axis=axis, dtype=dtype or backend.floatx())


@_keras_op
def broadcast_to(x, shape):
    return _core.broadcast_to(_T(x), list(shape))


# ----------------------------------------------------------------- neural-network functions (also keras.ops.nn)
relu = _keras_op(activations.relu)
relu6 = _keras_op(activations.relu6)
sigmoid = _keras_op(activations.sigmoid)
softplus = _keras_op(activations.softplus)
softsign = _keras_op(activations.softsign)
silu = _keras_op(activations.swish)
swish = silu
elu = _keras_op(activations.elu)
selu = _keras_op(activations.selu)
hard_sigmoid = _keras_op(activations.hard_sigmoid)
hard_swish = _keras_op(activations.hard_swish)
leaky_relu = _keras_op(activations.leaky_relu)


@_keras_op
def gelu(x, approximate=True):  # Keras 3's default is the tanh approximation
    return activations.gelu(x, approximate=approximate)


@_keras_op
def softmax(x, axis=-1):
    return activations.softmax(_T(x), axis=axis)


@_keras_op
def log_softmax(x, axis=-1):
    return _core.log_softmax(_T(x), axis)


@_keras_op
def binary_crossentropy(target, output, from_logits=False):
    """Elementwise, without a mean over the last axis (Keras 3's ops function)."""
    target, output = _T(target), _T(output)
    if from_logits:
        return _core.sigmoid_cross_entropy_with_logits(labels=_core.cast(target, output.dtype.name), logits=output)
    eps = backend.epsilon()
    p = _core.clip_by_value(output, eps, 1.0 - eps)
    t = _core.cast(target, output.dtype.name)
    return _core.negative(_core.add(_core.multiply(t, _core.log(p)),
                                    _core.multiply(_core.subtract(1.0, t), _core.log(_core.subtract(1.0, p)))))


@_keras_op
def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    return _losses.categorical_crossentropy(target, output, from_logits=from_logits, axis=axis)


@_keras_op
def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    return _losses.sparse_categorical_crossentropy(target, output, from_logits=from_logits, axis=axis)


@_keras_op
def moments(x, axes, keepdims=False, synchronized=False):
    x = _T(x)
    mean_ = _core.reduce_mean(x, _axis(axes), True)
    variance = _core.reduce_mean(_core.square(_core.subtract(x, mean_)), _axis(axes), keepdims)
    return (mean_ if keepdims else _core.squeeze(mean_, _axis(axes) if isinstance(axes, (list, tuple)) else [axes]),
            variance)


def _spatial(inputs, data_format):
    """(spatial rank, TensorFlow's data format name) of a 1-D or 2-D ``keras.ops`` convolution or pooling."""
    rank = _T(inputs).ndim - 2
    last = (backend.image_data_format() if data_format is None else data_format) == "channels_last"
    name = {1: "NWC" if last else "NCW", 2: "NHWC" if last else "NCHW"}.get(rank)
    if name is None:
        raise NotImplementedError("keras.ops convolution and pooling are 1-D or 2-D in tapeflow, got an input of "
                                  "rank %d" % (rank + 2))
    return rank, name


@_keras_op
def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    rank, fmt = _spatial(inputs, data_format)
    return (nn.conv1d if rank == 1 else nn.conv2d)(_T(inputs), _T(kernel), strides, padding.upper(), data_format=fmt,
                                                   dilations=dilation_rate)


@_keras_op
def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    rank, fmt = _spatial(inputs, data_format)
    return (nn.max_pool1d if rank == 1 else nn.max_pool2d)(_T(inputs), pool_size, strides or pool_size,
                                                           padding.upper(), data_format=fmt)


@_keras_op
def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    rank, fmt = _spatial(inputs, data_format)
    return (nn.avg_pool1d if rank == 1 else nn.avg_pool2d)(_T(inputs), pool_size, strides or pool_size,
                                                           padding.upper(), data_format=fmt)


# ----------------------------------------------------------------- control flow (run in Python, eagerly)
def cond(pred, true_fn, false_fn):
    """``true_fn()`` if ``pred`` else ``false_fn()``. The predicate is read on the host, so a recorded step that
    branches on a computed value runs eagerly (with a logged reason), as tapeflow's captures do."""
    return true_fn() if bool(_T(pred)) else false_fn()


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    """Runs ``loop_vars = body(*loop_vars)`` while ``cond(*loop_vars)``; a tuple or list of loop variables is
    passed unpacked, as Keras does."""
    packed = isinstance(loop_vars, (tuple, list))
    state = tuple(loop_vars) if packed else (loop_vars,)
    steps = 0
    while bool(_T(cond(*state))) and (maximum_iterations is None or steps < maximum_iterations):
        out = body(*state)
        state = tuple(out) if isinstance(out, (tuple, list)) else (out,)
        steps += 1
    return state if packed else state[0]


def fori_loop(lower, upper, body_fun, init_val):
    """``val = body_fun(i, val)`` for i in [lower, upper)."""
    val = init_val
    for i in range(int(lower), int(upper)):
        val = body_fun(i, val)
    return val

from tapeflow.keras.ops import image  # noqa: E402 (uses the functions above)
