"""keras.utils: pad_sequences, normalize, PyDataset / Sequence in fit, plot_model / model_to_dot.
Reference values were printed by tf.keras (Keras 3.15 and tf_keras 2.21) for the same inputs."""
import shutil
import threading
import time

import numpy as np
import pytest

from tapeflow import keras

SEQS = [[1, 2, 3], [4, 5], [6, 7, 8, 9, 10], []]


def test_pad_sequences_matches_keras():
    pad = keras.preprocessing.sequence.pad_sequences
    assert pad is keras.utils.pad_sequences
    out = pad(SEQS)
    assert out.dtype == np.int32
    assert out.tolist() == [[0, 0, 1, 2, 3], [0, 0, 0, 4, 5], [6, 7, 8, 9, 10], [0, 0, 0, 0, 0]]
    assert pad(SEQS, maxlen=3, padding="post", truncating="post", value=-1).tolist() == \
        [[1, 2, 3], [4, 5, -1], [6, 7, 8], [-1, -1, -1]]
    out = pad(SEQS, maxlen=4, dtype="float32", value=0.5)
    assert out.dtype == np.float32 and out.tolist() == \
        [[0.5, 1.0, 2.0, 3.0], [0.5, 0.5, 4.0, 5.0], [7.0, 8.0, 9.0, 10.0], [0.5, 0.5, 0.5, 0.5]]
    assert pad([[[1, 2], [3, 4]], [[5, 6]]]).tolist() == [[[1, 2], [3, 4]], [[0, 0], [5, 6]]]
    assert pad([["a", "b"], ["c"]], dtype=object, value="").tolist() == [["a", "b"], ["", "c"]]
    with pytest.raises(ValueError, match="Padding type"):
        pad(SEQS, padding="middle")
    with pytest.raises(ValueError, match="dtype=object"):
        pad([["a"]], value="x")
    with pytest.raises(ValueError, match="non-iterable"):
        pad([1, 2])


def test_normalize_and_to_categorical():
    np.testing.assert_allclose(keras.utils.normalize(np.array([[3.0, 4.0], [0.0, 0.0]])), [[0.6, 0.8], [0.0, 0.0]])
    # tf_keras 2 numbers (Keras 3.15 divides by the norms along the last axis whatever `axis` is).
    np.testing.assert_allclose(keras.utils.normalize(np.array([[1.0, 2.0], [3.0, 4.0]]), axis=0, order=1),
                               [[0.25, 1 / 3], [0.75, 2 / 3]])
    assert keras.utils.to_categorical([0, 2], 3).tolist() == [[1, 0, 0], [0, 0, 1]]


class Batches(keras.utils.PyDataset):
    def __init__(self, x, y, batch_size, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.batch_size = x, y, batch_size
        self.epochs_ended = 0
        self.seen = []
        self.threads = set()

    def __len__(self):
        return int(np.ceil(len(self.x) / self.batch_size))

    def __getitem__(self, i):
        time.sleep(0.002)  # slow enough that several batches are in flight with workers > 1
        self.seen.append(i)
        self.threads.add(threading.get_ident())
        s = slice(i * self.batch_size, (i + 1) * self.batch_size)
        return self.x[s], self.y[s]

    def on_epoch_end(self):
        self.epochs_ended += 1


def _model():
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    m.compile(keras.optimizers.SGD(0.1), "mse")
    return m


def test_pydataset_drives_fit_evaluate_predict():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 3)).astype("float32")
    y = x @ np.array([[1.0], [-2.0], [0.5]], "float32")
    data = Batches(x, y, 16)
    m = _model()
    h = m.fit(data, epochs=3, verbose=0, shuffle=False)
    assert len(h.history["loss"]) == 3 and h.history["loss"][-1] < h.history["loss"][0]
    assert data.epochs_ended == 3 and data.seen[:8] == [0, 1, 2, 3, 0, 1, 2, 3]
    data.seen = []
    m.fit(data, epochs=1, verbose=0, shuffle=True)
    assert sorted(data.seen) == [0, 1, 2, 3]
    np.testing.assert_allclose(m.evaluate(Batches(x, y, 16), verbose=0), m.evaluate(x, y, batch_size=16, verbose=0),
                               rtol=1e-6)
    assert m.predict(Batches(x, y, 16), verbose=0).shape == (50, 1)
    assert issubclass(Batches, keras.utils.Sequence)


