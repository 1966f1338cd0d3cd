"""The CUDA backend: placement, copies, kernel parity with the CPU, training, saving, memory and TF32.

Skipped (with the reason) where no GPU is visible, as on CI; scripts/gpu_check.sh runs it on a GPU machine. The
rest of the suite also runs on the GPU there (ops go to GPU:0 by default), and every opcheck row compares the
GPU's float32 values and gradients with the CPU's."""
import numpy as np
import pytest

import tapeflow as tf
from tapeflow import keras

GPU = bool(tf.config.list_physical_devices("GPU"))
SIMULATED = GPU and tf._core.cuda_device_name(0).startswith("simulated")
pytestmark = pytest.mark.skipif(not GPU, reason="no GPU visible (CPU-only build or machine)")
# The simulated GPU (TAPEFLOW_SIMULATE_GPU=1, CI) runs every kernel as the CPU fallback: what only CUDA kernels do
# (TF32, TensorFlow's GPU semantics for bad labels) needs a real one.
real_gpu = pytest.mark.skipif(SIMULATED, reason="needs a real GPU: the simulated one runs the CPU kernels")

rng = np.random.default_rng(7)


def on(device, fn):
    with tf.device(device):
        return fn()


def both(fn):
    """fn() run under /GPU:0 and under /CPU:0, as NumPy values."""
    def value(r):
        return [np.asarray(v) for v in r] if isinstance(r, (list, tuple)) else np.asarray(r)
    return value(on("/GPU:0", fn)), value(on("/CPU:0", fn))


def test_default_placement_and_device_strings():
    x = tf.constant([1.0, 2.0])
    assert x.device == "/job:localhost/replica:0/task:0/device:GPU:0"
    with tf.device("/CPU:0"):
        y = tf.constant([1.0, 2.0])
        z = x * 2  # an input on the GPU is copied to the op's device
    assert y.device.endswith("CPU:0") and z.device.endswith("CPU:0")
    np.testing.assert_array_equal(z.numpy(), [2.0, 4.0])
    assert (x + y).device.endswith("GPU:0")
    assert str(x) == "tf.Tensor([1. 2.], shape=(2,), dtype=float32)"
    assert np.asarray(x).tolist() == [1.0, 2.0]
    assert float(tf.reduce_sum(x)) == 3.0


def test_gradient_across_devices():
    with tf.device("/CPU:0"):
        a = tf.Variable([1.0, 2.0, 3.0])
    b = tf.Variable([4.0, 5.0, 6.0])
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(a * b * b)  # runs on the GPU; a is copied there
    ga, gb = tape.gradient(loss, [a, b])
    assert ga.device.endswith("CPU:0") and gb.device.endswith("GPU:0")
    np.testing.assert_allclose(ga.numpy(), [16.0, 25.0, 36.0])
    np.testing.assert_allclose(gb.numpy(), [8.0, 20.0, 36.0])


UNARY = ["abs", "negative", "sign", "sqrt", "rsqrt", "exp", "log", "log1p", "expm1", "tanh", "sigmoid", "erf",
         "softplus", "square", "sin", "cos", "reciprocal", "floor", "ceil", "round"]


@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_unary_parity(name, dtype):
    x = rng.uniform(0.1, 3.0, size=(37, 5)).astype(dtype)
    fn = getattr(tf.math, name)
    g, c = both(lambda: fn(tf.constant(x)))
    np.testing.assert_allclose(g, c, rtol=2e-6 if dtype == "float32" else 1e-14)


@pytest.mark.parametrize("name", ["add", "subtract", "multiply", "divide", "maximum", "minimum", "pow",
                                  "floordiv", "floormod", "equal", "less", "greater_equal"])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "int64"])
def test_binary_parity_with_broadcasting(name, dtype):
    a = rng.uniform(1, 5, size=(4, 1, 6)).astype(dtype)
    b = rng.uniform(1, 5, size=(3, 1)).astype(dtype)
    fn = getattr(tf.math, name)
    g, c = both(lambda: fn(tf.constant(a), tf.constant(b)))
    np.testing.assert_allclose(g, c, rtol=1e-6)


