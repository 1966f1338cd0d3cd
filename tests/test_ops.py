"""Every differentiable op: forward against NumPy float64, gradient against float64
finite differences, on broadcast, non-contiguous and zero-size inputs (see opcheck.py)."""
import math

import numpy as np
import pytest

import tapeflow as tf
from opcheck import away_from, check_op, rand

erf = np.vectorize(math.erf, otypes=[np.float64])
sigmoid = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
SELU_A, SELU_S = 1.6732632423543772, 1.0507009873554805


def np_softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def np_log_softmax(x, axis=-1):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


UNARY = [
    ("negative", tf.negative, np.negative, rand(3, 4)),
    ("abs", tf.abs, np.abs, away_from([0], 3, 4)),
    ("sign", tf.sign, np.sign, away_from([0], 3, 4)),
    ("sqrt", tf.sqrt, np.sqrt, rand(3, 4, low=0.5, high=3)),
    ("rsqrt", tf.math.rsqrt, lambda x: 1 / np.sqrt(x), rand(3, 4, low=0.5, high=3)),
    ("exp", tf.exp, np.exp, rand(3, 4)),
    ("log", tf.math.log, np.log, rand(3, 4, low=0.5, high=3)),
    ("log1p", tf.math.log1p, np.log1p, rand(3, 4, low=-0.5, high=3)),
    ("expm1", tf.math.expm1, np.expm1, rand(3, 4)),
    ("square", tf.square, np.square, rand(3, 4)),
    ("tanh", tf.tanh, np.tanh, rand(3, 4)),
    ("sigmoid", tf.sigmoid, sigmoid, rand(3, 4)),
    ("erf", tf.math.erf, erf, rand(3, 4)),
    ("sin", tf.sin, np.sin, rand(3, 4)),
    ("cos", tf.cos, np.cos, rand(3, 4)),
    ("reciprocal", tf.math.reciprocal, np.reciprocal, rand(3, 4, low=0.5, high=2)),
    ("relu", tf.nn.relu, lambda x: np.maximum(x, 0), away_from([0], 3, 4)),
    ("relu6", tf.nn.relu6, lambda x: np.clip(x, 0, 6), away_from([0, 6], 3, 4, low=-3, high=9)),
    ("leaky_relu", tf.nn.leaky_relu, lambda x: np.where(x > 0, x, 0.2 * x), away_from([0], 3, 4)),
    ("leaky_relu_alpha", lambda x: tf.nn.leaky_relu(x, alpha=0.05), lambda x: np.where(x > 0, x, 0.05 * x), away_from([0], 5)),
    ("elu", tf.nn.elu, lambda x: np.where(x > 0, x, np.expm1(x)), away_from([0], 3, 4)),
    ("selu", tf.nn.selu, lambda x: SELU_S * np.where(x > 0, x, SELU_A * np.expm1(x)), away_from([0], 3, 4)),
    ("gelu", tf.nn.gelu, lambda x: 0.5 * x * (1 + erf(x / np.sqrt(2))), rand(3, 4)),
    ("gelu_tanh", lambda x: tf.nn.gelu(x, approximate=True),
     lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3))), rand(3, 4)),
    ("softplus", tf.nn.softplus, lambda x: np.log1p(np.exp(x)), rand(3, 4, low=-4, high=4)),
    ("softsign", tf.nn.softsign, lambda x: x / (1 + np.abs(x)), rand(3, 4)),
    ("swish", tf.nn.swish, lambda x: x * sigmoid(x), rand(3, 4)),
    ("softmax", tf.nn.softmax, np_softmax, rand(3, 5)),
    ("softmax_axis0", lambda x: tf.nn.softmax(x, axis=0), lambda x: np_softmax(x, 0), rand(3, 5)),
    ("log_softmax", tf.nn.log_softmax, np_log_softmax, rand(3, 5)),
    ("log_softmax_axis1", lambda x: tf.nn.log_softmax(x, axis=1), lambda x: np_log_softmax(x, 1), rand(2, 3, 4)),
]


@pytest.mark.parametrize("name,tf_fn,np_fn,x", UNARY, ids=[u[0] for u in UNARY])
def test_unary(name, tf_fn, np_fn, x):
    check_op(tf_fn, np_fn, x, zero_size="softmax" not in name)


@pytest.mark.parametrize("name,tf_fn,np_fn,max_ulp", [("exp", tf.exp, np.exp, 1), ("tanh", tf.tanh, np.tanh, 2),
                                                      ("sigmoid", tf.sigmoid, sigmoid, 3)])
