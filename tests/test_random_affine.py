"""RandomRotation, RandomZoom and RandomTranslation: with fixed factors they give Keras 3.15's outputs for every
fill mode and interpolation (tests/reference/make_affine_reference.py); with ranges each image gets its own draw;
at inference they are the identity; they train inside a model and run in tf.data map."""
import json
import os

import numpy as np
import pytest

import tapeflow as tf
from tapeflow import keras
from tapeflow.keras import layers

REFERENCE = np.load(os.path.join(os.path.dirname(__file__), "reference", "affine_reference.npz"))
CASES = json.loads(str(REFERENCE["cases"]))


@pytest.mark.parametrize("index", range(len(CASES)))
def test_fixed_factor_outputs_match_keras(index):
    name, kwargs = CASES[index]
    got = getattr(layers, name)(**kwargs)(REFERENCE["image"], training=True)
    np.testing.assert_allclose(got.numpy(), REFERENCE["case%d" % index], atol=1e-4)
    single = getattr(layers, name)(**kwargs)(REFERENCE["image"][0], training=True)  # one unbatched image
    np.testing.assert_allclose(single.numpy(), REFERENCE["case%d" % index][0], atol=1e-4)


def test_draws_per_image_identity_at_inference_and_config():
    images = np.random.default_rng(0).random((8, 9, 9, 3)).astype("float32")
    for layer in (layers.RandomRotation(0.2, seed=1), layers.RandomZoom(0.3, seed=1),
                  layers.RandomTranslation(0.2, 0.2, seed=1)):
        out = layer(images, training=True).numpy()
        assert out.shape == images.shape and not np.allclose(out, images)
        diffs = [np.abs(out[i] - images[i]).mean() for i in range(8)]
        assert len(set(np.round(diffs, 6))) > 1  # each image its own transform
        np.testing.assert_array_equal(layer(images, training=False).numpy(), images)
        again = type(layer).from_config(layer.get_config())
        assert again.get_config() == layer.get_config()
    with pytest.raises(ValueError, match="factor"):
        layers.RandomRotation((0.1, 0.2, 0.3))
    with pytest.raises(ValueError, match="height_factor"):
        layers.RandomZoom(-1.5)
    with pytest.raises(NotImplementedError, match="fill_mode"):
        layers.RandomTranslation(0.1, 0.1, fill_mode="mirror")


def test_augmentation_pipeline_trains_and_maps():
    rng = np.random.default_rng(1)
    x = rng.random((64, 12, 12, 1)).astype("float32")
    y = (x.mean(axis=(1, 2, 3)) > 0.5).astype("float32")
    augment = keras.Sequential([layers.RandomFlip("horizontal"), layers.RandomRotation(0.1),
                                layers.RandomZoom(0.1), layers.RandomTranslation(0.1, 0.1)])
    model = keras.Sequential([keras.Input((12, 12, 1)), augment, layers.Conv2D(4, 3, activation="relu"),
                              layers.GlobalAveragePooling2D(), layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy")
    history = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    np.testing.assert_allclose(model.predict(x, verbose=0), model.predict(x, verbose=0))  # inference: no draws
    mapped = tf.data.Dataset.from_tensor_slices(x).batch(16).map(lambda b: augment(b, training=True))
    assert [b.shape for b in mapped.as_numpy_iterator()] == [(16, 12, 12, 1)] * 4


def test_random_crop_windows_small_inputs_and_inference():
    x = (np.arange(2 * 6 * 7).reshape(2, 6, 7, 1) % 11).astype("float32")
    layer = layers.RandomCrop(4, 5, seed=3)
    seen = set()
    for _ in range(20):
        out = layer(x, training=True).numpy()
        assert out.shape == (2, 4, 5, 1)
        # every output is a window of the input at one offset for the whole batch
        offsets = [(t, l) for t in range(3) for l in range(3) if np.array_equal(out, x[:, t:t + 4, l:l + 5])]
        assert len(offsets) >= 1
        seen.add(offsets[0])
    assert len(seen) > 3  # fresh offsets each call
    # inference: the largest centered window of aspect 4:5 (5 x 7 here), resized
    np.testing.assert_allclose(layer(x, training=False).numpy(), tf.image.resize(x[:, 0:5, 0:7], (4, 5)).numpy())
    small = layers.RandomCrop(8, 9)(x, training=True).numpy()  # Keras 3.15's numbers for an image smaller than 8x9
    np.testing.assert_allclose(small[0, 0, :, 0], [0.0, 0.667, 1.444, 2.222, 3.0, 3.778, 4.556, 5.333, 6.0], atol=1e-3)
    np.testing.assert_allclose(small[0, 1, :5, 0], [4.375, 5.042, 5.819, 6.597, 7.375], atol=1e-3)


def test_keras_ops_image_matches_keras():
    # Keras 3.15 printed these for the same calls
    x = np.arange(2 * 4 * 6 * 3).reshape(2, 4, 6, 3).astype("float32")
    image = keras.ops.image
    np.testing.assert_allclose(image.resize(x, (2, 2), crop_to_aspect_ratio=True).numpy()[0, :, :, 0],
                               [[13.5, 19.5], [49.5, 55.5]])
    np.testing.assert_allclose(image.resize(x[0], (3, 3)).numpy()[:, :, 0],
                               [[4.5, 10.5, 16.5], [28.5, 34.5, 40.5], [52.5, 58.5, 64.5]], rtol=1e-6)
    np.testing.assert_allclose(image.rgb_to_grayscale(x).numpy()[0, 0, :3, 0], [0.815, 3.8147, 6.8144], rtol=1e-4)
    np.testing.assert_allclose(image.affine_transform(x, [1, 0, 1, 0, 1, 0, 0, 0]).numpy()[0, 0, :, 0],
                               [3, 6, 9, 12, 15, 0])
    projective = np.array([[0.9, 0.1, 0.5, -0.1, 1.1, 0.2, 0.01, 0.02]] * 2, "float32")
    np.testing.assert_allclose(image.affine_transform(x, projective, fill_mode="reflect").numpy()[1, 2, :, 1],
                               [116.557693, 117.000008, 117.433960, 117.859810, 118.277771, 118.688080], rtol=1e-6)
    symbolic = image.resize(keras.Input((8, 8, 3)), (4, 4))
    assert tuple(symbolic.shape) == (None, 4, 4, 3)
    with pytest.raises(ValueError, match="rank"):
        image.resize(np.zeros((4, 4)), (2, 2))
