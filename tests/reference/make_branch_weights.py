"""Writes saved_models/k3_branches.weights.h5 and k3_branches.npz: a small residual model whose two branches have
different depths (so Keras 3's depth-first layer order differs from the order the layers were called in), saved
by Keras 3.15, with an input and its predictions. tests/test_applications.py rebuilds it with tapeflow and loads
the file. Run with Keras installed (never a tapeflow dependency): python tests/reference/make_branch_weights.py"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "saved_models")


def build(k):
    inputs = k.Input((8, 8, 3))
    shortcut = k.layers.BatchNormalization(epsilon=1.001e-5)(k.layers.Conv2D(6, 1, strides=2)(inputs))
    x = k.layers.Activation("relu")(k.layers.BatchNormalization()(k.layers.Conv2D(4, 1, strides=2)(inputs)))
    x = k.layers.Activation("relu")(k.layers.Conv2D(4, 3, padding="same")(x))
    x = k.layers.BatchNormalization()(k.layers.Conv2D(6, 1)(x))
    x = k.layers.Activation("relu")(k.layers.Add()([shortcut, x]))
    x = k.layers.GlobalAveragePooling2D()(x)
    return k.Model(inputs, k.layers.Dense(3, activation="softmax")(x))


def main():
    import keras
    keras.utils.set_random_seed(2)
    model = build(keras)
    x = np.random.default_rng(0).random((4, 8, 8, 3)).astype("float32")
    for layer in model.layers:  # non-trivial batch-norm statistics
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.moving_mean.assign(np.linspace(-0.2, 0.3, layer.moving_mean.shape[0]).astype("float32"))
            layer.moving_variance.assign(np.linspace(0.5, 1.5, layer.moving_variance.shape[0]).astype("float32"))
    model.save_weights(os.path.join(OUT, "k3_branches.weights.h5"))
    np.savez(os.path.join(OUT, "k3_branches.npz"), x=x, y=model.predict(x, verbose=0),
             layers=np.array([type(layer).__name__ for layer in model.layers]))


if __name__ == "__main__":
    main()
