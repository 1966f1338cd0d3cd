"""Captured steps: a replayed step gives the eager step's numbers bit for bit, and whatever the capture cannot
reproduce runs eagerly."""
import logging

import numpy as np
import pytest

import tapeflow as tf
from tapeflow import _core, keras
from tapeflow.keras import layers
from tapeflow.keras.engine.capture import MAX_SIGNATURES, Captured, StepCache
from tapeflow.keras.layers.layer import Layer

Layer_call = Layer.__call__  # the eager call, bypassing a model's captured path


def _data(n=200, d=8, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)).astype("float32"), rng.integers(0, classes, size=n)


def _mlp(extra=(), d=8):
    return keras.Sequential([layers.Input((d,)), layers.Dense(16, activation="relu"), *extra,
                             layers.Dense(3, activation="softmax")])


def _twins(build, optimizer, run, **compile_kw):
    """Runs `run(model)` on an eager model and on a capturing one built from the same seed; returns both results."""
    out = []
    for eager in (True, False):
        tf.random.set_seed(7)
        np.random.seed(7)
        model = build()
        opt = optimizer() if callable(optimizer) else optimizer
        model.compile(opt, "sparse_categorical_crossentropy", metrics=["accuracy"], run_eagerly=eager, **compile_kw)
        out.append((model, run(model)))
    return out


def _fit_eval_predict(x, y, epochs=2, batch_size=32):
    def run(model):
        hist = model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0)
        return hist.history, model.evaluate(x, y, verbose=0), model.predict(x, verbose=0), model.get_weights()
    return run


def _assert_same(a, b):
    hist_a, ev_a, pred_a, w_a = a
    hist_b, ev_b, pred_b, w_b = b
    assert hist_a == hist_b
    assert ev_a == ev_b
    np.testing.assert_array_equal(pred_a, pred_b)
    for wa, wb in zip(w_a, w_b):
        np.testing.assert_array_equal(wa, wb)


def _captured(model, kind):
    cache = model._step_caches.get(kind)
    return [] if cache is None else [v for v in cache.plans.values() if isinstance(v, Captured)]


