"""Losses, metrics, optimizers and layer activations against numbers derived from
Keras 3 (see tests/reference/make_keras_reference.py for how they were made)."""
import json
import os

import numpy as np
import pytest

import tapeflow as tf
from tapeflow import keras

REF = json.load(open(os.path.join(os.path.dirname(__file__), "reference", "keras_reference.json")))
INPUTS = {k: np.asarray(v, dtype="int32" if k == "sparse" else "float32") for k, v in REF["inputs"].items()}


def _id(case):
    return case["class"] + "".join("-%s=%s" % kv for kv in case["kwargs"].items())


@pytest.mark.parametrize("case", REF["losses"], ids=_id)
def test_loss_matches_keras(case):
    cls = getattr(keras.losses, case["class"])
    t, p = INPUTS[case["y_true"]], INPUTS[case["y_pred"]]
    for reduction in ("sum_over_batch_size", "sum", "none"):
        got = cls(reduction=reduction, **case["kwargs"])(t, p).numpy()
        assert np.all(np.isfinite(got))
        np.testing.assert_allclose(got, case[reduction], rtol=2e-5, atol=2e-6, err_msg=reduction)
    got = cls(**case["kwargs"])(t, p, sample_weight=INPUTS["sw"]).numpy()
    np.testing.assert_allclose(got, case["weighted"], rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("case", REF["losses"], ids=_id)
def test_loss_function_and_config_round_trip(case):
    cls = getattr(keras.losses, case["class"])
    obj = cls(**case["kwargs"])
    again = cls.from_config(obj.get_config())
    t, p = INPUTS[case["y_true"]], INPUTS[case["y_pred"]]
    np.testing.assert_allclose(again(t, p).numpy(), obj(t, p).numpy(), rtol=1e-7)
    assert keras.losses.get(case["class"]).__class__ is cls


def test_cross_entropy_of_a_softmax_or_sigmoid_output_starts_from_its_logits():
    """As Keras on TensorFlow: a softmax or sigmoid output remembers its logits, and the cross-entropy losses use
    them, so a saturated output keeps its true loss and gradient instead of the clipped -log(1e-7) = 16.118 and 0.
    (Keras 3.x on TensorFlow 2.21 gives 100, 100 and 30 for the three losses below.)"""
    z = tf.Variable([[100.0, 0.0, 0.0]])
    with tf.GradientTape() as tape:
        p = keras.activations.softmax(z)
        scce = keras.losses.sparse_categorical_crossentropy([1], p)
    np.testing.assert_allclose(scce.numpy(), [100.0])
    np.testing.assert_allclose(tape.gradient(scce, z).numpy(), [[1.0, -1.0, 0.0]], atol=1e-6)
    np.testing.assert_allclose(keras.losses.categorical_crossentropy([[0.0, 1.0, 0.0]], p).numpy(), [100.0])
    s = keras.activations.sigmoid(tf.constant([[30.0]]))
    np.testing.assert_allclose(keras.losses.binary_crossentropy([[0.0]], s).numpy(), [30.0])
    # Only the matching activation's logits: a sigmoid output is not softmax logits, nor a softmax over axis 0.
    np.testing.assert_allclose(keras.losses.categorical_crossentropy([[1.0]], s).numpy(), [0.0], atol=1e-6)
    p0 = keras.activations.softmax(tf.constant([[100.0], [0.0]]), axis=0)
    assert keras.losses.categorical_crossentropy([[0.0], [1.0]], p0).numpy()[0] == pytest.approx(0.0, abs=1e-6)
    # The model's output carries them into fit/evaluate, eager or captured.
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(3, activation="softmax", kernel_initializer="identity",
                                                                 bias_initializer="zeros")])
    for eager in (True, False):
        m.compile("sgd", "sparse_categorical_crossentropy", run_eagerly=eager)
        assert m.evaluate(np.array([[100.0, 0.0, 0.0]] * 4, np.float32), np.ones(4), verbose=0) == \
            pytest.approx(100.0)
    with pytest.warns(UserWarning, match="was produced by a Softmax activation"):
        keras.losses.sparse_categorical_crossentropy([1], p, from_logits=True)


def test_loss_aliases_resolve():
    assert keras.losses.get("mse") is keras.losses.mean_squared_error
    assert keras.losses.get("mae") is keras.losses.mean_absolute_error
    with pytest.raises(ValueError, match="Could not interpret loss"):
        keras.losses.get("no_such_loss")


