"""Odd shapes through every kernel family: 0-sized dimensions, scalars, size-1
broadcasts, empty index lists. Results match NumPy (and run clean under ASan/UBSan)."""
import numpy as np
import pytest

import tapeflow as tf

CASES = [
    ("matmul_k0", lambda t: tf.matmul(t, tf.zeros((0, 4), tf.float64)), lambda a: a @ np.zeros((0, 4)), (3, 0)),
    ("matmul_batch0", lambda t: tf.matmul(t, tf.ones((2, 3), tf.float64)), lambda a: a @ np.ones((2, 3)), (0, 4, 2)),
    ("sum_empty_axis", lambda t: tf.reduce_sum(t, axis=0), lambda a: a.sum(0), (0, 3)),
    ("sum_keep_empty", lambda t: tf.reduce_sum(t, axis=1, keepdims=True), lambda a: a.sum(1, keepdims=True), (0, 3)),
    ("prod_empty", lambda t: tf.reduce_prod(t, axis=0), lambda a: a.prod(0), (0, 2)),
    ("max_nonempty_axis", lambda t: tf.reduce_max(t, axis=1), lambda a: a.max(1), (0, 3)),
    ("argmax_nonempty_axis", lambda t: tf.argmax(t, axis=1), lambda a: a.argmax(1), (0, 3)),
    ("mean_scalar", lambda t: tf.reduce_mean(t), lambda a: a.mean(), ()),
    ("softmax_rows0", tf.nn.softmax, lambda a: a, (0, 4)),
    ("cumsum_empty", lambda t: tf.cumsum(t, axis=1), lambda a: np.cumsum(a, 1), (2, 0)),
    ("concat_empty_piece", lambda t: tf.concat([t, tf.ones((2, 1), tf.float64)], 1),
     lambda a: np.concatenate([a, np.ones((2, 1))], 1), (2, 0)),
    ("pad_empty", lambda t: tf.pad(t, [[1, 1], [0, 0]]), lambda a: np.pad(a, ((1, 1), (0, 0))), (0, 3)),
    ("tile_zero", lambda t: tf.tile(t, [0, 2]), lambda a: np.tile(a, (0, 2)), (2, 3)),
    ("transpose_empty", lambda t: tf.transpose(t), lambda a: a.T, (0, 5)),
    ("reshape_empty", lambda t: tf.reshape(t, [5, 0]), lambda a: a.reshape(5, 0), (0, 5)),
    ("slice_empty", lambda t: t[3:1], lambda a: a[3:1], (4, 2)),
    ("broadcast_scalar", lambda t: t + tf.zeros((2, 0, 3), tf.float64), lambda a: a + np.zeros((2, 0, 3)), ()),
    ("gather_empty_idx", lambda t: tf.gather(t, tf.zeros((0,), tf.int32)), lambda a: a[np.zeros(0, int)], (3, 2)),
    ("gather_empty_params", lambda t: tf.gather(t, tf.zeros((0,), tf.int32), axis=1), lambda a: a[:, []], (0, 4)),
    ("where_empty", lambda t: tf.where(t > 0, t, -t), lambda a: np.abs(a), (0, 2)),
    ("size1_broadcast", lambda t: t * tf.ones((1, 1, 5), tf.float64), lambda a: a * np.ones((1, 1, 5)), (3, 1, 1)),
    ("transposed_reduce", lambda t: tf.reduce_sum(tf.transpose(t, [1, 0, 2]), axis=[0, 2]),
     lambda a: a.transpose(1, 0, 2).sum((0, 2)), (2, 3, 4)),
    ("reduce_alternating_axes", lambda t: tf.reduce_max(t, axis=[0, 2]), lambda a: a.max((0, 2)), (3, 2, 4, 2)),
]


@pytest.mark.parametrize("name,tf_fn,np_fn,shape", CASES, ids=[c[0] for c in CASES])
def test_odd_shape(name, tf_fn, np_fn, shape):
    a = np.random.default_rng(0).uniform(-1, 1, shape)
    got, want = tf_fn(tf.constant(a)).numpy(), np_fn(a)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want)


def test_gradients_through_empty_tensors():
    x = tf.Variable(tf.zeros((0, 3)))
    w = tf.Variable(tf.ones((3, 2)))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.matmul(x, w))
    gx, gw = tape.gradient(loss, [x, w])
    assert gx.shape == (0, 3) and gw.shape == (3, 2)
    np.testing.assert_array_equal(gw.numpy(), np.zeros((3, 2)))


def test_scalar_variable_ops():
    s = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.stack([s, s * s, tf.exp(s)]))
    np.testing.assert_allclose(float(tape.gradient(y, s)), 1 + 4 + np.exp(2.0), rtol=1e-6)
