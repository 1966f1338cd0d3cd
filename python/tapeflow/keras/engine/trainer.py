"""compile / fit / evaluate / predict, and the overridable train_step / test_step /
predict_step, mixed into keras.Model."""
import numpy as np

from tapeflow import _core, config as tf_config, nest
from tapeflow.autodiff import GradientTape
from tapeflow.keras import metrics as metrics_mod
from tapeflow.keras import optimizers as optimizers_mod
from tapeflow.keras.callbacks import CallbackList, ProgbarLogger
from tapeflow.keras.engine import data_adapter
from tapeflow.keras.engine.capture import MAX_SIGNATURES, StepCache
from tapeflow.keras.engine.compile_utils import CompileLoss, CompileMetrics


def _as_float(v):
    if isinstance(v, _core.Tensor):
        return float(v) if v.ndim == 0 else v.numpy()
    return v


def _verbose(verbose):
    return 1 if verbose == "auto" else int(verbose)


class _LegacyCompiledLoss:
    """``model.compiled_loss(y, y_pred, sample_weight, regularization_losses)`` as in tf.keras 2."""

    def __init__(self, model):
        self._model = model

    def __call__(self, y_true, y_pred, sample_weight=None, regularization_losses=None):
        total = self._model._compiled_loss_value(y_true, y_pred, sample_weight)
        for r in regularization_losses or ():
            total = _core.add(total, r)
        return total


class _LegacyCompiledMetrics:
    """``model.compiled_metrics.update_state(y, y_pred, sample_weight)`` as in tf.keras 2."""

    def __init__(self, model):
        self._model = model

    def update_state(self, y_true, y_pred, sample_weight=None):
        self._model._update_compiled_metrics(y_true, y_pred, sample_weight)

    @property
    def metrics(self):
        return self._model._compile_metrics.metrics if self._model._compile_metrics else []


