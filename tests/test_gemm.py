"""The GEMM behind matmul and the fused dense op: every micro-kernel the CPU can run, odd sizes, all
transpose combinations, strided inputs, the bias + activation epilogue; bitwise identical for any thread count."""
import math
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import tapeflow as tf
from opcheck import check_op, rand

rng = np.random.default_rng(0)
ISAS = [isa for isa in ("avx512", "avx2", "generic") if tf._core.gemm_force_isa(isa)]
tf._core.gemm_force_isa("")


@pytest.fixture(params=ISAS)
def isa(request):
    assert tf._core.gemm_force_isa(request.param)
    yield request.param
    tf._core.gemm_force_isa("")


# (20, 1100, 70) and (300, 600, 64): K over several KC blocks, B read in place (one row block) or packed, A read
# in place (row-major) over several row blocks.
# (1023, 33, 31) .. (31, 33, 1023): one long side at a time, the others odd; (32, 784, 128) and (128, 512, 784):
# layer shapes (B read in place by three row tiles; a single row block with B packed per panel).
# (600, 300, 520): several row blocks over a shared block of B, packed row by row over 16 full panels and one
# partial, in parallel.
@pytest.mark.parametrize("m,k,n", [(1, 1, 1), (7, 31, 33), (33, 7, 1), (1, 64, 200), (31, 300, 17), (130, 65, 70),
                                   (20, 1100, 70), (300, 600, 64), (1023, 33, 31), (33, 1023, 7), (31, 33, 1023),
                                   (32, 784, 128), (128, 512, 784), (600, 300, 520)])
@pytest.mark.parametrize("ta,tb", [(False, False), (True, False), (False, True), (True, True)])
def test_matmul_against_float64(isa, m, k, n, ta, tb):
    a = rng.uniform(-1, 1, (k, m) if ta else (m, k)).astype(np.float32)
    b = rng.uniform(-1, 1, (n, k) if tb else (k, n)).astype(np.float32)
    out = tf.matmul(a, b, transpose_a=ta, transpose_b=tb).numpy()
    ref = (a.T if ta else a).astype(np.float64) @ (b.T if tb else b).astype(np.float64)
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-5 * np.sqrt(k))


# Block sizes (KC, MC) come from the caches the CPU reports: (176, 196) with a 32 KiB L1 and 1 MiB L2, (256, 266)
# on an Intel machine with a 48 KiB L1, (512, 392) on AMD Zen 4. Each runs here through the tuning overrides.
@pytest.mark.parametrize("kc,mc", [("176", "196"), ("256", "266"), ("512", "392")])
def test_the_block_sizes_of_every_machine(kc, mc):
    """In a fresh process (the sizes are read once per thread): one and several K blocks and row blocks, a
    transposed operand, against float64, and the same bits on one and two threads."""
    code = textwrap.dedent("""
        import numpy as np, tapeflow as tf
        rng = np.random.default_rng(1)
        for m, k, n, ta in [(256, 256, 256, False), (400, 700, 300, False), (200, 1100, 70, False),
                            (784, 128, 512, True), (128, 784, 512, False), (600, 520, 130, True)]:
            a = rng.uniform(-1, 1, (k, m) if ta else (m, k)).astype(np.float32)
            b = rng.uniform(-1, 1, (k, n)).astype(np.float32)
            outs = []
            for threads in (1, 2):
                tf.config.threading.set_intra_op_parallelism_threads(threads)
                outs.append(tf.matmul(a, b, transpose_a=ta).numpy())
            np.testing.assert_array_equal(outs[0], outs[1])
            ref = (a.T if ta else a).astype(np.float64) @ b.astype(np.float64)
            np.testing.assert_allclose(outs[0], ref, rtol=1e-5, atol=1e-5 * np.sqrt(k))
        print("ok")
    """)
    env = dict(os.environ, TAPEFLOW_GEMM_KC=kc, TAPEFLOW_GEMM_MC=mc)
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr[-2000:]


