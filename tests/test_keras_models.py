"""The three ways to build models, summary(), and compile / fit / evaluate / predict."""
import gzip
import os

import numpy as np
import pytest

import tapeflow as tf
from tapeflow import keras
from tapeflow.keras import layers


@pytest.fixture(autouse=True)
def fresh_names():
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)


def _data(n=64, d=4, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype("float32")
    y = (x[:, 0] > 0).astype("int32") + (x[:, 1] > 1).astype("int32")
    return x, np.minimum(y, classes - 1)


SEQUENTIAL_SUMMARY = """\
Model: "sequential"
_________________________________________________________________
 Layer (type)                Output Shape              Param #   
=================================================================
 dense (Dense)               (None, 64)                256       
                                                                 
 dense_1 (Dense)             (None, 10)                650       
                                                                 
=================================================================
Total params: 906 (3.54 KB)
Trainable params: 906 (3.54 KB)
Non-trainable params: 0 (0.00 Byte)
_________________________________________________________________
"""


def test_sequential_summary_matches_keras_layout(capsys):
    model = keras.Sequential([layers.Dense(64, activation="relu", input_shape=(3,)), layers.Dense(10)])
    model.summary()
    assert capsys.readouterr().out == SEQUENTIAL_SUMMARY


def test_sequential_lazy_build_and_errors():
    model = keras.Sequential()
    model.add(layers.Dense(4))
    model.add(layers.Dense(2))
    with pytest.raises(ValueError, match="Weights are created when the model is first called"):
        model.weights
    lines = []
    model.summary(print_fn=lines.append)  # as Keras 3: unknown shapes, "0 (unbuilt)" for layers with weights
    assert any("dense (Dense)" in line and "?" in line and "0 (unbuilt)" in line for line in lines)
    assert "Total params: 0 (0.00 Byte)" in lines
    with pytest.raises(ValueError, match="not yet been built"):
        keras.Sequential().summary()
    model.build((None, 3))
    assert [tuple(w.shape) for w in model.weights] == [(3, 4), (4,), (4, 2), (2,)]
    assert model.layers[0] is model.get_layer("dense") and model.get_layer(index=1).name == "dense_1"
    with pytest.raises(ValueError, match="No such layer"):
        model.get_layer("nope")
    with pytest.raises(ValueError, match="unique names"):
        model.add(layers.Dense(1, name="dense"))
    lazy = keras.Sequential([layers.Dense(3)])
    out = lazy(np.ones((2, 5), "float32"))
    assert out.shape == (2, 3) and lazy.count_params() == 18
    with_input = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(2)])
    assert with_input.built and with_input.output_shape == (None, 2)


def test_functional_multi_input_output_dicts_and_loss_weights():
    a = keras.Input(shape=(4,), name="a")
    b = keras.Input(shape=(2,), name="b")
    shared = layers.Dense(8, activation="relu", name="shared")
    h = layers.concatenate([shared(a), layers.Dense(8)(b)])
    cls = layers.Dense(3, activation="softmax", name="cls")(h)
    reg = layers.Dense(1, name="reg")(h)
    model = keras.Model(inputs=[a, b], outputs=[cls, reg])
    assert [l.name for l in model.layers][:2] == ["a", "b"]
    assert model.output_names == ["cls", "reg"]
    x, y = _data()
    xb = np.random.default_rng(1).normal(size=(64, 2)).astype("float32")
    yr = x[:, :1] * 2
    model.compile(optimizer="adam", loss={"cls": "sparse_categorical_crossentropy", "reg": "mse"},
                  loss_weights={"cls": 1.0, "reg": 0.5}, metrics={"cls": ["accuracy"], "reg": ["mae"]})
    hist = model.fit({"a": x, "b": xb}, {"cls": y, "reg": yr}, epochs=2, batch_size=16, verbose=0)
    assert set(hist.history) == {"loss", "cls_loss", "reg_loss", "cls_accuracy", "reg_mae"}
    results = model.evaluate([x, xb], [y, yr], verbose=0, return_dict=True)
    np.testing.assert_allclose(results["loss"], results["cls_loss"] + 0.5 * results["reg_loss"], rtol=1e-5)
    as_list = model.evaluate([x, xb], [y, yr], verbose=0)
    assert model.metrics_names == ["loss", "cls_loss", "reg_loss", "cls_accuracy", "reg_mae"]
    np.testing.assert_allclose(as_list, [results[k] for k in model.metrics_names], rtol=1e-6)
    p_cls, p_reg = model.predict({"a": x, "b": xb}, verbose=0)
    assert p_cls.shape == (64, 3) and p_reg.shape == (64, 1)
    direct = model([x, xb])
    np.testing.assert_allclose(p_cls, direct[0].numpy(), rtol=1e-6)


