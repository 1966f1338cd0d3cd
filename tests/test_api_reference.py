"""Public names checked against Keras 3's numbers (tests/reference/make_api_reference.py recorded them):
learning-rate schedules, regularizers, metrics, MAPE, ZeroPadding1D, LSTMCell / SimpleRNNCell, hard_swish; and
the random initializers' distributions, GradientTape.reset."""
import json
import os

import numpy as np
import pytest

import tapeflow as tf
from layertest import check_layer
from tapeflow import keras

with open(os.path.join(os.path.dirname(__file__), "reference", "api_reference.json")) as f:
    REF = json.load(f)


def f32(a):
    return np.asarray(a, dtype="float32")


@pytest.mark.parametrize("case", REF["schedules"], ids=lambda c: c["class_name"])
def test_learning_rate_schedules(case):
    cls = getattr(keras.optimizers.schedules, case["class_name"])
    schedule = cls(**case["config"])
    got = [float(schedule(s)) for s in case["steps"]]
    np.testing.assert_allclose(got, case["values"], rtol=1e-6, atol=1e-9)
    again = cls.from_config(schedule.get_config())
    assert [float(again(s)) for s in case["steps"]] == got


def test_l1_and_l1l2_regularizers():
    w = tf.constant(f32(REF["regularizers"]["weight"]))
    np.testing.assert_allclose(float(keras.regularizers.L1(0.01)(w)), REF["regularizers"]["L1"], rtol=1e-6)
    np.testing.assert_allclose(float(keras.regularizers.L1L2(l1=0.01, l2=0.02)(w)), REF["regularizers"]["L1L2"],
                               rtol=1e-6)
    assert keras.regularizers.get("l1").get_config()["l1"] == pytest.approx(0.01)


def test_top_k_sum_and_mape_metrics():
    r = REF["metrics"]
    labels, scores, sw = np.array(r["labels"], "int32"), f32(r["scores"]), f32(r["sample_weight"])
    topk = keras.metrics.SparseTopKCategoricalAccuracy(k=2)
    topk.update_state(labels, scores)
    np.testing.assert_allclose(float(topk.result()), r["topk"], rtol=1e-6)
    topk.reset_state()
    topk.update_state(labels, scores, sample_weight=sw)
    np.testing.assert_allclose(float(topk.result()), r["topk_weighted"], rtol=1e-6)
    total = keras.metrics.Sum()
    total.update_state(scores[0])
    total.update_state(scores[1], sample_weight=[1.0, 0.0, 2.0, 1.0])
    np.testing.assert_allclose(float(total.result()), r["sum"], rtol=1e-6)
    y_true, y_pred = f32(r["y_true"]), f32(r["y_pred"])
    mape = keras.metrics.MeanAbsolutePercentageError()
    mape.update_state(y_true, y_pred)
    np.testing.assert_allclose(float(mape.result()), r["mape_metric"], rtol=1e-5)
    loss = keras.losses.MeanAbsolutePercentageError(reduction=None)(y_true, y_pred)
    np.testing.assert_allclose(np.asarray(loss), r["mape_loss"], rtol=1e-5)
    np.testing.assert_allclose(np.asarray(keras.losses.mape(y_true, y_pred)), r["mape_loss"], rtol=1e-5)


def test_zero_padding_1d():
    r = REF["zero_padding_1d"]
    layer = keras.layers.ZeroPadding1D(padding=tuple(r["padding"]))
    np.testing.assert_array_equal(np.asarray(layer(f32(r["input"]))), f32(r["output"]))
    assert layer.compute_output_shape((2, 5, 3)) == (2, 8, 3)
    assert keras.layers.ZeroPadding1D.from_config(layer.get_config()).padding == layer.padding


@pytest.mark.parametrize("name", ["LSTMCell", "SimpleRNNCell"])
def test_recurrent_cells_one_step(name):
    r = REF["cells"][name]
    x = f32(REF["cells"]["input"])
    cell = getattr(keras.layers, name)(5)
    cell.build((3, 4))
    cell.set_weights([f32(w) for w in r["weights"]])
    states = [tf.constant(f32(s)) for s in r["states"]]
    y, new_states = cell(tf.constant(x), states if len(states) > 1 else states)
    np.testing.assert_allclose(np.asarray(y), r["output"], rtol=1e-5, atol=1e-6)
    for got, want in zip(new_states, r["new_states"]):
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-6)


def test_hard_swish():
    r = REF["hard_swish"]
    np.testing.assert_allclose(np.asarray(keras.activations.hard_swish(f32(r["input"]))), r["output"],
                               rtol=1e-6, atol=1e-7)
    assert keras.activations.get("hard_swish") is keras.activations.hard_swish


def test_truncated_normal_and_variance_scaling_distributions():
    """Keras's generators are not ours, so these check the distributions: TruncatedNormal stays within two
    standard deviations with the truncated normal's spread; VarianceScaling's scale by fan mode and law."""
    t = np.asarray(keras.initializers.TruncatedNormal(mean=1.0, stddev=0.5, seed=3)((200, 500)))
    assert t.min() >= 0.0 and t.max() <= 2.0
    np.testing.assert_allclose(t.mean(), 1.0, atol=0.01)
    np.testing.assert_allclose(t.std(), 0.5 * 0.8796, rtol=0.02)  # a N(0, 1) cut at +-2 has std 0.8796
    fan_in, fan_out = 300, 100
    for mode, fan in (("fan_in", fan_in), ("fan_out", fan_out), ("fan_avg", (fan_in + fan_out) / 2)):
        uniform = np.asarray(keras.initializers.VarianceScaling(2.0, mode, "uniform", seed=1)((fan_in, fan_out)))
        limit = np.sqrt(3 * 2.0 / fan)
        assert np.abs(uniform).max() <= limit and np.abs(uniform).max() > 0.95 * limit
        normal = np.asarray(keras.initializers.VarianceScaling(2.0, mode, "truncated_normal", seed=1)((fan_in, fan_out)))
        np.testing.assert_allclose(normal.std(), np.sqrt(2.0 / fan), rtol=0.05)  # Keras rescales by 0.8796
        assert np.abs(normal).max() <= 2 * np.sqrt(2.0 / fan) / 0.87962566103423978 + 1e-6
    a = keras.initializers.VarianceScaling(seed=5)((4, 4))
    b = keras.initializers.VarianceScaling(seed=5)((4, 4))
    np.testing.assert_array_equal(a, b)


