"""Bad input raises a Python exception naming the op and the offending shapes or
dtypes; nothing crashes the process."""
import numpy as np
import pytest

import tapeflow as tf
from tapeflow import keras


def test_matmul_shapes_message():
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"\[matmul\] inner dimensions differ: \(2, 3\) @ \(4, 5\)"):
        tf.matmul(tf.zeros((2, 3)), tf.zeros((4, 5)))
    with pytest.raises(ValueError, match=r"\[matmul\].*rank >= 2"):
        tf.matmul(tf.zeros((3,)), tf.zeros((3,)))


def test_broadcast_and_dtype_errors():
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"\[add\] Incompatible shapes: \(2, 3\) vs. \(4,\)"):
        tf.zeros((2, 3)) + tf.zeros((4,))
    with pytest.raises(ValueError):  # InvalidArgumentError is a ValueError too
        tf.zeros((2, 3)) * tf.zeros((2,))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"float32.*float64"):
        tf.constant(1.0) + tf.constant(1.0, dtype=tf.float64)
    with pytest.raises(tf.errors.InvalidArgumentError, match="int32"):
        tf.constant(1) + tf.constant(1.0)
    with pytest.raises(TypeError, match="int32"):
        tf.constant([1, 2]) + 1.5
    with pytest.raises(TypeError, match=r"\[sqrt\]"):
        tf.sqrt(tf.constant([4]))
    with pytest.raises(TypeError):
        tf.constant("text", dtype=tf.float32)
    with pytest.raises(TypeError):
        tf.constant([1, 2], dtype=tf.string)
    with pytest.raises(TypeError):
        tf.constant(np.array([1 + 2j]))


def test_axis_and_shape_errors():
    x = tf.zeros((2, 3))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"\[reduce_sum\] axis 2 is out of range"):
        tf.reduce_sum(x, axis=2)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"\[reshape\].*6 values"):
        tf.reshape(x, [4, 2])
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"\[concat\]"):
        tf.concat([x, tf.zeros((3, 3))], axis=1)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"\[transpose\]"):
        tf.transpose(x, [0, 0])
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"\[squeeze\]"):
        tf.squeeze(x, axis=0)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"\[split\]"):
        tf.split(x, 2, axis=1)
    with pytest.raises(ValueError, match="negative"):
        tf.zeros([-1, 2])
    with pytest.raises(ValueError):
        tf.zeros([2 ** 40, 2 ** 40])
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"\[argmax\].*empty"):
        tf.argmax(tf.zeros((0, 2)))


def test_index_errors():
    params = tf.constant([1.0, 2.0, 3.0])
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"\[gather\] indices\[1\] = 5 is not in \[0, 3\)"):
        tf.gather(params, [0, 5])
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.gather(params, [-1])
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"\[gather_nd\]"):
        tf.gather_nd(tf.zeros((2, 2)), [[0, 2]])
    with pytest.raises(TypeError, match="int32 or int64"):
        tf.gather(params, tf.constant([0.0]))
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[3], logits=tf.zeros((1, 3)))
    with pytest.raises(IndexError, match="out of bounds"):
        params[3]