def test_functional_feature_extraction_and_nesting_all_styles():
    inp = keras.Input(shape=(4,))
    h1 = layers.Dense(6, activation="relu", name="h1")(inp)
    out = layers.Dense(2, name="out")(h1)
    base = keras.Model(inp, out, name="base")
    features = keras.Model(base.input, base.get_layer("h1").output)
    x, _ = _data()
    assert features(x).shape == (64, 6)
    assert base.get_layer("h1").output.shape == (None, 6)

    class Sub(keras.Model):
        def __init__(self):
            super().__init__()
            self.base = base
            self.head = layers.Dense(1)

        def call(self, x, training=None):
            return self.head(self.base(x))

    sub = Sub()
    assert sub(x).shape == (64, 1)
    seq = keras.Sequential([base, layers.Dense(3)])
    assert seq(x).shape == (64, 3)
    inp2 = keras.Input(shape=(4,))
    outer = keras.Model(inp2, layers.Dense(2)(sub(inp2)) + seq(inp2)[:, :2])
    assert outer.output_shape == (None, 2)
    assert outer(x).shape == (64, 2)
    for model in (sub, seq, outer):
        model.compile("sgd", "mse")
        target = np.zeros((64,) + tuple(model(x).shape[1:]), "float32")
        model.fit(x, target, epochs=1, verbose=0)


def test_subclassed_model_summary_and_dict_io(capsys):
    class Two(keras.Model):
        def __init__(self):
            super().__init__(name="two")
            self.d1 = layers.Dense(3)
            self.d2 = layers.Dense(1)

        def call(self, inputs):
            h = self.d1(inputs["x"])
            return {"first": h, "second": self.d2(h)}

    model = Two()
    out = model({"x": np.ones((5, 2), "float32")})
    assert out["first"].shape == (5, 3) and out["second"].shape == (5, 1)
    model.summary()
    text = capsys.readouterr().out
    assert 'Model: "two"' in text and "(None, 3)" in text and "Total params: 13" in text
    model.compile("adam", loss={"first": "mse", "second": "mae"})
    hist = model.fit({"x": np.ones((8, 2), "float32")}, {"first": np.zeros((8, 3)), "second": np.ones((8, 1))},
                     epochs=1, verbose=0)
    assert {"loss", "first_loss", "second_loss"} <= set(hist.history)


def test_functional_errors():
    a = keras.Input(shape=(3,))
    b = keras.Input(shape=(3,))
    out = layers.add([a, b])
    with pytest.raises(ValueError, match="Graph disconnected"):
        keras.Model(a, out)
    with pytest.raises(ValueError, match="KerasTensors"):
        keras.Model(a, np.ones(3))
    assert repr(a).startswith("<KerasTensor shape=(None, 3), dtype=float32, name=")
    model = keras.Model([a, b], out)
    with pytest.raises(ValueError, match="expects 2 input"):
        model(np.ones((1, 3)))
    with pytest.raises(TypeError, match="symbolic"):
        np.asarray(a)


