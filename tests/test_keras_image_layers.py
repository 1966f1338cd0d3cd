"""Convolution, pooling, normalization and reshaping layers: the generic layer checks, and outputs equal to tf.keras's on the same
weights and inputs (tests/reference/make_layer_reference.py recorded them from Keras 3.15)."""
import json
import os

import numpy as np
import pytest

from tapeflow import keras
from layertest import check_layer

REF = json.load(open(os.path.join(os.path.dirname(__file__), "reference", "layer_reference.json")))


@pytest.mark.parametrize("case", REF["cases"], ids=lambda c: "%s-%s" % (c["layer"], sorted(c["config"].items())))
def test_layer_matches_keras(case):
    layer = getattr(keras.layers, case["layer"])(**case["config"])
    x = np.asarray(case["input"], "float32")
    layer.build(x.shape)
    assert [list(w.shape) for w in layer.get_weights()] == case["weight_shapes"]
    layer.set_weights([np.asarray(w, "float32") for w in case["weights"]])
    np.testing.assert_allclose(layer(x, **case["call"]).numpy(), np.asarray(case["output"]), rtol=1e-5, atol=1e-5)
    for got, want in zip(layer.get_weights(), case["weights_after"]):
        np.testing.assert_allclose(got, np.asarray(want), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cls,kwargs,in_shape,out_shape,n_weights", [
    (keras.layers.Conv2D, {"filters": 4, "kernel_size": 3}, (2, 7, 6, 3), (2, 5, 4, 4), 2),
    (keras.layers.Conv2D, {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"}, (2, 7, 6, 3),
     (2, 4, 3, 4), 2),
    (keras.layers.Conv2D, {"filters": 2, "kernel_size": 2, "data_format": "channels_first", "use_bias": False},
     (2, 3, 5, 5), (2, 2, 4, 4), 1),
    (keras.layers.Conv1D, {"filters": 3, "kernel_size": 3, "padding": "causal"}, (2, 6, 2), (2, 6, 3), 2),
    (keras.layers.MaxPooling2D, {}, (2, 6, 7, 3), (2, 3, 3, 3), 0),
    (keras.layers.AveragePooling2D, {"pool_size": 3, "strides": 1, "padding": "same"}, (2, 5, 5, 2),
     (2, 5, 5, 2), 0),
    (keras.layers.MaxPooling1D, {"pool_size": 2, "strides": 1}, (2, 5, 3), (2, 4, 3), 0),
    (keras.layers.GlobalAveragePooling2D, {"keepdims": True}, (2, 5, 4, 3), (2, 1, 1, 3), 0),
    (keras.layers.GlobalMaxPooling1D, {"data_format": "channels_first"}, (2, 5, 4), (2, 5), 0),
    (keras.layers.BatchNormalization, {}, (4, 3, 5), (4, 3, 5), 4),
    (keras.layers.LayerNormalization, {"axis": [1, 2]}, (2, 3, 4), (2, 3, 4), 2),
    (keras.layers.UpSampling2D, {"size": 2, "data_format": "channels_first"}, (2, 2, 3, 3), (2, 2, 6, 6), 0),
    (keras.layers.UpSampling2D, {"size": (2, 3), "interpolation": "bilinear"}, (2, 2, 3, 2), (2, 4, 9, 2), 0),
    (keras.layers.ZeroPadding2D, {"padding": (1, 2)}, (2, 3, 3, 2), (2, 5, 7, 2), 0),
    (keras.layers.Cropping2D, {"cropping": 1}, (2, 4, 5, 2), (2, 2, 3, 2), 0),
    (keras.layers.Conv2DTranspose, {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same"},
     (2, 3, 4, 2), (2, 6, 8, 3), 2),
    (keras.layers.DepthwiseConv2D, {"kernel_size": 3, "depth_multiplier": 2}, (2, 5, 5, 3), (2, 3, 3, 6), 2),
    (keras.layers.SeparableConv2D, {"filters": 4, "kernel_size": 3}, (2, 5, 5, 3), (2, 3, 3, 4), 3),
    (keras.layers.GroupNormalization, {"groups": 2}, (2, 3, 3, 4), (2, 3, 3, 4), 2),
])
def test_layer_helper(cls, kwargs, in_shape, out_shape, n_weights):
    check_layer(cls, kwargs, in_shape, out_shape, expected_weights=n_weights)


def test_channels_first_equals_channels_last():
    x = np.random.default_rng(1).normal(size=(2, 6, 5, 3)).astype("float32")
    last = keras.layers.Conv2D(4, 3, padding="same", strides=2)
    first = keras.layers.Conv2D(4, 3, padding="same", strides=2, data_format="channels_first")
    y_last = last(x).numpy()
    first(np.transpose(x, (0, 3, 1, 2)))
    first.set_weights(last.get_weights())
    np.testing.assert_allclose(np.transpose(first(np.transpose(x, (0, 3, 1, 2))).numpy(), (0, 2, 3, 1)), y_last,
                               rtol=1e-5, atol=1e-6)
    pool = keras.layers.MaxPooling2D(2, data_format="channels_first")
    np.testing.assert_array_equal(np.transpose(pool(np.transpose(x, (0, 3, 1, 2))).numpy(), (0, 2, 3, 1)),
                                  keras.layers.MaxPooling2D(2)(x).numpy())


def test_bad_arguments():
    with pytest.raises(ValueError, match="filters"):
        keras.layers.Conv2D(0, 3)
    with pytest.raises(ValueError, match="groups"):
        keras.layers.Conv2D(5, 3, groups=2)
    with pytest.raises(ValueError, match="padding"):
        keras.layers.Conv2D(4, 3, padding="causal")
    with pytest.raises(ValueError, match="dilation_rate"):
        keras.layers.Conv2D(4, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="divisible"):
        keras.layers.Conv2D(4, 3, groups=2)(np.zeros((1, 5, 5, 3), "float32"))
    with pytest.raises(ValueError, match="kernel_size"):
        keras.layers.Conv2D(4, (3, 3, 3))


def test_small_cnn_learns_and_saves(tmp_path):
    rng = np.random.default_rng(0)
    # Two classes: a bright horizontal or vertical bar somewhere in a noisy 12x12 image.
    n = 256
    x = rng.normal(scale=0.3, size=(n, 12, 12, 1)).astype("float32")
    y = rng.integers(0, 2, size=n)
    pos = rng.integers(2, 10, size=n)
    for i in range(n):
        if y[i]:
            x[i, :, pos[i], 0] += 2.0
        else:
            x[i, pos[i], :, 0] += 2.0
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((12, 12, 1)), keras.layers.Conv2D(8, 3, activation="relu"),
                          keras.layers.MaxPooling2D(), keras.layers.Conv2D(8, 3, activation="relu", padding="same"),
                          keras.layers.GlobalMaxPooling2D(), keras.layers.Dense(2, activation="softmax")])
    m.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    h = m.fit(x, y, batch_size=32, epochs=8, verbose=0)
    assert h.history["accuracy"][-1] > 0.95
    path = str(tmp_path / "cnn.keras")
    m.save(path)
    np.testing.assert_array_equal(keras.models.load_model(path).predict(x, verbose=0), m.predict(x, verbose=0))