def test_float32_transcendentals_over_the_whole_range(name, tf_fn, np_fn, max_ulp):
    """The vectorised float32 exp, tanh and sigmoid: within a few ulp of float64 from the subnormals to overflow
    (small arguments keep their relative accuracy), inf and NaN as in NumPy, over more than one thread's share."""
    u = np.random.default_rng(7).uniform
    x = np.concatenate([u(-1, 1, 20_000), u(-30, 30, 20_000), u(-120, 120, 2_000), np.logspace(-40, 2, 3_000),
                        -np.logspace(-40, 2, 3_000), [0.0, -0.0, 0.625, -0.625, 88.37, 88.38, 88.7, 88.8, -87.33,
                                                      -87.34, -103.9, -104.0, np.inf, -np.inf, np.nan]]).astype(np.float32)
    got = tf_fn(x).numpy()
    with np.errstate(over="ignore"):
        want = np_fn(x.astype(np.float64))
        want32 = want.astype(np.float32)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    inf = np.isinf(want32)  # overflow included
    np.testing.assert_array_equal(got[inf], want32[inf])
    tiny = np.abs(want32) < np.finfo(np.float32).tiny  # zero and subnormal results: exp's clamp would be 1.2e-38 off
    assert np.abs(got[tiny] - want[tiny]).max() < 1e-38
    normal = np.isfinite(want32) & ~tiny
    ulp = np.abs(got[normal] - want[normal]) / np.spacing(np.abs(want32[normal]))
    assert ulp.max() <= max_ulp, (x[normal][ulp.argmax()], ulp.max())


@pytest.mark.parametrize("act", ["tanh", "sigmoid"])
def test_activation_same_bits_fused_or_standalone(act):
    """Dense's GEMM epilogue and the standalone op share one vector function: the same bits either way."""
    x, w, b = rand(50, 70).astype(np.float32), rand(70, 45).astype(np.float32), rand(45).astype(np.float32)
    fused = tf._core.dense(x, w, b, getattr(tf._core.Act, act))
    standalone = getattr(tf, act)(tf.matmul(x, w) + b)
    np.testing.assert_array_equal(fused.numpy(), standalone.numpy())


BINARY = [
    ("add", tf.add, np.add, rand(3, 4), rand(3, 4)),
    ("add_broadcast", tf.add, np.add, rand(3, 1), rand(1, 4)),
    ("add_scalar", tf.add, np.add, rand(2, 3), rand()),
    ("subtract", tf.subtract, np.subtract, rand(2, 3, 4), rand(3, 1)),
    ("multiply", tf.multiply, np.multiply, rand(4, 1, 3), rand(2, 3)),
    ("divide", tf.divide, np.divide, rand(3, 4), rand(4, low=0.5, high=2)),
    ("pow", tf.pow, np.power, rand(3, 4, low=0.5, high=2), rand(3, 4)),
    ("maximum", tf.maximum, np.maximum, rand(3, 4), rand(3, 4) + 0.05),
    ("minimum", tf.minimum, np.minimum, rand(3, 4), rand(1, 4) + 0.05),
    ("squared_difference", tf.math.squared_difference, lambda a, b: (a - b) ** 2, rand(3, 4), rand(3, 4)),
    ("floormod", tf.math.floormod, np.mod, rand(3, 4, low=0.1, high=5), np.full((3, 4), 1.3)),
    ("matmul_op", lambda a, b: a @ b, np.matmul, rand(3, 4), rand(4, 2)),
]


@pytest.mark.parametrize("name,tf_fn,np_fn,a,b", BINARY, ids=[b[0] for b in BINARY])
def test_binary(name, tf_fn, np_fn, a, b):
    check_op(tf_fn, np_fn, a, b, zero_size=a.ndim > b.ndim or (b.ndim == a.ndim and b.shape[0] == 1))