def test_fit_history_progress_bar_and_verbose_modes(capsys):
    x, y = _data(n=96)
    model = keras.Sequential([layers.Dense(8, activation="relu"), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    hist = model.fit(x, y, epochs=3, batch_size=32, validation_split=0.25, verbose=1)
    out = capsys.readouterr().out
    assert "Epoch 1/3" in out and "Epoch 3/3" in out
    assert "3/3 [==============================] - " in out and "s/step - loss: " in out and "val_accuracy" in out
    assert "\r" not in out  # pytest's stdout is not a terminal: no carriage-return redraws
    assert sorted(hist.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert all(len(v) == 3 for v in hist.history.values())
    model.fit(x, y, epochs=2, batch_size=32, verbose=2)
    lines = [l for l in capsys.readouterr().out.splitlines() if l]
    assert lines[0] == "Epoch 1/2" and lines[1].startswith("3/3 - ") and "/epoch - " in lines[1]
    model.fit(x, y, epochs=1, verbose=0)
    assert capsys.readouterr().out == ""
    loss = model.evaluate(x, y, verbose=0)
    assert isinstance(loss, list) and len(loss) == 2


def test_training_learns_and_accuracy_resolution():
    x, y = _data(n=512)
    model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(16, activation="relu"),
                              layers.Dense(3, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    hist = model.fit(x, y, epochs=15, batch_size=32, verbose=0)
    assert hist.history["accuracy"][-1] > 0.9
    onehot = keras.utils.to_categorical(y, 3)
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    acc = model.evaluate(x, onehot, verbose=0)[1]
    assert acc > 0.9
    binary = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(1, activation="sigmoid")])
    binary.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    target = (x[:, 0] > 0).astype("float32")
    res = binary.evaluate(x, target, verbose=0, return_dict=True)
    want = np.mean((binary.predict(x, verbose=0)[:, 0] > 0.5) == target)  # Keras's binary accuracy: p > 0.5
    np.testing.assert_allclose(res["accuracy"], want, rtol=1e-6)


def test_sample_and_class_weights_change_the_loss():
    x, y = _data()
    model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy")
    base = model.evaluate(x, y, verbose=0)
    w = np.where(y == 0, 0.0, 1.0).astype("float32")
    weighted = model.evaluate(x, y, sample_weight=w, verbose=0)
    per_sample = keras.losses.sparse_categorical_crossentropy(y, model.predict(x, verbose=0)).numpy()
    np.testing.assert_allclose(weighted, (per_sample * w).mean(), rtol=1e-5)
    assert weighted != base
    # class weights are per-sample weights looked up by label: the same training, bit for bit
    fitted = []
    for by_class in (True, False, None):
        keras.utils.set_random_seed(4)
        m = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3, activation="softmax")])
        m.compile("sgd", "sparse_categorical_crossentropy")
        weights = {0: 0.0, 1: 1.0, 2: 3.0}
        if by_class:
            m.fit(x, y, class_weight=weights, epochs=2, shuffle=False, verbose=0)
        elif by_class is None:  # unweighted
            m.fit(x, y, epochs=2, shuffle=False, verbose=0)
        else:
            m.fit(x, y, sample_weight=np.array([weights[c] for c in y], "float32"), epochs=2, shuffle=False,
                  verbose=0)
        fitted.append(m.get_weights())
    for a, b in zip(fitted[0], fitted[1]):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(fitted[0][0], fitted[2][0])  # and the weights mattered


