"""Saving and loading: .keras, .h5 and .weights.h5 files, configs, custom objects, atomic writes,
bad files, and files written by tf.keras (tests/reference/make_saved_models.py made them)."""
import json
import os
import zipfile

import numpy as np
import pytest

from tapeflow import keras
from tapeflow.keras.saving import saving_lib

REF = os.path.join(os.path.dirname(__file__), "reference", "saved_models")
RNG = np.random.default_rng(0)
X = RNG.normal(size=(24, 5)).astype("float32")
Y = RNG.integers(0, 3, size=24)


def sequential(compiled=True, optimizer="adam"):
    m = keras.Sequential([keras.Input((5,)), keras.layers.Dense(7, activation="relu"),
                          keras.layers.Dense(3, activation="softmax")])
    if compiled:
        m.compile(optimizer, "sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


def functional():
    a = keras.Input((5,), name="a")
    b = keras.Input((2,), name="b")
    shared = keras.layers.Dense(4, activation="tanh", name="shared")
    inner = keras.Sequential([keras.layers.Dense(3, activation="relu")], name="inner")
    h = keras.layers.Concatenate()([shared(a), inner(shared(a)), b])
    return keras.Model({"a": a, "b": b}, {"out": keras.layers.Dense(2, name="out")(h),
                                          "aux": keras.layers.Activation("sigmoid", name="aux")(h)})


@keras.saving.register_keras_serializable(package="test_saving")
class Scale(keras.layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

    def call(self, x):
        return x * self.w * self.factor

    def get_config(self):
        return dict(super().get_config(), factor=self.factor)


class Unregistered(keras.layers.Layer):
    def call(self, x):
        return -x


class Subclassed(keras.Model):
    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.hidden = keras.layers.Dense(6, activation="relu")
        self.blocks = [keras.layers.Dense(units), Scale(0.5)]

    def call(self, x):
        x = self.hidden(x)
        for b in self.blocks:
            x = b(x)
        return x

    def get_config(self):
        return dict(super().get_config(), units=self.units)


@pytest.mark.parametrize("ext", [".keras", ".h5"])
@pytest.mark.parametrize("optimizer", ["adam", "sgd", "rmsprop", "nadam", "adagrad"])
def test_compiled_round_trip_resumes_training_exactly(tmp_path, ext, optimizer):
    m = sequential(optimizer=optimizer)
    m.fit(X, Y, epochs=2, batch_size=8, verbose=0)
    path = str(tmp_path / ("m" + ext))
    m.save(path)
    loaded = keras.models.load_model(path)
    assert loaded.compiled and type(loaded.optimizer) is type(m.optimizer)
    assert int(loaded.optimizer.iterations) == int(m.optimizer.iterations) == 6
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), m.predict(X, verbose=0))
    h1 = m.fit(X, Y, epochs=2, batch_size=8, verbose=0, shuffle=False)
    h2 = loaded.fit(X, Y, epochs=2, batch_size=8, verbose=0, shuffle=False)
    assert h1.history == h2.history
    for a, b in zip(m.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert loaded.evaluate(X, Y, verbose=0, return_dict=True) == m.evaluate(X, Y, verbose=0, return_dict=True)


def test_keras_file_layout(tmp_path):
    m = sequential()
    m.fit(X, Y, epochs=1, verbose=0)
    path = str(tmp_path / "m.keras")
    m.save(path)
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == ["config.json", "metadata.json", "model.weights.h5"]
        config = json.loads(zf.read("config.json"))
        zf.extract("model.weights.h5", str(tmp_path))
    assert config["class_name"] == "Sequential" and config["module"] == "keras"
    assert [l["class_name"] for l in config["config"]["layers"]] == ["InputLayer", "Dense", "Dense"]
    assert config["compile_config"]["optimizer"]["class_name"] == "Adam"
    assert config["compile_config"]["loss"] == "sparse_categorical_crossentropy"
    import h5py
    with h5py.File(str(tmp_path / "model.weights.h5")) as f:
        assert f["layers/dense/vars/0"].shape == (5, 7) and f["layers/dense_1/vars/1"].shape == (3,)
        assert len(f["optimizer/vars"]) == 2 + 2 * 4  # iteration, learning rate, (m, v) per variable


def test_h5_file_layout(tmp_path):
    m = sequential()
    m.fit(X, Y, epochs=1, verbose=0)
    path = str(tmp_path / "m.h5")
    m.save(path)
    import h5py
    with h5py.File(path) as f:
        assert json.loads(f.attrs["model_config"])["class_name"] == "Sequential"
        assert json.loads(f.attrs["training_config"])["optimizer_config"]["class_name"] == "Adam"
        names = [n.decode() for n in f["model_weights"].attrs["layer_names"]]
        assert names == [l.name for l in m.layers]
        g = f["model_weights"][names[0]]
        kernel = g[g.attrs["weight_names"][0].decode()][()]
        np.testing.assert_array_equal(kernel, m.layers[0].kernel.numpy())


@pytest.mark.parametrize("ext", [".keras", ".h5"])
def test_functional_round_trip(tmp_path, ext):
    m = functional()
    x = {"a": X, "b": X[:, :2]}
    path = str(tmp_path / ("f" + ext))
    m.save(path)
    loaded = keras.models.load_model(path)
    assert loaded.compiled is False
    assert [l.name for l in loaded.layers] == [l.name for l in m.layers]
    want, got = m.predict(x, verbose=0), loaded.predict(x, verbose=0)
    assert sorted(got) == ["aux", "out"]
    for k in want:
        np.testing.assert_array_equal(got[k], want[k])


def test_config_and_json_round_trip_keep_the_graph():
    m = functional()
    clone = keras.models.model_from_json(m.to_json())
    assert clone.get_config() == m.get_config()
    clone.set_weights(m.get_weights())
    x = {"a": X, "b": X[:, :2]}
    np.testing.assert_allclose(clone.predict(x, verbose=0)["out"], m.predict(x, verbose=0)["out"])
    again = type(m).from_config(m.get_config())
    assert len(again.weights) == len(m.weights)
    shared = again.get_layer("shared")
    assert len(shared._inbound_nodes) == 2  # the shared layer is called twice in the rebuilt graph too


def test_registered_custom_layer_and_subclassed_model(tmp_path):
    inp = keras.Input((5,))
    m = keras.Model(inp, Scale(3.0, name="scale")(keras.layers.Dense(2)(inp)))
    path = str(tmp_path / "c.keras")
    m.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded.get_layer("scale"), Scale) and loaded.get_layer("scale").factor == 3.0
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), m.predict(X, verbose=0))
    assert keras.saving.get_registered_name(Scale) == "test_saving>Scale"

    sub = Subclassed(units=4)
    sub.compile("sgd", "mse")
    sub.fit(X, np.zeros((24, 4), "float32"), epochs=1, verbose=0)
    path = str(tmp_path / "sub.keras")
    sub.save(path)
    with pytest.raises(ValueError, match="Subclassed"):
        keras.models.load_model(path)
    loaded = keras.models.load_model(path, custom_objects={"Subclassed": Subclassed})
    assert loaded.units == 4
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), sub.predict(X, verbose=0))
    with keras.saving.custom_object_scope({"Subclassed": Subclassed}):
        assert keras.models.load_model(path).units == 4


