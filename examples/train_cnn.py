"""The small CNN of the image-layer catalogue (Conv2D 32 -> MaxPooling2D -> Conv2D 64 -> MaxPooling2D ->
Flatten -> Dense 10) trained on Fashion-MNIST for 3 epochs with Adam, then evaluated on the test set.

Reads Fashion-MNIST like examples/train_classifier.py (/usr/share/datasets/fashion-mnist or the Keras cache).

    python examples/train_cnn.py [--epochs 3] [--batch-size 64]
"""
import argparse
import time

from tapeflow import keras
from tapeflow.keras import layers


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    keras.utils.set_random_seed(args.seed)
    (x_train, y_train), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()
    x_train, x_test = x_train[..., None] / 255.0, x_test[..., None] / 255.0
    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(64, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dense(10, activation="softmax"),
    ], name="cnn")
    model.summary()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    start = time.time()
    model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs, validation_split=0.1)
    seconds = time.time() - start
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print("trained %d epochs in %.1f s; test loss %.4f, test accuracy %.4f" % (args.epochs, seconds, loss, accuracy))


if __name__ == "__main__":
    main()