class Trainer:
    def _init_trainer(self):
        self.optimizer = None
        self.compiled = False
        self.stop_training = False
        self.history = None
        self.run_eagerly = False
        self._compile_loss = None
        self._compile_metrics = None
        self._loss_tracker = None
        self._fit_state = None  # (trainable variables, all layers): fixed for a fit once its first step built the model
        self._train_data = None  # during fit: its training data (BackupAndRestore saves and restores its order)
        self._initial_epoch, self._initial_step = None, 0  # where a resumed fit starts (set by BackupAndRestore)
        self._step_caches = {}  # "train" / "test" / "predict" -> StepCache of captured steps
        self._predict_arrays = {}  # (shape, NumPy dtype) -> the captured predict step that one such array fills
        self._call_capturable = None  # whether model(x) may replay (set on the first call)

    # ----------------------------------------------------------------- compile
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None, weighted_metrics=None,
                run_eagerly=False, steps_per_execution=1, jit_compile="auto", auto_scale_loss=True, **kwargs):
        """Configures training: the optimizer, the loss(es), their weights and the metrics."""
        for key in kwargs:
            if key not in ("sample_weight_mode", "target_tensors", "distribute"):
                raise TypeError("Invalid keyword argument(s) in `compile()`: %r" % (key,))
        self.optimizer = optimizers_mod.get(optimizer)
        self._compile_args = {"loss": loss, "loss_weights": loss_weights, "metrics": metrics,
                              "weighted_metrics": weighted_metrics}
        self._compile_loss = CompileLoss(loss, loss_weights) if loss is not None else None
        self._compile_metrics = CompileMetrics(metrics, weighted_metrics)
        self._loss_tracker = metrics_mod.Mean(name="loss")
        self.run_eagerly = run_eagerly
        self.jit_compile = jit_compile  # accepted; steps are captured and replayed unless run_eagerly
        self._step_caches = {}
        self._predict_arrays = {}
        self.compiled = True
        self.compiled_loss = _LegacyCompiledLoss(self)
        self.compiled_metrics = _LegacyCompiledMetrics(self)

    @property
    def loss(self):
        return self._compile_loss._spec if self._compile_loss is not None else None

    def _output_names_for(self, y_pred):
        if isinstance(y_pred, dict):
            return sorted(y_pred)
        names = getattr(self, "output_names", None)
        flat = nest.flatten(y_pred)
        if names and len(names) == len(flat):
            return list(names)
        if len(flat) == 1:
            return ["output"]
        return ["output_%d" % (i + 1) for i in range(len(flat))]

    def _match_targets(self, y, y_pred, names, what="y"):
        """Lists y (or sample weights) in the order of the flattened predictions."""
        flat_pred = nest.flatten(y_pred)
        if y is None:
            return [None] * len(flat_pred)
        if isinstance(y, dict):
            order = sorted(y_pred) if isinstance(y_pred, dict) else names
            unknown = [k for k in y if k not in order]
            if unknown:
                raise ValueError("Found unexpected key %r in `%s`: the model's outputs are %s" % (unknown[0], what, order))
            return [y.get(n) for n in order]
        if len(flat_pred) == 1:
            if isinstance(y, (list, tuple)) and len(y) == 1 and not isinstance(y[0], (int, float)):
                return [y[0]]
            return [y]
        flat_y = list(y) if isinstance(y, (list, tuple)) else [y]
        if len(flat_y) != len(flat_pred):
            raise ValueError("The model has %d outputs, but `%s` has %d entries." % (len(flat_pred), what, len(flat_y)))
        return flat_y

    def _match_sample_weights(self, sample_weight, y_pred, names):
        """Per-output sample weights: matched like y for a multi-output model given a list or dict, else shared."""
        if isinstance(sample_weight, (dict, list, tuple)) and len(nest.flatten(y_pred)) > 1:
            return self._match_targets(sample_weight, y_pred, names, "sample_weight")
        return [sample_weight] * len(nest.flatten(y_pred))

    def _compiled_loss_value(self, y, y_pred, sample_weight):
        if self._compile_loss is None:
            return None
        names = self._output_names_for(y_pred)
        if not self._compile_loss.built:
            self._compile_loss.build(names)
        ys = self._match_targets(y, y_pred, names)
        total = self._compile_loss(ys, nest.flatten(y_pred), self._match_sample_weights(sample_weight, y_pred, names))
        if total is None:
            total = _core.zeros([], "float32")
        return total

    def _compiled_metrics_inputs(self, y, y_pred):
        """(output names, targets, predictions) as the compiled metrics take them, building the metrics on first
        use (they depend on the outputs and targets)."""
        names = self._output_names_for(y_pred)
        ys = self._match_targets(y, y_pred, names)
        preds = nest.flatten(y_pred)
        ys = [None if t is None else _core.convert_to_tensor(t) for t in ys]
        if not self._compile_metrics.built:
            if self._compile_loss is not None and not self._compile_loss.built:
                self._compile_loss.build(names)
            losses = self._compile_loss.losses if self._compile_loss is not None else [None] * len(preds)
            self._compile_metrics.build(names, losses, ys, preds)
        return names, ys, preds

    def _update_compiled_metrics(self, y, y_pred, sample_weight):
        if self._compile_metrics is None:
            return
        names, ys, preds = self._compiled_metrics_inputs(y, y_pred)
        self._compile_metrics.update_state(ys, preds, self._match_sample_weights(sample_weight, y_pred, names))

    # ----------------------------------------------------------------- steps
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The compiled loss(es), weighted and summed, plus the layers' added losses. As Keras 3's, it does not
        update the ``loss`` tracker (``train_step`` / ``test_step`` do); it builds the compiled metrics, so that a
        custom ``train_step`` finds them all in ``self.metrics`` after computing its loss."""
        if self._compile_metrics is not None and y is not None and not self._compile_metrics.built:
            self._compiled_metrics_inputs(y, y_pred)
        total = self._compiled_loss_value(y, y_pred, sample_weight)
        layers = self._fit_state[1] if self._fit_state is not None else self._flatten_layers()
        for layer in layers:
            for extra in layer._own_losses():  # add_loss(): may be the only loss (compile() without one)
                total = extra if total is None else _core.add(total, extra)
        if total is None:
            raise ValueError("No loss to compute. Provide a `loss` argument in `compile()`.")
        return total

    def _track_loss(self, loss, y_pred):
        if self._loss_tracker is not None:
            self._loss_tracker.update_state(loss, sample_weight=float(nest.flatten(y_pred)[0]._shape[0]))

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Updates the compiled metrics and returns every metric's current result."""
        self._update_compiled_metrics(y, y_pred, sample_weight)
        return self.get_metrics_result()

    def get_metrics_result(self):
        out = {}
        for m in self.metrics:
            r = m.result()
            if isinstance(r, dict):
                out.update(r)
            else:
                out[m.name] = r
        return out

    @property
    def metrics(self):
        """The loss tracker, the per-output loss trackers, then the compiled metrics."""
        out = []
        if self._loss_tracker is not None:
            out.append(self._loss_tracker)
        if self._compile_loss is not None:
            out.extend(self._compile_loss.metrics)
        if self._compile_metrics is not None:
            out.extend(self._compile_metrics.metrics)
        return out

    @property
    def metrics_names(self):
        return [m.name for m in self.metrics]

    def reset_metrics(self):
        for m in self.metrics:
            m.reset_state()

    def train_step(self, data):
        """One optimization step on a batch; returns the metrics' results."""
        x, y, sample_weight = data_adapter.unpack_x_y_sample_weight(data)
        with GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight)
        self._track_loss(loss, y_pred)
        variables = self._fit_state[0] if self._fit_state is not None else self.trainable_variables
        grads = tape.gradient(loss, variables)
        self.optimizer.apply_gradients(zip(grads, variables))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def test_step(self, data):
        x, y, sample_weight = data_adapter.unpack_x_y_sample_weight(data)
        y_pred = self(x, training=False)
        self._track_loss(self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=False),
                         y_pred)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data):
        x, _, _ = data_adapter.unpack_x_y_sample_weight(data)
        return self(x, training=False)

    # ----------------------------------------------------------------- captured steps
    def _step_cache(self, kind):
        """The captured-step cache for "train", "test" or "predict" steps, or None when they run eagerly:
        ``run_eagerly``, ``tf.config.run_functions_eagerly(True)``, or a model that overrides the step method."""
        method = kind + "_step"
        if method in self.__dict__ or getattr(type(self), method) is not getattr(Trainer, method):
            return None
        return self._capture_cache(kind)

    def _capture_cache(self, kind):
        """The StepCache for one kind of step, or None under ``run_eagerly`` or ``run_functions_eagerly``."""
        if self.run_eagerly or tf_config.functions_run_eagerly():
            return None
        cache = self._step_caches.get(kind)
        if cache is None:
            cache = self._step_caches[kind] = StepCache(kind)
        return cache

    def _run_step(self, kind, batch, copy=None):
        fn = getattr(self, kind + "_step")
        cache = self._step_cache(kind)
        return fn(batch) if cache is None else cache.run(fn, batch, self._step_variables, copy)

    def _step_variables(self):
        """Every variable a step may write: the model's, the optimizer's and the metrics'."""
        out = list(self.variables)
        if self.optimizer is not None:
            out.extend(self.optimizer.variables)
        for m in self.metrics:
            out.extend(m.variables)
        return out

    # ----------------------------------------------------------------- loops
    def _assert_compiled(self):
        if not self.compiled:
            raise RuntimeError("You must compile your model before training/testing. Use `model.compile(optimizer, "
                               "loss)`.")

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None, validation_split=0.0,
            validation_data=None, shuffle=True, class_weight=None, sample_weight=None, initial_epoch=0,
            steps_per_epoch=None, validation_steps=None, validation_batch_size=None, validation_freq=1):
        """Trains for ``epochs`` epochs; returns a History whose ``history`` holds per-epoch logs."""
        self._assert_compiled()
        verbose = _verbose(verbose)
        data = data_adapter.make_data(x, y, sample_weight, batch_size, shuffle, steps_per_epoch, class_weight)
        val = None
        if validation_data is not None:
            vx, vy, vsw = data_adapter.unpack_x_y_sample_weight(validation_data)
            val = data_adapter.make_data(vx, vy, vsw, validation_batch_size or batch_size, False, validation_steps)
        elif validation_split:
            if not isinstance(data, data_adapter.ArrayData):
                raise ValueError("`validation_split` is only supported for array inputs, not generators")
            vx, vy, vsw = data_adapter.unpack_x_y_sample_weight(data.split(validation_split))
            val = data_adapter.make_data(vx, vy, vsw, validation_batch_size or batch_size, False, validation_steps)
        cbs = CallbackList(callbacks, add_history=True, add_progbar=verbose != 0, model=self, verbose=verbose,
                           epochs=epochs, steps=data.steps)
        self.stop_training = False
        # a callback (BackupAndRestore) may set the epoch and step to start from, and the data's next order
        self._initial_epoch, self._initial_step, self._train_data = None, 0, data
        try:
            cbs.on_train_begin()
            if self._initial_epoch is not None:
                initial_epoch = self._initial_epoch
            return self._fit_epochs(data, val, cbs, epochs, initial_epoch, validation_freq, self._initial_step)
        finally:
            self._fit_state = self._train_data = None

    def _fit_epochs(self, data, val, cbs, epochs, initial_epoch, validation_freq, initial_step=0):
        logs = {}
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            cbs.on_epoch_begin(epoch)
            start = initial_step if epoch == initial_epoch else 0  # a resumed run starts mid-epoch
            if self._array_loop_possible("train", data, cbs):
                step, step_logs = self._array_epoch("train", data, cbs, self._train_batch, start)
            else:
                step, step_logs = self._fit_epoch(data, cbs, start)
            if step < 0:
                raise ValueError("The training data produced no batches (0 samples); fit needs at least one.")
            if data.steps is None:
                data.steps = step + 1
            logs = {k: _as_float(v) for k, v in step_logs.items()}
            if val is not None and (epoch + 1) % validation_freq == 0:
                val_logs = self._evaluate_loop(val, cbs)
                logs.update({"val_" + k: v for k, v in val_logs.items()})
            cbs.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        cbs.on_train_end(logs)
        return cbs.history

    def _train_batch(self, batch):
        logs = self._run_step("train", batch)
        if self._fit_state is None:  # the first step built the model: its variables and layers are now fixed
            self._fit_state = (self.trainable_variables, self._flatten_layers())
        return logs

    def _fit_epoch(self, data, cbs, start=0):
        """One epoch from step ``start``, a batch at a time with every batch hook; returns (last step, its logs)."""
        batch_end_needed = cbs.batch_hook_needed("on_train_batch_end")
        batch_begin_needed = cbs.batch_hook_needed("on_train_batch_begin")
        step_logs = {}
        step = start - 1
        for step, batch in enumerate(data.batches(start), start):
            if batch_begin_needed:
                cbs.on_train_batch_begin(step)
            step_logs = self._train_batch(batch)
            if batch_end_needed:
                cbs.on_train_batch_end(step, {k: _as_float(v) for k, v in step_logs.items()})
            if self.stop_training:
                break
        return step, step_logs

    def _array_loop_possible(self, kind, data, cbs):
        """Whether an epoch of ``kind`` ("train" or "test") steps can loop in C++: array data, captured steps, and
        no batch hook but the progress bar's."""
        return isinstance(data, data_adapter.ArrayData) and self._step_cache(kind) is not None and \
            not cbs.batch_hook_needed("on_%s_batch_begin" % kind) and \
            all(isinstance(c, ProgbarLogger) for c in cbs.batch_hook_callbacks("on_%s_batch_end" % kind))

    def _array_epoch(self, kind, data, cbs, eager_step, start=0):
        """One epoch of ``kind`` steps over arrays when only the progress bar needs batch hooks: once the
        full-size batch's step is captured, the loop itself (sample order, batch gathering, replays) runs in C++,
        coming back to Python ten times a second (the progress bar, Ctrl-C). Other steps run through
        ``eager_step(batch)``. Starts at step ``start``; returns (last step, its logs)."""
        hook = "on_%s_batch_end" % kind
        progress = cbs.batch_hook_needed(hook)
        cache = self._step_cache(kind)
        order = data.epoch_order()
        sources = [t for t in data.tensors if t is not None]
        full, steps = data.full_steps, data.steps
        step, step_logs = start, {}
        while step < steps:
            batch = data.batch(step, order)
            if batch is None:
                break
            captured = cache.lookup(nest.flatten(batch)) if step < full else None
            if captured is not None:
                # back in Python every 0.1 s: for the progress bar, and so that Ctrl-C (KeyboardInterrupt, raised
                # between bytecodes) stops the epoch within a step or two, the completed steps applied
                done = captured.plan.run_batches(sources, captured.buffers, order, step, full - step, data.batch_size,
                                                 0.1)
                step += done
                step_logs = captured.result
            else:
                step_logs = eager_step(batch)
                step += 1
            if progress:
                getattr(cbs, hook)(step - 1, {k: _as_float(v) for k, v in step_logs.items()})
            if kind == "train" and self.stop_training:
                break
        return step - 1, step_logs

    def _evaluate_loop(self, data, cbs):
        self.reset_metrics()
        cbs.on_test_begin()
        logs = {}
        if self._array_loop_possible("test", data, cbs):
            _, logs = self._array_epoch("test", data, cbs, lambda batch: self._run_step("test", batch))
        else:
            step_needed = cbs.batch_hook_needed("on_test_batch_end")
            begin_needed = cbs.batch_hook_needed("on_test_batch_begin")
            for step, batch in enumerate(data):
                if begin_needed:
                    cbs.on_test_batch_begin(step)
                logs = self._run_step("test", batch)
                if step_needed:
                    cbs.on_test_batch_end(step, {k: _as_float(v) for k, v in logs.items()})
        logs = {k: _as_float(v) for k, v in logs.items()}
        cbs.on_test_end(logs)
        return logs

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False, **kwargs):
        """The loss and metrics on the data: a scalar when there is only the loss, else a list in
        ``metrics_names`` order, or a dict with ``return_dict=True``."""
        self._assert_compiled()
        verbose = _verbose(verbose)
        data = data_adapter.make_data(x, y, sample_weight, batch_size, False, steps)
        cbs = CallbackList(callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1, steps=data.steps)
        logs = self._evaluate_loop(data, cbs)
        if return_dict:
            return logs
        values = [logs[n] for n in self.metrics_names if n in logs]
        return values[0] if len(values) == 1 else values

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Model outputs for the inputs, batch by batch, as NumPy arrays (a list or dict for several outputs)."""
        # One array that fits in one batch, silently: replay the captured step on the array itself.
        single = type(x) is np.ndarray and verbose == 0 and steps is None and callbacks is None and \
            0 < len(x) <= (batch_size or 32)
        if single:
            captured = self._predict_arrays.get((x.shape, x.dtype))
            if captured is not None and self._step_cache("predict") is not None:
                out = captured.plan.run_array(captured.buffers[0], x, captured.result)
                if out is not None:
                    return out
        verbose = _verbose(verbose)
        data = data_adapter.make_data(x, None, None, batch_size, False, steps)
        cbs = CallbackList(callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1, steps=data.steps)
        cbs.on_predict_begin()
        outputs = []
        needed = cbs.batch_hook_needed("on_predict_batch_end")
        begin_needed = cbs.batch_hook_needed("on_predict_batch_begin")
        for step, batch in enumerate(data):
            if begin_needed:
                cbs.on_predict_batch_begin(step)
            out = self._run_step("predict", batch, copy="numpy")
            outputs.append(out)
            if needed:
                cbs.on_predict_batch_end(step, {"outputs": out})
        cbs.on_predict_end()
        if not outputs:
            raise ValueError("predict() received no batches: the input data has 0 samples.")
        if single and self._step_cache("predict") is not None:
            leaves = nest.flatten(data.batch(0))
            captured = self._step_cache("predict").lookup(leaves)
            if captured is not None and len(leaves) == 1 and leaves[0].dtype.name == x.dtype.name and \
                    type(captured.result) is _core.Tensor:
                if len(self._predict_arrays) >= MAX_SIGNATURES:
                    del self._predict_arrays[next(iter(self._predict_arrays))]
                self._predict_arrays[(x.shape, x.dtype)] = captured
        flat = [nest.flatten(o) for o in outputs]
        merged = [np.concatenate([f[i] for f in flat], axis=0) if len(flat) > 1 else flat[0][i]
                  for i in range(len(flat[0]))]
        return nest.pack_sequence_as(outputs[0], merged)

    def _one_batch(self, x, y, sample_weight, class_weight=None):
        data = data_adapter.make_data(x, y, sample_weight, None, False, None, class_weight)
        if not getattr(data, "num_samples", 1):
            raise ValueError("The batch holds 0 samples: *_on_batch needs at least one.")
        data.batch_size = max(data.num_samples, 1)
        return next(iter(data))

    @staticmethod
    def _batch_result(logs, return_dict):
        logs = {k: _as_float(v) for k, v in logs.items()}
        if return_dict:
            return logs
        return list(logs.values())[0] if len(logs) == 1 else list(logs.values())

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, reset_metrics=True, return_dict=False):
        self._assert_compiled()
        if reset_metrics:
            self.reset_metrics()
        return self._batch_result(self.train_step(self._one_batch(x, y, sample_weight, class_weight)), return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, reset_metrics=True, return_dict=False):
        self._assert_compiled()
        if reset_metrics:
            self.reset_metrics()
        return self._batch_result(self.test_step(self._one_batch(x, y, sample_weight)), return_dict)

    def predict_on_batch(self, x):
        return nest.map_structure(lambda t: np.array(t), self(x, training=False))