def test_unknown_class_error_names_it(tmp_path):
    inp = keras.Input((5,))
    m = keras.Model(inp, Unregistered(name="neg")(inp))
    path = str(tmp_path / "u.keras")
    m.save(path)
    with pytest.raises(ValueError, match="Unregistered"):
        keras.models.load_model(path)
    loaded = keras.models.load_model(path, custom_objects={"Unregistered": Unregistered})
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), -X)


@pytest.mark.parametrize("name", ["w.weights.h5", "w.h5"])
def test_save_and_load_weights(tmp_path, name):
    m, other = sequential(), sequential()
    path = str(tmp_path / name)
    m.save_weights(path)
    other.load_weights(path)
    for a, b in zip(m.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(a, b)
    wrong = keras.Sequential([keras.Input((5,)), keras.layers.Dense(8), keras.layers.Dense(3)])
    with pytest.raises(ValueError, match="shape|Shape"):
        wrong.load_weights(path)
    with pytest.raises(ValueError, match="weights.h5"):
        m.save_weights(str(tmp_path / "w.txt"))


def test_load_weights_from_a_whole_model_file(tmp_path):
    m, other = sequential(), sequential()
    for ext in (".keras", ".h5"):
        m.save(str(tmp_path / ("m" + ext)))
        other.load_weights(str(tmp_path / ("m" + ext)))
        np.testing.assert_array_equal(other.predict(X, verbose=0), m.predict(X, verbose=0))


@pytest.mark.parametrize("ext", [".keras", ".h5", ".weights.h5"])
def test_interrupted_save_leaves_the_old_file(tmp_path, monkeypatch, ext):
    m = sequential()
    path = str(tmp_path / ("m" + ext))
    (m.save_weights if ext == ".weights.h5" else m.save)(path)
    before = open(path, "rb").read()

    def boom(*args, **kwargs):
        raise KeyboardInterrupt("interrupted mid-save")
    monkeypatch.setattr(saving_lib, "_save_layer_tree", boom)
    monkeypatch.setattr(saving_lib, "_save_legacy_weights", boom)
    m.layers[0].kernel.assign(np.ones((5, 7), "float32"))
    with pytest.raises(KeyboardInterrupt):
        (m.save_weights if ext == ".weights.h5" else m.save)(path)
    assert open(path, "rb").read() == before
    assert os.listdir(str(tmp_path)) == [os.path.basename(path)]  # no temporary file left behind


def test_saves_killed_mid_write_leave_the_old_file_and_the_next_save_cleans_up(tmp_path):
    """kill -9 during a save runs no cleanup: the old file stays whole, and the next save of the same target
    removes the temporaries of writers that are gone (not those of a live one, which may be saving now)."""
    import signal
    import subprocess
    import sys
    m = sequential()
    path = str(tmp_path / "m.keras")
    m.save(path)
    before = open(path, "rb").read()
    writer = ("import sys, time\nfrom tapeflow.keras.saving import saving_lib\n"
              "with saving_lib.atomic_write(sys.argv[1]) as tmp:\n"
              "    open(tmp, 'wb').write(b'half a file')\n    print('writing', flush=True)\n    time.sleep(120)\n")
    children = []
    for _ in range(3):
        child = subprocess.Popen([sys.executable, "-c", writer, path], stdout=subprocess.PIPE, text=True)
        assert child.stdout.readline().strip() == "writing"
        children.append(child)
    for child in children[:2]:
        child.send_signal(signal.SIGKILL)
        child.wait()
    try:
        assert len(os.listdir(str(tmp_path))) == 4  # the file and three temporaries
        assert open(path, "rb").read() == before
        m.layers[0].kernel.assign(np.ones((5, 7), "float32"))
        m.save(path)
        left = sorted(os.listdir(str(tmp_path)))
        assert len(left) == 2 and ".%d." % children[2].pid in left[0]  # only the live writer's temporary
        np.testing.assert_array_equal(keras.models.load_model(path).layers[0].kernel.numpy(), np.ones((5, 7)))
    finally:
        children[2].kill()
        children[2].wait()


@pytest.mark.parametrize("ext", [".keras", ".h5"])
def test_truncated_and_foreign_files_raise_clear_errors(tmp_path, ext):
    m = sequential()
    path = str(tmp_path / ("m" + ext))
    m.save(path)
    data = open(path, "rb").read()
    with open(path, "wb") as f:
        f.write(data[: len(data) // 2])
    with pytest.raises(ValueError, match="truncated|corrupt|not a valid"):
        keras.models.load_model(path)
    with open(path, "wb") as f:
        f.write(b"this is not a model file" * 10)
    with pytest.raises(ValueError, match="neither"):
        keras.models.load_model(path)
    with pytest.raises(ValueError, match="File not found"):
        keras.models.load_model(str(tmp_path / "missing.keras"))
    with pytest.raises(ValueError, match="extension"):
        m.save(str(tmp_path / "m.pkl"))


def _corruptions(data, rng, count):
    """Damaged copies of a file's bytes: truncations, flipped bytes, zeroed runs."""
    out = []
    for i in range(count):
        b = bytearray(data)
        kind = i % 3
        if kind == 0:
            b = b[:int(rng.integers(0, len(b)))]
        elif kind == 1:
            for at in rng.integers(0, len(b), size=int(rng.integers(1, 20))):
                b[at] ^= int(rng.integers(1, 256))
        else:
            at = int(rng.integers(0, len(b)))
            b[at:at + int(rng.integers(1, 4096))] = bytes(min(len(b) - at, 4096))[:len(b[at:at + 4096])]
        out.append(bytes(b))
    return out


def _config_corruptions(path, tmp_path):
    """Valid .keras zips whose config.json is broken: not JSON, the wrong types, missing keys, foreign classes."""
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    config = json.loads(members["config.json"])
    broken = [b"{not json", b"[]", b"null", json.dumps({"class_name": "Sequential"}).encode(),
              json.dumps(dict(config, config=5)).encode(),
              json.dumps(dict(config, config=dict(config["config"], layers=[7]))).encode(),
              json.dumps(dict(config, class_name="NoSuchModel")).encode(),
              json.dumps(dict(config, compile_config={"optimizer": 3, "loss": {"class_name": 1}})).encode(),
              b"\xff\xfe\x00garbage"]
    paths = []
    for i, text in enumerate(broken):
        p = str(tmp_path / ("config%d.keras" % i))
        with zipfile.ZipFile(p, "w") as zf:
            for n, d in members.items():
                zf.writestr(n, text if n == "config.json" else d)
        paths.append(p)
    return paths


def test_corrupted_files_raise_one_clear_error_naming_the_file(tmp_path):
    """90 damaged .keras / .h5 / .weights.h5 files, loaded in a child process (a crash there is counted, not
    fatal): each one loads, or raises a ValueError whose message names the file; nothing else escapes."""
    from childproc import run_child
    m = sequential()
    m.fit(X, Y, epochs=1, verbose=0)
    rng = np.random.default_rng(3)
    paths = []
    for name in ("m.keras", "m.h5", "m.weights.h5"):
        good = str(tmp_path / name)
        (m.save_weights if name.endswith(".weights.h5") else m.save)(good)
        for i, data in enumerate(_corruptions(open(good, "rb").read(), rng, 27)):
            p = str(tmp_path / ("bad%d_%s" % (i, name)))
            with open(p, "wb") as f:
                f.write(data)
            paths.append(p)
    paths += _config_corruptions(str(tmp_path / "m.keras"), tmp_path)
    assert len(paths) == 90
    rc, out, err = run_child("""
import sys, warnings
warnings.simplefilter("ignore")
from tapeflow import keras
import test_saving
for path in sys.argv[1:] if False else %r:
    try:
        if path.endswith(".weights.h5"):
            test_saving.sequential().load_weights(path)
        else:
            keras.models.load_model(path)
        print("ok", path, flush=True)
    except ValueError as e:
        print("ValueError" if path in str(e) else "unnamed", path, str(e).replace("\\n", " ")[:300], flush=True)
    except Exception as e:
        print("escaped", path, type(e).__name__, str(e)[:300], flush=True)
""" % (paths,), timeout=300)
    lines = out.splitlines()
    assert rc == 0, "the child died (%s) after %d files: %s" % (rc, len(lines), err[-2000:])
    assert len(lines) == len(paths)
    bad = [l for l in lines if l.split()[0] not in ("ok", "ValueError")]
    assert not bad, "\n".join(bad)


# ----------------------------------------------------------------- files written by tf.keras
@pytest.mark.parametrize("prefix", ["k3", "tfk2"])
@pytest.mark.parametrize("name", ["sequential.keras", "sequential.h5", "functional.keras", "functional.h5"])
def test_loads_files_written_by_tf_keras(prefix, name):
    expected = np.load(os.path.join(REF, "expected.npz"))
    m = keras.models.load_model(os.path.join(REF, "%s_%s" % (prefix, name)))
    if name.startswith("sequential"):
        np.testing.assert_allclose(m.predict(expected["x"], verbose=0), expected[prefix + "_seq"], rtol=1e-5,
                                   atol=1e-6)
        # Compiled with Adam and trained 2 epochs there; one more epoch here lands where tf.keras did.
        assert m.compiled and int(m.optimizer.iterations) == 4
        m.fit(expected["x"], expected["y"], epochs=1, batch_size=5, verbose=0, shuffle=False)
        np.testing.assert_allclose(m.predict(expected["x"], verbose=0), expected[prefix + "_seq_resumed"],
                                   rtol=1e-5, atol=1e-6)
    else:
        x = [expected["x"], expected["xb"]]
        np.testing.assert_allclose(m.predict(x, verbose=0), expected[prefix + "_fun"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("prefix", ["k3", "tfk2"])
def test_loads_weights_files_written_by_tf_keras(prefix):
    expected = np.load(os.path.join(REF, "expected.npz"))
    m = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="relu"),
                          keras.layers.Dense(4, activation="tanh"), keras.layers.Dense(3, activation="softmax")])
    m.load_weights(os.path.join(REF, prefix + "_sequential.weights.h5"))
    np.testing.assert_allclose(m.predict(expected["x"], verbose=0), expected[prefix + "_seq"], rtol=1e-5, atol=1e-6)


def test_lambda_layers_round_trip_only_in_unsafe_mode(tmp_path):
    def make(factor):
        return lambda x: x * factor + 1.0  # a closure: the factor travels with the function

    inp = keras.Input((5,))
    out = keras.layers.Lambda(keras.activations.relu)(keras.layers.Lambda(make(3.0))(inp))
    m = keras.Model(inp, out)
    path = str(tmp_path / "lambda.keras")
    m.save(path)
    with pytest.raises(ValueError, match="safe_mode=False"):
        keras.models.load_model(path)
    loaded = keras.models.load_model(path, safe_mode=False)
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), np.maximum(X * 3.0 + 1.0, 0))
    config = json.loads(m.to_json())
    assert config["config"]["layers"][2]["config"]["function"] == "relu"  # named functions go by name


