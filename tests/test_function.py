"""tf.function: traced once per input signature, replayed from its recorded kernels, with TensorFlow's semantics
where users see them (retracing, side effects at trace time, tf.print at every call, variables, fallbacks)."""
import logging
import sys

import numpy as np
import pytest

import tapeflow as tf
from tapeflow import keras


def test_traces_once_per_signature_and_replays_the_numbers():
    seen = []

    @tf.function
    def f(x, scale):
        seen.append(tuple(x.shape))  # a Python side effect: at trace time only
        return {"y": x * scale + 1.0, "total": tf.reduce_sum(x)}

    x = tf.constant(np.arange(6, dtype="float32").reshape(2, 3))
    for i in range(4):
        out = f(x + float(i), 2.0)
        np.testing.assert_array_equal(out["y"].numpy(), (np.arange(6).reshape(2, 3) + i) * 2.0 + 1.0)
        assert float(out["total"]) == 15 + 6 * i
    assert seen == [(2, 3)] and f.experimental_get_tracing_count() == 1
    f(tf.ones([4]), 2.0)          # a new shape
    f(tf.ones([4], "float64"), 2.0)  # a new dtype
    f(tf.ones([4]), 3.0)          # a new Python value
    f(tf.ones([4]), 3.0)
    assert f.experimental_get_tracing_count() == 4 and len(seen) == 4


def test_outputs_are_the_callers_own():
    @tf.function
    def double(x):
        return x * 2.0
    first = double(tf.constant([1.0, 2.0]))
    double(tf.constant([1.0, 2.0]))  # recorded
    held = double(tf.constant([3.0, 4.0]))  # replayed
    double(tf.constant([5.0, 6.0]))
    np.testing.assert_array_equal(first.numpy(), [2.0, 4.0])
    np.testing.assert_array_equal(held.numpy(), [6.0, 8.0])


def test_tf_print_prints_at_every_call_in_tensorflows_format(capsys):
    @tf.function
    def f(x):
        tf.print("sum:", tf.reduce_sum(x), x)
        print("tracing")  # Python's print: at trace time only
        return x + 1.0

    for i in range(3):
        f(tf.constant([1.0, 2.5]) * float(i + 1))
    captured = capsys.readouterr()
    assert captured.err.splitlines() == ["sum: 3.5 [1 2.5]", "sum: 7 [2 5]", "sum: 10.5 [3 7.5]"]
    assert captured.out.splitlines() == ["tracing"]
    tf.print(tf.range(10), {"a": tf.constant(0.1, "float64")}, output_stream=sys.stdout)
    tf.print(tf.reshape(tf.range(40), (8, 5)), tf.constant([True, False]), output_stream=sys.stdout)
    assert capsys.readouterr().out.splitlines() == [  # as TensorFlow 2.21 prints them
        "[0 1 2 ... 7 8 9] {'a': 0.1}", "[[0 1 2 3 4]", " [5 6 7 8 9]", " [10 11 12 13 14]", " ...",
        " [25 26 27 28 29]", " [30 31 32 33 34]", " [35 36 37 38 39]] [1 0]"]
    tf.print(tf.constant([3.14159265, 1e-5, 123456789.0]), output_stream=sys.stdout)
    assert capsys.readouterr().out == "[3.14159274 1e-05 123456792]\n"


def _mlp():
    keras.utils.set_random_seed(3)
    return keras.Sequential([keras.Input((20,)), keras.layers.Dense(32, activation="relu"),
                             keras.layers.Dense(3)])


def test_custom_training_loop_equals_fit_bit_for_bit():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(96, 20)).astype("float32"), rng.integers(0, 3, 96)
    fitted = _mlp()
    fitted.compile(keras.optimizers.Adam(0.01), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    fitted.fit(x, y, batch_size=32, epochs=3, shuffle=False, verbose=0)

    model = _mlp()
    optimizer = keras.optimizers.Adam(0.01)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    @tf.function
    def train_step(xb, yb):
        with tf.GradientTape() as tape:
            loss = loss_fn(yb, model(xb, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    for _ in range(3):
        for i in range(0, 96, 32):
            train_step(tf.constant(x[i:i + 32]), tf.constant(y[i:i + 32]))
    # the first call built the optimizer's slots (eagerly), the second was recorded, the rest replayed
    assert train_step.experimental_get_tracing_count() == 2
    for a, b in zip(model.get_weights(), fitted.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_variables_arguments_and_holders():
    v = tf.Variable([1.0, 2.0])

    @tf.function
    def bump(var, x):
        var.assign_add(x)
        return var * 1.0

    held = v.value()  # a value read before: the in-place replays must not change it
    for i in range(4):
        out = bump(v, tf.constant([1.0, 1.0]))
    np.testing.assert_array_equal(v.numpy(), [5.0, 6.0])
    np.testing.assert_array_equal(out.numpy(), [5.0, 6.0])
    np.testing.assert_array_equal(held.numpy(), [1.0, 2.0])
    assert bump.experimental_get_tracing_count() == 1


def test_input_signature_and_methods():
    class Scaler:
        def __init__(self, k):
            self.k = k

        @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32)])
        def __call__(self, x):
            return x * self.k

    a, b = Scaler(2.0), Scaler(3.0)
    np.testing.assert_array_equal(a(tf.ones([3, 2])).numpy(), np.full((3, 2), 2.0))
    np.testing.assert_array_equal(b(tf.ones([1, 2])).numpy(), np.full((1, 2), 3.0))
    with pytest.raises(ValueError, match="input_signature"):
        a(tf.ones([3, 3]))
    with pytest.raises(ValueError, match="input_signature"):
        a(tf.ones([3, 2], "float64"))
    assert tf.TensorSpec([None, 2]) == tf.TensorSpec((None, 2), "float32")


def test_host_reads_fall_back_to_eager_once_with_a_reason(caplog):
    calls = []

    @tf.function
    def f(x):
        calls.append(1)
        if float(tf.reduce_sum(x)) > 0:  # reads a computed value: cannot be recorded
            return x + 1.0
        return x - 1.0

    with caplog.at_level(logging.WARNING, logger="tapeflow"):
        assert f(tf.constant([1.0])).numpy()[0] == 2.0
        assert f(tf.constant([-1.0])).numpy()[0] == -2.0
        assert f(tf.constant([3.0])).numpy()[0] == 4.0
    assert len(calls) == 3
    assert [r.getMessage() for r in caplog.records if "runs eagerly" in r.getMessage()] == [
        "tapeflow: tf.function f runs eagerly from now on: the step reads a computed value on the host (item), so "
        "its Python code may depend on data."]


def test_gradients_flow_through_a_function_and_run_functions_eagerly():
    @tf.function
    def f(x):
        return tf.reduce_sum(x * x)

    x = tf.Variable([1.0, 2.0])
    for _ in range(2):
        f(x)
    with tf.GradientTape() as tape:
        y = f(x)  # under a tape the Python runs, recorded by the tape
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [2.0, 4.0])
    calls = []

    @tf.function
    def g(x):
        calls.append(1)
        return x + 1.0
    tf.config.run_functions_eagerly(True)
    try:
        for _ in range(3):
            g(tf.constant(1.0))
    finally:
        tf.config.run_functions_eagerly(False)
    assert len(calls) == 3
