"""tf.data: pipelines compared element by element with TensorFlow's outputs (tests/reference/data_cases.py,
recorded by make_data_reference.py), the shuffle buffer's semantics, prefetch, cache, and fit / evaluate /
predict on datasets."""
import json
import os
import sys

import numpy as np
import pytest

import tapeflow as tf
from tapeflow import keras

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "reference"))
from data_cases import CASES  # noqa: E402

with open(os.path.join(os.path.dirname(__file__), "reference", "data_reference.json")) as f:
    REF = json.load(f)


def _check(got, want, where):
    if isinstance(want, dict) and "values" not in want:
        assert isinstance(got, dict) and sorted(got) == sorted(want), where
        for k in want:
            _check(got[k], want[k], where + "/" + k)
        return
    if isinstance(want, list):
        assert isinstance(got, (tuple, list)) and len(got) == len(want), where
        for i, (g, w) in enumerate(zip(got, want)):
            _check(g, w, "%s/%d" % (where, i))
        return
    a = np.asarray(got)
    assert a.dtype.name == want["dtype"] and list(a.shape) == want["shape"], \
        "%s: %s %s, TensorFlow %s %s" % (where, a.dtype, a.shape, want["dtype"], want["shape"])
    np.testing.assert_allclose(a.ravel().astype("float64"), np.asarray(want["values"], "float64"), err_msg=where)


@pytest.mark.parametrize("name,source", CASES, ids=[c[0] for c in CASES])
def test_pipeline_matches_tensorflow(name, source):
    ds = eval(source, {"tf": tf, "np": np})
    got = list(ds.as_numpy_iterator())
    want = REF[name]["elements"]
    assert len(got) == len(want), "%d elements, TensorFlow %d" % (len(got), len(want))
    for i, (g, w) in enumerate(zip(got, want)):
        _check(g, w, "%s[%d]" % (name, i))
    assert int(ds.cardinality()) == REF[name]["cardinality"]


def _order(ds):
    return [int(v) for v in ds.as_numpy_iterator()]


@pytest.mark.parametrize("through_python", [False, True])  # the C++ index plan, and the per-element buffer
def test_shuffle_buffer_semantics(through_python):
    base = tf.data.Dataset.range(50)
    if through_python:
        base = base.map(lambda x: x + 0)

    def shuffled(buffer, **kw):
        return _order(base.shuffle(buffer, **kw))
    assert shuffled(1, seed=3) == list(range(50))  # a buffer of one is no shuffle
    for buffer in (2, 7, 50, 1000):
        order = shuffled(buffer, seed=buffer)
        assert sorted(order) == list(range(50))
        # element k enters the buffer when k - buffer + 1 elements have left: it cannot leave before that
        assert all(pos >= k - buffer + 1 for pos, k in enumerate(order))
    assert shuffled(10, seed=5) == shuffled(10, seed=5) != shuffled(10, seed=6)
    ds = base.shuffle(50, seed=1)
    assert _order(ds) != _order(ds)  # reshuffled each iteration
    fixed = base.shuffle(50, seed=1, reshuffle_each_iteration=False)
    assert _order(fixed) == _order(fixed)


def test_shuffle_is_uniform():
    firsts = np.zeros(10)
    ds = tf.data.Dataset.range(10).shuffle(10, seed=0)
    for _ in range(4000):
        firsts[next(iter(ds)).numpy()] += 1
    chi2 = ((firsts - 400) ** 2 / 400).sum()
    assert chi2 < 30, firsts  # 9 degrees of freedom: 30 is beyond the 99.9th percentile


def test_global_seed_makes_shuffles_reproducible():
    orders = []
    for _ in range(2):
        tf.random.set_seed(11)
        orders.append(_order(tf.data.Dataset.range(30).shuffle(30)))
    assert orders[0] == orders[1] != list(range(30))


def test_batches_from_the_index_plan_equal_the_element_path():
    x = np.arange(40, dtype="float32").reshape(20, 2)
    fast = tf.data.Dataset.from_tensor_slices((x, np.arange(20))).repeat(2).skip(3).take(30).batch(7)
    slow = tf.data.Dataset.from_tensor_slices((x, np.arange(20))).map(lambda a, b: (a, b)).repeat(2).skip(3) \
        .take(30).batch(7)
    for (a, b), (c, d) in zip(fast, slow):
        np.testing.assert_array_equal(a.numpy(), c.numpy())
        np.testing.assert_array_equal(b.numpy(), d.numpy())
    assert len(fast) == 5 and len(list(slow)) == 5