def test_integer_division_by_zero_is_an_error_not_a_crash():
    with pytest.raises(tf.errors.InvalidArgumentError, match="division by zero"):
        tf.constant([1, 2]) // tf.constant([1, 0])
    with pytest.raises(tf.errors.InvalidArgumentError, match="division by zero"):
        tf.constant([1, 2]) % 0
    assert int(tf.constant(-2 ** 31) // tf.constant(-1)) == -2 ** 31  # wraps, no SIGFPE
    with pytest.raises(tf.errors.InvalidArgumentError, match="negative integer powers"):
        tf.constant(2) ** tf.constant(-1)


def test_nan_and_inf_are_values_not_errors():
    x = tf.constant([np.nan, np.inf, -np.inf, 1.0])
    assert np.isnan(float(tf.reduce_max(x)))
    np.testing.assert_array_equal(tf.math.is_nan(x).numpy(), [True, False, False, False])
    np.testing.assert_array_equal(tf.cast(x, tf.int32).numpy()[[0, 3]], [0, 1])
    s = tf.nn.softmax(tf.constant([[-np.inf, 0.0]]))
    np.testing.assert_allclose(s.numpy(), [[0.0, 1.0]])
    for dtype, n in (("float32", 3), ("float32", 100), ("float64", 3)):  # contiguous SIMD path and generic path
        r = tf.nn.relu(tf.constant(np.resize([np.nan, -1.0, 2.0], n), dtype=dtype)).numpy()
        np.testing.assert_array_equal(r[:3], [np.nan, 0.0, 2.0])  # NaN propagates through relu, as in TF


def test_gpu_requests_without_a_gpu_use_the_cpu_unless_soft_placement_is_off():
    if tf._core.cuda_device_count():
        pytest.skip("a GPU is present")
    with tf.device("/GPU:0"):  # soft placement, TensorFlow's default: the CPU runs it
        assert float(tf.constant(2.0) * 3) == 6.0
    tf.config.set_soft_device_placement(False)
    try:
        with pytest.raises(RuntimeError, match="GPU"):
            with tf.device("/GPU:0"):
                pass
    finally:
        tf.config.set_soft_device_placement(True)


def test_gradient_argument_errors():
    x = tf.Variable(1.0)
    with tf.GradientTape() as t:
        y = x * 2
    with pytest.raises(ValueError):
        t.gradient(y, [1.0])
    with tf.GradientTape() as t:
        y = x * 2
    with pytest.raises(ValueError):
        t.gradient(y, x, output_gradients=[tf.constant(1.0), tf.constant(2.0)])


def test_dtype_like_objects_with_bad_codes_raise():
    # run in a child: an out-of-range code once indexed past the dtype names and crashed the interpreter
    from childproc import run_child
    rc, out, err = run_child("""
import tapeflow as tf
for code in (99, -1, 7, "float32", 2 ** 70, None):
    obj = type("Like", (), {"_code": code})()
    try:
        tf.zeros([3], dtype=obj)
    except TypeError as e:
        assert "names no dtype" in str(e), e
    else:
        raise AssertionError(code)
print("ok")
""")
    assert rc == 0 and out.strip() == "ok", (rc, err[-2000:])


def test_sizes_strides_windows_and_pads_are_checked_before_arithmetic():
    # in a child with a timeout: a pooling window of 2**40 once ran for minutes, 2**63 - 1 never returned
    from childproc import run_child
    rc, out, err = run_child("""
import numpy as np
import tapeflow as tf
x, f = tf.ones([1, 4, 4, 1]), tf.ones([2, 2, 1, 1])
bad = [
    lambda: tf.nn.max_pool2d(x, 2 ** 40, 1, "SAME"),
    lambda: tf.nn.avg_pool2d(x, 2 ** 63 - 1, 1, "SAME"),
    lambda: tf.nn.avg_pool2d(x, 2 ** 20, 1, "SAME"),                      # 2**40 taps
    lambda: tf.nn.conv2d(x, f, 1, "SAME", dilations=2 ** 62),
    lambda: tf.nn.conv2d(x, f, 1, [[0, 0], [2 ** 63 - 1, 0], [0, 0], [0, 0]]),
    lambda: tf.nn.conv2d(x, f, 0, "SAME"),
    lambda: tf._core._max_pool2d(x, [2 ** 40, 1], [1, 1], [0, 0, 0, 0]),  # the C++ checks, without nn.py's
    lambda: tf._core._avg_pool2d(x, [3, 3], [1, 1], [2 ** 40, 0, 0, 0]),
    lambda: tf.slice(tf.zeros([5]), [1], [2 ** 63 - 1]),
]
for i, fn in enumerate(bad):
    try:
        fn()
    except tf.errors.InvalidArgumentError:
        pass
    else:
        raise AssertionError(i)
for fn in (lambda: tf.zeros([2 ** 70]), lambda: tf.reshape(x, [2 ** 70])):
    try:
        fn()
    except ValueError as e:
        assert "does not fit in int64" in str(e), e
    else:
        raise AssertionError("2**70")
a, ref = tf.constant(np.arange(5.0)), np.arange(5.0)
for step in (2 ** 63 - 1, -2 ** 63, 2 ** 62, 2 ** 70, -2 ** 70, 4, -4):
    np.testing.assert_array_equal(a[::step], ref[::step])
np.testing.assert_array_equal(a[-2 ** 70:2 ** 70], ref)
np.testing.assert_array_equal(a[2 ** 70:], ref[2 ** 70:])
try:
    a[2 ** 70]
except IndexError:
    pass
else:
    raise AssertionError("index")
# a huge window over padding visits only the taps inside the input
xv = tf.Variable(np.random.default_rng(0).random((1, 5, 5, 2)))
with tf.GradientTape() as tape:
    y = tf.reduce_sum(tf.nn.max_pool2d(xv, 40000, 1, "SAME")) + tf.reduce_sum(tf.nn.avg_pool2d(xv, 40000, 1, "SAME"))
np.testing.assert_allclose(y.numpy(), 25 * xv.numpy().max(axis=(0, 1, 2)).sum() + 25 * xv.numpy().mean(axis=(0, 1, 2)).sum())
np.testing.assert_allclose(tape.gradient(y, xv).numpy().sum(), 100.0)
print("ok")
""", timeout=120)
    assert rc == 0 and out.strip() == "ok", (rc, err[-3000:])


def _classifier():
    m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    m.compile("adam", "sparse_categorical_crossentropy")
    return m


@pytest.mark.parametrize("run_eagerly", [False, True])
def test_nan_labels_raise_instead_of_training_as_class_0(run_eagerly):
    x = np.random.default_rng(0).random((96, 4)).astype("float32")
    y = np.random.default_rng(1).integers(0, 3, 96).astype("float32")
    y[70] = np.nan  # in the third batch: the step replayed from a captured plan checks it too
    m = _classifier()
    m.run_eagerly = run_eagerly
    with pytest.raises(tf.errors.InvalidArgumentError, match="label value of nan"):
        m.fit(x, y, batch_size=32, shuffle=False, verbose=0)
    with pytest.raises(tf.errors.InvalidArgumentError, match="label value of nan"):
        keras.losses.sparse_categorical_crossentropy(np.array([np.nan, 1.0]), np.full((2, 3), 1 / 3))


def test_class_weight_with_a_huge_or_bad_label_fails_without_a_huge_table():
    import tracemalloc
    x, y = np.zeros((8, 4), "float32"), np.zeros(8, "int64")
    y[3] = 10 ** 9
    m = _classifier()
    tracemalloc.start()
    with pytest.raises(tf.errors.InvalidArgumentError, match="outside the valid range"):
        m.fit(x, y, class_weight={0: 1.0, 1: 2.0}, verbose=0)
    assert tracemalloc.get_traced_memory()[1] < 64 * 2 ** 20
    tracemalloc.stop()
    for bad in (np.nan, -1):
        y = np.zeros(8, "float32")
        y[2] = bad
        with pytest.raises(ValueError, match="class_weight"):
            m.fit(x, y, class_weight={0: 1.0}, verbose=0)


def test_empty_batches_and_zero_batch_size_raise():
    m = _classifier()
    with pytest.raises(ValueError, match="0 samples"):
        m.train_on_batch(np.zeros((0, 4), "float32"), np.zeros(0))
    with pytest.raises(ValueError, match="0 samples"):
        m.test_on_batch(np.zeros((0, 4), "float32"), np.zeros(0))
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        m.fit(np.zeros((8, 4), "float32"), np.zeros(8), batch_size=0, verbose=0)
