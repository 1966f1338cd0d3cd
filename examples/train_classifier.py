"""The main job: train an MLP classifier on Fashion-MNIST with tapeflow's Keras API,
offline, showing the Keras progress bar, then evaluate it on the test set.

Fashion-MNIST is read from /usr/share/datasets/fashion-mnist (Debian package
dataset-fashion-mnist) or the Keras cache (~/.keras/datasets/fashion-mnist). When
neither has it, the UCI 8x8 handwritten digits shipped with tapeflow are used.

    python examples/train_classifier.py [--epochs 5] [--batch-size 32]
"""
import argparse
import time

import numpy as np

from tapeflow import keras
from tapeflow.keras import layers


def load():
    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()
        name = "Fashion-MNIST"
    except FileNotFoundError as e:
        print("%s\nFalling back to the UCI 8x8 digits shipped with tapeflow." % e)
        (x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()
        name = "UCI digits"
    scale = 255.0 if x_train.max() > 16 else 16.0
    return name, (x_train / scale, y_train), (x_test / scale, y_test)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    keras.utils.set_random_seed(args.seed)
    name, (x_train, y_train), (x_test, y_test) = load()
    print("%s: %d training and %d test images of %s pixels" % (name, len(x_train), len(x_test), x_train.shape[1:]))

    model = keras.Sequential([
        keras.Input(shape=x_train.shape[1:]),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dropout(0.2),
        layers.Dense(10, activation="softmax"),
    ], name="classifier")
    model.summary()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])

    start = time.time()
    history = model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs, validation_split=0.1)
    seconds = time.time() - start
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print("trained %d epochs in %.1f s; test loss %.4f, test accuracy %.4f" % (args.epochs, seconds, loss, accuracy))
    assert np.isfinite(history.history["loss"][-1])


if __name__ == "__main__":
    main()