def test_prefetch_hands_on_errors_and_cache_runs_the_pipeline_once(tmp_path):
    def boom(x):
        if int(x) == 3:
            raise KeyError("element three")
        return x
    with pytest.raises(KeyError, match="element three"):
        list(tf.data.Dataset.range(5).map(boom).prefetch(2))
    calls = []

    def count(x):
        calls.append(int(x))
        return x * 2
    cached = tf.data.Dataset.range(4).map(count).cache()
    assert _order(cached) == _order(cached) == [0, 2, 4, 6]
    assert calls == [0, 1, 2, 3]
    path = str(tmp_path / "cache")
    _order(tf.data.Dataset.range(4).map(count).cache(path))
    calls.clear()
    again = tf.data.Dataset.range(4).map(count).cache(path)  # a new pipeline: read from the file
    assert _order(again) == [0, 2, 4, 6] and calls == []


def test_lengths_generators_and_errors():
    assert len(tf.data.Dataset.range(10).batch(3)) == 4
    with pytest.raises(TypeError, match="infinite"):
        len(tf.data.Dataset.range(3).repeat())
    with pytest.raises(TypeError, match="unknown"):
        len(tf.data.Dataset.range(3).filter(lambda x: x > 0))
    assert int(tf.data.experimental.cardinality(tf.data.Dataset.range(3).repeat())) == \
        tf.data.experimental.INFINITE_CARDINALITY
    bad = tf.data.Dataset.from_generator(lambda: iter([[1, 2, 3]]),
                                         output_signature=tf.TensorSpec((2,), tf.int32))
    with pytest.raises(TypeError, match="shape"):
        list(bad)
    with pytest.raises(ValueError, match="first dimension"):
        tf.data.Dataset.from_tensor_slices((np.zeros(3), np.zeros(4)))
    with pytest.raises(tf.errors.InvalidArgumentError, match="Cannot batch tensors with different shapes"):
        list(tf.data.Dataset.range(1, 4).map(lambda x: tf.fill([x], x)).batch(2))
    spec = tf.data.Dataset.from_tensor_slices({"a": np.zeros((5, 3), "float32")}).batch(2).element_spec
    assert spec == {"a": tf.TensorSpec((None, 3), tf.float32)}


def _model():
    keras.utils.set_random_seed(2)
    m = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"),
                          keras.layers.Dense(2, activation="softmax")])
    m.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


def test_fit_evaluate_predict_on_a_dataset_equal_the_arrays():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 8)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(32).prefetch(tf.data.AUTOTUNE)
    a, b = _model(), _model()
    ha = a.fit(ds, epochs=3, validation_data=ds, verbose=0).history
    hb = b.fit(x, y, batch_size=32, epochs=3, shuffle=False, validation_data=(x, y), verbose=0).history
    assert ha == hb
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    assert a.evaluate(ds, verbose=0) == b.evaluate(x, y, batch_size=32, verbose=0)
    np.testing.assert_array_equal(a.predict(ds, verbose=0), b.predict(x, batch_size=32, verbose=0))


def test_steps_per_epoch_runs_one_iterator_on_across_epochs():
    x = np.arange(40, dtype="float32").reshape(40, 1)
    seen = []

    def record(a, b):
        seen.append(int(a[0, 0]))
        return a, b
    ds = tf.data.Dataset.from_tensor_slices((x, np.zeros(40, "float32"))).batch(4).map(record).repeat()
    m = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    m.compile("sgd", "mse")
    m.fit(ds, steps_per_epoch=3, epochs=3, verbose=0)
    assert seen[:9] == [0, 4, 8, 12, 16, 20, 24, 28, 32]  # epochs 2 and 3 go on where the last stopped
    with pytest.raises(ValueError, match="infinite dataset"):
        m.fit(ds, epochs=1, verbose=0)


def test_timeseries_shuffle_keeps_windows_and_targets_together_and_split_dataset():
    data = np.arange(50, dtype="float32")
    ds = keras.utils.timeseries_dataset_from_array(data, data * 10, sequence_length=4, batch_size=5, shuffle=True,
                                                   seed=3)
    starts = []
    for windows, targets in ds:
        w, t = windows.numpy(), targets.numpy()
        np.testing.assert_array_equal(w, w[:, :1] + np.arange(4))  # consecutive steps
        np.testing.assert_array_equal(t, w[:, 0] * 10)  # the target of each window's first step
        starts.extend(w[:, 0].astype(int).tolist())
    assert sorted(starts) == list(range(47)) and starts != list(range(47))
    left, right = keras.utils.split_dataset((np.arange(10), np.arange(10) * 2), right_size=3)
    assert [int(a) for a, _ in left] == list(range(7)) and [int(b) for _, b in right] == [14, 16, 18]
    with pytest.raises(ValueError, match="sequence_stride"):
        keras.utils.timeseries_dataset_from_array(data, None, 4, sequence_stride=0)
