"""Callbacks that write the model to disk: ModelCheckpoint and BackupAndRestore."""
import json
import os
import random
import shutil
import warnings

import numpy as np

from tapeflow import _core
from tapeflow._files import atomic_write
from tapeflow.keras.callbacks.base import Callback
from tapeflow.keras.callbacks.monitoring import monitor_op
from tapeflow.keras.saving import saving_lib


class ModelCheckpoint(Callback):
    """Saves the model (``.keras`` / ``.h5``) or its weights (``.weights.h5``) during training.

    Args:
      filepath: may hold format fields filled from the epoch (1-based) and the logs, e.g.
        ``"ckpt-{epoch:02d}-{val_loss:.2f}.keras"``.
      monitor, mode: the quantity compared by ``save_best_only`` (mode "auto" maximises accuracies).
      save_best_only: only save when ``monitor`` improved (the file is then overwritten each time).
      save_weights_only: save ``model.save_weights`` (the path must end in ``.weights.h5``).
      save_freq: ``"epoch"``, or an integer number of batches between saves.
      initial_value_threshold: the value ``monitor`` must beat for the first save.
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False, save_weights_only=False,
                 mode="auto", save_freq="epoch", initial_value_threshold=None):
        super().__init__()
        self.filepath = os.fspath(filepath)
        self.monitor, self.verbose = monitor, verbose
        self.save_best_only, self.save_weights_only = save_best_only, save_weights_only
        if save_weights_only:
            if not self.filepath.endswith(".weights.h5"):
                raise ValueError("When using `save_weights_only=True` in `ModelCheckpoint`, the filepath provided "
                                 "must end in `.weights.h5` (Keras weights format). Received: filepath=%s"
                                 % self.filepath)
        elif not self.filepath.endswith((".keras", ".h5")):
            raise ValueError("The filepath provided must end in `.keras` (Keras model format) or `.h5`. Received: "
                             "filepath=%s" % self.filepath)
        if save_freq != "epoch" and not (isinstance(save_freq, int) and save_freq > 0):
            raise ValueError("Unrecognized save_freq: %r. Expected save_freq are 'epoch' or a positive integer"
                             % (save_freq,))
        self.save_freq = save_freq
        self.monitor_op = monitor_op(monitor, mode, "ModelCheckpoint")
        self.best = initial_value_threshold  # None: the first value seen is the best so far (even NaN), as Keras 3
        self._batches_seen = 0
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._batches_seen += 1
        if self._batches_seen % self.save_freq == 0:
            self._save(self._epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch, None, logs)

    def _path(self, epoch, batch, logs):
        fields = dict(logs or {})
        fields["epoch"] = epoch + 1
        if batch is not None:
            fields["batch"] = batch + 1
        try:
            return self.filepath.format(**fields)
        except KeyError as e:
            raise KeyError('Failed to format this callback filepath: "%s". Reason: %r is not in the logs (%s)'
                           % (self.filepath, e.args[0], sorted(fields))) from None

    def _save(self, epoch, batch, logs):
        path = self._path(epoch, batch, logs)
        if self.save_best_only:
            current = (logs or {}).get(self.monitor)
            best = "None" if self.best is None else "%.5f" % self.best
            if current is None:  # Keras 3 then saves anyway
                warnings.warn("Can save best model only with %s available." % self.monitor, stacklevel=3)
            elif self.best is not None and not self.monitor_op(current, self.best):
                if self.verbose > 0:
                    print("\nEpoch %d: %s did not improve from %s" % (epoch + 1, self.monitor, best))
                return
            else:
                if self.verbose > 0:
                    print("\nEpoch %d: %s improved from %s to %.5f, saving model to %s"
                          % (epoch + 1, self.monitor, best, current, path))
                self.best = current
        elif self.verbose > 0:
            print("\nEpoch %d: saving model to %s" % (epoch + 1, path))
        if self.save_weights_only:
            self.model.save_weights(path, overwrite=True)
        else:
            self.model.save(path, overwrite=True)


class BackupAndRestore(Callback):
    """Backs the training state up to ``backup_dir`` at every epoch end (or every ``save_freq`` batches); a
    ``fit`` that finds a backup there resumes from it. The backup is deleted when training finishes, unless
    ``delete_checkpoint=False``.

    The backup is one file, replaced atomically: the weights, the optimizer state, the epoch and step to go on
    from, the epoch's sample order, and the random states (tapeflow's, NumPy's global one that shuffles, Python's
    ``random``). Killed at any moment and re-run with the same script (same seeds), ``fit`` resumes mid-epoch
    where the backup was taken and ends with the weights of a run that was never interrupted, with shuffling and
    dropout too. The metrics' running means are not kept: a resumed epoch's logs cover its remaining steps."""

    def __init__(self, backup_dir, save_freq="epoch", delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed")
        if save_freq != "epoch" and not (isinstance(save_freq, int) and save_freq > 0):
            raise ValueError("Invalid value for argument `save_freq`. Received: save_freq=%r. Expected either "
                             "'epoch' or an integer value." % (save_freq,))
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.delete_checkpoint = delete_checkpoint
        self._path = os.path.join(self.backup_dir, "backup.h5")
        self._batches_seen = 0
        self._epoch = 0

    def on_train_begin(self, logs=None):
        self._batches_seen = 0
        if not os.path.exists(self._path):
            return
        model = self.model
        if not model.built or not model.trainable_variables:
            raise ValueError("To resume training with BackupAndRestore, the model must be built before fit "
                             "(give it an Input or call model.build()).")
        h5py = saving_lib._h5py()
        with h5py.File(self._path, "r") as f:
            state = json.loads(f.attrs["state"])
            saving_lib.load_weights_h5(model, f["model"], with_optimizer=True)
            order = f["order"][()] if "order" in f else None
            np_keys = f["numpy_random"][()]
        data = model._train_data
        if order is not None and data is not None and getattr(data, "shuffle", False):
            data.next_order = order
        np.random.set_state(("MT19937", np_keys, *state["numpy_random"]))
        random.setstate(_tuples(state["python_random"]))
        _core._set_random_state(*state["tapeflow_random"])
        model._initial_epoch, model._initial_step = state["epoch"], state["step"]

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq != "epoch":
            self._batches_seen += 1
            if self._batches_seen % self.save_freq == 0:
                self._backup(self._epoch, batch + 1)  # resumed mid-epoch, after this batch

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._backup(epoch + 1, 0)

    def _backup(self, epoch, step):
        h5py = saving_lib._h5py()
        _, np_keys, *np_rest = np.random.get_state()
        state = {"epoch": epoch, "step": step, "numpy_random": np_rest, "python_random": random.getstate(),
                 "tapeflow_random": _core._get_random_state()}
        data = self.model._train_data
        order = getattr(data, "order", None) if step > 0 and getattr(data, "shuffle", False) else None
        os.makedirs(self.backup_dir, exist_ok=True)
        with atomic_write(self._path) as tmp:
            with h5py.File(tmp, "w") as f:
                f.attrs["state"] = json.dumps(state, default=saving_lib._json_default)
                f.create_dataset("numpy_random", data=np_keys)
                if order is not None:
                    f.create_dataset("order", data=order)
                saving_lib.save_weights_h5(self.model, f.create_group("model"))

    def on_train_end(self, logs=None):
        if self.delete_checkpoint and os.path.isdir(self.backup_dir):
            shutil.rmtree(self.backup_dir)


def _tuples(value):
    """JSON's lists back to the nested tuples ``random.setstate`` takes."""
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value