REDUCE = [
    ("sum_all", lambda x: tf.reduce_sum(x), np.sum),
    ("sum_axis0", lambda x: tf.reduce_sum(x, axis=0), lambda x: x.sum(0)),
    ("sum_axes_keep", lambda x: tf.reduce_sum(x, axis=[0, 2], keepdims=True), lambda x: x.sum((0, 2), keepdims=True)),
    ("sum_neg_axis", lambda x: tf.reduce_sum(x, axis=-1), lambda x: x.sum(-1)),
    ("mean", lambda x: tf.reduce_mean(x, axis=1), lambda x: x.mean(1)),
    ("max", lambda x: tf.reduce_max(x, axis=1), lambda x: x.max(1)),
    ("min_all", lambda x: tf.reduce_min(x), np.min),
    ("prod", lambda x: tf.reduce_prod(x, axis=2), lambda x: x.prod(2)),
    ("std", lambda x: tf.math.reduce_std(x, axis=0), lambda x: x.std(0)),
    ("variance", lambda x: tf.math.reduce_variance(x, axis=[1, 2]), lambda x: x.var((1, 2))),
    ("logsumexp", lambda x: tf.reduce_logsumexp(x, axis=1), lambda x: np.log(np.exp(x).sum(1))),
    ("cumsum", lambda x: tf.cumsum(x, axis=1), lambda x: np.cumsum(x, 1)),
    ("cumsum_excl_rev", lambda x: tf.cumsum(x, axis=2, exclusive=True, reverse=True),
     lambda x: np.flip(np.cumsum(np.flip(x, 2), 2), 2) - x),
    ("cumprod", lambda x: tf.math.cumprod(x, axis=0), lambda x: np.cumprod(x, 0)),
]


@pytest.mark.parametrize("name,tf_fn,np_fn", REDUCE, ids=[r[0] for r in REDUCE])
def test_reduce(name, tf_fn, np_fn):
    x = rand(3, 4, 2, low=0.5, high=2) if "prod" in name else rand(3, 4, 2)
    check_op(tf_fn, np_fn, x, zero_size=name in ("sum_axis0", "sum_neg_axis", "cumsum", "prod"))


def test_integer_mean_does_not_overflow():
    # summed in a wide type, divided rounding toward zero (TensorFlow's integer mean), in the input's dtype
    image = np.full((28, 28), 200, np.uint8)
    got = tf.reduce_mean(image)
    assert got.dtype == tf.uint8 and int(got) == 200
    assert int(tf.reduce_mean(tf.constant([2 ** 30] * 3, "int32"))) == 2 ** 30
    np.testing.assert_array_equal(tf.reduce_mean(tf.constant([[-7, 2], [7, 2]], "int32"), axis=1), [-2, 4])
    assert int(tf.reduce_mean(tf.constant([2 ** 61] * 3, "int64"))) == 2 ** 61
    np.testing.assert_array_equal(tf.reduce_mean(tf.zeros((0, 3), "int32"), axis=0), [0, 0, 0])


def test_reduce_prod_with_zero_gradient():
    x = rand(2, 4)
    x[0, 1] = 0.0
    check_op(lambda t: tf.reduce_prod(t, axis=1), lambda a: a.prod(1), x)


def test_reduce_max_ties_share_gradient():
    x = tf.constant([[1.0, 3.0, 3.0]])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_max(x)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [[0, 0.5, 0.5]])


MATMUL = [
    ("plain", dict(), (3, 4), (4, 5)),
    ("ta", dict(transpose_a=True), (4, 3), (4, 5)),
    ("tb", dict(transpose_b=True), (3, 4), (5, 4)),
    ("ta_tb", dict(transpose_a=True, transpose_b=True), (4, 3), (5, 4)),
    ("batched", dict(), (2, 3, 4), (2, 4, 5)),
    ("batch_broadcast", dict(), (2, 1, 3, 4), (3, 4, 2)),
    ("batch_vs_matrix", dict(transpose_b=True), (2, 3, 4), (5, 4)),
]


@pytest.mark.parametrize("name,kw,sa,sb", MATMUL, ids=[m[0] for m in MATMUL])
def test_matmul(name, kw, sa, sb):
    def ref(a, b):
        if kw.get("transpose_a"):
            a = np.swapaxes(a, -1, -2)
        if kw.get("transpose_b"):
            b = np.swapaxes(b, -1, -2)
        return np.matmul(a, b)
    check_op(lambda a, b: tf.matmul(a, b, **kw), ref, rand(*sa), rand(*sb))