OPTIMIZERS = {
    "sgd": lambda: keras.optimizers.SGD(0.05),
    "momentum": lambda: keras.optimizers.SGD(0.05, momentum=0.9, nesterov=True),
    "adam": lambda: keras.optimizers.Adam(0.01),
    "amsgrad": lambda: keras.optimizers.Adam(0.01, amsgrad=True),
    "rmsprop": lambda: keras.optimizers.RMSprop(0.01),
    "adagrad": lambda: keras.optimizers.Adagrad(0.05),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_replayed_fit_matches_eager_bit_for_bit(name):
    x, y = _data()
    (eager, a), (captured, b) = _twins(_mlp, OPTIMIZERS[name], _fit_eval_predict(x, y))
    _assert_same(a, b)
    assert not _captured(eager, "train")
    plans = _captured(captured, "train")
    assert plans and plans[0].plan.num_kernels > 10
    mem = plans[0].plan.memory()
    if tf.config.list_physical_devices("GPU"):  # GPU steps keep their buffers (the caching allocator reuses them)
        assert mem["planned_buffers"] == 0
    else:
        assert mem["planned_buffers"] > 10 and 0 < mem["arena_bytes"] < mem["buffer_bytes"]
    assert _captured(captured, "test") and _captured(captured, "predict")
    assert int(captured.optimizer.iterations) == 2 * 7


@pytest.mark.parametrize("extra", ["dropout", "batchnorm", "l2"])
def test_replay_with_random_and_stateful_layers(extra):
    x, y = _data(n=160)
    if extra == "dropout":
        build = lambda: _mlp([layers.Dropout(0.4)])  # noqa: E731
    elif extra == "batchnorm":
        build = lambda: _mlp([layers.BatchNormalization()])  # noqa: E731
    else:
        build = lambda: keras.Sequential([layers.Input((8,)),  # noqa: E731
                                          layers.Dense(16, activation="tanh", kernel_regularizer="l2"),
                                          layers.Dense(3, activation="softmax")])
    (_, a), (captured, b) = _twins(build, OPTIMIZERS["adam"], _fit_eval_predict(x, y, epochs=3))
    _assert_same(a, b)
    assert _captured(captured, "train")


def test_dropout_draws_fresh_masks_on_every_replay():
    x = np.ones((32, 8), "float32")
    model = keras.Sequential([layers.Input((8,)), layers.Dropout(0.5)])
    model.compile("sgd", "mse")
    outs = []
    for _ in range(4):  # eager, capture, two replays
        outs.append(np.array(model._run_step("train", (tf.constant(x), tf.constant(0 * x)))["loss"]))
    assert _captured(model, "train")
    assert len({float(o) for o in outs}) == 4


def test_conv_and_lstm_models_replay_exactly():
    rng = np.random.default_rng(1)
    xi = rng.normal(size=(64, 8, 8, 1)).astype("float32")
    xs = rng.normal(size=(64, 5, 3)).astype("float32")
    y = rng.integers(0, 3, size=64)
    conv = lambda: keras.Sequential([layers.Input((8, 8, 1)), layers.Conv2D(4, 3, activation="relu"),  # noqa: E731
                                     layers.MaxPooling2D(), layers.Flatten(), layers.Dense(3, activation="softmax")])
    lstm = lambda: keras.Sequential([layers.Input((5, 3)), layers.LSTM(6),  # noqa: E731
                                     layers.Dense(3, activation="softmax")])
    for build, x in ((conv, xi), (lstm, xs)):
        (_, a), (captured, b) = _twins(build, OPTIMIZERS["rmsprop"], _fit_eval_predict(x, y, batch_size=16))
        _assert_same(a, b)
        assert _captured(captured, "train")


def test_python_steps_run_only_to_capture():
    x, y = _data(n=320)
    model = _mlp()
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    cache = model._step_caches["train"]
    calls = []
    real_run = cache.run
    cache.run = lambda fn, batch, variables, *rest: real_run(lambda b: (calls.append(1), fn(b))[1], batch, variables,
                                                            *rest)
    hist = model.fit(x, y, batch_size=32, epochs=2, verbose=0)
    # 20 steps, all replayed by the C++ loop: the metrics' reset writes their variables in place.
    assert calls == []
    assert hist.history["loss"][1] < hist.history["loss"][0]
    kernel = model.layers[1].kernel
    before = kernel.numpy()
    # Only the plan's kernels share the kernel's storage (its gradient rule's saved copy): assigned in place, the
    # plan stays valid and replays from the assigned values.
    kernel.assign(before * 0.5)
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    assert calls == []
    np.testing.assert_allclose(kernel.numpy(), before * 0.5, atol=0.02)
    assert np.abs(before * 0.5 - before).max() > 0.1
    held = kernel.value()  # someone else holds the value: the next step copies on write
    kept = held.numpy()
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    assert len(calls) == 2  # one eager step, captured again, then replayed
    np.testing.assert_array_equal(held.numpy(), kept)


def test_evaluate_and_validation_loop_in_cpp(monkeypatch):
    """evaluate, and fit's validation, run Python for the first two batches (build, capture) and C++ for the rest;
    their results equal eager evaluation's. A test batch hook brings back the Python loop."""
    x, y = _data(n=330)  # 10 full batches of 32 and a partial one
    model = _mlp()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    calls = []  # the step kinds whose Python code ran
    real = StepCache.run
    monkeypatch.setattr(StepCache, "run", lambda self, fn, batch, variables, *rest: real(
        self, lambda b: (self.kind == "call" or calls.append(self.kind), fn(b))[1], batch, variables, *rest))
    hist = model.fit(x, y, batch_size=32, epochs=1, verbose=0, validation_data=(x, y))
    # each: the first batch builds, the second is captured, the partial batch runs eagerly (its first sighting)
    assert calls == ["train"] * 3 + ["test"] * 3
    calls.clear()
    model.evaluate(x, y, batch_size=32, verbose=0)
    assert calls == ["test"]  # the partial batch's capture
    calls.clear()
    got = model.evaluate(x, y, batch_size=32, verbose=0)
    assert calls == []
    eager = _mlp()
    eager.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"], run_eagerly=True)
    eager.set_weights(model.get_weights())
    assert got == eager.evaluate(x, y, batch_size=32, verbose=0)
    assert hist.history["val_loss"][-1] == got[0]

    class TestBatches(keras.callbacks.Callback):
        def on_test_batch_end(self, batch, logs=None):
            calls.append(batch)
    assert model.evaluate(x, y, batch_size=32, verbose=0, callbacks=[TestBatches()]) == got
    assert calls == list(range(11))  # every batch back in Python, each replayed


def test_generator_and_pydataset_steps_are_captured(monkeypatch):
    """Batches from a generator or a PyDataset are captured and replayed like array batches (their NumPy arrays
    become tensors of their own dtype first), with the eager results bit for bit."""
    x, y = _data(n=320)

    class Batches(keras.utils.PyDataset):
        def __len__(self):
            return 10

        def __getitem__(self, i):
            return x[i * 32:(i + 1) * 32].astype("float64"), y[i * 32:(i + 1) * 32]

    def gen():
        while True:
            for i in range(10):
                yield x[i * 32:(i + 1) * 32], y[i * 32:(i + 1) * 32]

    def run(model):
        h1 = model.fit(Batches(), epochs=2, verbose=0)
        h2 = model.fit(gen(), steps_per_epoch=10, epochs=1, verbose=0)
        return h1.history, h2.history, model.evaluate(gen(), steps=10, verbose=0), \
            model.predict(Batches(), verbose=0), model.get_weights()
    (_, eager), (model, captured) = _twins(_mlp, "adam", run)
    assert eager[:3] == captured[:3]
    np.testing.assert_array_equal(eager[3], captured[3])
    for a, b in zip(eager[4], captured[4]):
        np.testing.assert_array_equal(a, b)
    # float64 and float32 batches are two signatures; each was captured
    assert len(_captured(model, "train")) == 2 and len(_captured(model, "test")) == 1
    calls = []
    real = StepCache.run
    monkeypatch.setattr(StepCache, "run", lambda self, fn, batch, variables, *rest: real(
        self, lambda b: (calls.append(self.kind), fn(b))[1], batch, variables, *rest))
    model.fit(gen(), steps_per_epoch=10, epochs=1, verbose=0)
    assert calls == []


def test_run_eagerly_and_overridden_steps_are_not_captured():
    x, y = _data(n=128)
    for setup in ("run_eagerly", "config", "override"):
        model = _mlp()
        model.compile("sgd", "sparse_categorical_crossentropy", run_eagerly=setup == "run_eagerly")
        calls = []
        if setup == "override":
            base = model.train_step
            model.train_step = lambda data: (calls.append(1), base(data))[1]
        if setup == "config":
            tf.config.run_functions_eagerly(True)
        try:
            model.fit(x, y, batch_size=32, epochs=2, verbose=0)
            model.predict(x, verbose=0)
        finally:
            tf.config.run_functions_eagerly(False)
        assert not _captured(model, "train")
        assert bool(_captured(model, "predict")) == (setup == "override")
        if setup == "override":
            assert len(calls) == 8


def test_a_step_that_reads_values_falls_back_once(caplog):
    class Peeking(layers.Layer):
        def call(self, inputs):
            if float(tf.reduce_sum(inputs)) > 1e9:  # data-dependent Python control flow
                return inputs * 0.0
            return inputs

    x, y = _data(n=128)
    build = lambda: _mlp([Peeking()])  # noqa: E731
    with caplog.at_level(logging.WARNING, logger="tapeflow"):
        (_, a), (captured, b) = _twins(build, OPTIMIZERS["sgd"], _fit_eval_predict(x, y))
    _assert_same(a, b)
    assert not _captured(captured, "train")
    assert "reads a computed value" in captured._step_caches["train"].off
    messages = [r.getMessage() for r in caplog.records if "runs eagerly" in r.getMessage()]
    assert len([m for m in messages if "train step" in m]) == 1


def test_python_state_between_steps_falls_back():
    x = np.random.default_rng(0).normal(size=(64, 4, 3)).astype("float32")
    y = np.random.default_rng(1).integers(0, 3, size=64)
    build = lambda: keras.Sequential([layers.Input((4, 3), batch_size=16),  # noqa: E731
                                      layers.LSTM(5, stateful=True), layers.Dense(3, activation="softmax")])
    def run(model):
        hist = model.fit(x, y, batch_size=16, epochs=2, verbose=0, shuffle=False)
        return hist.history, model.predict(x, batch_size=16, verbose=0), model.get_weights()
    (_, a), (captured, b) = _twins(build, OPTIMIZERS["sgd"], run)
    assert a[0] == b[0]
    np.testing.assert_array_equal(a[1], b[1])
    for u, v in zip(a[2], b[2]):
        np.testing.assert_array_equal(u, v)
    assert "stateful RNN" in captured._step_caches["train"].off
    computed = tf.constant([1.0, 2.0]) * 2.0  # computed outside the step: neither a variable nor an input
    _core._begin_capture()
    computed + 1.0
    assert "computed before the step" in _core._end_capture().failure


def test_optimizers_that_compute_in_python_fall_back():
    x, y = _data(n=128)
    (_, a), (captured, b) = _twins(_mlp, lambda: keras.optimizers.Nadam(0.01), _fit_eval_predict(x, y))
    _assert_same(a, b)
    assert captured._step_caches["train"].off is not None
    (_, a), (captured, b) = _twins(_mlp, lambda: keras.optimizers.AdamW(0.01), _fit_eval_predict(x, y))
    _assert_same(a, b)


def test_learning_rate_changes_reach_the_replayed_step():
    x, y = _data(n=128)

    def run(model):
        model.fit(x, y, batch_size=32, epochs=1, verbose=0)
        model.optimizer.learning_rate = 0.5
        model.fit(x, y, batch_size=32, epochs=1, verbose=0)
        return model.get_weights()
    (_, a), (_, b) = _twins(_mlp, OPTIMIZERS["adam"], run)
    for wa, wb in zip(a, b):
        np.testing.assert_array_equal(wa, wb)


def test_a_held_value_of_a_variable_keeps_its_numbers():
    x, y = _data(n=128)
    model = _mlp()
    model.compile("sgd", "sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=32, epochs=2, verbose=0)
    kernel = model.layers[0].kernel
    held = kernel.value()
    before = np.array(held).copy()
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    np.testing.assert_array_equal(np.array(held), before)
    assert not np.array_equal(np.array(kernel), before)


def test_a_value_read_before_the_capture_keeps_its_numbers():
    x, y = _data(n=128)
    model = _mlp()
    model.compile("sgd", "sparse_categorical_crossentropy")
    held = {}

    class Hold(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 0:  # after the eager step, before the captured one
                held["value"] = self.model.layers[0].kernel.value()
                held["numbers"] = np.array(held["value"]).copy()
    model.fit(x, y, batch_size=32, epochs=1, verbose=0, callbacks=[Hold()])
    assert _captured(model, "train")
    np.testing.assert_array_equal(np.array(held["value"]), held["numbers"])


def test_assigned_weights_reach_a_captured_predict():
    x, _ = _data(n=4)
    model = _mlp()
    for _ in range(3):
        model.predict(x, verbose=0)
    assert model._predict_arrays
    kernel = model.layers[0].kernel
    kernel.assign(np.zeros(kernel.shape, "float32"))
    expected = np.array(model(tf.constant(x), training=False))
    np.testing.assert_array_equal(model.predict(x, verbose=0), expected)
    np.testing.assert_allclose(expected, np.array(model(tf.constant(x))), rtol=0)


def test_single_sample_predict_path():
    x, y = _data(n=96)
    model = _mlp()
    model.compile("adam", "sparse_categorical_crossentropy")
    one = x[:1]
    first = [model.predict(one, verbose=0) for _ in range(3)]
    assert model._predict_arrays
    for f in first:
        np.testing.assert_array_equal(f, np.array(model(tf.constant(one), training=False)))
    model.fit(x, y, epochs=1, verbose=0)
    after = model.predict(one, verbose=0)
    np.testing.assert_array_equal(after, np.array(model(tf.constant(one), training=False)))
    assert not np.array_equal(after, first[0])
    out = model.predict(one, verbose=0)
    out[0, 0] = 123.0  # the caller owns the returned array: the next call is unaffected
    assert model.predict(one, verbose=0)[0, 0] != 123.0
    with pytest.raises(ValueError):
        model.predict(np.ones((1, 5), "float32"), verbose=0)


def test_model_call_replays_with_fresh_outputs():
    x, y = _data(n=64)
    model = _mlp([layers.Dropout(0.5)])
    model.compile("adam", "sparse_categorical_crossentropy")
    xs = tf.constant(x[:4])
    outs = [model(xs) for _ in range(4)]  # eager, capture, replays
    assert _captured(model, "call")
    eager = np.array(Layer_call(model, xs))
    for o in outs:  # each call's tensor keeps its values (the replays write into the plan's own buffers)
        np.testing.assert_array_equal(np.array(o), eager)
    np.testing.assert_array_equal(np.array(model(x[:4])), eager)  # a float32 NumPy array takes the same path
    model.fit(x, y, epochs=1, verbose=0)
    after = model(xs)
    np.testing.assert_array_equal(np.array(after), np.array(Layer_call(model, xs)))
    assert not np.array_equal(np.array(after), eager)
    with tf.GradientTape() as tape:  # under a tape: eager, differentiable
        loss = tf.reduce_sum(model(xs))
    assert all(g is not None for g in tape.gradient(loss, model.trainable_variables))
    assert not np.array_equal(np.array(model(xs, training=True)), np.array(after))  # dropout active: eager


def test_model_call_with_user_layers_stays_eager():
    class Twice(layers.Layer):
        calls = 0

        def call(self, inputs):
            Twice.calls += 1  # a Python side effect on every call
            return inputs * 2.0

    model = _mlp([Twice()])
    xs = tf.constant(_data(n=4)[0])
    for _ in range(4):
        model(xs)
    assert Twice.calls >= 4
    assert not _captured(model, "call")


def test_threads_replaying_one_plan_take_turns():
    import threading
    model = _mlp()
    rows = [np.full((1, 8), v, "float32") for v in (-1.0, 0.5)]
    expected = [np.array(Layer_call(model, tf.constant(r))) for r in rows]
    for _ in range(3):
        model.predict(rows[0], verbose=0)
    errors = []

    def work(i):
        for _ in range(300):
            if not np.array_equal(model.predict(rows[i], verbose=0), expected[i]):
                errors.append(i)
    threads = [threading.Thread(target=work, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_signature_cache_is_bounded_and_partial_batches_work():
    x, y = _data(n=100)
    model = _mlp()
    model.compile("sgd", "sparse_categorical_crossentropy")
    for n in range(1, 2 * MAX_SIGNATURES + 2):
        for _ in range(2):
            np.testing.assert_allclose(model.predict(x[:n], verbose=0),
                                       np.array(model(tf.constant(x[:n]), training=False)), rtol=1e-6)
    assert len(model._step_caches["predict"].plans) <= MAX_SIGNATURES
    assert len(model._predict_arrays) <= MAX_SIGNATURES
    hist = model.fit(x, y, batch_size=32, epochs=3, verbose=0)  # 3 full batches and one of 4 per epoch
    assert len(hist.history["loss"]) == 3


def test_progress_bar_and_callbacks_with_captured_fit(capsys):
    x, y = _data(n=256)
    model = _mlp()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    seen = []

    class Batches(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append((batch, logs["loss"]))
            if batch == 4:
                self.model.stop_training = True

    model.fit(x, y, batch_size=32, epochs=2, verbose=1)
    out = capsys.readouterr().out
    assert "8/8" in out and "accuracy" in out
    model.fit(x, y, batch_size=32, epochs=3, verbose=0, callbacks=[Batches()])
    assert [b for b, _ in seen] == [0, 1, 2, 3, 4]
    assert all(np.isfinite(v) for _, v in seen)


def _misaligned(a):
    """A copy of `a` whose data starts 4 bytes past a 64-byte boundary."""
    raw = np.empty(a.nbytes + 128, np.uint8)
    start = (-raw.ctypes.data) % 64 + 4
    out = raw[start:start + a.nbytes].view(a.dtype).reshape(a.shape)
    out[...] = a
    return out


def test_fit_reads_arrays_without_a_copy():
    x, y = _data(n=96)
    xa = _misaligned(x)
    view = _core._array_view(xa)
    assert view is not None and np.shares_memory(np.asarray(view), xa)
    assert _core._array_view(xa[:, ::2]) is None  # not contiguous
    assert _core._array_view(x.astype(np.float16)) is None  # not a dtype it views
    assert _core._array_view(_misaligned(x.astype(np.float64))) is None  # float64 not on an 8-byte boundary
    del xa
    np.testing.assert_array_equal(np.asarray(view), x)  # the view keeps the array alive
    (_, a), (_, b) = _twins(_mlp, OPTIMIZERS["adam"], _fit_eval_predict(_misaligned(x), y))
    (_, c), _ = _twins(_mlp, OPTIMIZERS["adam"], _fit_eval_predict(x, y))
    _assert_same(a, b)
    _assert_same(a, c)


def test_plan_primitives():
    a = _core._buffer_copy(tf.constant([1.0, 2.0, 3.0]))
    w = tf.Variable([2.0, 2.0, 2.0])
    _core._begin_capture()
    with pytest.raises(RuntimeError):
        _core._begin_capture()
    y = a * w + 1.0
    w.assign_add(y)
    plan = _core._end_capture([a])
    assert plan.failure is None and plan.valid() and plan.num_kernels == 3
    np.testing.assert_array_equal(np.array(w), [5.0, 7.0, 9.0])
    plan.run([a], [tf.constant([0.0, 1.0, 0.0])])
    np.testing.assert_array_equal(np.array(y), [1.0, 8.0, 1.0])
    np.testing.assert_array_equal(np.array(w), [6.0, 15.0, 10.0])
    with pytest.raises(ValueError):
        plan.run([a], [tf.constant([1.0, 2.0])])
    with pytest.raises(TypeError):
        plan.run([a], [tf.constant([1, 2, 3])])
    with pytest.raises(RuntimeError):
        _core._end_capture()


@pytest.mark.usefixtures("on_cpu")
def test_memory_planning_shares_buffers_by_lifetime():
    x = _core._buffer_copy(tf.constant(np.linspace(-1, 1, 4096, dtype="float32")))
    _core._begin_capture()
    h = x
    for _ in range(6):  # a chain: each intermediate dies after the next op (ops that are not fused)
        h = tf.math.log1p(tf.nn.softplus(h))
    out = tf.reduce_sum(h * h)
    plan = _core._end_capture([x])
    plan.plan_memory([out])
    mem = plan.memory()
    assert mem["planned_buffers"] >= 12
    assert mem["arena_bytes"] <= 3 * 4096 * 4 < mem["buffer_bytes"]

    def reference(v):
        for _ in range(6):
            v = np.log1p(np.logaddexp(0, v))
        return np.sum(v * v, dtype=np.float64)
    for seed in range(3):
        v = np.random.default_rng(seed).normal(size=4096).astype("float32")
        plan.run([x], [tf.constant(v)])
        np.testing.assert_allclose(float(out), reference(v), rtol=1e-5)


def _capture_and_fuse(step, inputs):
    """Captures step(*buffers) over buffers holding `inputs`, then plans its memory (which fuses elementwise chains).
    Returns the plan, its kernel count before fusion, the buffers and the step's result."""
    bufs = [_core._buffer_copy(tf.constant(v)) for v in inputs]
    _core._begin_capture()
    try:
        out = step(*bufs)
    finally:
        plan = _core._end_capture(bufs)
    before = plan.num_kernels
    plan.plan_memory([out])
    return plan, before, bufs, out


@pytest.mark.usefixtures("on_cpu")
def test_elementwise_chains_fuse_and_keep_the_eager_bits():
    """Every map the fused programs run, scalar operands, an intermediate read twice by one map, and a size that
    spans several tiles and several threads' shares: one fused kernel per chain, bit for bit the eager values."""
    def step(x, y):
        a = tf.sqrt(tf.abs(x * 2.0 - y) + 1.0)
        b = tf.maximum(tf.exp(-tf.square(x)), tf.minimum(y, 0.5))
        c = tf.math.log(tf.sigmoid(y) + 1.0) / tf.math.reciprocal(tf.tanh(x) + 2.0)
        h = tf.nn.relu(a - b)
        return h * h + c

    rng = np.random.default_rng(5)
    data = [[rng.normal(size=10_007).astype("float32") for _ in range(2)] for _ in range(3)]
    plan, before, bufs, out = _capture_and_fuse(step, data[0])
    names = [where for where, _ in plan.profile(1)]
    assert before == 21 and plan.num_kernels == len(names) <= 4 and set(names) == {"fused_elementwise"}
    np.testing.assert_array_equal(np.array(out), step(*map(tf.constant, data[0])).numpy())
    for x, y in data[1:]:
        plan.run(bufs, [tf.constant(x), tf.constant(y)])
        np.testing.assert_array_equal(np.array(out), step(tf.constant(x), tf.constant(y)).numpy())


@pytest.mark.usefixtures("on_cpu")
def test_gradient_chains_fuse_and_keep_the_eager_bits():
    """tanh's and sigmoid's gradients (g * (1 - y * y), g * (y * (1 - y))) and relu's mask fold into few kernels."""
    w = tf.Variable(np.random.default_rng(6).normal(size=(64, 33)).astype("float32"))

    def step(x):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.tanh(x * w) * tf.sigmoid(x - w) + tf.nn.relu(x + w))
        return tape.gradient(loss, w)

    xs = [np.random.default_rng(s).normal(size=(64, 33)).astype("float32") for s in range(3)]
    plan, before, bufs, grad = _capture_and_fuse(step, xs[:1])
    assert plan.num_kernels < before and "fused_elementwise" in [where for where, _ in plan.profile(1)]
    for x in xs:
        plan.run(bufs, [tf.constant(x)])
        np.testing.assert_array_equal(np.array(grad), step(tf.constant(x)).numpy())


def test_fusion_leaves_results_shared_values_and_inputs_written_in_between():
    v = tf.Variable(np.arange(8, dtype="float32"))

    def step(x):
        a = v * 2.0  # reads v, which is written in place before a's consumer runs
        v.assign_add(x)
        b = a + 1.0
        shared = tf.exp(x)  # read by two maps
        kept = tf.sqrt(x)  # a result of the step
        return b, shared + 1.0, shared * 3.0, kept, kept + 2.0

    x = np.linspace(0.5, 2.0, 8).astype("float32")
    buf = _core._buffer_copy(tf.constant(x))
    _core._begin_capture()
    outs = step(buf)
    plan = _core._end_capture([buf])
    before = plan.num_kernels
    plan.plan_memory(list(outs))
    assert plan.num_kernels == before and "fused_elementwise" not in [where for where, _ in plan.profile(1)]
    v_before = np.array(v).copy()  # profile(1) ran the step once more
    plan.run([buf], [tf.constant(x)])
    np.testing.assert_array_equal(np.array(outs[0]), v_before * np.float32(2) + np.float32(1))
    np.testing.assert_array_equal(np.array(v), v_before + x)


def test_plan_failures_and_staleness():
    v = tf.Variable([1.0, 2.0])
    _core._begin_capture()
    float(tf.reduce_sum(v * 2.0))
    plan = _core._end_capture()
    assert "item" in plan.failure and not plan.valid() and plan.num_kernels == 0
    with pytest.raises(RuntimeError, match="cannot be replayed"):
        plan.run()
    _core._begin_capture()
    tf.Variable(1.0)
    assert "variable is created" in _core._end_capture().failure
    _core._begin_capture()
    float(tf.constant(3.0))  # a constant from the host may be read
    u = v * 3.0
    plan = _core._end_capture()
    assert plan.failure is None and plan.valid()
    held = v.value() if hasattr(v, "value") else v[:]
    v.assign([5.0, 5.0])  # the view the plan holds makes the variable move: the plan is stale
    del held, u
    assert not plan.valid()


def test_random_ops_draw_a_new_key_per_replay():
    _core._begin_capture()
    r = tf.random.uniform([64])
    plan = _core._end_capture()
    first = np.array(r).copy()
    plan.run()
    assert not np.array_equal(first, np.array(r))
    tf.random.set_seed(3)
    eager = [np.array(tf.random.uniform([64])) for _ in range(3)]
    tf.random.set_seed(3)
    _core._begin_capture()
    r = tf.random.uniform([64])
    plan = _core._end_capture()
    replayed = [np.array(r).copy()]
    for _ in range(2):
        plan.run()
        replayed.append(np.array(r).copy())
    for e, p in zip(eager, replayed):
        np.testing.assert_array_equal(e, p)


def test_run_batches_checks_its_arguments():
    x, y = _data(n=64)
    model = _mlp()
    model.compile("sgd", "sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=32, epochs=2, verbose=0)
    entry = _captured(model, "train")[0]
    xs, ys = tf.constant(x), tf.constant(y)
    with pytest.raises(ValueError):
        entry.plan.run_batches([xs, ys], entry.buffers, None, 0, 3, 32)  # past the end
    with pytest.raises(ValueError):
        entry.plan.run_batches([xs[:, :4], ys], entry.buffers, None, 0, 1, 32)
    with pytest.raises(IndexError):
        entry.plan.run_batches([xs, ys], entry.buffers, tf.constant(np.full(64, 99, "int64")), 0, 1, 32)
    assert entry.plan.run_batches([xs, ys], entry.buffers, None, 0, 2, 32) == 2


def test_threads_calling_one_model_each_get_their_own_outputs():
    """A served model is called from many threads: each call's outputs are its own (the replayed plan's results
    are copied under its lock), for model(x), predict on one batch, predict on several and non-float32 outputs."""
    import threading
    model = keras.Sequential([layers.Input((8,)), layers.Dense(16, activation="relu"), layers.Dense(4)])
    int_model = keras.Sequential([layers.Input((8,)), layers.Dense(4), layers.Lambda(lambda t: tf.cast(t > 0, "int32"))])
    xs = [np.random.default_rng(i).normal(size=(4 + 30 * (i % 2), 8)).astype("float32") for i in range(4)]
    calls = [lambda x: model(x).numpy(), lambda x: model.predict(x, verbose=0),
             lambda x: model.predict(x, batch_size=3, verbose=0), lambda x: int_model.predict(x, verbose=0)]
    expected = [[call(x) for x in xs] for call in calls]
    wrong = []

    def work(i):
        for _ in range(150):
            for call, want in zip(calls, expected):
                if not np.array_equal(call(xs[i]), want[i]):
                    wrong.append(i)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(xs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not wrong
