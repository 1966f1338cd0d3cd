"""Keras 3 loads what tapeflow writes: tests/reference/tapeflow_files/ holds files tapeflow saved
(make_tapeflow_files.py) and keras3_predictions.npz what Keras 3 predicted from them after loading them
(check_keras3_loads.py, run with TensorFlow 2.21 / Keras 3.15). tapeflow must predict the same numbers from the
same files, and write the same architecture when it saves them again, so that a change to the writer that Keras 3
might not read shows here."""
import json
import os
import zipfile

import numpy as np
import pytest

from tapeflow import keras

HERE = os.path.join(os.path.dirname(__file__), "reference", "tapeflow_files")
INPUTS = np.load(os.path.join(HERE, "inputs.npz"))
KERAS3 = np.load(os.path.join(HERE, "keras3_predictions.npz"))


@pytest.mark.parametrize("name", ["mlp.keras", "mlp.h5", "conv.keras", "seq.keras"])
def test_predictions_equal_keras3s_from_the_same_file(name, tmp_path):
    model = keras.models.load_model(os.path.join(HERE, name))
    got = model.predict(INPUTS[name.split(".")[0]], verbose=0)
    np.testing.assert_allclose(got, KERAS3[name], rtol=1e-5, atol=1e-6)
    if name.endswith(".keras"):
        again = str(tmp_path / name)
        model.save(again)
        with zipfile.ZipFile(os.path.join(HERE, name)) as a, zipfile.ZipFile(again) as b:
            assert json.loads(a.read("config.json")) == json.loads(b.read("config.json"))


def test_weights_file_equals_keras3s_predictions():
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dropout(0.2),
                              keras.layers.Dense(3, activation="softmax")])
    model.load_weights(os.path.join(HERE, "mlp.weights.h5"))
    np.testing.assert_allclose(model.predict(INPUTS["mlp"], verbose=0), KERAS3["mlp.weights.h5"], rtol=1e-5,
                               atol=1e-6)
