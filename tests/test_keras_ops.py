"""keras.ops against NumPy (forward, and gradients through the generic helper where the op is differentiable),
on symbolic KerasTensors in a functional model, and keras.random's seed rules."""
import numpy as np
import pytest

import tapeflow as tf
from opcheck import check_op, rand
from tapeflow import keras
from tapeflow.keras import ops

X = np.arange(-6, 6, dtype="float64").reshape(3, 4) / 3.0

FORWARD = [  # (name, keras.ops call, NumPy reference, arguments); differentiable rows also check gradients
    ("sum", lambda x: ops.sum(x, axis=1), lambda x: x.sum(1), True),
    ("mean_keep", lambda x: ops.mean(x, axis=(0, 1), keepdims=True), lambda x: x.mean((0, 1), keepdims=True), True),
    ("max", lambda x: ops.max(x, axis=0), lambda x: x.max(0), True),
    ("var", lambda x: ops.var(x, axis=-1), lambda x: x.var(-1), True),
    ("square_sqrt", lambda x: ops.sqrt(ops.square(x) + 1.0), lambda x: np.sqrt(x ** 2 + 1), True),
    ("exp_log", lambda x: ops.log(ops.exp(x) + 1.0), lambda x: np.log(np.exp(x) + 1), True),
    ("reshape", lambda x: ops.reshape(x, (2, 6)), lambda x: x.reshape(2, 6), True),
    ("transpose", lambda x: ops.transpose(x), lambda x: x.T, True),
    ("concatenate", lambda x: ops.concatenate([x, x * 2], axis=1), lambda x: np.concatenate([x, x * 2], 1), True),
    ("stack", lambda x: ops.stack([x, -x], axis=0), lambda x: np.stack([x, -x], 0), True),
    ("expand_squeeze", lambda x: ops.squeeze(ops.expand_dims(x, (0, 2)), 0), lambda x: x[:, None, :], True),
    ("where", lambda x: ops.where(x > 0, x, -x * 2), lambda x: np.where(x > 0, x, -x * 2), True),
    ("clip", lambda x: ops.clip(x, -0.9, 0.9), lambda x: np.clip(x, -0.9, 0.9), True),
    ("maximum", lambda x: ops.maximum(x, 0.1), lambda x: np.maximum(x, 0.1), True),
    ("matmul", lambda x: ops.matmul(x, ops.transpose(x)), lambda x: x @ x.T, True),
    ("dot_vector", lambda x: ops.dot(x, ops.cast(np.arange(4.0), x.dtype)), lambda x: x @ np.arange(4.0), True),
    ("tile", lambda x: ops.tile(x, (2, 1)), lambda x: np.tile(x, (2, 1)), True),
    ("repeat", lambda x: ops.repeat(x, 2, axis=1), lambda x: np.repeat(x, 2, axis=1), True),
    ("flip", lambda x: ops.flip(x, 1), lambda x: np.flip(x, 1), True),
    ("take", lambda x: ops.take(x, np.array([2, 0]), axis=0), lambda x: np.take(x, [2, 0], axis=0), True),
    ("take_flat", lambda x: ops.take(x, np.array([5, 1])), lambda x: np.take(x, [5, 1]), True),
    ("take_along", lambda x: ops.take_along_axis(x, np.array([[1], [3], [0]]), axis=1),
     lambda x: np.take_along_axis(x, np.array([[1], [3], [0]]), axis=1), True),
    ("pad", lambda x: ops.pad(x, ((1, 0), (0, 2))), lambda x: np.pad(x, ((1, 0), (0, 2))), True),
    ("cumsum", lambda x: ops.cumsum(x, axis=1), lambda x: np.cumsum(x, 1), True),
    ("cumsum_flat", lambda x: ops.cumsum(x), lambda x: np.cumsum(x), True),
    ("norm", lambda x: ops.norm(x, axis=1), lambda x: np.linalg.norm(x, axis=1), True),
    ("split", lambda x: ops.split(x, [1, 3], axis=1)[1], lambda x: np.split(x, [1, 3], axis=1)[1], True),
    ("softmax", lambda x: ops.softmax(x), lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True), True),
    ("log_softmax", lambda x: ops.nn.log_softmax(x, axis=0),
     lambda x: x - np.log(np.exp(x).sum(0, keepdims=True)), True),
    ("relu", lambda x: ops.relu(x), lambda x: np.maximum(x, 0), True),
    ("gelu_tanh", lambda x: ops.gelu(x), lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3))),
     True),
    ("binary_ce", lambda x: ops.binary_crossentropy(np.array([[1.0, 0, 1, 0]] * 3), ops.sigmoid(x)),
     lambda x: -(np.array([[1.0, 0, 1, 0]] * 3) * np.log(1 / (1 + np.exp(-x))) +
                 (1 - np.array([[1.0, 0, 1, 0]] * 3)) * np.log(1 - 1 / (1 + np.exp(-x)))), True),
    ("einsum", lambda x: ops.einsum("ij,kj->ik", x, x), lambda x: x @ x.T, True),
    ("sort", lambda x: ops.sort(x, axis=0), lambda x: np.sort(x, 0), True),
    ("top_k", lambda x: ops.top_k(x, 2)[0], lambda x: -np.sort(-x, -1)[:, :2], True),
    ("argmax", lambda x: ops.argmax(x, axis=1), lambda x: x.argmax(1).astype("int32"), False),
    ("argmax_flat", lambda x: ops.argmax(x), lambda x: np.int32(x.argmax()), False),
    ("one_hot", lambda x: ops.one_hot(ops.argmax(x, axis=0), 3), lambda x: np.eye(3)[x.argmax(0)], False),
    ("greater", lambda x: ops.cast(ops.greater(x, 0.5), x.dtype), lambda x: (x > 0.5).astype(x.dtype), False),
]


