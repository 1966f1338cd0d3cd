"""The Optimizer base class: learning rate (a float, a variable or a schedule),
gradient clipping, weight decay, the step counter, and per-variable slots made
by ``build``; subclasses implement ``update_step(gradient, variable, learning_rate)``."""
import numpy as np

from tapeflow import _core
from tapeflow.framework import IndexedSlices, convert_to_tensor
from tapeflow.variables import Variable
from tapeflow.keras import backend
from tapeflow.keras.optimizers import schedules


# Codes of the fused C++ update rules (``_core._apply_update``; cpu/optimizer.cpp).
RULES = {name: getattr(_core.UpdateRule, name)
         for name in ("sgd", "momentum", "nesterov", "adam", "adam_amsgrad", "rmsprop", "adagrad")}


def _clip_by_norm(g, clipnorm):
    norm = float(_core.sqrt(_core.reduce_sum(_core.square(g))))
    return g if norm <= clipnorm else _core.multiply(g, clipnorm / norm)


class Optimizer:
    """Base optimizer.

    Args:
      learning_rate: a float, a ``LearningRateSchedule`` or a callable of no arguments (``lr`` is an alias).
      weight_decay: if set, each step first does ``var -= var * weight_decay * learning_rate``.
      clipnorm: clips each gradient to this L2 norm.
      clipvalue: clips each gradient elementwise to [-clipvalue, clipvalue].
      global_clipnorm: clips all gradients together to this global L2 norm.
      name: the optimizer's name.
    """

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        if "lr" in kwargs:
            learning_rate = kwargs.pop("lr")
        for key in kwargs:
            if key == "decay":
                raise ValueError("Argument `decay` is no longer supported; use a learning rate schedule instead "
                                 "(keras.optimizers.schedules).")
            raise TypeError("Optimizer.__init__() got an unexpected keyword argument %r" % (key,))
        for arg, value in (("use_ema", use_ema or None), ("loss_scale_factor", loss_scale_factor),
                           ("gradient_accumulation_steps", gradient_accumulation_steps)):
            if value is not None:
                raise NotImplementedError("Optimizer argument `%s` is not supported in this version of tapeflow "
                                          "(received %s=%r)." % (arg, arg, value))
        if clipnorm is not None and global_clipnorm is not None:
            raise ValueError("Only one of `clipnorm` and `global_clipnorm` can be set. Received: clipnorm=%r, "
                             "global_clipnorm=%r" % (clipnorm, global_clipnorm))
        for arg, value in (("clipnorm", clipnorm), ("clipvalue", clipvalue), ("global_clipnorm", global_clipnorm)):
            if value is not None and value <= 0:
                raise ValueError("Argument `%s` must be positive. Received: %s=%r" % (arg, arg, value))
        self.name = name or backend.to_snake_case(type(self).__name__)
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.use_ema = use_ema
        self.iterations = Variable(0, dtype="int64", trainable=False, name="iteration")
        self._schedule = None
        if isinstance(learning_rate, schedules.LearningRateSchedule) or callable(learning_rate):
            self._schedule = learning_rate
            self._learning_rate = None
        else:
            self._learning_rate = Variable(float(learning_rate), dtype="float32", trainable=False,
                                           name="learning_rate")
        self._slots = {}  # id(variable) -> list of slot variables
        self._slot_order = []
        self._exclude_from_wd = set()
        self._exclude_names = []
        self.built = False

    # ----------------------------------------------------------------- learning rate
    def _lr_value(self):
        if self._schedule is None:
            return float(self._learning_rate)
        if isinstance(self._schedule, schedules.LearningRateSchedule):
            return float(self._schedule(int(self.iterations)))
        return float(self._schedule())

    @property
    def learning_rate(self):
        if self._schedule is not None:
            return _core.convert_to_tensor(np.float32(self._lr_value()))
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        if isinstance(value, schedules.LearningRateSchedule):
            self._schedule, self._learning_rate = value, None
        elif self._schedule is not None:
            raise TypeError("This optimizer was created with a `LearningRateSchedule` object as its `learning_rate` "
                            "constructor argument, hence its learning rate is not settable.")
        else:
            self._learning_rate.assign(float(value))

    lr = learning_rate

    # ----------------------------------------------------------------- slots
    def build(self, var_list):
        for v in var_list:
            if id(v) not in self._slots:
                self._slots[id(v)] = self._build_slots(v)
                self._slot_order.append(v)
        self.built = True

    def _build_slots(self, variable):
        return []

    def add_variable_from_reference(self, reference_variable, name, initializer="zeros"):
        short = getattr(reference_variable, "_keras_short_name", None) or reference_variable.name.split(":")[0]
        value = _core.zeros_like(reference_variable) if initializer == "zeros" else \
            _core.fill(list(reference_variable._shape), _core.cast(_core.convert_to_tensor(initializer),
                                                                   reference_variable.dtype.name))
        return Variable(value, trainable=False, name="%s_%s" % (short.replace("/", "_"), name))

    @property
    def variables(self):
        out = [self.iterations]
        if self._learning_rate is not None:
            out.append(self._learning_rate)
        for v in self._slot_order:
            out.extend(self._slots[id(v)])
        return out

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        for v in var_list or ():
            self._exclude_from_wd.add(id(v))
        self._exclude_names = list(var_names or ())

    # ----------------------------------------------------------------- updates
    def apply_gradients(self, grads_and_vars, name=None, skip_gradients_aggregation=False, **kwargs):
        """Applies gradients to variables, one step; returns the step counter."""
        pairs = [(g, v) for g, v in grads_and_vars if g is not None]
        if not pairs:
            return self.iterations
        # Sparse gradients (IndexedSlices) stay sparse for the fused rules, unless clipping needs them dense.
        keep_sparse = self._sparse_updates and self.clipvalue is None and self.clipnorm is None and \
            self.global_clipnorm is None
        grads = [g if isinstance(g, _core.Tensor) or (keep_sparse and isinstance(g, IndexedSlices))
                 else convert_to_tensor(g) for g, _ in pairs]
        variables = [v for _, v in pairs]
        for g, v in zip(grads, variables):
            if tuple(g.shape) != tuple(v._shape):
                raise ValueError("Gradient shape %s does not match variable %s of shape %s"
                                 % (tuple(g.shape), v.name, tuple(v._shape)))
        self.build([v for v in variables if id(v) not in self._slots])
        grads = self._clip(grads)
        # Fused rules read the learning rate (and step count) from their variables when they run, so a captured
        # step replays with the current values; the others get it as a number.
        needs_lr = self._schedule is not None or self.weight_decay or not self._fused_only()
        lr = self._lr_value() if needs_lr else None
        if self.weight_decay:
            for v in variables:
                if id(v) not in self._exclude_from_wd and not any(n in v.name for n in self._exclude_names):
                    v.assign_sub(_core.multiply(v, self.weight_decay * lr))
        self._step_begin()
        # The built-in rules' dense steps are gathered and run as one multi-variable kernel after the loop.
        self._pending = pending = [] if type(self).update_step.__module__.startswith("tapeflow.") else None
        try:
            for g, v in zip(grads, variables):
                if isinstance(g, IndexedSlices):
                    if g.dtype != v.dtype:
                        g = IndexedSlices(_core.cast(g.values, v.dtype.name), g.indices, g.dense_shape)
                elif g.dtype != v.dtype:
                    g = _core.cast(g, v.dtype.name)
                self.update_step(g, v, lr)
        finally:
            self._pending = None
        if pending:
            self._run_fused(pending)
        self.iterations.assign_add(1)
        for v in variables:
            if getattr(v, "constraint", None) is not None:
                v.assign(v.constraint(v))
        return self.iterations

    @property
    def _t(self):
        """This step's 1-based count (read by the rules written with Python arithmetic)."""
        return int(self.iterations) + 1

    def _step_begin(self):
        """Hook for per-step (not per-variable) state."""

    def _fused_only(self):
        """True when update_step only calls _apply_fused (it then needs no learning rate as a number)."""
        return False

    def _clip(self, grads):
        if self.clipvalue is not None:
            grads = [_core.clip_by_value(g, -self.clipvalue, self.clipvalue) for g in grads]
        if self.clipnorm is not None:
            grads = [_clip_by_norm(g, self.clipnorm) for g in grads]
        if self.global_clipnorm is not None:
            total = sum(float(_core.reduce_sum(_core.square(g))) for g in grads) ** 0.5
            if total > self.global_clipnorm:
                grads = [_core.multiply(g, self.global_clipnorm / total) for g in grads]
        return grads

    def update_step(self, gradient, variable, learning_rate):
        raise NotImplementedError("Optimizer subclasses must implement update_step")

    # Optimizers whose update_step goes through _apply_fused take IndexedSlices gradients as they are.
    _sparse_updates = False

    def _apply_fused(self, rule, variable, gradient, slots, lr, a=0.0, b=0.0, eps=0.0, betas=None):
        """One fused C++ step (``RULES[rule]``); a sparse gradient updates as its dense equivalent would.
        ``lr`` None: the learning-rate variable's value when the step runs. ``betas`` (beta_1, beta_2): Adam's bias
        correction from the step counter. Within apply_gradients, dense steps wait for ``_run_fused``."""
        sparse = isinstance(gradient, IndexedSlices)
        key = (rule, lr, a, b, eps, betas, variable.dtype)
        if self._pending is not None and not sparse:
            self._pending.append((key, variable, gradient, slots))
            return
        values, indices = (gradient.values, gradient.indices) if sparse else (gradient, None)
        self._run_fused([(key, variable, values, slots)], indices)

    _pending = None  # the dense fused steps gathered during apply_gradients

    def _run_fused(self, steps, indices=None):
        """Runs fused steps ``(key, variable, gradient, slots)``: one kernel for each run of steps with one key
        and distinct variables."""
        i = 0
        while i < len(steps):
            j, seen = i + 1, {id(steps[i][1])}
            while j < len(steps) and steps[j][0] == steps[i][0] and id(steps[j][1]) not in seen:
                seen.add(id(steps[j][1]))  # a variable given twice is stepped twice, one kernel after the other
                j += 1
            (rule, lr, a, b, eps, betas, _), group = steps[i][0], steps[i:j]
            beta_1, beta_2 = betas if betas is not None else (0.0, 0.0)
            _core._apply_update(RULES[rule], [s[1] for s in group], [s[2] for s in group], [s[3] for s in group],
                                0.0 if lr is None else lr, a, b, eps, indices,
                                self._learning_rate if lr is None else None,
                                self.iterations if betas is not None else None, beta_1, beta_2)
            i = j

    def minimize(self, loss, var_list, tape=None):
        """Computes the gradients of ``loss`` (a tensor with ``tape``, or a callable) and applies them."""
        from tapeflow.autodiff import GradientTape
        if callable(var_list):
            var_list = var_list()
        if tape is None:
            if not callable(loss):
                raise ValueError("`tape` is required when a `Tensor` loss is passed. Received: loss=%s, tape=None."
                                 % (loss,))
            with GradientTape() as tape:
                value = loss()
        else:
            value = loss() if callable(loss) else loss
        grads = tape.gradient(value, list(var_list))
        return self.apply_gradients(zip(grads, var_list))

    # ----------------------------------------------------------------- config
    def get_config(self):
        if self._schedule is not None and isinstance(self._schedule, schedules.LearningRateSchedule):
            lr = schedules.serialize(self._schedule)
        else:
            lr = self._lr_value()
        return {"name": self.name, "learning_rate": lr, "weight_decay": self.weight_decay, "clipnorm": self.clipnorm,
                "global_clipnorm": self.global_clipnorm, "clipvalue": self.clipvalue, "use_ema": self.use_ema}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        lr = config.get("learning_rate")
        if isinstance(lr, dict):
            config["learning_rate"] = schedules.deserialize(lr)
        for key in ("ema_momentum", "ema_overwrite_frequency", "loss_scale_factor", "gradient_accumulation_steps",
                    "is_legacy_optimizer", "jit_compile"):
            config.pop(key, None)
        return cls(**config)