SHAPE_OPS = [
    ("reshape", lambda x: tf.reshape(x, [4, -1]), lambda x: x.reshape(4, -1), rand(2, 3, 2)),
    ("transpose", lambda x: tf.transpose(x, [2, 0, 1]), lambda x: x.transpose(2, 0, 1), rand(2, 3, 4)),
    ("transpose_default", tf.transpose, lambda x: x.T, rand(2, 3)),
    ("broadcast_to", lambda x: tf.broadcast_to(x, [2, 3, 4]), lambda x: np.broadcast_to(x, (2, 3, 4)), rand(3, 1)),
    ("expand_dims", lambda x: tf.expand_dims(x, 1), lambda x: x[:, None], rand(3, 4)),
    ("squeeze", lambda x: tf.squeeze(x, axis=1), lambda x: x[:, 0], rand(3, 1, 4)),
    ("squeeze_all", tf.squeeze, np.squeeze, rand(3, 1, 1)),
    ("reverse", lambda x: tf.reverse(x, [0, 1]), lambda x: x[::-1, ::-1], rand(3, 4)),
    ("getitem", lambda x: x[1:, ::2], lambda x: x[1:, ::2], rand(3, 5)),
    ("getitem_index_neg", lambda x: x[-1, ..., None, 1:3], lambda x: x[-1, ..., None, 1:3], rand(3, 2, 4)),
    ("getitem_negstep", lambda x: x[::-2], lambda x: x[::-2], rand(5, 2)),
    ("slice", lambda x: tf.slice(x, [1, 0], [2, -1]), lambda x: x[1:3, :], rand(4, 3)),
    ("tile", lambda x: tf.tile(x, [2, 3]), lambda x: np.tile(x, (2, 3)), rand(2, 3)),
    ("pad_constant", lambda x: tf.pad(x, [[1, 2], [0, 1]], constant_values=1.5),
     lambda x: np.pad(x, ((1, 2), (0, 1)), constant_values=1.5), rand(2, 3)),
    ("pad_reflect", lambda x: tf.pad(x, [[1, 1], [2, 1]], mode="REFLECT"),
     lambda x: np.pad(x, ((1, 1), (2, 1)), mode="reflect"), rand(3, 4)),
    ("pad_symmetric", lambda x: tf.pad(x, [[2, 1], [0, 3]], mode="SYMMETRIC"),
     lambda x: np.pad(x, ((2, 1), (0, 3)), mode="symmetric"), rand(3, 4)),
    ("split", lambda x: tf.split(x, [1, 3], axis=1), lambda x: np.split(x, [1], axis=1), rand(2, 4)),
    ("split_even", lambda x: tf.split(x, 2, axis=0), lambda x: np.split(x, 2, axis=0), rand(4, 3)),
    ("unstack", lambda x: tf.unstack(x, axis=1), lambda x: [x[:, i] for i in range(x.shape[1])], rand(2, 3)),
    ("clip", lambda x: tf.clip_by_value(x, -0.5, 0.7), lambda x: np.clip(x, -0.5, 0.7), away_from([-0.5, 0.7], 3, 4)),
]


@pytest.mark.parametrize("name,tf_fn,np_fn,x", SHAPE_OPS, ids=[s[0] for s in SHAPE_OPS])
def test_shape_ops(name, tf_fn, np_fn, x):
    check_op(tf_fn, np_fn, x)


def test_cast_gradient_passes_through_float_casts_only():
    x = tf.constant([1.5, -2.0], tf.float64)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = tf.cast(x, tf.float32) * tf.constant([3.0, 4.0])
        z = tf.cast(x, tf.int32)
    g = tape.gradient(y, x)
    assert g.dtype == tf.float64
    np.testing.assert_array_equal(g.numpy(), [3.0, 4.0])
    assert tape.gradient(z, x) is None


def test_concat():
    check_op(lambda a, b: tf.concat([a, b], axis=1), lambda a, b: np.concatenate([a, b], 1), rand(2, 3), rand(2, 2))


def test_stack():
    check_op(lambda a, b: tf.stack([a, b], axis=1), lambda a, b: np.stack([a, b], 1), rand(2, 3), rand(2, 3))


def test_where():
    cond = rand(3, 4) > 0
    check_op(lambda c, a, b: tf.where(c, a, b), np.where, cond, rand(3, 4), rand(1, 4))


def test_tensordot():
    check_op(lambda a, b: tf.tensordot(a, b, axes=[[1, 2], [0, 1]]),
             lambda a, b: np.tensordot(a, b, axes=[[1, 2], [0, 1]]), rand(2, 3, 4), rand(3, 4, 2))
    check_op(lambda a, b: tf.tensordot(a, b, 1), lambda a, b: np.tensordot(a, b, 1), rand(2, 3), rand(3, 2))


IDX = np.array([[2, 0], [1, 2]], dtype=np.int32)