def test_batch_normalization_training_inference_and_frozen():
    rng = np.random.default_rng(2)
    x = rng.normal(loc=3.0, scale=2.0, size=(64, 4)).astype("float32")
    bn = keras.layers.BatchNormalization(momentum=0.5)
    y = bn(x, training=True).numpy()
    np.testing.assert_allclose(y.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(y.std(axis=0), 1, rtol=1e-3)
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.5 * x.mean(axis=0), rtol=1e-5)
    assert len(bn.trainable_weights) == 2 and len(bn.non_trainable_weights) == 2
    before = bn.moving_mean.numpy()
    inference = bn(x).numpy()  # training=None: the moving statistics, which do not change
    np.testing.assert_array_equal(bn.moving_mean.numpy(), before)
    var = bn.moving_variance.numpy()
    np.testing.assert_allclose(inference, (x - before) / np.sqrt(var + 1e-3), rtol=1e-5, atol=1e-5)
    bn.trainable = False  # frozen: inference behaviour even when training
    np.testing.assert_allclose(bn(x, training=True).numpy(), inference, rtol=1e-6)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), before)


def test_fit_updates_moving_statistics_and_predict_uses_them():
    rng = np.random.default_rng(3)
    x = rng.normal(loc=5.0, size=(128, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    m = keras.Sequential([keras.Input((3,)), keras.layers.BatchNormalization(momentum=0.0), keras.layers.Dense(1)])
    m.compile("sgd", "mse")
    m.fit(x, y, batch_size=128, epochs=1, verbose=0)
    bn = m.layers[0]
    np.testing.assert_allclose(bn.moving_mean.numpy(), x.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(bn.moving_variance.numpy(), x.var(axis=0), rtol=1e-4)


def test_upsampling2d_bilinear_matches_keras():
    # Keras 3.15 printed these for UpSampling2D((2, 3), interpolation="bilinear") on this input (channel 1, image 0)
    x = np.arange(24).reshape(2, 2, 3, 2).astype("float32")
    got = keras.layers.UpSampling2D((2, 3), interpolation="bilinear")(x).numpy()[0, :, :, 1]
    np.testing.assert_allclose(got[0], [1, 1, 1.6667, 2.3333, 3, 3.6667, 4.3333, 5, 5], atol=1e-4)
    np.testing.assert_allclose(got[1], [2.5, 2.5, 3.1667, 3.8333, 4.5, 5.1667, 5.8333, 6.5, 6.5], atol=1e-4)
    first = keras.layers.UpSampling2D((2, 3), interpolation="bilinear", data_format="channels_first")
    np.testing.assert_allclose(first(x.transpose(0, 3, 1, 2)).numpy()[0, 1], got, atol=1e-6)
    with pytest.raises(NotImplementedError):
        keras.layers.UpSampling1D(interpolation="bilinear")