def test_pydataset_workers_keep_the_batch_order():
    x = np.arange(60, dtype="float32").reshape(20, 3)
    data = Batches(x, x[:, :1], 2, workers=3, max_queue_size=2)
    preds = _model().predict(data, verbose=0)
    assert preds.shape == (20, 1) and len(data.threads) > 1
    with pytest.raises(NotImplementedError):
        Batches(x, x, 2, use_multiprocessing=True)


def _functional():
    a = keras.Input((4,), name="a")
    b = keras.Input((2,), name="b")
    h = keras.layers.Dense(3, activation="relu", name="h")(a)
    out = keras.layers.Dense(1, name="out")(keras.layers.Concatenate(name="cat")([h, b]))
    return keras.Model([a, b], out)


def test_model_to_dot_has_the_layer_graph():
    pytest.importorskip("pydot")
    dot = keras.utils.model_to_dot(_functional(), show_shapes=True, show_layer_activations=True)
    labels = {n.get_name(): n.get("label").strip('"') for n in dot.get_nodes() if n.get("label")}
    by_name = {label.split(" ")[0]: key for key, label in labels.items()}
    assert set(by_name) == {"a", "b", "h", "cat", "out"}
    edges = {(e.get_source(), e.get_destination()) for e in dot.get_edges()}
    assert edges == {(by_name["a"], by_name["h"]), (by_name["h"], by_name["cat"]), (by_name["b"], by_name["cat"]),
                     (by_name["cat"], by_name["out"])}
    assert "activation: relu" in labels[by_name["h"]]
    assert "input: (None, 3), (None, 2) | output: (None, 5)" in labels[by_name["cat"]]
    seq = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    assert len(keras.utils.model_to_dot(seq, rankdir="LR").get_edges()) == 1


@pytest.mark.parametrize("ext", ["png", "svg"])
def test_plot_model_draws_with_graphviz_or_says_it_is_missing(tmp_path, ext):
    pytest.importorskip("pydot")
    target = str(tmp_path / ("model." + ext))
    if shutil.which("dot") is None:
        with pytest.raises(ImportError, match="graphviz"):
            keras.utils.plot_model(_functional(), to_file=target)
        return
    keras.utils.plot_model(_functional(), to_file=target, show_shapes=True, rankdir="LR")
    data = open(target, "rb").read()
    assert data.startswith(b"\x89PNG") if ext == "png" else b"<svg" in data and b"cat (Concatenate)" in data


def test_set_random_seed_makes_a_run_reproducible():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(64, 6)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")

    def run():
        keras.utils.set_random_seed(1234)
        m = keras.Sequential([keras.Input((6,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dropout(0.5),
                              keras.layers.Dense(2, activation="softmax")])
        m.compile("adam", "sparse_categorical_crossentropy")
        h = m.fit(x, y, batch_size=8, epochs=2, shuffle=True, verbose=0)
        return h.history["loss"], m.get_weights()
    (loss1, w1), (loss2, w2) = run(), run()
    assert loss1 == loss2
    for a, b in zip(w1, w2):
        np.testing.assert_array_equal(a, b)
    keras.utils.set_random_seed(99)
    assert run()[0] == loss1  # run() seeds itself again
    m = keras.Sequential([keras.Input((6,)), keras.layers.Dense(3)])
    keras.utils.set_random_seed(7)
    w = m.layers[0].kernel_initializer((6, 3)).numpy()
    keras.utils.set_random_seed(7)
    np.testing.assert_array_equal(m.layers[0].kernel_initializer((6, 3)).numpy(), w)


def test_generators_feed_evaluate_and_predict():
    x = np.arange(24, dtype="float32").reshape(8, 3)
    y = x[:, :1]
    m = _model()

    def gen(with_y=True):
        while True:
            for i in range(0, 8, 4):
                yield (x[i:i + 4], y[i:i + 4]) if with_y else x[i:i + 4]
    np.testing.assert_allclose(m.evaluate(gen(), steps=2, verbose=0), m.evaluate(x, y, batch_size=4, verbose=0),
                               rtol=1e-6)
    np.testing.assert_allclose(m.predict(gen(False), steps=2, verbose=0), m.predict(x, verbose=0), rtol=1e-6)