def test_load_weights_skip_mismatch_and_by_name(tmp_path):
    m = sequential(compiled=False)
    for name in ("w.weights.h5", "w.h5"):
        path = str(tmp_path / name)
        m.save_weights(path)
        other = keras.Sequential([keras.Input((5,)), keras.layers.Dense(7), keras.layers.Dense(4)])
        before = other.layers[1].kernel.numpy()
        with pytest.warns(UserWarning, match="Skipping loading weights"):
            other.load_weights(path, skip_mismatch=True)
        np.testing.assert_array_equal(other.layers[0].kernel.numpy(), m.layers[0].kernel.numpy())
        np.testing.assert_array_equal(other.layers[1].kernel.numpy(), before)  # the misfit layer is untouched
    # by_name: layers are matched by name, whatever their order; others keep their weights.
    first = m.layers[0]
    inp = keras.Input((5,))
    renamed = keras.Model(inp, keras.layers.Dense(7, name=first.name)(keras.layers.Dense(5, name="extra")(inp)))
    renamed.load_weights(str(tmp_path / "w.h5"), by_name=True)
    np.testing.assert_array_equal(renamed.get_layer(first.name).kernel.numpy(), first.kernel.numpy())
    with pytest.raises(ValueError, match="by_name"):
        renamed.load_weights(str(tmp_path / "w.weights.h5"), by_name=True)


