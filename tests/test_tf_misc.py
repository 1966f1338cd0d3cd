"""tf.version and tf.saved_model's clear refusal."""
import pytest

import tapeflow as tf


def test_version_is_tapeflows():
    assert tf.version.VERSION == tf.__version__ and tf.__version__.count(".") == 2


def test_saved_model_names_the_alternatives():
    with pytest.raises(NotImplementedError, match=r"model\.save\('model\.keras'\)"):
        tf.saved_model.save(tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)]), "/tmp/unused")
    with pytest.raises(NotImplementedError, match="tf.train.Checkpoint"):
        tf.saved_model.load("/tmp/unused")