@pytest.mark.parametrize("name,fn,ref,differentiable", FORWARD, ids=[f[0] for f in FORWARD])
def test_ops_against_numpy(name, fn, ref, differentiable):
    x = X + rand(3, 4) * 0.01  # away from ties and kinks
    check_op(fn, ref, x, grad=differentiable, noncontiguous=differentiable)


def test_type_promotion_follows_keras():
    f32 = ops.ones((2,), "float32")
    assert ops.add(f32, np.ones(2)).dtype == tf.float64  # a float64 array is a strong type
    assert ops.add(ops.ones((2,), "int32"), f32).dtype == tf.float32
    assert ops.multiply(f32, 2).dtype == tf.float32 and ops.multiply(ops.arange(3), 2).dtype == tf.int32
    assert ops.add(ops.arange(3), 0.5).dtype == tf.float32


def test_creation_and_shape():
    np.testing.assert_array_equal(ops.arange(5), np.arange(5))
    assert ops.arange(5).dtype == tf.int32 and ops.arange(0.0, 1.0, 0.25).dtype == tf.float32
    np.testing.assert_array_equal(ops.zeros((2, 3)), np.zeros((2, 3)))
    np.testing.assert_array_equal(ops.full((2,), 7, dtype="int32"), [7, 7])
    np.testing.assert_allclose(ops.linspace(0, 1, 5), np.linspace(0, 1, 5))
    np.testing.assert_array_equal(ops.eye(3, k=1), np.eye(3, k=1))
    assert ops.shape(np.zeros((2, 5))) == (2, 5)
    assert ops.convert_to_numpy(ops.convert_to_tensor([1, 2], dtype="float32")).dtype == np.float32
    mean, variance = ops.moments(X, axes=[0])
    np.testing.assert_allclose(mean, X.mean(0))
    np.testing.assert_allclose(variance, X.var(0))