@pytest.mark.parametrize("prefix", ["k3", "tfk2"])
@pytest.mark.parametrize("ext", [".keras", ".h5"])
def test_loads_sequence_models_written_by_tf_keras(prefix, ext):
    # Embedding(mask_zero) -> Bidirectional(LSTM) -> GRU -> Dense; Keras 3 stores the mask as a NotEqual op node.
    expected = np.load(os.path.join(REF, "expected.npz"))
    m = keras.models.load_model(os.path.join(REF, "%s_rnn%s" % (prefix, ext)))
    np.testing.assert_allclose(m.predict(expected["ids"], verbose=0), expected[prefix + "_rnn"], rtol=1e-5,
                               atol=1e-6)


@pytest.mark.parametrize("name", ["w.weights.h5", "w.h5", "m.keras"])
def test_failed_load_weights_changes_nothing(tmp_path, name):
    """The whole file is checked against the model before any weight is assigned: a later layer that does not fit
    leaves the earlier ones as they were."""
    path = str(tmp_path / name)
    src = keras.Sequential([keras.Input((5,)), keras.layers.Dense(7), keras.layers.Dense(4)])
    if name.endswith(".keras"):
        src.save(path)
    else:
        src.save_weights(path)
    dst = sequential(compiled=False)  # the same first layer, a last layer of 3 units instead of 4
    before = [w.numpy().copy() for w in dst.weights]
    with pytest.raises(ValueError):
        dst.load_weights(path)
    for w, b in zip(dst.weights, before):
        np.testing.assert_array_equal(w.numpy(), b)


