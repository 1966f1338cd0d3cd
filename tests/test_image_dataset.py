"""keras.utils.image_dataset_from_directory against Keras 3.15 on the same folder (tests/reference/image_folder.py
makes it; make_image_dataset_reference.py recorded Keras's output): file order, labels, decoded and resized
pixels, color modes, and the seeded training / validation split."""
import json
import os
import sys

import numpy as np
import pytest

from tapeflow import keras

pytest.importorskip("PIL")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "reference"))
from image_folder import make_image_folder  # noqa: E402

with open(os.path.join(os.path.dirname(__file__), "reference", "image_dataset_reference.json")) as f:
    REF = json.load(f)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return make_image_folder(str(tmp_path_factory.mktemp("images")))


@pytest.mark.parametrize("mode,label_mode", [("rgb", "int"), ("grayscale", "categorical")])
def test_images_labels_and_order_match_keras(folder, mode, label_mode, capsys):
    ds = keras.utils.image_dataset_from_directory(folder, image_size=(6, 8), shuffle=False, batch_size=4,
                                                  color_mode=mode, label_mode=label_mode)
    assert capsys.readouterr().out == "Found 16 files belonging to 3 classes.\n"
    want = REF["%s_%s" % (mode, label_mode)]
    assert ds.class_names == want["class_names"]
    assert [os.path.relpath(p, folder) for p in ds.file_paths] == want["files"]
    got = list(ds)
    assert len(got) == len(want["batches"]) == len(ds)
    for (x, y), (wx, wy) in zip(got, want["batches"]):
        assert x.dtype.name == "float32" and y.dtype.name == ("int32" if label_mode == "int" else "float32")
        # RGB exactly; a color file read as grayscale within one gray level of TensorFlow's decoder's conversion
        np.testing.assert_allclose(x.numpy(), wx, rtol=1e-5, atol=1e-3 if mode == "rgb" else 1.0)
        np.testing.assert_array_equal(y.numpy(), wy)


def test_seeded_split_matches_keras_and_trains(folder):
    sides = {}
    for subset in ("training", "validation"):
        ds = keras.utils.image_dataset_from_directory(folder, image_size=(4, 4), seed=5, validation_split=0.3,
                                                      subset=subset)
        sides[subset] = ds
        assert [os.path.relpath(p, folder) for p in ds.file_paths] == REF[subset]
    model = keras.Sequential([keras.Input((4, 4, 3)), keras.layers.Rescaling(1 / 255), keras.layers.Flatten(),
                              keras.layers.Dense(3)])
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    history = model.fit(sides["training"], validation_data=sides["validation"], epochs=2, verbose=0).history
    assert sorted(history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    with pytest.raises(ValueError, match="seed"):
        keras.utils.image_dataset_from_directory(folder, validation_split=0.3, subset="training")
    with pytest.raises(ValueError, match="label_mode"):
        keras.utils.image_dataset_from_directory(folder, label_mode="sparse")
