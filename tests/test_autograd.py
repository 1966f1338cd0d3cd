"""GradientTape semantics as in TensorFlow."""
import numpy as np
import pytest

import tapeflow as tf


def test_reference_case():
    x = tf.Variable(3.0)
    with tf.GradientTape() as t:
        y = tf.square(x)
    assert float(t.gradient(y, x)) == 6.0


def test_structures_and_unconnected():
    a, b, c = tf.Variable(1.0), tf.Variable(2.0), tf.Variable(5.0)
    with tf.GradientTape(persistent=True) as t:
        y = a * b + a
    g = t.gradient(y, {"a": a, "pair": [b, (c,)]})
    assert float(g["a"]) == 3.0 and float(g["pair"][0]) == 1.0 and g["pair"][1][0] is None
    gz = t.gradient(y, [a, c], unconnected_gradients="zero")
    assert float(gz[1]) == 0.0
    gz = t.gradient(y, c, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    assert float(gz) == 0.0


def test_nonscalar_target_and_output_gradients():
    x = tf.constant([1.0, 2.0, 3.0])
    with tf.GradientTape(persistent=True) as t:
        t.watch(x)
        y = x * x
        s = tf.reduce_sum(x)
    np.testing.assert_allclose(t.gradient(y, x).numpy(), [2, 4, 6])
    np.testing.assert_allclose(t.gradient(y, x, output_gradients=tf.constant([1.0, 0.0, -1.0])).numpy(), [2, 0, -6])
    np.testing.assert_allclose(t.gradient([y, s], x).numpy(), [3, 5, 7])


def test_persistence():
    x = tf.Variable(2.0)
    with tf.GradientTape() as t:
        y = x * x
    t.gradient(y, x)
    with pytest.raises(RuntimeError, match="non-persistent"):
        t.gradient(y, x)
    with tf.GradientTape(persistent=True) as p:
        y = x * x
        z = y * x
    assert float(p.gradient(y, x)) == 4.0 and float(p.gradient(z, x)) == 12.0


def test_watching_rules():
    v = tf.Variable(2.0)
    frozen = tf.Variable(2.0, trainable=False)
    c = tf.constant(2.0)
    with tf.GradientTape() as t:
        y = v * frozen * c
    assert [g is None for g in t.gradient(y, [v, frozen, c])] == [False, True, True]
    with tf.GradientTape(watch_accessed_variables=False) as t:
        t.watch(frozen)
        y = v * frozen
    gv, gf = t.gradient(y, [v, frozen])
    assert gv is None and float(gf) == 2.0
    with tf.GradientTape() as t:
        y = v * v
    watched = t.watched_variables()
    assert len(watched) == 1 and watched[0] is v
    with pytest.raises(ValueError):
        t.watch([1.0])


def test_stop_recording_and_stop_gradient():
    x = tf.Variable(3.0)
    with tf.GradientTape() as t:
        y = x * x
        with t.stop_recording():
            z = x * x
        w = y + tf.stop_gradient(y) + z
    assert float(t.gradient(w, x)) == 6.0


def test_second_and_third_derivatives():
    x = tf.Variable(2.0)
    with tf.GradientTape() as t2:
        with tf.GradientTape() as t1:
            y = x * x * x
        dy = t1.gradient(y, x)
    d2y = t2.gradient(dy, x)
    assert float(dy) == 12.0 and float(d2y) == 12.0
    with tf.GradientTape() as a:
        with tf.GradientTape() as b:
            with tf.GradientTape() as c:
                y = tf.exp(x) + tf.sin(x)
            d1 = c.gradient(y, x)
        d2 = b.gradient(d1, x)
    d3 = a.gradient(d2, x)
    np.testing.assert_allclose(float(d3), np.exp(2.0) - np.cos(2.0), rtol=1e-6)


def test_second_derivative_of_matmul_and_softmax():
    w = tf.Variable(np.array([[0.5, -1.0], [2.0, 0.3]]))
    x = tf.constant(np.array([[1.0, 2.0]]))
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            y = tf.reduce_sum(tf.nn.softmax(x @ w) * tf.constant([[1.0, 3.0]], tf.float64))
        g = inner.gradient(y, w)
        s = tf.reduce_sum(g * g)
    h = outer.gradient(s, w)
    assert h is not None and h.shape == (2, 2) and np.all(np.isfinite(h.numpy()))
    # finite-difference check of d(sum g^2)/dw
    eps, base = 1e-6, w.numpy()
    def s_of(wv):
        wt = tf.constant(wv)
        with tf.GradientTape() as tp:
            tp.watch(wt)
            y = tf.reduce_sum(tf.nn.softmax(x @ wt) * tf.constant([[1.0, 3.0]], tf.float64))
        gg = tp.gradient(y, wt)
        return float(tf.reduce_sum(gg * gg))
    num = np.zeros((2, 2))
    for i in range(2):
        for j in range(2):
            p, m = base.copy(), base.copy()
            p[i, j] += eps
            m[i, j] -= eps
            num[i, j] = (s_of(p) - s_of(m)) / (2 * eps)
    np.testing.assert_allclose(h.numpy(), num, rtol=1e-5, atol=1e-7)


def test_broadcast_gradients_reduce_to_input_shape():
    b = tf.Variable(tf.zeros((1, 3)))
    x = tf.constant(np.ones((4, 3), np.float32))
    with tf.GradientTape() as t:
        y = tf.reduce_sum(x + b)
    g = t.gradient(y, b)
    assert g.shape == (1, 3)
    np.testing.assert_allclose(g.numpy(), [[4, 4, 4]])


def test_non_differentiable_give_none():
    x = tf.Variable([1.0, 3.0, 2.0])
    with tf.GradientTape(persistent=True) as t:
        i = tf.argmax(x)
        c = tf.cast(x > 1.5, tf.float32)
        n = tf.constant(3) * 2
    assert t.gradient(i, x) is None and t.gradient(c, x) is None
    k = tf.constant(2)
    with tf.GradientTape() as t:
        t.watch(k)
        n = k * 3
    assert t.gradient(n, k) is None


def test_variables_used_after_assign_keep_recorded_values():
    v = tf.Variable(2.0)
    with tf.GradientTape() as t:
        y = v * v
    v.assign(10.0)  # the tape holds the value v had when recorded
    assert float(t.gradient(y, v)) == 4.0


def test_gradient_of_getitem_and_gather_accumulates():
    x = tf.Variable([1.0, 2.0, 3.0])
    with tf.GradientTape() as t:
        y = x[0] * 2 + x[0] + tf.reduce_sum(tf.gather(x, [2, 2]))
    np.testing.assert_allclose(t.gradient(y, x).numpy(), [3, 0, 2])