@pytest.mark.parametrize("layout", ["keras3", "legacy"])
def test_a_dataset_is_never_read_before_its_shape_is_checked(tmp_path, layout):
    """A small file declaring a 2**28-element dataset (1 GiB if read) is refused from its metadata alone."""
    import h5py
    import tracemalloc
    model = sequential(compiled=False)
    path = str(tmp_path / ("w.weights.h5" if layout == "keras3" else "w.h5"))
    with h5py.File(path, "w") as f:
        if layout == "keras3":
            g = f.create_group("layers/dense/vars")
            g.create_dataset("0", shape=(2 ** 14, 2 ** 14), dtype="float32", fillvalue=1.0)  # never written
            g.create_dataset("1", data=np.zeros(7, "float32"))
        else:
            f.attrs["layer_names"] = np.array([b"dense", b"dense_1"])
            for layer, n in (("dense", 2 ** 14), ("dense_1", 7)):
                g = f.create_group(layer)
                g.attrs["weight_names"] = np.array([("%s/kernel:0" % layer).encode()])
                g.create_dataset("%s/kernel:0" % layer, shape=(n, n), dtype="float32", fillvalue=1.0)
    assert os.path.getsize(path) < 64 * 1024
    tracemalloc.start()
    with pytest.raises(ValueError):
        model.load_weights(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 64 * 2 ** 20, peak
