"""Callbacks: every hook, EarlyStopping, ModelCheckpoint, LearningRateScheduler, ReduceLROnPlateau,
CSVLogger, TerminateOnNaN, LambdaCallback, BackupAndRestore and TensorBoard."""
import csv
import os

import numpy as np
import pytest

from tapeflow import keras

RNG = np.random.default_rng(1)
X = RNG.normal(size=(40, 4)).astype("float32")
Y = (X.sum(axis=1) > 0).astype("int64")


def model(lr=0.01, optimizer=None):
    keras.utils.set_random_seed(3)
    m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(6, activation="relu"),
                          keras.layers.Dense(2, activation="softmax")])
    m.compile(optimizer or keras.optimizers.SGD(lr), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


class Hooks(keras.callbacks.Callback):
    """Overrides every hook (so the per-batch ones are called too) and records the calls."""

    def __init__(self):
        super().__init__()
        self.calls = []


def _recorder(hook):
    def record(self, *args):
        self.calls.append((hook,) + tuple(a for a in args if not isinstance(a, dict) and a is not None))
        if args and isinstance(args[-1], dict):
            self.calls.append(("logs", sorted(args[-1])))
    return record


for _hook in [h for h in dir(keras.callbacks.Callback) if h.startswith("on_")]:
    setattr(Hooks, _hook, _recorder(_hook))


def test_every_hook_is_called_in_order_with_logs():
    m, cb = model(), Hooks()
    m.fit(X, Y, batch_size=20, epochs=2, validation_data=(X, Y), callbacks=[cb], verbose=0)
    names = [c[0] for c in cb.calls if c[0] != "logs"]
    assert names[0] == "on_train_begin" and names[-1] == "on_train_end"
    assert names.count("on_epoch_begin") == names.count("on_epoch_end") == 2
    assert names.count("on_train_batch_begin") == names.count("on_train_batch_end") == 4
    assert names.count("on_test_batch_end") == 4  # validation: 2 batches, 2 epochs
    epoch_logs = [cb.calls[i + 1][1] for i, c in enumerate(cb.calls) if c == ("on_epoch_end", 1)]
    assert epoch_logs == [["accuracy", "loss", "val_accuracy", "val_loss"]]
    assert cb.model is m and cb.params["epochs"] == 2 and cb.params["steps"] == 2
    cb.calls = []
    m.evaluate(X, Y, batch_size=20, callbacks=[cb], verbose=0)
    m.predict(X, batch_size=20, callbacks=[cb], verbose=0)
    names = [c[0] for c in cb.calls if c[0] != "logs"]
    assert names == ["on_test_begin"] + ["on_test_batch_begin", "on_test_batch_end"] * 2 + ["on_test_end"] + \
        ["on_predict_begin"] + ["on_predict_batch_begin", "on_predict_batch_end"] * 2 + ["on_predict_end"]


def test_legacy_batch_aliases_and_stop_training():
    seen = []

    class Legacy(keras.callbacks.Callback):
        def on_batch_end(self, batch, logs=None):
            seen.append(batch)
            if batch == 2:
                self.model.stop_training = True
    h = model().fit(X, Y, batch_size=4, epochs=5, callbacks=[Legacy()], verbose=0)
    assert seen == [0, 1, 2] and len(h.history["loss"]) == 1


def test_early_stopping_patience_and_restore_at_the_end():
    losses = iter([1.0, 0.5, 0.6, 0.7, 0.8, 0.9])

    class Fake(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["val_fake"] = next(losses)
            self.model.layers[0].kernel.assign(np.full((4, 6), epoch, "float32"))
    es = keras.callbacks.EarlyStopping(monitor="val_fake", patience=2, restore_best_weights=True)
    m = model()
    h = m.fit(X, Y, epochs=6, callbacks=[Fake(), es], verbose=0)
    assert len(h.history["loss"]) == 4 and es.stopped_epoch == 3 and es.best == 0.5 and es.best_epoch == 1
    np.testing.assert_array_equal(m.layers[0].kernel.numpy(), np.full((4, 6), 1.0))


def test_early_stopping_restores_when_epochs_run_out_and_honours_modes():
    m = model(lr=0.0)  # nothing changes: the first epoch stays the best
    es = keras.callbacks.EarlyStopping(monitor="loss", patience=10, restore_best_weights=True)
    before = m.get_weights()
    # Unshuffled: the epoch's mean loss is then summed in the same order each epoch, to the same bits.
    m.fit(X, Y, epochs=3, verbose=0, callbacks=[es], shuffle=False)
    assert es.stopped_epoch == 0 and es.best_epoch == 0
    for a, b in zip(before, m.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert keras.callbacks.EarlyStopping(monitor="val_accuracy").monitor_op is np.greater
    assert keras.callbacks.EarlyStopping(monitor="val_loss").monitor_op is np.less
    assert keras.callbacks.EarlyStopping(monitor="val_loss", mode="max").monitor_op is np.greater


def test_early_stopping_baseline_and_start_from_epoch():
    m = model(lr=0.0)
    es = keras.callbacks.EarlyStopping(monitor="loss", patience=2, baseline=0.0)  # never reached
    h = m.fit(X, Y, epochs=10, verbose=0, callbacks=[es], shuffle=False)  # the same loss, bit for bit, each epoch
    assert len(h.history["loss"]) == 2
    es = keras.callbacks.EarlyStopping(monitor="loss", patience=0, start_from_epoch=3)
    h = model(lr=0.0).fit(X, Y, epochs=10, verbose=0, callbacks=[es], shuffle=False)
    assert len(h.history["loss"]) == 5  # epoch 3 sets the best, epoch 4 does not improve


def test_model_checkpoint_formats_and_best_only(tmp_path, capsys):
    m = model()
    pattern = str(tmp_path / "m-{epoch:02d}-{val_loss:.2f}.keras")
    m.fit(X, Y, epochs=2, validation_data=(X, Y), verbose=0,
          callbacks=[keras.callbacks.ModelCheckpoint(pattern, verbose=1)])
    files = sorted(os.listdir(str(tmp_path)))
    assert len(files) == 2 and files[0].startswith("m-01-0.") and files[1].startswith("m-02-")
    assert "Epoch 2: saving model to" in capsys.readouterr().out
    loaded = keras.models.load_model(str(tmp_path / files[1]))
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), m.predict(X, verbose=0))

    values = iter([3.0, 1.0, 2.0])

    class Fake(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["val_fake"] = next(values)
    best = str(tmp_path / "best.weights.h5")
    ck = keras.callbacks.ModelCheckpoint(best, monitor="val_fake", save_best_only=True, save_weights_only=True,
                                         verbose=1)
    m.fit(X, Y, epochs=3, verbose=0, callbacks=[Fake(), ck])
    out = capsys.readouterr().out
    assert "val_fake improved from None to 3.00000" in out and "val_fake improved from 3.00000 to 1.00000" in out
    assert "val_fake did not improve from 1.00000" in out
    assert ck.best == 1.0 and os.path.exists(best)
    # a first value of NaN is still the first best: the model is written (Keras 3 does)
    nan_path = str(tmp_path / "nan.weights.h5")
    values = iter([float("nan")])
    m.fit(X, Y, epochs=1, verbose=0, callbacks=[Fake(), keras.callbacks.ModelCheckpoint(
        nan_path, monitor="val_fake", save_best_only=True, save_weights_only=True)])
    assert os.path.exists(nan_path)


def test_model_checkpoint_batch_frequency_and_bad_paths(tmp_path):
    m = model()
    m.fit(X, Y, batch_size=10, epochs=1, verbose=0,
          callbacks=[keras.callbacks.ModelCheckpoint(str(tmp_path / "b{batch}.h5"), save_freq=2)])
    assert sorted(os.listdir(str(tmp_path))) == ["b2.h5", "b4.h5"]
    with pytest.raises(ValueError, match="weights.h5"):
        keras.callbacks.ModelCheckpoint(str(tmp_path / "w.keras"), save_weights_only=True)
    with pytest.raises(ValueError, match=".keras"):
        keras.callbacks.ModelCheckpoint(str(tmp_path / "w.pt"))


def test_learning_rate_scheduler_and_reduce_on_plateau(capsys):
    m = model(lr=0.1)
    h = m.fit(X, Y, epochs=3, verbose=0, callbacks=[keras.callbacks.LearningRateScheduler(
        lambda epoch, lr: lr * 0.5, verbose=1)])
    np.testing.assert_allclose(h.history["learning_rate"], [0.05, 0.025, 0.0125], rtol=1e-6)
    assert "LearningRateScheduler setting learning rate to 0.05" in capsys.readouterr().out
    m = model(lr=0.1)
    h = m.fit(X, Y, epochs=2, verbose=0, callbacks=[keras.callbacks.LearningRateScheduler(lambda e: 0.3 + e)])
    np.testing.assert_allclose(h.history["learning_rate"], [0.3, 1.3], rtol=1e-6)

    values = iter([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5])

    class Fake(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["val_fake"] = next(values)
    m = model(lr=1.0)
    rl = keras.callbacks.ReduceLROnPlateau(monitor="val_fake", factor=0.5, patience=1, cooldown=1, min_lr=0.2,
                                           verbose=1)
    h = m.fit(X, Y, epochs=7, verbose=0, callbacks=[Fake(), rl])
    # The logged rate is the one the epoch ran with. No improvement from epoch 1: reduce there (to 0.5);
    # the cooldown epoch 2 counts down and, as in Keras, its wait counts already: reduce (0.25); epoch 3 again
    # (to the floor 0.2); then the floor holds.
    np.testing.assert_allclose(h.history["learning_rate"], [1.0, 1.0, 0.5, 0.25, 0.2, 0.2, 0.2], rtol=1e-6)
    assert "ReduceLROnPlateau reducing learning rate to 0.5." in capsys.readouterr().out
    with pytest.raises(ValueError, match="factor"):
        keras.callbacks.ReduceLROnPlateau(factor=1.5)


def test_csv_logger_writes_and_appends(tmp_path):
    path = str(tmp_path / "log.csv")
    m = model()
    h = m.fit(X, Y, epochs=2, validation_data=(X, Y), verbose=0, callbacks=[keras.callbacks.CSVLogger(path)])
    m.fit(X, Y, epochs=1, validation_data=(X, Y), verbose=0,
          callbacks=[keras.callbacks.CSVLogger(path, separator=";", append=True)])
    lines = open(path).read().splitlines()
    assert lines[0] == "epoch,accuracy,loss,val_accuracy,val_loss" and len(lines) == 4
    rows = list(csv.DictReader(lines[:3]))
    np.testing.assert_allclose([float(r["loss"]) for r in rows], h.history["loss"], rtol=1e-6)
    assert lines[3].startswith("0;")


def test_terminate_on_nan(capsys):
    m = model()
    x = X.copy()
    x[8:] = np.nan
    h = m.fit(x, Y, batch_size=4, epochs=3, shuffle=False, verbose=0, callbacks=[keras.callbacks.TerminateOnNaN()])
    assert "Batch 2: Invalid loss, terminating training" in capsys.readouterr().out
    assert len(h.history["loss"]) == 1


def test_lambda_callback():
    seen = []
    cb = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(("epoch", epoch)),
                                        on_train_batch_end=lambda batch, logs: seen.append(("batch", batch)),
                                        on_train_end=lambda logs: seen.append("end"))
    model().fit(X, Y, batch_size=20, epochs=2, verbose=0, callbacks=[cb])
    assert seen == [("batch", 0), ("batch", 1), ("epoch", 0), ("batch", 0), ("batch", 1), ("epoch", 1), "end"]
    with pytest.raises(TypeError):
        keras.callbacks.LambdaCallback(on_nothing=print)


class Crash(keras.callbacks.Callback):
    def __init__(self, at_epoch):
        super().__init__()
        self.at_epoch = at_epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.at_epoch:
            raise RuntimeError("simulated crash")


def test_backup_and_restore_resumes_exactly(tmp_path):
    backup = str(tmp_path / "backup")
    reference = model(optimizer=keras.optimizers.Adam(0.01))
    want = reference.fit(X, Y, batch_size=8, epochs=5, shuffle=False, verbose=0).history

    m = model(optimizer=keras.optimizers.Adam(0.01))
    with pytest.raises(RuntimeError, match="simulated crash"):
        m.fit(X, Y, batch_size=8, epochs=5, shuffle=False, verbose=0,
              callbacks=[keras.callbacks.BackupAndRestore(backup), Crash(3)])
    assert os.listdir(backup) == ["backup.h5"]  # one file: weights, optimizer, position and random states

    resumed = model(optimizer=keras.optimizers.Adam(0.01))  # a fresh process: new weights, new optimizer
    got = resumed.fit(X, Y, batch_size=8, epochs=5, shuffle=False, verbose=0,
                      callbacks=[keras.callbacks.BackupAndRestore(backup)]).history
    assert len(got["loss"]) == 2  # epochs 4 and 5
    np.testing.assert_allclose(got["loss"], want["loss"][3:], rtol=1e-6)
    for a, b in zip(resumed.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert not os.path.exists(backup)  # deleted after the finished run


_RESUMED_RUN = """
import os, signal, sys
import h5py
import numpy as np
from tapeflow import keras
backup, out, save_freq, kill_at, kill_in_save = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
save_freq = save_freq if save_freq == "epoch" else int(save_freq)
keras.utils.set_random_seed(11)
rng = np.random.default_rng(0)
x, y = rng.normal(size=(200, 8)).astype("float32"), rng.integers(0, 3, 200)
model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dropout(0.3),
                          keras.layers.Dense(3, activation="softmax")])
model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy")


class KillAt(keras.callbacks.Callback):  # kill -9 of this process after `kill_at` batches in all
    seen = 0

    def on_train_batch_end(self, batch, logs=None):
        KillAt.seen += 1
        if KillAt.seen == kill_at:
            if kill_in_save == "yes":  # die halfway through writing the next backup instead
                real = h5py.File.create_group
                h5py.File.create_group = lambda *a: os.kill(os.getpid(), signal.SIGKILL) or real(*a)
            else:
                os.kill(os.getpid(), signal.SIGKILL)


callbacks = [keras.callbacks.BackupAndRestore(backup, save_freq=save_freq, delete_checkpoint=False)]
if kill_at:
    callbacks.append(KillAt())
model.fit(x, y, batch_size=16, epochs=3, shuffle=True, verbose=0, callbacks=callbacks)
np.save(out, np.concatenate([w.ravel() for w in model.get_weights()]))
"""


@pytest.mark.parametrize("save_freq, kill_at, kill_in_save", [
    ("epoch", 20, "no"),   # in the second epoch: resumes at its start
    ("5", 17, "no"),       # mid-epoch: resumes after the 15th batch, in the shuffled order it had
    ("5", 23, "yes"),      # during the write of the 25th batch's backup: the 20th batch's stays whole
])
def test_backup_and_restore_after_kill_9_ends_as_an_uninterrupted_run(tmp_path, save_freq, kill_at, kill_in_save):
    """Shuffling (NumPy's global generator) and Dropout (tapeflow's random stream) included, a run killed with
    SIGKILL and started again ends with the uninterrupted run's weights, bit for bit."""
    import subprocess
    import sys

    def run(name, kill):
        done = subprocess.run([sys.executable, "-c", _RESUMED_RUN, str(tmp_path / name),
                               str(tmp_path / (name + ".npy")), save_freq, str(kill), kill_in_save],
                              capture_output=True, text=True, timeout=120)
        return done.returncode, done.stderr

    rc, err = run("reference", 0)
    assert rc == 0, err[-2000:]
    rc, err = run("resumed", kill_at)
    assert rc == -9, (rc, err[-2000:])
    left = os.listdir(str(tmp_path / "resumed"))
    assert "backup.h5" in left and len(left) == (2 if kill_in_save == "yes" else 1)  # + the killed write's temporary
    rc, err = run("resumed", 0)  # the same script, run again, resumes
    assert rc == 0, err[-2000:]
    np.testing.assert_array_equal(np.load(str(tmp_path / "resumed.npy")), np.load(str(tmp_path / "reference.npy")))
    assert os.listdir(str(tmp_path / "resumed")) == ["backup.h5"]  # its first save removed the dead temporary


# ----------------------------------------------------------------- TensorBoard
def test_tensorboard_writes_event_files_tensorboard_reads(tmp_path):
    pytest.importorskip("tensorboardX")
    accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    log_dir = str(tmp_path / "logs")
    m = model()
    h = m.fit(X, Y, batch_size=10, epochs=3, validation_data=(X, Y), verbose=0,
              callbacks=[keras.callbacks.TensorBoard(log_dir, histogram_freq=1, update_freq=2)])
    assert sorted(os.listdir(log_dir)) == ["train", "validation"]
    train = accumulator.EventAccumulator(os.path.join(log_dir, "train"), size_guidance={"histograms": 0})
    train.Reload()
    tags = train.Tags()
    assert {"epoch_loss", "epoch_accuracy", "epoch_learning_rate", "batch_loss"} <= set(tags["scalars"])
    assert [e.step for e in train.Scalars("epoch_loss")] == [0, 1, 2]
    np.testing.assert_allclose([e.value for e in train.Scalars("epoch_loss")], h.history["loss"], rtol=1e-6)
    assert [e.step for e in train.Scalars("batch_loss")] == [2, 4, 6, 8, 10, 12]
    assert set(tags["histograms"]) == {"%s/%s" % (l.name, w) for l in m.layers for w in ("kernel", "bias")}
    hist = train.Histograms("%s/kernel" % m.layers[0].name)[-1].histogram_value
    assert hist.num == 24 and np.isclose(hist.sum, m.layers[0].kernel.numpy().sum(), rtol=1e-5, atol=1e-6)
    assert tags["graph"]
    graph = train.Graph()
    ops = {n.name: (n.op, list(n.input)) for n in graph.node}
    names = [l.name for l in m.layers]
    assert ops["%s/%s" % (m.name, names[1])] == ("Dense", ["%s/%s" % (m.name, names[0])])
    val = accumulator.EventAccumulator(os.path.join(log_dir, "validation"))
    val.Reload()
    np.testing.assert_allclose([e.value for e in val.Scalars("epoch_loss")], h.history["val_loss"], rtol=1e-6)


def test_tensorboard_rejects_what_it_cannot_do(tmp_path):
    pytest.importorskip("tensorboardX")
    with pytest.raises(NotImplementedError, match="write_images"):
        keras.callbacks.TensorBoard(str(tmp_path), write_images=True)
    with pytest.raises(ValueError, match="update_freq"):
        keras.callbacks.TensorBoard(str(tmp_path), update_freq="sometimes")
