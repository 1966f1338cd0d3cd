"""The base Callback, CallbackList, and the History and ProgbarLogger callbacks that fit installs."""
from tapeflow.keras.utils.progbar import Progbar


class Callback:
    """Base class. Override any of the ``on_*`` hooks; ``self.model`` and ``self.params`` are set by fit."""

    def __init__(self):
        self.model = None
        self.params = {}
        self.validation_data = None

    def set_params(self, params):
        self.params = params

    def set_model(self, model):
        self.model = model

    def on_train_begin(self, logs=None): pass  # noqa: E704
    def on_train_end(self, logs=None): pass  # noqa: E704
    def on_epoch_begin(self, epoch, logs=None): pass  # noqa: E704
    def on_epoch_end(self, epoch, logs=None): pass  # noqa: E704
    def on_train_batch_begin(self, batch, logs=None): self.on_batch_begin(batch, logs)  # noqa: E704
    def on_train_batch_end(self, batch, logs=None): self.on_batch_end(batch, logs)  # noqa: E704
    def on_batch_begin(self, batch, logs=None): pass  # noqa: E704
    def on_batch_end(self, batch, logs=None): pass  # noqa: E704
    def on_test_begin(self, logs=None): pass  # noqa: E704
    def on_test_end(self, logs=None): pass  # noqa: E704
    def on_test_batch_begin(self, batch, logs=None): pass  # noqa: E704
    def on_test_batch_end(self, batch, logs=None): pass  # noqa: E704
    def on_predict_begin(self, logs=None): pass  # noqa: E704
    def on_predict_end(self, logs=None): pass  # noqa: E704
    def on_predict_batch_begin(self, batch, logs=None): pass  # noqa: E704
    def on_predict_batch_end(self, batch, logs=None): pass  # noqa: E704


_BATCH_HOOKS = ("on_train_batch_begin", "on_train_batch_end", "on_batch_begin", "on_batch_end",
                "on_test_batch_begin", "on_test_batch_end", "on_predict_batch_begin", "on_predict_batch_end")


def _overrides(cb, hook):
    return getattr(type(cb), hook, None) is not getattr(Callback, hook) or hook in cb.__dict__


class CallbackList:
    """Calls a list of callbacks; per-batch hooks only reach callbacks that override them."""

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None, **params):
        self.callbacks = list(callbacks or [])
        if add_progbar and not any(isinstance(c, ProgbarLogger) for c in self.callbacks):
            self.callbacks.append(ProgbarLogger())
        if add_history:
            history = next((c for c in self.callbacks if isinstance(c, History)), None)
            if history is None:
                history = History()
                self.callbacks.append(history)
            self.history = history
        if model is not None:
            for c in self.callbacks:
                c.set_model(model)
        if params:
            for c in self.callbacks:
                c.set_params(params)
        self._batch = {}
        for hook in _BATCH_HOOKS:
            self._batch[hook] = [c for c in self.callbacks
                                 if _overrides(c, hook) or (hook.startswith("on_train_batch") and
                                                            _overrides(c, hook.replace("train_", "")))]

    def batch_hook_needed(self, hook):
        return bool(self._batch[hook])

    def batch_hook_callbacks(self, hook):
        """The callbacks that override a batch hook."""
        return list(self._batch[hook])

    def _call(self, hook, *args):
        args = args[:-1] + ({} if args[-1] is None else args[-1],)  # Keras hands every hook a logs dict
        for c in self.callbacks:
            getattr(c, hook)(*args)

    def _call_batch(self, hook, batch, logs):
        logs = {} if logs is None else logs
        for c in self._batch[hook]:
            getattr(c, hook)(batch, logs)

    def on_train_begin(self, logs=None): self._call("on_train_begin", logs)  # noqa: E704
    def on_train_end(self, logs=None): self._call("on_train_end", logs)  # noqa: E704
    def on_epoch_begin(self, epoch, logs=None): self._call("on_epoch_begin", epoch, logs)  # noqa: E704
    def on_epoch_end(self, epoch, logs=None): self._call("on_epoch_end", epoch, logs)  # noqa: E704
    def on_test_begin(self, logs=None): self._call("on_test_begin", logs)  # noqa: E704
    def on_test_end(self, logs=None): self._call("on_test_end", logs)  # noqa: E704
    def on_predict_begin(self, logs=None): self._call("on_predict_begin", logs)  # noqa: E704
    def on_predict_end(self, logs=None): self._call("on_predict_end", logs)  # noqa: E704

    def on_train_batch_begin(self, batch, logs=None): self._call_batch("on_train_batch_begin", batch, logs)  # noqa
    def on_train_batch_end(self, batch, logs=None): self._call_batch("on_train_batch_end", batch, logs)  # noqa
    def on_test_batch_begin(self, batch, logs=None): self._call_batch("on_test_batch_begin", batch, logs)  # noqa
    def on_test_batch_end(self, batch, logs=None): self._call_batch("on_test_batch_end", batch, logs)  # noqa
    def on_predict_batch_begin(self, batch, logs=None): self._call_batch("on_predict_batch_begin", batch, logs)  # noqa
    def on_predict_batch_end(self, batch, logs=None): self._call_batch("on_predict_batch_end", batch, logs)  # noqa

    def __iter__(self):
        return iter(self.callbacks)


