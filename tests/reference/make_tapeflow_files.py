"""Writes files with tapeflow for Keras 3 to load (tests/reference/check_keras3_loads.py) and the inputs to run
them on: a trained MLP (.keras, .h5, .weights.h5), a convolutional functional model with batch normalization
(.keras) and an Embedding -> LSTM -> Dense model (.keras), into tests/reference/tapeflow_files/.

    PYTHONPATH=python python tests/reference/make_tapeflow_files.py

Then, in an environment with TensorFlow / Keras 3, check_keras3_loads.py records Keras 3's predictions from the
files; tests/test_keras3_interop.py checks that tapeflow's predictions from them are Keras 3's."""
import os

import numpy as np

from tapeflow import keras
from tapeflow.keras import layers

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tapeflow_files")


def models():
    """The models, built and trained from fixed seeds."""
    keras.utils.set_random_seed(5)
    rng = np.random.default_rng(5)
    mlp = keras.Sequential([keras.Input((6,)), layers.Dense(8, activation="relu"), layers.Dropout(0.2),
                            layers.Dense(3, activation="softmax")], name="mlp")
    mlp.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    mlp.fit(rng.normal(size=(64, 6)).astype("float32"), rng.integers(0, 3, 64), epochs=2, verbose=0)

    image = keras.Input((8, 8, 2), name="image")
    h = layers.Conv2D(4, 3, padding="same", activation="relu")(image)
    h = layers.BatchNormalization()(h)
    h = layers.MaxPooling2D()(h)
    h = layers.GlobalAveragePooling2D()(h)
    conv = keras.Model(image, layers.Dense(2, activation="sigmoid")(h), name="conv")
    conv.compile("rmsprop", "binary_crossentropy")
    conv.fit(rng.normal(size=(16, 8, 8, 2)).astype("float32"), rng.integers(0, 2, (16, 2)).astype("float32"),
             epochs=1, verbose=0)  # moves the batch normalization statistics

    seq = keras.Sequential([keras.Input((7,), dtype="int32"), layers.Embedding(20, 5, mask_zero=True),
                            layers.LSTM(6), layers.Dense(1)], name="seq")
    seq.compile("sgd", "mse")
    return {"mlp": mlp, "conv": conv, "seq": seq}


def inputs():
    rng = np.random.default_rng(9)
    tokens = rng.integers(1, 20, size=(4, 7)).astype("int32")
    tokens[0, 4:] = 0  # padding, masked
    return {"mlp": rng.normal(size=(5, 6)).astype("float32"), "conv": rng.normal(size=(3, 8, 8, 2)).astype("float32"),
            "seq": tokens}


def main():
    os.makedirs(OUT, exist_ok=True)
    built = models()
    built["mlp"].save(os.path.join(OUT, "mlp.keras"))
    built["mlp"].save(os.path.join(OUT, "mlp.h5"))
    built["mlp"].save_weights(os.path.join(OUT, "mlp.weights.h5"))
    built["conv"].save(os.path.join(OUT, "conv.keras"))
    built["seq"].save(os.path.join(OUT, "seq.keras"))
    np.savez(os.path.join(OUT, "inputs.npz"), **inputs())
    print("wrote", sorted(os.listdir(OUT)))


if __name__ == "__main__":
    main()