def test_custom_train_step_and_custom_loop():
    class Custom(keras.Model):
        def __init__(self):
            super().__init__()
            self.d = layers.Dense(1)
            self.tracker = keras.metrics.Mean(name="loss")

        def call(self, x):
            return self.d(x)

        def train_step(self, data):
            x, y = data
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.square(self(x, training=True) - y))
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
            self.tracker.update_state(loss)
            return {"loss": self.tracker.result()}

        @property
        def metrics(self):
            return [self.tracker]

    x = np.random.default_rng(0).normal(size=(128, 2)).astype("float32")
    y = x @ np.array([[2.0], [-1.0]], "float32") + 0.5
    model = Custom()
    model.compile(optimizer=keras.optimizers.SGD(0.1))
    hist = model.fit(x, y, epochs=20, batch_size=32, verbose=0)
    assert hist.history["loss"][-1] < 1e-3

    net = keras.Sequential([layers.Dense(1)])
    opt = keras.optimizers.SGD(0.1)
    loss_fn = keras.losses.MeanSquaredError()
    for _ in range(100):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, net(x, training=True))
        grads = tape.gradient(loss, net.trainable_variables)
        opt.apply_gradients(zip(grads, net.trainable_variables))
    np.testing.assert_allclose(net.layers[0].kernel.numpy().ravel(), [2.0, -1.0], atol=1e-3)


def test_fit_input_errors():
    model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(1)])
    with pytest.raises(RuntimeError, match="compile"):
        model.fit(np.ones((4, 4)), np.ones((4, 1)), verbose=0)
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match="cardinality"):
        model.fit(np.ones((4, 4)), np.ones((5, 1)), verbose=0)
    with pytest.raises(ValueError, match="incompatible with the layer"):
        model.fit(np.ones((4, 5)), np.ones((4, 1)), verbose=0)