@pytest.mark.parametrize("axis", [None, 0, 1, (0, 2), -1])
@pytest.mark.parametrize("op", ["reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod"])
def test_reductions_parity_and_determinism(op, axis):
    x = rng.normal(size=(7, 300, 3)).astype(np.float32) * (0.1 if op == "reduce_prod" else 1)
    fn = getattr(tf, op)
    g, c = both(lambda: fn(tf.constant(x), axis=axis))
    np.testing.assert_allclose(g, c, rtol=1e-5, atol=1e-30)
    again = on("/GPU:0", lambda: fn(tf.constant(x), axis=axis)).numpy()
    assert np.array_equal(again, g)  # the same bits run to run


@pytest.mark.parametrize("ta,tb", [(False, False), (True, False), (False, True), (True, True)])
def test_matmul_parity(ta, tb):
    a = rng.normal(size=(2, 33, 17) if not ta else (2, 17, 33))
    b = rng.normal(size=(17, 9) if not tb else (9, 17))
    g, c = both(lambda: tf.matmul(tf.constant(a), tf.constant(b), transpose_a=ta, transpose_b=tb))
    np.testing.assert_allclose(g, c, rtol=1e-12)
    g32, c32 = both(lambda: tf.matmul(tf.constant(a, tf.float32), tf.constant(b, tf.float32), transpose_a=ta,
                                      transpose_b=tb))
    np.testing.assert_allclose(g32, c32, rtol=1e-5, atol=1e-5)


def test_matmul_strided_views_and_zero_sizes():
    a = rng.normal(size=(8, 12)).astype(np.float32)
    g, c = both(lambda: tf.matmul(tf.constant(a)[:, ::2], tf.transpose(tf.constant(a)[::2, ::2])))
    np.testing.assert_allclose(g, c, rtol=1e-5, atol=1e-6)
    g, c = both(lambda: tf.matmul(tf.zeros([0, 4]), tf.ones([4, 3])))
    assert g.shape == (0, 3)
    g, c = both(lambda: tf.matmul(tf.ones([2, 0]), tf.ones([0, 3])))
    np.testing.assert_array_equal(g, np.zeros((2, 3)))


@real_gpu
def test_tf32_switch():
    a = rng.normal(size=(512, 512)).astype(np.float32)
    b = rng.normal(size=(512, 512)).astype(np.float32)
    ref = a.astype(np.float64) @ b.astype(np.float64)
    err = lambda r: np.linalg.norm(r.numpy() - ref) / np.linalg.norm(ref)  # noqa: E731
    assert tf.config.experimental.tensor_float_32_execution_enabled() is False  # conftest turns it off
    assert err(tf.matmul(a, b)) < 1e-5
    tf.config.experimental.enable_tensor_float32_execution(True)
    try:
        e = err(tf.matmul(a, b))
    finally:
        tf.config.experimental.enable_tensor_float32_execution(False)
    assert 1e-5 < e < 1e-2, e  # TF32 keeps 10 mantissa bits


def test_softmax_and_cross_entropies():
    logits = rng.normal(size=(64, 10)).astype(np.float32) * 3
    labels = rng.integers(0, 10, size=64)
    onehot = np.eye(10, dtype=np.float32)[labels]

    def run():
        x = tf.constant(logits)
        with tf.GradientTape() as tape:
            tape.watch(x)
            l1 = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.constant(labels), logits=x)
            l2 = tf.nn.softmax_cross_entropy_with_logits(labels=tf.constant(onehot), logits=x)
            l3 = tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.constant(onehot), logits=x)
            total = tf.reduce_sum(l1) + tf.reduce_sum(l2) + tf.reduce_sum(l3)
        return [tf.nn.softmax(x), tf.nn.log_softmax(x, axis=0), l1, l2, l3, tape.gradient(total, x)]
    for g, c in zip(*both(run)):
        np.testing.assert_allclose(g, c, rtol=1e-5, atol=1e-6)


@real_gpu
def test_invalid_sparse_label_gives_nan_on_gpu():
    # TensorFlow's GPU kernel writes NaN for a label outside [0, classes) where its CPU kernel raises.
    loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.constant([0, 7]), logits=tf.zeros([2, 3]))
    assert np.isfinite(loss.numpy()[0]) and np.isnan(loss.numpy()[1])


def test_random_streams_match_cpu():
    for fn in (lambda: tf.random.uniform([1000], seed=3), lambda: tf.random.normal([1000], seed=4),
               lambda: tf.random.truncated_normal([1000], seed=5),
               lambda: tf.random.uniform([1000], maxval=50, dtype=tf.int32, seed=6)):
        tf.random.set_seed(11)
        g = on("/GPU:0", fn).numpy()
        tf.random.set_seed(11)
        c = on("/CPU:0", fn).numpy()
        np.testing.assert_allclose(g, c, rtol=1e-6, atol=1e-7)


