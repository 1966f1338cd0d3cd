"""What ``compile(loss=..., metrics=..., loss_weights=...)`` turns into: one loss and
a list of metrics per model output, matched to outputs by position or by name."""
from tapeflow import _core
from tapeflow.keras import losses as losses_mod
from tapeflow.keras import metrics as metrics_mod


def _check_keys(spec, output_names, what):
    unknown = [k for k in spec if k not in output_names]
    if unknown:
        raise ValueError("In the dict argument `%s`, key %r does not correspond to any model output. Received: "
                         "%s=%s; model output names: %s" % (what, unknown[0], what, spec, output_names))


def _per_output(spec, output_names, what):
    """Maps a loss/metric spec to one entry per output (None where an output has none)."""
    n = len(output_names)
    if isinstance(spec, dict):
        _check_keys(spec, output_names, what)
        return [spec.get(name) for name in output_names]
    if isinstance(spec, (list, tuple)) and what == "loss":
        if len(spec) != n:
            raise ValueError("For a model with %d outputs, when providing the `loss` argument as a list, it should "
                             "have as many entries as the model has outputs. Received: loss=%s of length %d"
                             % (n, spec, len(spec)))
        return list(spec)
    return [spec] * n


def _is_bce(loss):
    return loss is losses_mod.binary_crossentropy or isinstance(loss, losses_mod.BinaryCrossentropy)


def _is_sparse(loss):
    return loss is losses_mod.sparse_categorical_crossentropy or \
        isinstance(loss, losses_mod.SparseCategoricalCrossentropy)


def _resolve_metric(identifier, loss, y_true, y_pred):
    """A Metric object; ``"accuracy"``/``"acc"`` picks binary, sparse-categorical or
    categorical accuracy from the loss and the shapes of labels and predictions."""
    if isinstance(identifier, metrics_mod.Metric):
        return identifier
    name = identifier if isinstance(identifier, str) else getattr(identifier, "__name__", "metric")
    if identifier in ("accuracy", "acc"):
        p_last = y_pred._shape[-1] if y_pred.ndim else 1
        t_rank = y_true.ndim
        t_last = y_true._shape[-1] if y_true.ndim else 1
        if _is_bce(loss) or p_last == 1:
            fn = metrics_mod.binary_accuracy
        elif _is_sparse(loss) or t_rank < y_pred.ndim or (t_last == 1 and p_last > 1):
            fn = metrics_mod.sparse_categorical_accuracy
        else:
            fn = metrics_mod.categorical_accuracy
        return metrics_mod.MeanMetricWrapper(fn, name=name)
    m = metrics_mod.get(identifier)
    if isinstance(m, metrics_mod.Metric):
        return m
    return metrics_mod.MeanMetricWrapper(m, name=name)


class CompileLoss:
    """The weighted sum of the per-output losses; tracks each output's loss when there are several."""

    def __init__(self, loss, loss_weights=None):
        self._spec = loss
        self._weights_spec = loss_weights
        self.built = False

    def build(self, output_names):
        self.output_names = list(output_names)
        entries = _per_output(self._spec, self.output_names, "loss")
        self.losses = [None if e is None else losses_mod.as_loss_object(e) for e in entries]
        if self._weights_spec is None:
            self.weights = [1.0] * len(self.output_names)
        elif isinstance(self._weights_spec, dict):
            self.weights = [float(self._weights_spec.get(n, 1.0)) for n in self.output_names]
        else:
            if len(self._weights_spec) != len(self.output_names):
                raise ValueError("`loss_weights` should have %d entries (one per output); received %s"
                                 % (len(self.output_names), self._weights_spec))
            self.weights = [float(w) for w in self._weights_spec]
        multi = len(self.output_names) > 1
        self.trackers = [metrics_mod.Mean(name="%s_loss" % n) if multi and l is not None else None
                         for n, l in zip(self.output_names, self.losses)]
        self.built = True

    def __call__(self, ys_true, ys_pred, sample_weights):
        total = None
        for i, (loss, w) in enumerate(zip(self.losses, self.weights)):
            if loss is None or ys_true[i] is None:
                continue
            value = loss(ys_true[i], ys_pred[i], sample_weights[i])
            if self.trackers[i] is not None:
                self.trackers[i].update_state(value, sample_weight=float(ys_pred[i]._shape[0]))
            weighted = value if w == 1.0 else _core.multiply(value, w)
            total = weighted if total is None else _core.add(total, weighted)
        return total

    @property
    def metrics(self):
        return [t for t in getattr(self, "trackers", ()) if t is not None]


class CompileMetrics:
    """The compiled metrics of each output; multi-output models prefix names with the output's name."""

    def __init__(self, metrics, weighted_metrics=None):
        self._spec = metrics
        self._weighted_spec = weighted_metrics
        self.built = False
        self.per_output = []

    def _entries(self, spec, output_names):
        if spec is None:
            return [[] for _ in output_names]
        if isinstance(spec, dict):
            _check_keys(spec, output_names, "metrics")
            return [_as_list(spec.get(n)) for n in output_names]
        if isinstance(spec, (list, tuple)) and spec and all(isinstance(s, (list, tuple)) or s is None for s in spec):
            if len(spec) != len(output_names):
                raise ValueError("For a model with %d outputs, a nested `metrics` list needs %d entries; received %s"
                                 % (len(output_names), len(output_names), spec))
            return [_as_list(s) for s in spec]
        return [_as_list(spec) for _ in output_names]

    def build(self, output_names, losses, ys_true, ys_pred):
        multi = len(output_names) > 1
        self.per_output = []
        plain = self._entries(self._spec, output_names)
        weighted = self._entries(self._weighted_spec, output_names)
        for i, name in enumerate(output_names):
            objs = []
            for specs, is_weighted in ((plain[i], False), (weighted[i], True)):
                for s in specs:
                    if ys_true[i] is None:
                        continue
                    m = _resolve_metric(s, losses[i], ys_true[i], ys_pred[i])
                    if multi and not isinstance(s, metrics_mod.Metric):
                        m.name = "%s_%s" % (name, m.name)
                    objs.append((m, is_weighted))
            self.per_output.append(objs)
        self.built = True

    def update_state(self, ys_true, ys_pred, sample_weights):
        for i, objs in enumerate(self.per_output):
            for m, is_weighted in objs:
                m.update_state(ys_true[i], ys_pred[i], sample_weights[i] if is_weighted else None)

    @property
    def metrics(self):
        return [m for objs in self.per_output for m, _ in objs]


def _as_list(x):
    if x is None:
        return []
    return list(x) if isinstance(x, (list, tuple)) else [x]