def test_datasets_read_idx_and_digits(tmp_path):
    def idx(path, arr, code):
        header = bytes([0, 0, code, arr.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
        with gzip.open(path, "wb") as f:
            f.write(header + arr.astype(">u1").tobytes())

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(5, 28, 28)).astype("uint8")
    labels = rng.integers(0, 10, size=5).astype("uint8")
    for prefix in ("train", "t10k"):
        idx(tmp_path / ("%s-images-idx3-ubyte.gz" % prefix), images, 8)
        idx(tmp_path / ("%s-labels-idx1-ubyte.gz" % prefix), labels, 8)
    (xt, yt), (xs, ys) = keras.datasets.fashion_mnist.load_data(path=str(tmp_path))
    np.testing.assert_array_equal(xt, images)
    np.testing.assert_array_equal(ys, labels)
    assert xt.dtype == np.uint8 and yt.shape == (5,)
    with gzip.open(tmp_path / "t10k-labels-idx1-ubyte.gz", "wb") as f:
        f.write(bytes([0, 0, 8, 1, 0, 0, 0, 9]) + b"\x01")
    with pytest.raises(ValueError, match="truncated"):
        keras.datasets.fashion_mnist.load_data(path=str(tmp_path))
    os.environ["KERAS_HOME"] = str(tmp_path / "empty")
    try:
        with pytest.raises(FileNotFoundError, match="No such data set file"):
            keras.datasets.mnist.load_data(path=str(tmp_path / "missing"))
    finally:
        del os.environ["KERAS_HOME"]
    (x, y), (xt2, yt2) = keras.datasets.digits.load_data()
    assert x.shape[1:] == (8, 8) and len(x) + len(xt2) == 1797 and set(np.unique(y)) == set(range(10))
    assert x.max() == 16


def test_fit_from_a_generator_of_batches():
    x, y = _data(n=64)

    def batches():
        while True:
            for i in range(0, 64, 16):
                yield x[i:i + 16], y[i:i + 16]

    model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    hist = model.fit(batches(), steps_per_epoch=4, epochs=2, verbose=0)
    assert len(hist.history["loss"]) == 2 and model.optimizer.iterations.numpy() == 8
    with pytest.raises(ValueError, match="not supported when using a generator"):
        model.fit(batches(), y, steps_per_epoch=1, verbose=0)


def test_ctrl_c_during_fit_stops_within_a_step_or_two():
    """SIGINT during an epoch looped in C++ (verbose=0: no progress bar to return for) raises KeyboardInterrupt
    within a fraction of a second, not at the end of the epoch; the model keeps the completed steps' weights."""
    import signal
    import subprocess
    import sys
    import time
    child = subprocess.Popen([sys.executable, "-c", """
import sys, time
import numpy as np
import tapeflow as tf
from tapeflow import keras
rng = np.random.default_rng(0)
# made tensors here, so that the epoch below starts stepping at once (no copy of the data to the device first)
x = tf.constant(rng.random((100000, 256), dtype=np.float32))
y = tf.constant(rng.integers(0, 10, 100000))
m = keras.Sequential([keras.Input((256,)), keras.layers.Dense(4096, activation="relu"),
                      keras.layers.Dense(10, activation="softmax")])
m.compile("sgd", "sparse_categorical_crossentropy")
m.fit(x[:256], y[:256], batch_size=64, verbose=0)  # builds and captures the step
before = m.layers[0].kernel.numpy().copy()
print("fitting", flush=True)
start = time.time()
try:
    m.fit(x, y, batch_size=64, epochs=1, verbose=0)  # an epoch of 1563 steps: seconds
    print("finished", time.time() - start, flush=True)
except KeyboardInterrupt:
    after = m.layers[0].kernel.numpy()
    usable = np.isfinite(m.predict(x[:5], verbose=0)).all() and not np.array_equal(before, after)
    print("interrupted", usable, time.time() - start, flush=True)
"""], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "fitting"
        time.sleep(0.5)
        sent = time.time()
        child.send_signal(signal.SIGINT)
        words = child.stdout.readline().split()
        latency = time.time() - sent
    finally:
        child.kill()
        child.wait()
    assert words[:2] == ["interrupted", "True"], (words, child.stderr.read()[-2000:])
    assert latency < 1.0, latency


def test_behaviours_real_scripts_rely_on():
    # integer features: a model with a float Input (and a Dense layer alone) computes in float32, as Keras does
    seq = keras.Sequential([keras.Input((3,)), layers.Dense(2)])
    ints = np.arange(6, dtype="int64").reshape(2, 3)
    np.testing.assert_allclose(seq.predict(ints, verbose=0), seq.predict(ints.astype("float32"), verbose=0))
    np.testing.assert_allclose(np.asarray(seq(ints)), np.asarray(seq(ints.astype("float32"))))
    assert layers.Dense(2)(ints).dtype == tf.float32
    # every callback hook gets a logs dict
    seen = []

    class Hooks(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            seen.append(type(logs))

        def on_epoch_begin(self, epoch, logs=None):
            seen.append(type(logs))

        def on_train_batch_begin(self, batch, logs=None):
            seen.append(type(logs))
    seq.compile("sgd", "mse")
    seq.fit(np.ones((4, 3)), np.ones((4, 2)), batch_size=4, epochs=1, verbose=0, callbacks=[Hooks()])
    assert seen == [dict, dict, dict]
    # one_hot of uint8 indices, Constant of a matrix, a ragged list, a NumPy step for a schedule
    np.testing.assert_array_equal(tf.one_hot(np.array([2, 0], np.uint8), 3).numpy(), [[0, 0, 1], [1, 0, 0]])
    np.testing.assert_array_equal(keras.initializers.Constant(np.eye(2))((2, 2)).numpy(), np.eye(2))
    np.testing.assert_array_equal(keras.initializers.Constant([1.0, 2.0])((3, 2)).numpy(), [[1, 2]] * 3)
    with pytest.raises(ValueError, match="non-rectangular"):
        tf.constant([[1, 2], [3]])
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.9)
    assert float(schedule(np.int64(10))) == pytest.approx(0.09)
    x = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
    assert float(tape.gradient(x, x)) == 1.0


def test_a_model_subclass_given_inputs_and_outputs_is_functional_with_its_methods():
    steps = []

    class CustomModel(keras.Model):
        def train_step(self, data):
            steps.append(1)
            return super().train_step(data)

    inputs = keras.Input(shape=(4,))
    model = CustomModel(inputs, layers.Dense(1)(inputs))
    assert isinstance(model, CustomModel) and type(model).__name__ == "CustomModel"
    model.compile("sgd", "mse")
    model.fit(np.ones((8, 4)), np.ones((8, 1)), batch_size=4, epochs=1, verbose=0)
    assert len(steps) == 2  # the override ran (eagerly, each step)
    again = keras.Model.from_config(model.get_config())  # a functional config through keras.Model
    np.testing.assert_allclose(again.predict(np.ones((2, 4)), verbose=0).shape, (2, 1))
    same = CustomModel.from_config(model.get_config())
    assert isinstance(same, CustomModel)

    class Sized(keras.Model):  # positional arguments of its own (not KerasTensors): an ordinary subclass
        def __init__(self, units, depth, name="sized"):
            super().__init__(name=name)
            self.dense = layers.Dense(units * depth)

        def call(self, x):
            return self.dense(x)
    assert Sized(2, 3)(np.ones((1, 4), "float32")).shape == (1, 6)


def test_compile_without_a_loss_trains_on_the_added_losses():
    class WithOwnLoss(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1)

        def call(self, x):
            y = self.dense(x)
            self.add_loss(tf.reduce_mean(tf.square(y - 1.0)))
            return y

    model = WithOwnLoss()
    model.compile("sgd")
    losses = model.fit(np.ones((8, 3), "float32"), epochs=3, verbose=0).history["loss"]
    assert losses[0] > losses[1] > losses[2]
    plain = keras.Sequential([keras.Input((3,)), layers.Dense(1)])
    plain.compile("sgd")
    with pytest.raises(ValueError, match="No loss to compute"):
        plain.fit(np.ones((8, 3)), np.ones((8, 1)), verbose=0)


def test_custom_train_step_in_keras_3s_style_sees_every_metric():
    """keras.io's "Customizing what happens in fit()": compute_loss, then each metric by name; compute_loss
    builds the compiled metrics and leaves the loss tracker to the step, as in Keras 3."""
    class CustomModel(keras.Model):
        def train_step(self, data):
            x, y = data
            with tf.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compute_loss(y=y, y_pred=y_pred)
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    inputs = keras.Input(shape=(8,))
    model = CustomModel(inputs, layers.Dense(1)(inputs))
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    rng = np.random.default_rng(0)
    x, y = rng.random((64, 8)).astype("float32"), rng.random((64, 1)).astype("float32")
    history = model.fit(x, y, batch_size=64, epochs=2, verbose=0).history
    assert sorted(history) == ["loss", "mae"]
    pred = model.predict(x, verbose=0)
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0), [np.mean((pred - y) ** 2), np.mean(np.abs(pred - y))],
                               rtol=1e-5)


