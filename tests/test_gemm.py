"""The GEMM behind matmul: every micro-kernel the CPU can run, odd sizes, all
transpose combinations, strided inputs; bitwise identical for any thread count."""
import numpy as np
import pytest

import tapeflow as tf

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
@pytest.mark.parametrize("m,k,n", [(1, 1, 1), (7, 31, 33), (33, 7, 1), (1, 64, 200), (31, 300, 17), (130, 65, 70),
                                   (20, 1100, 70), (300, 600, 64)])
@pytest.mark.parametrize("ta,tb", [(False, False), (True, False), (False, True), (True, True)])
def test_matmul_against_float64(isa, m, k, n, ta, tb):
    a = rng.uniform(-1, 1, (k, m) if ta else (m, k)).astype(np.float32)
    b = rng.uniform(-1, 1, (n, k) if tb else (k, n)).astype(np.float32)
    out = tf.matmul(a, b, transpose_a=ta, transpose_b=tb).numpy()
    ref = (a.T if ta else a).astype(np.float64) @ (b.T if tb else b).astype(np.float64)
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-5 * np.sqrt(k))


def test_strided_and_batched(isa):
    a = rng.uniform(-1, 1, (3, 40, 50)).astype(np.float32)
    b = rng.uniform(-1, 1, (50, 60)).astype(np.float32)
    ta = tf.constant(a)[:, ::2, 1::2]          # non-contiguous rows and columns
    tb = tf.transpose(tf.constant(b.T))        # a transposed view
    ref = a[:, ::2, 1::2].astype(np.float64) @ b[1::2].astype(np.float64)
    np.testing.assert_allclose(tf.matmul(ta, tb[1::2]).numpy(), ref, rtol=1e-5, atol=1e-5)


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