def test_gather():
    check_op(lambda p, i: tf.gather(p, i), lambda p, i: p[i], rand(3, 2), IDX)
    check_op(lambda p, i: tf.gather(p, i, axis=1), lambda p, i: np.take(p, i, axis=1), rand(2, 3, 2), IDX)
    # repeated indices accumulate gradients
    check_op(lambda p, i: tf.gather(p, i), lambda p, i: p[i], rand(4), np.array([1, 1, 3, 1], np.int64))


def test_gather_batch_dims():
    idx = np.array([[0, 2], [1, 1]], np.int32)
    check_op(lambda p, i: tf.gather(p, i, axis=1, batch_dims=1),
             lambda p, i: np.stack([p[b][i[b]] for b in range(2)]), rand(2, 3, 2), idx)


def test_gather_nd():
    idx = np.array([[0, 1], [2, 0], [0, 1]], np.int32)
    check_op(lambda p, i: tf.gather_nd(p, i), lambda p, i: p[i[:, 0], i[:, 1]], rand(3, 2, 2), idx)


def test_scatter_nd():
    idx = np.array([[1], [3], [1]], np.int64)
    def ref(u, i):
        out = np.zeros((5, 2))
        np.add.at(out, i[:, 0], u)
        return out
    check_op(lambda u, i: tf.scatter_nd(i, u, [5, 2]), ref, rand(3, 2), idx)


def test_gather_nd_with_empty_index_rows_copies_params_whole():
    # indices.shape[-1] == 0: each row of indices selects all of params (TensorFlow's rule)
    idx = np.zeros((2, 3, 0), np.int64)
    check_op(lambda p, i: tf.gather_nd(p, i), lambda p, i: np.broadcast_to(p, (2, 3) + p.shape), rand(2, 2), idx)


def test_scatter_nd_with_empty_index_rows_raises():
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"\[scatter_nd\].*at least 1"):
        tf.scatter_nd(np.zeros((2, 0), np.int32), tf.ones((2, 2, 3)), [2, 3])


def test_losses():
    z, y = rand(4, 3), (rand(4, 3) > 0).astype(np.float64)
    check_op(lambda lab, lo: tf.nn.sigmoid_cross_entropy_with_logits(labels=lab, logits=lo),
             lambda lab, lo: np.maximum(lo, 0) - lo * lab + np.log1p(np.exp(-np.abs(lo))), y, z)
    p = np_softmax(rand(4, 3))
    check_op(lambda lab, lo: tf.nn.softmax_cross_entropy_with_logits(labels=lab, logits=lo),
             lambda lab, lo: -(lab * np_log_softmax(lo)).sum(-1), p, z)
    labels = np.array([0, 2, 1, 2], np.int32)
    check_op(lambda lo, lab: tf.nn.sparse_softmax_cross_entropy_with_logits(labels=lab, logits=lo),
             lambda lo, lab: -np_log_softmax(lo)[np.arange(4), lab], z, labels)


def _xent_grad(lab, lo, sparse):
    """d/dlogits of sum(loss): the fused loss's gradient kernel, taken under an outer tape by check_op."""
    with tf.GradientTape() as tape:
        tape.watch(lo)
        fn = tf.nn.sparse_softmax_cross_entropy_with_logits if sparse else tf.nn.softmax_cross_entropy_with_logits
        loss = fn(labels=lab, logits=lo)
        loss = tf.reduce_sum(loss * tf.cast(tf.range(1, loss.shape[0] + 1), loss.dtype))
    return tape.gradient(loss, lo)


def test_fused_softmax_cross_entropy_second_order_and_shapes():
    z = rand(5, 7, low=-4, high=4)
    rows = np.arange(1, 6, dtype=np.float64)[:, None]
    labels = np.array([0, 6, 3, 3, 1], np.int64)
    onehot = np.eye(7)[labels]
    # The gradient is one kernel too: its own gradient goes through the same finite-difference check.
    check_op(lambda lo: _xent_grad(tf.constant(labels), lo, True), lambda lo: (np_softmax(lo) - onehot) * rows, z)
    p = np_softmax(rand(5, 7))
    check_op(lambda lo, lab: _xent_grad(lab, lo, False), lambda lo, lab: (np_softmax(lo) - lab) * rows, z, p)
    # Batch axes before the class axis, int32 labels, a single class, no rows.
    z3 = rand(2, 3, 4)
    lab3 = np.array([[0, 3, 1], [2, 2, 0]], np.int32)
    check_op(lambda lo: tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.constant(lab3), logits=lo),
             lambda lo: -np.take_along_axis(np_log_softmax(lo), lab3[..., None].astype(np.int64), -1)[..., 0], z3)
    check_op(lambda lo: tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.zeros([3], tf.int64), logits=lo),
             lambda lo: np.zeros(3), rand(3, 1))
    check_op(lambda lab, lo: tf.nn.softmax_cross_entropy_with_logits(labels=lab, logits=lo),
             lambda lab, lo: -(lab * np_log_softmax(lo)).sum(-1), np.zeros((0, 4)), np.zeros((0, 4)), grad=False)
    # A class axis other than the last keeps the composite path.
    check_op(lambda lab, lo: tf.nn.softmax_cross_entropy_with_logits(labels=lab, logits=lo, axis=0),
             lambda lab, lo: -(lab * np_log_softmax(lo, 0)).sum(0), np_softmax(rand(4, 3), 0), rand(4, 3))