class History(Callback):
    """Records each epoch's logs: ``history.history`` maps each key to a list with one value per epoch."""

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []
        self.history = {}

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)
        if self.model is not None:
            self.model.history = self


class ProgbarLogger(Callback):
    """Prints the progress bar and metrics to stdout (``verbose`` from fit: 0, 1 or 2)."""

    def __init__(self, count_mode="steps", stateful_metrics=None):
        super().__init__()
        self.verbose = 1
        self.epochs = 1
        self._bar = None
        self._mode = None

    def set_params(self, params):
        super().set_params(params)
        self.verbose = params.get("verbose", 1)
        self.epochs = params.get("epochs", 1)

    def _new_bar(self, target):
        self._bar = Progbar(target, verbose=self.verbose, stateful_metrics=None, unit_name="step")

    def on_train_begin(self, logs=None):
        self._mode = "train"

    def on_epoch_begin(self, epoch, logs=None):
        if self.verbose and self.epochs > 1:
            print("Epoch %d/%d" % (epoch + 1, self.epochs), flush=True)
        self._new_bar(self.params.get("steps"))

    def on_train_batch_end(self, batch, logs=None):
        self._update(batch + 1, logs, finalize=False)

    def on_epoch_end(self, epoch, logs=None):
        self._update(self._bar._seen_so_far if self._bar else 0, logs, finalize=True)

    def on_test_begin(self, logs=None):
        if self._mode != "train":
            self._new_bar(self.params.get("steps"))

    def on_test_batch_end(self, batch, logs=None):
        if self._mode != "train":
            self._update(batch + 1, logs, finalize=False)

    def on_test_end(self, logs=None):
        if self._mode != "train":
            self._update(self._bar._seen_so_far, logs, finalize=True)

    def on_predict_begin(self, logs=None):
        self._new_bar(self.params.get("steps"))

    def on_predict_batch_end(self, batch, logs=None):
        self._update(batch + 1, None, finalize=False)

    def on_predict_end(self, logs=None):
        self._update(self._bar._seen_so_far, None, finalize=True)

    def on_train_end(self, logs=None):
        self._mode = None

    def _update(self, step, logs, finalize):
        if not self.verbose or self._bar is None:
            return
        values = [(k, float(v)) for k, v in (logs or {}).items() if k != "size" and k != "batch"]
        # The trainer's logs are running epoch averages: show them as they are.
        self._bar.stateful_metrics.update(k for k, _ in values)
        self._bar.update(step, values, finalize=finalize)
