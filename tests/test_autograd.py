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


def test_gradient_of_a_source_with_respect_to_itself_is_ones():
    # As in TensorFlow: a trainable variable (or a watched tensor) as its own target has gradient ones, even when no
    # op read it; a variable the tape does not watch has none.
    v = tf.Variable([2.0, 3.0])
    with tf.GradientTape() as t:
        y = v
    np.testing.assert_array_equal(t.gradient(y, v).numpy(), [1.0, 1.0])
    x = tf.constant(3.0)
    with tf.GradientTape() as t:
        t.watch(x)
    assert float(t.gradient(x, x)) == 1.0
    for tape_args, var in (({"watch_accessed_variables": False}, tf.Variable(1.0)),
                           ({}, tf.Variable(1.0, trainable=False))):
        with tf.GradientTape(**tape_args) as t:
            y = var
        assert t.gradient(y, var) is None


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


# Accumulate-into-output: a later use of an input adds its gradient product into the buffer the earlier uses made.
_rng = np.random.default_rng(7)


def _f32(*shape):
    return _rng.uniform(-1, 1, shape).astype(np.float32)


def _shared_weight_loss(w, x0, x1, z, x2, bias, cs):
    """A weight used four times: as a right operand, twice; transposed on the left; as a dense kernel (relu)."""
    y = [tf.matmul(x0, w), tf.matmul(x1, w), tf.matmul(w, z, transpose_a=True), tf._core.dense(x2, w, bias, tf._core.Act.relu)]
    return tf.add_n([tf.reduce_sum(yi * ci) for yi, ci in zip(y, cs)])


def test_a_weight_used_several_times_gets_its_gradient_products_accumulated_in_place():
    w = tf.Variable(_f32(40, 30))
    x0, x1, x2, z = _f32(7, 40), _f32(9, 40), _f32(5, 40), _f32(40, 6)
    bias = _f32(30)
    cs = [_f32(7, 30), _f32(9, 30), _f32(30, 6), _f32(5, 30)]
    with tf.GradientTape() as tape:
        loss = _shared_weight_loss(w, x0, x1, z, x2, bias, cs)
    eager = tape.gradient(loss, w).numpy()
    f = lambda a: a.astype(np.float64)
    pre = f(x2) @ f(w.numpy()) + f(bias)
    want = f(x0).T @ f(cs[0]) + f(x1).T @ f(cs[1]) + f(z) @ f(cs[2]).T + f(x2).T @ (f(cs[3]) * (pre > 0))
    np.testing.assert_allclose(eager, want, rtol=1e-5, atol=1e-5)

    # Captured, the same step shows the three later products accumulated by the GEMM (no add kernels for them),
    # and gives the eager step's bits.
    _core = tf._core
    _core._begin_capture()
    with tf.GradientTape() as tape:
        loss = _shared_weight_loss(w, x0, x1, z, x2, bias, cs)
    g = tape.gradient(loss, w)
    plan = _core._end_capture([])
    assert plan.failure is None
    np.testing.assert_array_equal(g.numpy(), eager)
    names = [where for where, _ in plan.profile(1)]
    assert names.count("grad_product") == 3
    # Replayed over lifetime-planned buffers, where each accumulated buffer must live from its first product on.
    plan.plan_memory([g])
    plan.run([], [])
    np.testing.assert_array_equal(g.numpy(), eager)


def test_accumulation_keeps_aliased_and_recorded_gradients_right():
    # An intermediate used twice that is also a source: its gradient, summed in place, is returned and also feeds
    # the rule of the op that made it.
    w, a, b, x = tf.Variable(_f32(6, 8)), _f32(8, 5), _f32(8, 4), _f32(3, 6)
    c1, c2 = _f32(3, 5), _f32(3, 4)
    with tf.GradientTape() as tape:
        y = tf.matmul(x, w)
        loss = tf.reduce_sum(tf.matmul(y, a) * c1) + tf.reduce_sum(tf.matmul(y, b) * c2)
    gy, gw = tape.gradient(loss, [y, w])
    f = lambda v: np.asarray(v, np.float64)
    want_y = f(c1) @ f(a).T + f(c2) @ f(b).T
    np.testing.assert_allclose(gy.numpy(), want_y, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gw.numpy(), f(x).T @ want_y, rtol=1e-5, atol=1e-6)

    # An input taken twice by one product, and used again later (so both operands are offered the same buffer):
    # all three gradients count.
    s = tf.Variable(_f32(5, 5))
    c, xs, cx = _f32(5, 5), _f32(3, 5), _f32(3, 5)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.matmul(s, s) * c) + tf.reduce_sum(tf.matmul(xs, s) * cx)
    sv = f(s.numpy())
    np.testing.assert_allclose(tape.gradient(loss, s).numpy(), f(c) @ sv.T + sv.T @ f(c) + f(xs).T @ f(cx),
                               rtol=1e-5, atol=1e-6)

    # Under an outer tape that records the inner gradient's ops, nothing is written in place: the second
    # derivative of 0.5 |x1 w|^2 + 0.5 |x2 w|^2 along v is (x1^T x1 + x2^T x2) v.
    w2, x1, x2, v = tf.Variable(_f32(6, 4)), _f32(5, 6), _f32(7, 6), _f32(6, 4)
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            loss = 0.5 * tf.reduce_sum(tf.square(tf.matmul(x1, w2))) + 0.5 * tf.reduce_sum(tf.square(tf.matmul(x2, w2)))
        g = inner.gradient(loss, w2)
        h = tf.reduce_sum(g * v)
    gram = f(x1).T @ f(x1) + f(x2).T @ f(x2)
    np.testing.assert_allclose(g.numpy(), gram @ f(w2.numpy()), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(outer.gradient(h, w2).numpy(), gram @ f(v), rtol=1e-5, atol=1e-5)