def test_conv_and_pooling_match_tf_nn():
    x = rand(2, 6, 6, 3).astype("float32")
    k = rand(3, 3, 3, 4).astype("float32")
    np.testing.assert_allclose(ops.conv(x, k, padding="same"), tf.nn.conv2d(x, k, 1, "SAME"), rtol=1e-6)
    np.testing.assert_allclose(ops.max_pool(x, 2), tf.nn.max_pool2d(x, 2, 2, "VALID"))
    np.testing.assert_allclose(ops.average_pool(x, 3, strides=1, padding="same"),
                               tf.nn.avg_pool2d(x, 3, 1, "SAME"), rtol=1e-6)


def test_ops_on_keras_tensors_build_a_functional_model():
    inputs = keras.Input((4,))
    h = keras.layers.Dense(3)(inputs)
    out = ops.concatenate([ops.relu(h), ops.sum(ops.square(inputs), axis=-1, keepdims=True)], axis=-1)
    model = keras.Model(inputs, out)
    assert tuple(out.shape) == (None, 4)
    x = rand(5, 4).astype("float32")
    got = model.predict(x, verbose=0)
    dense = model.layers[1]
    want = np.concatenate([np.maximum(x @ dense.kernel.numpy() + dense.bias.numpy(), 0),
                           (x ** 2).sum(-1, keepdims=True)], -1)
    np.testing.assert_allclose(got, want, rtol=1e-5)
    model.compile("sgd", "mse")
    model.fit(x, np.zeros((5, 4), "float32"), verbose=0)  # gradients flow through the op layers


def test_random_seed_rules():
    a = keras.random.normal((3,), seed=4)
    np.testing.assert_array_equal(a, keras.random.normal((3,), seed=4))  # an int seed: the same values
    gen = keras.random.SeedGenerator(9)
    first, second = keras.random.uniform((3,), seed=gen), keras.random.uniform((3,), seed=gen)
    assert not np.array_equal(first, second)  # a generator: a new draw each call
    keras.utils.set_random_seed(1)
    g1 = keras.random.normal((4,))
    keras.utils.set_random_seed(1)
    np.testing.assert_array_equal(g1, keras.random.normal((4,)))  # the global stream restarts
    ints = keras.random.randint((1000,), 2, 5, seed=1).numpy()
    assert ints.dtype == np.int32 and ints.min() == 2 and ints.max() == 4
    t = np.asarray(keras.random.truncated_normal((2000,), stddev=2.0, seed=3))
    assert np.abs(t).max() <= 4.0
    dropped = np.asarray(keras.random.dropout(np.ones(1000, "float32"), 0.25, seed=2))
    assert set(np.unique(dropped)) <= {np.float32(0.0), np.float32(1.0 / 0.75)} and 0.15 < (dropped == 0).mean() < 0.35
    shuffled = np.asarray(keras.random.shuffle(np.arange(20), seed=5))
    assert sorted(shuffled) == list(range(20)) and list(shuffled) != list(range(20))


def test_control_flow_runs_eagerly():
    assert float(ops.cond(tf.constant(2.0) > 1.0, lambda: tf.constant(1.0), lambda: tf.constant(-1.0))) == 1.0
    i, total = ops.while_loop(lambda i, t: i < 5, lambda i, t: (i + 1, t + i), (tf.constant(0), tf.constant(0)))
    assert (int(i), int(total)) == (5, 10)
    assert int(ops.while_loop(lambda x: x < 100, lambda x: x * 2, tf.constant(1), maximum_iterations=3)) == 8
    assert float(ops.fori_loop(0, 4, lambda i, v: v + i, tf.constant(0.5))) == 6.5
    assert float(tf.cond(tf.constant(False), lambda: 1.0, lambda: 2.0)) == 2.0
    assert [int(v) for v in tf.while_loop(lambda a, b: a < 3, lambda a, b: (a + 1, b * 2), [0, 1])] == [3, 8]