def test_casts_gather_where_concat_and_copies():
    x = rng.normal(size=(6, 5)).astype(np.float32) * 100
    for dt in (tf.float16, tf.float64, tf.int32, tf.int64, tf.uint8, tf.bool):
        g, c = both(lambda: tf.cast(tf.constant(x), dt))
        np.testing.assert_array_equal(g, c)
    idx = np.array([4, 0, 0, 2])
    g, c = both(lambda: [tf.gather(tf.constant(x), idx), tf.gather(tf.constant(x), idx, axis=1),
                         tf.where(tf.constant(x) > 0, tf.constant(x), -tf.constant(x)),
                         tf.concat([tf.constant(x), tf.constant(x)[:, ::2]], axis=1),
                         tf.transpose(tf.constant(x)), tf.constant(x)[::-2, 1:4], tf.range(3, 20, 2)])
    for a, b in zip(g, c):
        np.testing.assert_array_equal(a, b)


def test_fallback_ops_match_cpu():
    # Ops whose CUDA kernels are not written yet run the CPU kernel on copies: same values, on the GPU.
    x = rng.normal(size=(2, 9, 9, 3)).astype(np.float32)
    k = rng.normal(size=(3, 3, 3, 4)).astype(np.float32)
    g, c = both(lambda: [tf.nn.conv2d(tf.constant(x), tf.constant(k), 1, "SAME"),
                         tf.nn.max_pool2d(tf.constant(x), 2, 2, "VALID"), tf.argmax(tf.constant(x), axis=-1),
                         tf.sort(tf.constant(x), axis=1), tf.cumsum(tf.constant(x), axis=2)])
    for a, b in zip(g, c):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    assert tf.nn.conv2d(tf.constant(x), tf.constant(k), 1, "SAME").device.endswith("GPU:0")


def _mlp():
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((20,)), keras.layers.Dense(32, activation="relu"),
                              keras.layers.Dropout(0.2), keras.layers.Dense(4)])
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


def test_fit_evaluate_predict_match_cpu():
    x = rng.normal(size=(256, 20)).astype(np.float32)
    y = (x[:, :4].argmax(axis=1)).astype(np.int64)
    results = []
    for device in ("/GPU:0", "/CPU:0"):
        with tf.device(device):
            model = _mlp()
            hist = model.fit(x, y, batch_size=32, epochs=3, verbose=0, shuffle=False)
            ev = model.evaluate(x, y, verbose=0)
            pred = model.predict(x[:50], verbose=0)
            results.append((hist.history["loss"], ev, pred, [w.numpy() for w in model.weights]))
            assert model.weights[0].value().device.endswith(device[1:])
    (hg, eg, pg, wg), (hc, ec, pc, wc) = results
    np.testing.assert_allclose(hg, hc, rtol=1e-4)
    np.testing.assert_allclose(eg, ec, rtol=1e-4)
    np.testing.assert_allclose(pg, pc, rtol=1e-4, atol=1e-5)
    for a, b in zip(wg, wc):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_save_and_load_weights_come_back_to_the_gpu(tmp_path):
    model = _mlp()
    model.fit(rng.normal(size=(64, 20)).astype(np.float32), rng.integers(0, 4, 64), epochs=1, verbose=0)
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    for a, b in zip(model.weights, loaded.weights):
        assert b.value().device.endswith("GPU:0")
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_memory_info_and_out_of_memory():
    tf.config.experimental.reset_memory_stats("GPU:0")
    before = tf.config.experimental.get_memory_info("GPU:0")
    x = tf.zeros([64, 1024, 1024])  # 256 MiB
    during = tf.config.experimental.get_memory_info("GPU:0")
    assert during["current"] - before["current"] >= 256 << 20
    assert during["peak"] >= during["current"]
    del x
    assert tf.config.experimental.get_memory_info("GPU:0")["current"] <= during["current"] - (256 << 20)
    with pytest.raises(tf.errors.ResourceExhaustedError, match="OOM when allocating"):
        tf.zeros([1 << 20, 1 << 20])  # 4 TiB
    y = tf.ones([4]) * 2  # still works after the failed allocation
    np.testing.assert_array_equal(y.numpy(), [2, 2, 2, 2])