@pytest.mark.parametrize("case", REF["metrics"], ids=_id)
def test_metric_matches_keras(case):
    cls = getattr(keras.metrics, case["class"])
    t = np.asarray(case["y_true"], dtype="float32")
    p = np.asarray(case["y_pred"], dtype="float32")
    if case["class"] == "SparseCategoricalAccuracy":
        t = t.astype("int32")
    m = cls(**case["kwargs"])
    half = len(t) // 2
    m.update_state(t[:half], p[:half])
    m.update_state(t[half:], p[half:])
    np.testing.assert_allclose(m.result().numpy(), case["result"], rtol=1e-5, atol=1e-6)
    if "weighted_result" in case:
        mw = cls(**case["kwargs"])
        mw.update_state(t, p, sample_weight=np.asarray(case["sample_weight"], dtype="float32"))
        np.testing.assert_allclose(mw.result().numpy(), case["weighted_result"], rtol=1e-5, atol=1e-6)
    m.reset_state()
    assert all(float(np.abs(v.numpy()).sum()) == 0.0 for v in m.variables)
    assert type(cls.from_config(m.get_config())) is cls


def test_mean_metric_with_weights():
    m = keras.metrics.Mean()
    m.update_state([1.0, 2.0, 3.0], sample_weight=[1.0, 0.0, 2.0])
    np.testing.assert_allclose(float(m.result()), REF["mean_weighted"], rtol=1e-6)


def test_custom_metric_state_updates_in_place():
    class CountPositives(keras.metrics.Metric):
        def __init__(self, name="count_positives", **kwargs):
            super().__init__(name=name, **kwargs)
            self.count = self.add_weight(name="count", initializer="zeros", dtype="int32")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.count.assign_add(tf.reduce_sum(tf.cast(tf.greater(y_pred, 0.5), "int32")))

        def result(self):
            return self.count

    m = CountPositives()
    var = m.count
    m.update_state(None, np.array([0.1, 0.9, 0.7]))
    m.update_state(None, np.array([0.6]))
    assert m.count is var and int(m.result()) == 3
    m.reset_state()
    assert int(m.result()) == 0


@pytest.mark.parametrize("case", REF["optimizers"], ids=_id)
def test_optimizer_matches_keras_step_by_step(case):
    cls = getattr(keras.optimizers, case["class"])
    opt = cls(**case["kwargs"])
    v = tf.Variable(np.asarray(REF["optimizer_inputs"]["w0"], dtype="float32"))
    for step, (g, expected) in enumerate(zip(REF["optimizer_inputs"]["grads"], case["steps"])):
        opt.apply_gradients([(tf.constant(np.asarray(g, dtype="float32")), v)])
        np.testing.assert_allclose(v.numpy(), expected, rtol=2e-5, atol=2e-6, err_msg="step %d" % step)
    assert int(opt.iterations) == len(case["steps"])
    config = opt.get_config()
    again = cls.from_config(config)
    assert again.get_config() == config


@pytest.mark.parametrize("make", [
    lambda: keras.optimizers.SGD(0.1),
    lambda: keras.optimizers.SGD(0.1, momentum=0.9, nesterov=True),
    lambda: keras.optimizers.Adam(0.01),
    lambda: keras.optimizers.Adam(0.01, amsgrad=True),
    lambda: keras.optimizers.RMSprop(0.01),
    lambda: keras.optimizers.Adagrad(0.1),
], ids=["sgd", "nesterov", "adam", "amsgrad", "rmsprop", "adagrad"])
def test_fused_rules_update_all_variables_in_one_kernel(make, monkeypatch):
    """The built-in rules step every dense variable in one multi-variable kernel (threads split the elements of
    all of them, so a split falls inside a variable), with the bits of one step per variable."""
    rng = np.random.default_rng(5)
    shapes = [(300, 130), (0, 4), (1,), (7, 3), (40000,)]
    starts = [rng.normal(size=s) for s in shapes]
    grads = [[rng.normal(size=s) for s in shapes] for _ in range(3)]
    for dtype in ("float32", "float64"):
        together = [tf.Variable(w.astype(dtype)) for w in starts]
        alone = [tf.Variable(w.astype(dtype)) for w in starts]
        opt, opts = make(), [make() for _ in shapes]
        calls = []
        apply_update = tf._core._apply_update
        monkeypatch.setattr(tf._core, "_apply_update", lambda *a, **k: calls.append(len(a[1])) or apply_update(*a, **k))
        for step in grads:
            opt.apply_gradients([(tf.constant(g.astype(dtype)), v) for g, v in zip(step, together)])
            for o, g, v in zip(opts, step, alone):
                o.apply_gradients([(tf.constant(g.astype(dtype)), v)])
        monkeypatch.undo()
        assert calls == [5, 1, 1, 1, 1, 1] * 3
        for a, b in zip(together, alone):
            np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_a_variable_given_twice_is_stepped_twice():
    """Two gradients for one variable in one apply_gradients: two steps, one after the other (never one kernel
    writing the variable twice at once)."""
    v = tf.Variable(np.ones(40000, np.float32))
    keras.optimizers.SGD(0.1, momentum=0.9).apply_gradients([(tf.fill([40000], 1.0), v), (tf.fill([40000], 2.0), v)])
    m1 = np.float32(-0.1)
    m2 = np.float32(0.9) * m1 - np.float32(2.0) * np.float32(0.1)
    np.testing.assert_array_equal(v.numpy(), np.full(40000, (np.float32(1.0) + m1) + m2, np.float32))