def test_fused_sigmoid_cross_entropy_second_order():
    z, y = rand(4, 3, low=-30, high=30), (rand(4, 3) > 0).astype(np.float64)

    def grad(lab, lo):
        with tf.GradientTape() as tape:
            tape.watch(lo)
            loss = tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(labels=lab, logits=lo) * tf.range(1., 4.,
                                                                                                     dtype=lo.dtype))
        return tape.gradient(loss, lo)
    sig = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
    check_op(grad, lambda lab, lo: (sig(lo) - lab) * np.arange(1, 4), y, z, rtol32=1e-4, atol32=1e-5)
    # Large logits of either sign keep a finite loss: |x| plus a vanishing log1p term.
    big = np.array([[800.0, -800.0]], np.float32)
    got = tf.nn.sigmoid_cross_entropy_with_logits(labels=np.array([[0.0, 1.0]], np.float32), logits=big).numpy()
    np.testing.assert_array_equal(got, [[800.0, 800.0]])


def test_fused_softmax_cross_entropy_extremes_and_float16():
    # Huge and -inf logits stay finite where the true loss is; float16 computes in float32.
    z = np.array([[1e4, -1e4, 0.0], [-np.inf, 0.0, 1.0], [3.0, 3.0, 3.0]], np.float32)
    labels = np.array([0, 2, 1])
    got = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=z).numpy()
    ref = -np_log_softmax(np.where(np.isinf(z), -1e30, z).astype(np.float64))[np.arange(3), labels]
    np.testing.assert_allclose(got, ref, rtol=1e-6)
    h = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels[:1], logits=tf.constant(z[2:], tf.float16))
    assert h.dtype == tf.float16 and abs(float(h[0]) - np.log(3.0)) < 1e-3
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"label value of -1 which is outside the valid range "
                                                             r"of \[0, 3\)\. Label values: 0 -1"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[0, -1], logits=tf.zeros((2, 3)))
    with pytest.raises(tf.errors.InvalidArgumentError, match="label value of 0"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[0], logits=tf.zeros((1, 0)))


def test_non_differentiable_forward():
    x = np.array([[1.0, 5.0, 3.0], [7.0, 2.0, 2.0]])
    check_op(lambda t: tf.argmax(t, axis=1), lambda a: a.argmax(1), x, grad=False)
    check_op(lambda t: tf.argmin(t), lambda a: a.argmin(0), x, grad=False)
    check_op(lambda t: tf.cast(t > 2.0, tf.int32), lambda a: (a > 2).astype(np.int32), x, grad=False)
    check_op(lambda t: tf.math.floordiv(t, 2.0), lambda a: np.floor_divide(a, 2.0), x, grad=False)
    check_op(lambda t: tf.round(t / 2), lambda a: np.round(a / 2), x, grad=False)
    ind = np.array([0, 2, 1], np.int32)
    check_op(lambda i: tf.one_hot(i, 3), lambda i: np.eye(3, dtype=np.float32)[i], ind, grad=False)
    np.testing.assert_array_equal(tf.one_hot([1, 0], 3, on_value=5, off_value=-1, axis=0, dtype=tf.int32).numpy(),
                                  [[-1, 5], [5, -1], [-1, -1]])