def test_fit_takes_any_iterable_of_batches_such_as_a_dataloader():
    class Batch:  # another framework's tensor: converts through __array__
        def __init__(self, a):
            self.a = a

        def __array__(self, dtype=None, copy=None):
            return self.a if dtype is None else self.a.astype(dtype)

    class Loader:  # what fit sees of a PyTorch DataLoader: __len__ and __iter__ of [x, y] lists
        def __init__(self, x, y, batch):
            self.x, self.y, self.batch = x, y, batch

        def __len__(self):
            return -(-len(self.x) // self.batch)

        def __iter__(self):
            for i in range(0, len(self.x), self.batch):
                yield [Batch(self.x[i:i + self.batch]), Batch(self.y[i:i + self.batch])]

    rng = np.random.default_rng(0)
    x, y = rng.random((40, 4)).astype("float32"), rng.random((40, 1)).astype("float32")
    fitted = []
    for data in (Loader(x, y, 8), None):
        keras.utils.set_random_seed(1)
        m = keras.Sequential([keras.Input((4,)), layers.Dense(1)])
        m.compile("sgd", "mse")
        if data is None:
            m.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
        else:
            m.fit(data, epochs=2, verbose=0)
        fitted.append(m.get_weights())
    for a, b in zip(*fitted):
        np.testing.assert_array_equal(a, b)
