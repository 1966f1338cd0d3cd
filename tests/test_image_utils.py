"""keras.utils.load_img / img_to_array / array_to_img / save_img. The sums were printed by Keras 3.15 on the same
generated image (both decode and resize with Pillow); and a nested Sequential with an input shape builds its
parent, as in TensorFlow's image-classification tutorial."""
import numpy as np
import pytest

from tapeflow import keras
from tapeflow.keras import layers, utils

pytest.importorskip("PIL")


@pytest.fixture
def photo(tmp_path):
    from PIL import Image
    pixels = ((np.arange(43 * 50 * 3).reshape(43, 50, 3) * 7) % 251).astype("uint8")
    path = tmp_path / "photo.png"
    Image.fromarray(pixels).save(path)
    return path, pixels


def test_load_img_sizes_modes_and_sums_match_keras(photo):
    path, pixels = photo
    full = utils.img_to_array(utils.load_img(path))
    assert full.dtype == np.float32 and full.shape == (43, 50, 3)
    np.testing.assert_array_equal(full, pixels)
    cases = [(dict(target_size=(20, 30)), (20, 30, 3), 224728.0),
             (dict(target_size=(20, 30), interpolation="bilinear", keep_aspect_ratio=True), (20, 30, 3), 225021.0),
             (dict(color_mode="grayscale", target_size=(7, 9), interpolation="bicubic"), (7, 9, 1), 7886.0)]
    for kwargs, shape, total in cases:
        x = utils.img_to_array(utils.load_img(path, **kwargs))
        assert x.shape == shape and float(x.sum()) == total, kwargs
    with pytest.raises(ValueError, match="color_mode"):
        utils.load_img(path, color_mode="cmyk")
    with pytest.raises(FileNotFoundError):
        utils.load_img(path.parent / "missing.png")


def test_array_to_img_scales_and_save_img_round_trips(tmp_path):
    x = np.arange(24, dtype="float32").reshape(2, 4, 3)
    assert np.asarray(utils.array_to_img(x)).tolist()[0] == [[0, 11, 22], [33, 44, 55], [66, 77, 88], [99, 110, 121]]
    gray = np.arange(12, dtype="float32").reshape(3, 4, 1) * 10
    path = tmp_path / "out.png"
    utils.save_img(path, gray, scale=False)
    np.testing.assert_array_equal(utils.img_to_array(utils.load_img(path, color_mode="grayscale")), gray)
    with pytest.raises(ValueError, match="rank 3"):
        utils.array_to_img(np.zeros((4, 4)))


def test_nested_sequential_input_shape_builds_the_parent():
    augment = keras.Sequential([layers.RandomFlip("horizontal", input_shape=(8, 8, 3)), layers.RandomRotation(0.1)])
    model = keras.Sequential([augment, layers.Conv2D(2, 3), layers.Flatten(), layers.Dense(2)])
    assert model.built and model.output_shape == (None, 2) and model.count_params() == 56 + 146