def test_comparisons_logical_ops_and_float_predicates():
    a, b = rand(3, 4), rand(3, 4)
    b[0, :2] = a[0, :2]  # ties
    for tf_fn, np_fn in ((tf.greater_equal, np.greater_equal), (tf.less_equal, np.less_equal),
                         (tf.not_equal, np.not_equal), (tf.floor, np.floor), (tf.math.ceil, np.ceil)):
        args = (a, b) if np_fn not in (np.floor, np.ceil) else (a * 3,)
        check_op(tf_fn, np_fn, *args, grad=False)
    p, q = rand(3, 4) > 0, rand(3, 4) > 0
    for tf_fn, np_fn in ((tf.logical_and, np.logical_and), (tf.logical_or, np.logical_or),
                         (tf.logical_xor, np.logical_xor)):
        check_op(tf_fn, np_fn, p, q, grad=False)
    check_op(tf.logical_not, np.logical_not, p, grad=False)
    special = np.array([1.0, np.inf, -np.inf, np.nan, 0.0, -2.5])
    check_op(tf.math.is_inf, np.isinf, special, grad=False, noncontiguous=False)
    check_op(tf.math.is_finite, np.isfinite, special, grad=False, noncontiguous=False)
    check_op(lambda t: tf.reduce_any(t, axis=1), lambda x: x.any(1), p, grad=False)
    check_op(lambda t: tf.reduce_all(t, axis=0), lambda x: x.all(0), p, grad=False)
    assert bool(tf.reduce_all(tf.zeros([0], tf.bool))) and not bool(tf.reduce_any(tf.zeros([0], tf.bool)))


def test_bias_add_add_n_and_matrix_transpose_forward_and_gradients():
    check_op(tf.nn.bias_add, lambda x, b: x + b, rand(3, 4), rand(4), zero_size=True)
    check_op(lambda x, b: tf.nn.bias_add(x, b, data_format="NCHW"), lambda x, b: x + b[:, None, None],
             rand(2, 3, 2, 2), rand(3))
    check_op(lambda a, b, c: tf.add_n([a, b, c]), lambda a, b, c: a + b + c, rand(2, 3), rand(2, 3), rand(2, 3))
    check_op(tf.linalg.matrix_transpose, lambda x: np.swapaxes(x, -1, -2), rand(2, 3, 4))


def test_clip_by_norm_and_global_norm_gradients():
    check_op(lambda x: tf.clip_by_norm(x, 1.0), lambda x: x * min(1.0, 1.0 / np.linalg.norm(x)), rand(3, 4))
    check_op(lambda x: tf.clip_by_norm(x, 100.0), lambda x: x, rand(3, 4))  # not clipped: the identity

    def np_global(a, b):
        scale = min(1.0, 1.5 / np.sqrt((a ** 2).sum() + (b ** 2).sum()))
        return [a * scale, b * scale]
    check_op(lambda a, b: tf.clip_by_global_norm([a, b], 1.5)[0], np_global, rand(3, 2), rand(4))


def test_sort_argsort_and_top_k():
    x = rand(3, 5)
    check_op(lambda t: tf.sort(t), lambda a: np.sort(a, -1), x)  # no ties here: the gradient is defined
    check_op(lambda t: tf.sort(t, axis=0, direction="DESCENDING"), lambda a: -np.sort(-a, 0), x)
    check_op(lambda t: tf.math.top_k(t, k=2).values, lambda a: -np.sort(-a, -1)[:, :2], x)
    x[1, 2] = x[1, 4]  # a tie: the lower index first, both ways
    np.testing.assert_array_equal(tf.argsort(x), np.argsort(x, -1, kind="stable"))
    np.testing.assert_array_equal(tf.argsort(x, direction="DESCENDING"), np.argsort(-x, -1, kind="stable"))
    top = tf.nn.top_k(x, k=3)
    assert top.indices.dtype == tf.int32
    np.testing.assert_array_equal(top.indices, np.argsort(-x, -1, kind="stable")[:, :3])
    with pytest.raises(tf.errors.InvalidArgumentError, match="at least k"):
        tf.math.top_k(x, k=6)
    with pytest.raises(ValueError, match="direction"):
        tf.sort(x, direction="UP")
    np.testing.assert_array_equal(tf.sort(tf.constant([3, 1, 2])), [1, 2, 3])
    np.testing.assert_array_equal(tf.sort(tf.constant([2.0, np.nan, 1.0])), [1.0, 2.0, np.nan])


@pytest.mark.parametrize("equation,shapes", [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 2)]), ("ij->ji", [(2, 3)]),
    ("ij->", [(2, 3)]), ("i,i->", [(4,), (4,)]), ("i,j->ij", [(2,), (3,)]), ("bhqd,bhkd->bhqk", [(1, 2, 3, 4), (1, 2, 5, 4)]),
    ("...ij,...jk->...ik", [(2, 1, 3, 4), (2, 1, 4, 2)]), ("ij,jk", [(2, 3), (3, 4)]), ("abc,cd->abd", [(2, 1, 3), (3, 2)]),
    ("bqhd->bhqd", [(2, 3, 2, 4)]), ("ik,bk->bi", [(3, 4), (2, 4)]),
])
def test_einsum(equation, shapes):
    args = [rand(*s) for s in shapes]
    check_op(lambda *t: tf.einsum(equation, *t), lambda *a: np.einsum(equation, *a), *args)


