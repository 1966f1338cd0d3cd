"""Writes the model files that tests/test_saving.py loads: small models saved by
tf.keras (Keras 3 and tf_keras 2), plus their inputs and predictions.

Run in a virtual environment with TensorFlow 2.21, Keras 3.15 and tf_keras 2.21
(never a tapeflow dependency):

    python tests/reference/make_saved_models.py

It rewrites tests/reference/saved_models/. The files are small (a few KiB each)."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "saved_models")


def build(k):
    """A Sequential and a two-input functional model from layers tapeflow has. The Sequential one is
    trained, so it has no Dropout: its random masks would differ between engines."""
    seq = k.Sequential([k.Input((6,)), k.layers.Dense(8, activation="relu"),
                        k.layers.Dense(4, activation="tanh"), k.layers.Dense(3, activation="softmax")],
                       name="seq")
    a = k.Input((6,), name="a")
    b = k.Input((2, 2), name="b")
    h = k.layers.Dense(5, activation="sigmoid", name="h")(a)
    fb = k.layers.Dropout(0.3)(k.layers.Flatten()(b))
    c = k.layers.Concatenate()([h, fb])
    r = k.layers.Reshape((3, 3))(c)
    r = k.layers.Flatten()(r)
    s = k.layers.Add()([k.layers.Dense(4)(r), k.layers.Dense(4, use_bias=False)(r)])
    o = k.layers.Activation("softplus")(s)
    fun = k.Model([a, b], o, name="fun")
    return seq, fun


def build_sequence(k):
    """Embedding with masking, a bidirectional LSTM, a GRU and a Dense head, on integer ids."""
    inp = k.Input((6,), dtype="int32")
    x = k.layers.Embedding(20, 4, mask_zero=True)(inp)
    x = k.layers.Bidirectional(k.layers.LSTM(3, return_sequences=True))(x)
    x = k.layers.GRU(2)(x)
    return k.Model(inp, k.layers.Dense(1)(x), name="rnn")


def main():
    import keras
    import tf_keras
    rng = np.random.default_rng(0)
    x = rng.normal(size=(10, 6)).astype("float32")
    xb = rng.normal(size=(10, 2, 2)).astype("float32")
    y = rng.integers(0, 3, size=10)
    os.makedirs(OUT, exist_ok=True)
    ids = rng.integers(1, 20, size=(5, 6))
    ids[0, 4:] = 0  # padding, masked
    ids[1, 2] = 0
    arrays = {"x": x, "xb": xb, "y": y, "ids": ids}
    for prefix, k in (("k3", keras), ("tfk2", tf_keras)):
        k.utils.set_random_seed(1)
        seq, fun = build(k)
        seq.compile(k.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
        seq.fit(x, y, epochs=2, batch_size=5, verbose=0)
        arrays[prefix + "_seq"] = seq.predict(x, verbose=0)
        arrays[prefix + "_fun"] = fun.predict([x, xb], verbose=0)
        seq.save(os.path.join(OUT, prefix + "_sequential.keras"))
        seq.save(os.path.join(OUT, prefix + "_sequential.h5"))
        fun.save(os.path.join(OUT, prefix + "_functional.keras"))
        fun.save(os.path.join(OUT, prefix + "_functional.h5"))
        seq.save_weights(os.path.join(OUT, prefix + "_sequential.weights.h5"))
        # The training continues one more epoch from the saved state: a loaded model must do the same.
        seq.fit(x, y, epochs=1, batch_size=5, verbose=0, shuffle=False)
        arrays[prefix + "_seq_resumed"] = seq.predict(x, verbose=0)
        rnn = build_sequence(k)
        arrays[prefix + "_rnn"] = rnn.predict(ids, verbose=0)
        rnn.save(os.path.join(OUT, prefix + "_rnn.keras"))
        rnn.save(os.path.join(OUT, prefix + "_rnn.h5"))
    np.savez(os.path.join(OUT, "expected.npz"), **arrays)


if __name__ == "__main__":
    main()