def test_gradient_tape_reset():
    x = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = x * x  # recorded, then forgotten
        tape.reset()
        z = 5.0 * x
    assert float(tape.gradient(z, x)) == 5.0
    with tf.GradientTape() as tape:
        y = x * x
        tape.reset()
    assert tape.gradient(y, x) is None


@pytest.mark.parametrize("case", REF["activation_layers"]["cases"],
                         ids=lambda c: "-".join([c["class_name"]] + sorted(c["config"])))
def test_activation_and_rescaling_layers(case):
    x = f32(REF["activation_layers"]["input"])
    cls = getattr(keras.layers, case["class_name"])
    layer = cls(**case["config"])
    layer.build(x.shape)
    layer.set_weights([f32(w) for w in case["weights"]])
    np.testing.assert_allclose(np.asarray(layer(x)), case["output"], rtol=2e-6, atol=1e-6)
    if "output_masked" in case:
        mask = np.array(REF["activation_layers"]["mask"])
        np.testing.assert_allclose(np.asarray(layer(x, mask=mask)), case["output_masked"], rtol=2e-6, atol=1e-6)
    check_layer(cls, case["config"], x.shape, x.shape, expected_weights=len(case["weights"]), input_data=x)


def test_leaky_relu_takes_the_deprecated_alpha_and_rescaling_casts_integers():
    with pytest.warns(UserWarning, match="deprecated"):
        layer = keras.layers.LeakyReLU(alpha=0.1)
    assert layer.negative_slope == 0.1
    np.testing.assert_allclose(np.asarray(layer(f32([-1.0, 2.0]))), [-0.1, 2.0])
    out = keras.layers.Rescaling(1 / 255)(np.array([[0, 255]], "uint8"))
    assert out.dtype == tf.float32 and np.allclose(np.asarray(out), [[0.0, 1.0]])
    with pytest.raises(ValueError, match="negative"):
        keras.layers.ReLU(max_value=-1.0)


@pytest.mark.parametrize("case", REF["confusion_metrics"]["counts"] + REF["confusion_metrics"]["fscores"],
                         ids=lambda c: "-".join([c["class_name"]] + ["%s=%s" % kv for kv in sorted(c["config"].items())]))
def test_confusion_counts_and_f_scores(case):
    r = REF["confusion_metrics"]
    y_true, y_pred, sw = f32(r["y_true"]), f32(r["y_pred"]), f32(r["sample_weight"])
    metric = getattr(keras.metrics, case["class_name"])(**case["config"])
    metric.update_state(y_true[:3], y_pred[:3])
    metric.update_state(y_true[3:], y_pred[3:], sample_weight=sw[3:])
    np.testing.assert_allclose(np.asarray(metric.result()), case["result"], rtol=1e-5, atol=1e-7)
    again = type(metric).from_config(metric.get_config())
    assert again.get_config() == metric.get_config()
    metric.reset_state()
    metric.update_state(y_true[:3], y_pred[:3])
    metric.update_state(y_true[3:], y_pred[3:], sample_weight=sw[3:])
    np.testing.assert_allclose(np.asarray(metric.result()), case["result"], rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("case", REF["normalization"]["cases"],
                         ids=lambda c: "%s-%s" % (c["adapt"], "-".join(sorted(c["config"]))))
def test_normalization_layer(case):
    x = f32(REF["normalization"]["input"])
    config = dict(case["config"])
    if "axis" in config and isinstance(config["axis"], list):
        config["axis"] = tuple(config["axis"])
    layer = keras.layers.Normalization(**config)
    if case["adapt"] == "array":
        layer.adapt(x)
    elif case["adapt"] == "dataset":
        layer.adapt(tf.data.Dataset.from_tensor_slices((x, np.zeros(40))).batch(7).map(lambda a, b: a))
    np.testing.assert_allclose(np.asarray(layer(x[:5])), case["output"], rtol=2e-5, atol=2e-5)
    for got, want in zip(layer.get_weights(), case["weights"]):
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=1e-5)
    if case["adapt"] is None:
        check_layer(keras.layers.Normalization, config, (5, 3, 4), (5, 3, 4), input_data=x[:5])


def test_normalization_in_a_model_saves_and_reloads(tmp_path):
    x = np.random.default_rng(0).normal(size=(64, 3)).astype("float32") * 10 + 5
    norm = keras.layers.Normalization()
    norm.adapt(x)
    model = keras.Sequential([keras.Input((3,)), norm, keras.layers.Dense(1)])
    np.testing.assert_allclose(np.asarray(norm(x)).mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(norm.mean.numpy(), x.mean(0, keepdims=True), rtol=1e-5)  # shaped (1, 3), as Keras
    path = str(tmp_path / "m.keras")
    model.save(path)
    again = keras.models.load_model(path)
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