def test_l2_normalize():
    check_op(lambda x: tf.math.l2_normalize(x, axis=1), lambda x: x / np.sqrt((x ** 2).sum(1, keepdims=True)),
             rand(3, 4))
    check_op(lambda x: tf.nn.l2_normalize(x), lambda x: x / np.sqrt((x ** 2).sum()), rand(2, 3))
    np.testing.assert_array_equal(tf.math.l2_normalize(tf.zeros([3])).numpy(), [0.0, 0.0, 0.0])  # the epsilon floor


def test_one_dimensional_pooling_forward_and_gradients():
    x = rand(2, 7, 3)
    windows = lambda a, k, s: np.stack([a[:, i:i + k] for i in range(0, a.shape[1] - k + 1, s)], 1)
    check_op(lambda t: tf.nn.max_pool1d(t, 2, 2, "VALID"), lambda a: windows(a, 2, 2).max(2), x)
    check_op(lambda t: tf.nn.avg_pool1d(t, 3, 1, "VALID"), lambda a: windows(a, 3, 1).mean(2), x)


def test_integer_arithmetic_matches_numpy():
    a = np.array([7, -7, 9, -9, 0], np.int32)
    b = np.array([2, 2, -4, -4, 3], np.int32)
    ta, tb = tf.constant(a), tf.constant(b)
    np.testing.assert_array_equal((ta // tb).numpy(), a // b)
    np.testing.assert_array_equal((ta % tb).numpy(), a % b)
    np.testing.assert_array_equal((ta * tb + 1).numpy(), a * b + 1)
    np.testing.assert_array_equal((ta ** 2).numpy(), a ** 2)
    assert (ta / tb).dtype == tf.float64
    np.testing.assert_allclose((ta / tb).numpy(), a / b)
    big = tf.constant([2 ** 31 - 1], tf.int32)
    assert int((big + 1)[0]) == -(2 ** 31)  # wraps, as TensorFlow's int32


def test_float16_ops_round_trip():
    x = tf.constant([1.5, -2.25, 3.0], dtype=tf.float16)
    y = x * x + 1.0
    assert y.dtype == tf.float16
    np.testing.assert_allclose(y.numpy(), np.array([1.5, -2.25, 3.0], np.float16) ** 2 + 1)
    assert tf.reduce_sum(x).dtype == tf.float16
    w = tf.Variable(tf.constant([2.0], tf.float16))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(w * w)
    g = tape.gradient(loss, w)
    assert g.dtype == tf.float16 and float(g[0]) == 4.0


def test_clip_by_norm_and_global_norm_with_indexed_slices():
    x = np.array([[3.0, 4.0], [0.0, 0.0]], np.float32)
    np.testing.assert_allclose(tf.clip_by_norm(x, 1.0).numpy(), x / 5.0, rtol=1e-6)
    np.testing.assert_allclose(tf.clip_by_norm(x, 1.0, axes=[1]).numpy(), [[0.6, 0.8], [0.0, 0.0]], rtol=1e-6)
    np.testing.assert_allclose(tf.clip_by_norm(x, 10.0).numpy(), x)
    slices = tf.IndexedSlices(tf.constant([[6.0, 8.0]]), tf.constant([1]), [3, 2])
    clipped = tf.clip_by_norm(slices, 5.0)
    assert isinstance(clipped, tf.IndexedSlices)
    np.testing.assert_allclose(clipped.values.numpy(), [[3.0, 4.0]], rtol=1e-6)
    assert float(tf.linalg.global_norm([x, None, slices])) == pytest.approx(np.sqrt(25 + 100))
    out, norm = tf.clip_by_global_norm([x, None, slices], 5.0)
    assert out[1] is None and isinstance(out[2], tf.IndexedSlices)
    scale = 5.0 / np.sqrt(125.0)
    np.testing.assert_allclose(out[0].numpy(), x * scale, rtol=1e-6)
    np.testing.assert_allclose(out[2].values.numpy(), [[6 * scale, 8 * scale]], rtol=1e-6)
    assert np.isnan(tf.clip_by_global_norm([np.array([np.inf, 1.0], np.float32)], 1.0)[0][0].numpy()).all()