def test_strided_and_batched(isa):
    a = rng.uniform(-1, 1, (3, 40, 50)).astype(np.float32)
    b = rng.uniform(-1, 1, (50, 60)).astype(np.float32)
    ta = tf.constant(a)[:, ::2, 1::2]          # non-contiguous rows and columns
    tb = tf.transpose(tf.constant(b.T))        # a transposed view
    ref = a[:, ::2, 1::2].astype(np.float64) @ b[1::2].astype(np.float64)
    np.testing.assert_allclose(tf.matmul(ta, tb[1::2]).numpy(), ref, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("batch,m,k,n", [(3, 130, 140, 150), (9, 128, 128, 128), (16, 8, 8, 8)])
def test_batched_equals_each_matrix_alone_on_any_thread_count(batch, m, k, n):
    """A batch is spread over the threads a matrix each (small matrices, or 4 and more per thread) or threads
    inside each product: either way each matrix has the bits of its product alone."""
    a = rng.uniform(-1, 1, (batch, m, k)).astype(np.float32)
    b = rng.uniform(-1, 1, (batch, n, k)).astype(np.float32)
    alone = [tf.matmul(a[i], b[i], transpose_b=True).numpy() for i in range(batch)]
    for threads in (1, 2, 3):
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        out = tf.matmul(a, b, transpose_b=True).numpy()
        for i in range(batch):
            np.testing.assert_array_equal(out[i], alone[i])
    tf.config.threading.set_intra_op_parallelism_threads(0)
    np.testing.assert_allclose(out, a.astype(np.float64) @ b.transpose(0, 2, 1), rtol=1e-5, atol=1e-4)


def test_float64_and_int_matmul():
    a, b = rng.uniform(-1, 1, (9, 13)), rng.uniform(-1, 1, (13, 5))
    np.testing.assert_allclose(tf.matmul(a, b).numpy(), a @ b, rtol=1e-12)
    ai, bi = rng.integers(-5, 5, (4, 6)).astype(np.int32), rng.integers(-5, 5, (6, 3)).astype(np.int32)
    np.testing.assert_array_equal(tf.matmul(ai, bi).numpy(), ai @ bi)
    assert tf.matmul(tf.zeros((3, 0)), tf.zeros((0, 4))).numpy().tolist() == [[0.0] * 4] * 3
    assert tf.matmul(tf.zeros((0, 3)), tf.zeros((3, 4))).shape == (0, 4)


def test_same_bits_for_any_thread_count():
    a = rng.uniform(-1, 1, (300, 700)).astype(np.float32)
    b = rng.uniform(-1, 1, (700, 260)).astype(np.float32)
    x = rng.uniform(-1, 1, (1_000_003,)).astype(np.float32)
    results = []
    for n in (1, 2, 3):
        tf.config.threading.set_intra_op_parallelism_threads(n)
        results.append((tf.matmul(a, b).numpy(), tf.reduce_sum(x).numpy(), tf.reduce_sum(tf.reshape(x[:1_000_000], [1000, 1000]), axis=0).numpy()))
    tf.config.threading.set_intra_op_parallelism_threads(0)
    for r in results[1:]:
        for got, want in zip(r, results[0]):
            np.testing.assert_array_equal(got, want)


def test_same_bits_for_any_thread_count_on_every_path():
    """A single row block (threads split columns), several (each thread owns a share of the runs of row panels and
    takes the others' leftovers), B read in place, transposed operands, the epilogue."""
    cases = [((100, 300), (300, 500), False, False), ((700, 300), (300, 200), False, False),
             ((30, 200), (200, 256), False, False), ((600, 300), (300, 520), False, False),
             ((64, 300), (520, 300), False, True), ((300, 80), (300, 700), True, False),
             # small products that are threaded (half a million FLOPs and up): an output layer of 10 units
             ((128, 512), (512, 10), False, False), ((128, 512), (128, 10), True, False),
             ((128, 10), (512, 10), False, True), ((64, 64), (64, 64), False, False)]
    bias = rng.uniform(-1, 1, 700).astype(np.float32)
    for sa, sb, ta, tb in cases:
        a, b = rng.uniform(-1, 1, sa).astype(np.float32), rng.uniform(-1, 1, sb).astype(np.float32)
        results = []
        for n in (1, 2, 3):
            tf.config.threading.set_intra_op_parallelism_threads(n)
            out = tf.matmul(a, b, transpose_a=ta, transpose_b=tb)
            fused = tf._core.dense(a.T if ta else a, b.T if tb else b, bias[:out.shape[1]], tf._core.Act.gelu)
            results.append((out.numpy(), fused.numpy()))
        tf.config.threading.set_intra_op_parallelism_threads(0)
        for r in results[1:]:
            for got, want in zip(r, results[0]):
                np.testing.assert_array_equal(got, want)


def _shared_weight_gradient(x0, x1, c0, c1, w, ta, tb):
    """dL/dw for L = sum(op(x0) @ op(w) * c0) + sum(op(x1) @ op(w) * c1), captured so that the plan's kernels
    show whether the second product was accumulated into the first by the GEMM."""
    tf._core._begin_capture()
    with tf.GradientTape() as tape:
        loss = (tf.reduce_sum(tf.matmul(x0, w, transpose_a=ta, transpose_b=tb) * c0) +
                tf.reduce_sum(tf.matmul(x1, w, transpose_a=ta, transpose_b=tb) * c1))
    g = tape.gradient(loss, w)
    plan = tf._core._end_capture([])
    assert plan.failure is None
    return g.numpy(), [where for where, _ in plan.profile(1)].count("grad_product")


# Accumulate-into-output (c += op(a) @ op(b)) on every kernel: the weight gradient of a weight used twice is the
# second product added by the GEMM onto the first. (m, k, n): the batch m is the gradient GEMM's K (over several KC
# blocks at 1100), w is k x n; the transposes of the forward products give all four of the gradient GEMM's.
@pytest.mark.parametrize("m,k,n", [(1, 1, 1), (31, 7, 33), (1100, 20, 70), (600, 300, 64), (33, 1023, 31),
                                   (7, 33, 1023), (128, 784, 128)])
@pytest.mark.parametrize("ta,tb", [(False, False), (True, False), (False, True), (True, True)])
def test_accumulate_into_output_against_float64(isa, m, k, n, ta, tb):
    xs = [rng.uniform(-1, 1, (k, m) if ta else (m, k)).astype(np.float32) for _ in range(2)]
    cs = [rng.uniform(-1, 1, (m, n)).astype(np.float32) for _ in range(2)]
    w = tf.Variable(rng.uniform(-1, 1, (n, k) if tb else (k, n)).astype(np.float32))
    g, accumulated = _shared_weight_gradient(*xs, *cs, w, ta, tb)
    assert accumulated == 1
    f = lambda v: np.asarray(v, np.float64)
    want = sum(f(x if ta else x.T) @ f(c) for x, c in zip(xs, cs))  # d/d op(w), k x n
    np.testing.assert_allclose(g, want.T if tb else want, rtol=1e-5, atol=1e-5 * np.sqrt(m))


def test_accumulate_into_output_strided_and_same_bits_for_any_thread_count():
    base = rng.uniform(-1, 1, (2, 700, 600)).astype(np.float32)
    xs = [tf.constant(base[i])[:, ::2] for i in range(2)]  # 700 x 300 views, row stride 600
    cs = [rng.uniform(-1, 1, (700, 200)).astype(np.float32) for _ in range(2)]
    w = tf.Variable(rng.uniform(-1, 1, (300, 200)).astype(np.float32))
    results = []
    for threads in (1, 2, 3):
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        g, accumulated = _shared_weight_gradient(*xs, *cs, w, False, False)
        assert accumulated == 1
        results.append(g)
    tf.config.threading.set_intra_op_parallelism_threads(0)
    for g in results[1:]:
        np.testing.assert_array_equal(g, results[0])
    want = sum(np.asarray(x, np.float64).T @ c.astype(np.float64) for x, c in zip(xs, cs))
    np.testing.assert_allclose(results[0], want, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("k,n", [(1, 1), (300, 17), (784, 128), (1000, 130), (700, 600), (2000, 700)])
def test_one_row_equals_its_row_in_a_batch(isa, k, n):
    """M = 1 (a single-sample predict) has its own kernel; its bits equal that row's in a batched product, with
    the epilogue, over several K blocks and on any thread count."""
    a = rng.uniform(-1, 1, (5, k)).astype(np.float32)
    b = rng.uniform(-1, 1, (k, n)).astype(np.float32)
    bias = rng.uniform(-1, 1, n).astype(np.float32)
    batch, fused = tf.matmul(a, b).numpy(), tf._core.dense(a, b, bias, tf._core.Act.relu).numpy()
    for threads in (1, 2):
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        for i in (0, 3):
            np.testing.assert_array_equal(tf.matmul(a[i:i + 1], b).numpy(), batch[i:i + 1])
            np.testing.assert_array_equal(tf._core.dense(a[i:i + 1], b, bias, tf._core.Act.relu).numpy(), fused[i:i + 1])
        np.testing.assert_array_equal(tf.matmul(a.T[:, 2:3], b, transpose_a=True).numpy(), batch[2:3])
    tf.config.threading.set_intra_op_parallelism_threads(0)
    np.testing.assert_allclose(batch, a.astype(np.float64) @ b, rtol=1e-4, atol=1e-4 * np.sqrt(k))


@pytest.mark.parametrize("k", [50, 700])
@pytest.mark.parametrize("layout", ["row-major", "x transposed", "w transposed"])
def test_epilogue_in_registers_matches_the_stored_tile_epilogue(k, layout):
    """Full 14 x 32 AVX-512 tiles apply bias and activation in registers; edge tiles and single rows apply them
    to the stored tile. Each row's bits are the same either way, for every activation, over one or several K
    blocks, with A read in place or through its strides (x transposed), or the product computed transposed
    (w transposed, few rows)."""
    x = rng.uniform(-2, 2, (30, k)).astype(np.float32)
    w = (rng.uniform(-1, 1, (k, 96)) / np.sqrt(k)).astype(np.float32)
    b = rng.uniform(-1, 1, 96).astype(np.float32)
    xt = tf.transpose(tf.constant(x.T)) if layout == "x transposed" else tf.constant(x)
    wt = tf.transpose(tf.constant(w.T)) if layout == "w transposed" else w
    for act in sorted(ACTS):
        for bias in (b, None):
            full = tf._core.dense(xt, wt, bias, act_of(act)).numpy()
            for lo, hi in ((0, 1), (0, 5), (13, 14), (16, 30)):
                np.testing.assert_array_equal(tf._core.dense(xt[lo:hi], wt, bias, act_of(act)).numpy(), full[lo:hi],
                                              err_msg="activation %s rows %d:%d" % (act, lo, hi))


# ---- the fused dense op: act(x @ w + bias)

_ERF = np.vectorize(math.erf, otypes=[np.float64])
ACTS = {  # _core.Act name -> float64 reference
    "linear": lambda z: z,
    "tanh": np.tanh,
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    "relu": lambda z: np.maximum(z, 0),
    "gelu": lambda z: 0.5 * z * (1 + _ERF(z / np.sqrt(2))),
    "gelu_tanh": lambda z: 0.5 * z * (1 + np.tanh(np.sqrt(2 / np.pi) * (z + 0.044715 * z ** 3))),
}


def act_of(name):
    return getattr(tf._core.Act, name)


@pytest.mark.parametrize("act", sorted(ACTS))
@pytest.mark.parametrize("with_bias", [True, False])
def test_dense_op(act, with_bias):
    """Forward against NumPy float64, float32, non-contiguous inputs, and finite-difference gradients (GELU's
    under a tape goes through the unfused path: the bias fused, GELU as its own op)."""
    ref = ACTS[act]
    x, w, b = rand(5, 7), rand(7, 3), rand(3)
    if with_bias:
        check_op(lambda x, w, b: tf._core.dense(x, w, b, act_of(act)), lambda x, w, b: ref(x @ w + b), x, w, b)
    else:
        check_op(lambda x, w: tf._core.dense(x, w, None, act_of(act)), lambda x, w: ref(x @ w), x, w, zero_size=True)


def test_dense_op_batch_axes():
    x, w, b = rand(2, 3, 4), rand(4, 5), rand(5)
    check_op(lambda x, w, b: tf._core.dense(x, w, b, tf._core.Act.relu), lambda x, w, b: np.maximum(x @ w + b, 0), x, w, b)


@pytest.mark.parametrize("m,k,n", [(1, 784, 10), (7, 31, 33), (33, 7, 1), (130, 65, 70), (32, 784, 128),
                                   (128, 600, 300), (1023, 20, 45)])
@pytest.mark.parametrize("transposed", [False, True])
def test_dense_epilogue_float32(isa, m, k, n, transposed):
    """Every tile shape of every micro-kernel applies the epilogue once, after the last block of K; strided
    (transposed) operands take the packing paths."""
    x = rng.uniform(-2, 2, (m, k)).astype(np.float32)
    w = (rng.uniform(-1, 1, (k, n)) / np.sqrt(k)).astype(np.float32)
    b = rng.uniform(-1, 1, n).astype(np.float32)
    xt = tf.transpose(tf.constant(x.T)) if transposed else x
    wt = tf.transpose(tf.constant(w.T)) if transposed else w
    z = x.astype(np.float64) @ w.astype(np.float64) + b
    for act, ref in ACTS.items():
        got = tf._core.dense(xt, wt, b, act_of(act)).numpy()
        np.testing.assert_allclose(got, ref(z), rtol=2e-5, atol=2e-6, err_msg="activation %s" % act)


def test_dense_epilogue_nan_and_extremes():
    x = np.array([[np.nan], [100.0], [-100.0], [0.0], [np.inf], [-np.inf]], np.float32)
    w, b = np.ones((1, 1), np.float32), np.zeros(1, np.float32)
    want = {"linear": [np.nan, 100, -100, 0, np.inf, -np.inf], "tanh": [np.nan, 1, -1, 0, 1, -1],
            "sigmoid": [np.nan, 1, 0, 0.5, 1, 0], "relu": [np.nan, 100, 0, 0, np.inf, 0],
            "gelu": [np.nan, 100, 0, 0, np.inf, np.nan]}
    for act, expected in want.items():
        got = tf._core.dense(x, w, b, act_of(act)).numpy().ravel()
        np.testing.assert_allclose(got, np.array(expected, np.float32), rtol=1e-6, atol=1e-30, err_msg=str(act))


def test_dense_layer_uses_the_fused_op(monkeypatch):
    """Dense with a fusable activation calls the fused op, and gives the numbers and gradients of the unfused
    composition."""
    calls = []
    fused_op = tf._core.dense
    monkeypatch.setattr(tf._core, "dense", lambda *a: calls.append(a[3]) or fused_op(*a))
    x = rng.uniform(-1, 1, (16, 12)).astype(np.float32)
    for name in ("relu", "sigmoid", "tanh", "gelu", None):
        fused = tf.keras.layers.Dense(6, activation=name)
        plain = tf.keras.layers.Dense(6, activation=lambda t, f=tf.keras.activations.get(name): f(t))
        fused.build((None, 12))
        plain.build((None, 12))
        plain.set_weights(fused.get_weights())
        grads = []
        for layer in (fused, plain):
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum(layer(x) * tf.constant(np.arange(6, dtype=np.float32)))
            grads.append([g.numpy() for g in tape.gradient(loss, layer.trainable_weights)])
        np.testing.assert_allclose(fused(x).numpy(), plain(x).numpy(), rtol=1e-5, atol=1e-6)
        for g1, g2 in zip(*grads):
            np.testing.assert_allclose(g1, g2, rtol=1e-5, atol=1e-5)
    # Every fusable activation went through the fused op; sigmoid as a linear one, its output keeping the logits.
    assert {a.name for a in calls} == {"linear", "tanh", "relu", "gelu"}
    layer = tf.keras.layers.Dense(6, activation="sigmoid")
    out = layer(x)
    np.testing.assert_allclose(out._keras_logits.numpy(), x @ layer.kernel.numpy() + layer.bias.numpy(), rtol=1e-5,
                               atol=1e-6)


def test_dense_op_errors():
    x, w = np.ones((2, 3), np.float32), np.ones((3, 4), np.float32)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"\[dense\] inner dimensions differ"):
        tf._core.dense(x, np.ones((2, 4), np.float32))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"\[dense\] bias must have shape \(4,\)"):
        tf._core.dense(x, w, np.ones(3, np.float32))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"\[dense\] unsupported activation code 9"):
        tf._core.dense(x, w, None, tf._core.Act(9))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"\[dense\] expects inputs of rank >= 2"):
        tf._core.dense(np.ones(3, np.float32), w)
    with pytest.raises(TypeError):
        tf._core.dense(np.ones((2, 3), np.int32), np.ones((3, 4), np.int32))