def test_fused_rules_flush_subnormals_to_zero():
    """As TensorFlow's CPU kernels (checked with TF 2.21: SGD(1e-3) on w = 2e-38, g = 1e-36 leaves w = 2e-38, and a
    subnormal gradient counts as 0): a product that would be subnormal is 0, a subnormal operand reads as 0."""
    v = tf.Variable(np.array([2e-38, 2e-38, 1.0], np.float32))
    keras.optimizers.SGD(1e-3).apply_gradients([(tf.constant(np.array([1e-36, 1e-40, 1e-40], np.float32)), v)])
    np.testing.assert_array_equal(v.numpy(), np.array([2e-38, 2e-38, 1.0], np.float32))
    v = tf.Variable(np.ones(4, np.float32))
    opt = keras.optimizers.Adam(1e-3)
    opt.apply_gradients([(tf.fill([4], 1e-3), v)])  # momentum 1e-4
    for _ in range(900):  # with zero gradients it decays 0.9x a step until its decrement 0.1 m would be subnormal
        opt.apply_gradients([(tf.zeros(4), v)])
    (m,) = [s.numpy() for s in opt.variables if "momentum" in s.name]
    # Keras 3 on TensorFlow 2.21, the same 901 steps: momentum 1.1339839e-37 (float32), where it stays.
    np.testing.assert_array_equal(m, np.full(4, 1.1339839e-37, np.float32))


def test_learning_rate_schedule_and_lr_alias():
    sched = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5)
    opt = keras.optimizers.SGD(learning_rate=sched)
    v = tf.Variable(np.asarray(REF["optimizer_inputs"]["w0"], dtype="float32"))
    for g in REF["optimizer_inputs"]["grads"]:
        opt.apply_gradients([(np.asarray(g, dtype="float32"), v)])
    np.testing.assert_allclose(v.numpy(), REF["schedule_sgd"], rtol=2e-5, atol=2e-6)
    opt2 = keras.optimizers.Adam(lr=0.05)
    assert abs(float(opt2.learning_rate) - 0.05) < 1e-9
    opt2.learning_rate = 0.01
    assert abs(float(opt2.lr) - 0.01) < 1e-9
    with pytest.raises(ValueError, match="clipnorm"):
        keras.optimizers.SGD(clipnorm=1.0, global_clipnorm=1.0)


@pytest.mark.parametrize("activation", sorted(REF["activations"]))
def test_dense_activation_matches_keras(activation):
    li = REF["layer_inputs"]
    layer = keras.layers.Dense(5, activation=activation)
    layer.build((None, 3))
    layer.set_weights([np.asarray(li["kernel"], dtype="float32"), np.asarray(li["bias"], dtype="float32")])
    got = layer(np.asarray(li["x"], dtype="float32")).numpy()
    np.testing.assert_allclose(got, REF["activations"][activation], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(REF["merging"]))
def test_merge_layers_match_keras(name):
    x = np.asarray(REF["layer_inputs"]["x"], dtype="float32")
    pairs = {"add": (x, 2 * x), "subtract": (x, 2 * x + 1), "multiply": (x, x + 1), "average": (x, 3 * x),
             "maximum": (x, -x), "minimum": (x, -x), "concatenate": (x, 2 * x)}
    cls = {"add": "Add", "subtract": "Subtract", "multiply": "Multiply", "average": "Average", "maximum": "Maximum",
           "minimum": "Minimum", "concatenate": "Concatenate"}[name]
    got = getattr(keras.layers, cls)()(list(pairs[name])).numpy()
    np.testing.assert_allclose(got, REF["merging"][name], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", sorted(REF["initializers"]))
def test_initializer_distribution_matches_keras(name):
    w = keras.initializers.get(name)((400, 300)).numpy()
    ref = REF["initializers"][name]
    assert abs(w.mean() - ref["mean"]) < 0.05 * ref["std"] + 1e-4
    assert abs(w.std() - ref["std"]) < 0.02 * ref["std"]
    assert np.abs(w).max() <= ref["max_abs"] * 1.15 + 1e-6
    if name == "orthogonal":
        np.testing.assert_allclose(w.T @ w, np.eye(300), atol=1e-4)
