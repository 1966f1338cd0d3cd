"""tf.image against TensorFlow's outputs (tests/reference/make_api_reference.py recorded them), and resize's
gradient against finite differences."""
import json
import os

import numpy as np
import pytest

import tapeflow as tf
from layertest import check_layer
from opcheck import check_op, rand
from tapeflow import keras

with open(os.path.join(os.path.dirname(__file__), "reference", "api_reference.json")) as f:
    REF = json.load(f)["image"]
IMG = np.asarray(REF["input"], "float32")
U8 = (IMG * 255).astype("uint8")

CASES = {
    "resize_up_bilinear": lambda: tf.image.resize(IMG, (8, 11)),
    "resize_down_bilinear": lambda: tf.image.resize(IMG, (3, 4)),
    "resize_up_nearest": lambda: tf.image.resize(IMG, (9, 12), method="nearest"),
    "resize_down_nearest": lambda: tf.image.resize(IMG, (2, 3), method="nearest"),
    "resize_single_u8": lambda: tf.image.resize(U8[0], (4, 9)),
    "resize_aspect": lambda: tf.image.resize(IMG, (10, 10), preserve_aspect_ratio=True),
    "flip_left_right": lambda: tf.image.flip_left_right(IMG),
    "flip_up_down": lambda: tf.image.flip_up_down(IMG[0]),
    "rot90_3": lambda: tf.image.rot90(IMG, k=3),
    "transpose": lambda: tf.image.transpose(IMG),
    "crop_box": lambda: tf.image.crop_to_bounding_box(IMG, 1, 2, 3, 4),
    "central_crop": lambda: tf.image.central_crop(IMG, 0.5),
    "pad_box": lambda: tf.image.pad_to_bounding_box(IMG, 1, 2, 8, 10),
    "crop_or_pad": lambda: tf.image.resize_with_crop_or_pad(IMG, 3, 10),
    "to_uint8": lambda: tf.image.convert_image_dtype(IMG, "uint8"),
    "to_float": lambda: tf.image.convert_image_dtype(U8, "float32"),
    "grayscale": lambda: tf.image.rgb_to_grayscale(IMG),
    "grayscale_u8": lambda: tf.image.rgb_to_grayscale(U8),
    "brightness": lambda: tf.image.adjust_brightness(IMG, 0.2),
    "contrast": lambda: tf.image.adjust_contrast(IMG, 1.7),
    "standardization": lambda: tf.image.per_image_standardization(U8),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_image_ops_match_tensorflow(name):
    got = np.asarray(CASES[name]())
    want = REF["cases"][name]
    assert got.dtype.name == want["dtype"]
    np.testing.assert_allclose(got.astype("float64"), np.asarray(want["values"]), rtol=2e-6, atol=2e-6)


@pytest.mark.parametrize("size,method", [((7, 9), "bilinear"), ((3, 2), "bilinear"), ((6, 5), "nearest")])
def test_resize_forward_and_gradient(size, method):
    # bilinear through its dtype-keeping core (tf.image.resize returns float32, as TensorFlow)
    fn = (lambda x: tf.image._bilinear(x, *size)) if method == "bilinear" else \
        (lambda x: tf.image.resize(x, size, method=method))
    check_op(fn, _numpy_resize(size, method), rand(1, 4, 5, 2))
    assert tf.image.resize(np.zeros((4, 5, 2)), size, method=method).dtype == \
        (tf.float32 if method == "bilinear" else tf.float64)


def _numpy_resize(size, method):
    """An independent NumPy implementation of TensorFlow 2's half-pixel resize."""
    def resize(x):
        n, h, w, c = x.shape
        out = np.zeros((n, size[0], size[1], c))
        for i in range(size[0]):
            for j in range(size[1]):
                y, z = (i + 0.5) * h / size[0] - 0.5, (j + 0.5) * w / size[1] - 0.5
                if method == "nearest":
                    out[:, i, j] = x[:, min(int(np.floor((i + 0.5) * h / size[0])), h - 1),
                                     min(int(np.floor((j + 0.5) * w / size[1])), w - 1)]
                    continue
                y0, z0 = int(np.floor(y)), int(np.floor(z))
                fy, fz = y - y0, z - z0
                rows = [min(max(y0, 0), h - 1), min(max(y0 + 1, 0), h - 1)]
                cols = [min(max(z0, 0), w - 1), min(max(z0 + 1, 0), w - 1)]
                top = x[:, rows[0], cols[0]] * (1 - fz) + x[:, rows[0], cols[1]] * fz
                bottom = x[:, rows[1], cols[0]] * (1 - fz) + x[:, rows[1], cols[1]] * fz
                out[:, i, j] = top * (1 - fy) + bottom * fy
        return out
    return resize


def test_random_image_ops_keep_shapes_and_values():
    x = tf.constant(IMG)
    flipped = tf.image.random_flip_left_right(x, seed=1).numpy()
    for a, b in zip(flipped, IMG):
        assert np.array_equal(a, b) or np.array_equal(a, b[:, ::-1])
    crop = tf.image.random_crop(x, (2, 3, 4, 3), seed=2).numpy()
    assert crop.shape == (2, 3, 4, 3)
    assert any(np.array_equal(crop[0], IMG[0, i:i + 3, j:j + 4]) for i in range(3) for j in range(4))
    brighter = tf.image.random_brightness(x, 0.1, seed=3).numpy() - IMG
    assert np.allclose(brighter, brighter.flat[0], atol=1e-6) and abs(brighter.flat[0]) <= 0.1
    with pytest.raises(NotImplementedError, match="bicubic"):
        tf.image.resize(x, (2, 2), method="bicubic")


with open(os.path.join(os.path.dirname(__file__), "reference", "api_reference.json")) as f:
    LAYERS = json.load(f)["image_layers"]


@pytest.mark.parametrize("case", LAYERS["cases"], ids=lambda c: c["class_name"] + "-" + "-".join(
    "%s=%s" % kv for kv in sorted(c["config"].items())))
def test_resizing_and_center_crop_layers_match_keras(case):
    x = np.asarray(LAYERS["input"], "float32")
    cls = getattr(keras.layers, case["class_name"])
    np.testing.assert_allclose(np.asarray(cls(**case["config"])(x)), case["output"], rtol=1e-5, atol=1e-4)
    want = np.asarray(case["output"]).shape
    check_layer(cls, case["config"], x.shape, want, input_data=x)


def test_random_augmentation_layers_train_only():
    x = np.random.default_rng(0).random((4, 5, 6, 3)).astype("float32") * 255
    flip = keras.layers.RandomFlip("horizontal", seed=1)
    out = np.asarray(flip(x))
    assert all(np.array_equal(o, i) or np.array_equal(o, i[:, ::-1]) for o, i in zip(out, x))
    np.testing.assert_array_equal(np.asarray(flip(x, training=False)), x)
    bright = np.asarray(keras.layers.RandomBrightness(0.1, seed=2)(x)) - x
    assert np.all(np.abs(bright) <= 0.1 * 255 + 1e-3)
    contrast = keras.layers.RandomContrast(0.5, seed=3)
    out = np.asarray(contrast(x))
    assert out.min() >= 0 and out.max() <= 255
    np.testing.assert_allclose(out.mean(axis=(1, 2)), x.mean(axis=(1, 2)), atol=40)  # about the same means
    model = keras.Sequential([keras.Input((5, 6, 3)), keras.layers.RandomFlip(), keras.layers.RandomContrast(0.2),
                              keras.layers.Rescaling(1 / 255), keras.layers.Flatten(), keras.layers.Dense(2)])
    np.testing.assert_array_equal(model.predict(x, verbose=0), model.predict(x, verbose=0))  # inference: fixed
    model.compile("sgd", "mse")
    model.fit(x, np.zeros((4, 2), "float32"), verbose=0)
