"""keras.metrics: stateful metrics. State lives in variables updated in place by
``update_state``; ``result()`` computes the value; ``reset_state()`` zeroes it."""
import warnings

import numpy as np

from tapeflow import _core
from tapeflow.variables import Variable
from tapeflow.keras import backend, initializers
from tapeflow.keras import losses as _losses

_T = _core.convert_to_tensor


class Metric:
    """Base class for metrics.

    Subclasses create state with ``add_weight`` in ``__init__`` and implement
    ``update_state(*args, **kwargs)`` and ``result()``.
    """

    def __init__(self, name=None, dtype=None):
        self.name = name or backend.to_snake_case(type(self).__name__)
        self._dtype = dtype or backend.floatx()
        self._variables = []
        self._initial = []

    dtype = property(lambda self: self._dtype)
    variables = property(lambda self: list(self._variables))

    def add_weight(self, name=None, shape=(), initializer="zeros", dtype=None, aggregation="sum"):
        if isinstance(name, (tuple, list)):
            name, shape = None, name
        dtype = dtype or self._dtype
        value = initializers.get(initializer)(tuple(shape), dtype=dtype)
        var = Variable(value, trainable=False, name="%s/%s" % (self.name, name or "variable"), dtype=dtype)
        self._variables.append(var)
        self._initial.append(value)
        return var

    def update_state(self, *args, **kwargs):
        raise NotImplementedError("Metric subclasses must implement update_state")

    def result(self):
        raise NotImplementedError("Metric subclasses must implement result")

    def reset_state(self):
        for v, init in zip(self._variables, self._initial):
            v.assign(init)

    reset_states = reset_state

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": self._dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return "<%s name=%s>" % (type(self).__name__, self.name)


def _weights_like(sample_weight, values):
    return _core.broadcast_to(_losses.align_sample_weight(sample_weight, values), list(values._shape))


class Reduce(Metric):
    def __init__(self, reduction, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._reduction = reduction
        self.total = self.add_weight("total", initializer="zeros")
        if reduction == "mean":
            self.count = self.add_weight("count", initializer="zeros")

    def update_state(self, values, sample_weight=None):
        values = _core.cast(_T(values), self._dtype)
        if sample_weight is not None:
            sw = _weights_like(sample_weight, values)
            self.total.assign_add(_core.reduce_sum(_core.multiply(values, sw)))
            if self._reduction == "mean":
                self.count.assign_add(_core.reduce_sum(sw))
        else:
            self.total.assign_add(_core.reduce_sum(values))
            if self._reduction == "mean":
                n = 1
                for d in values._shape:
                    n *= d
                self.count.assign_add(float(n))

    def result(self):
        if self._reduction == "sum":
            return _core.identity(self.total)
        return _divide_no_nan(self.total, self.count)


def _divide_no_nan(a, b):
    b = _T(b)
    safe = _core.where(_core.equal(b, 0.0), _core.ones_like(b), b)
    return _core.where(_core.equal(b, 0.0), _core.zeros_like(_core.divide(a, safe)), _core.divide(a, safe))


class Mean(Reduce):
    """The (weighted) mean of the values given to ``update_state``."""

    def __init__(self, name="mean", dtype=None):
        super().__init__("mean", name=name, dtype=dtype)


class Sum(Reduce):
    """The (weighted) sum of the values given to ``update_state``."""

    def __init__(self, name="sum", dtype=None):
        super().__init__("sum", name=name, dtype=dtype)


class MeanMetricWrapper(Mean):
    """The mean over samples of ``fn(y_true, y_pred, **kwargs)``."""

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name or fn.__name__, dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        super().update_state(self._fn(y_true, y_pred, **self._fn_kwargs), sample_weight)

    def get_config(self):
        config = super().get_config()
        config.update(self._fn_kwargs)
        return config


def _squeeze_to(y_true, y_pred):
    y_true, y_pred = _T(y_true), _T(y_pred)
    if y_true.ndim == y_pred.ndim + 1 and y_true._shape[-1] == 1:
        y_true = _core.squeeze(y_true, [-1])
    elif y_pred.ndim == y_true.ndim + 1 and y_pred._shape[-1] == 1:
        y_pred = _core.squeeze(y_pred, [-1])
    return y_true, y_pred


def accuracy(y_true, y_pred):
    y_true, y_pred = _squeeze_to(y_true, y_pred)
    return _core.cast(_core.equal(_core.cast(y_true, y_pred.dtype.name), y_pred), backend.floatx())


def binary_accuracy(y_true, y_pred, threshold=0.5):
    y_true, y_pred = _squeeze_to(y_true, y_pred)
    pred = _core.cast(_core.greater(y_pred, threshold), backend.floatx())
    match = _core.cast(_core.equal(_core.cast(y_true, backend.floatx()), pred), backend.floatx())
    return _core.reduce_mean(match, -1) if match.ndim > 1 else match


def categorical_accuracy(y_true, y_pred):
    return _core.cast(_core.equal(_core.argmax(_T(y_true), -1), _core.argmax(_T(y_pred), -1)), backend.floatx())


def sparse_categorical_accuracy(y_true, y_pred):
    y_true, y_pred = _T(y_true), _T(y_pred)
    if y_true.ndim == y_pred.ndim and y_true._shape[-1] == 1:
        y_true = _core.squeeze(y_true, [-1])
    pred = _core.argmax(y_pred, -1)
    return _core.cast(_core.equal(_core.cast(y_true, "int64"), pred), backend.floatx())


def _in_top_k(targets, predictions, k):
    # A target is in the top k when fewer than k classes score strictly higher (ties count as in).
    n = predictions._shape[-1]
    target_score = _core.reduce_sum(_core.multiply(predictions, _core.one_hot(targets, n, dtype=predictions.dtype.name)),
                                    -1, True)
    higher = _core.reduce_sum(_core.cast(_core.greater(predictions, target_score), "int32"), -1)
    return _core.cast(_core.less(higher, k), backend.floatx())


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    y_pred = _core.cast(_T(y_pred), backend.floatx())
    return _in_top_k(_core.argmax(_T(y_true), -1), y_pred, k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    y_true, y_pred = _T(y_true), _core.cast(_T(y_pred), backend.floatx())
    if y_true.ndim == y_pred.ndim and y_true._shape[-1] == 1:
        y_true = _core.squeeze(y_true, [-1])
    return _in_top_k(_core.cast(y_true, "int64"), y_pred, k)


def _wrapper_class(cls_name, fn, default_name, params=(), defaults=None):
    defaults = defaults or {}

    def __init__(self, *args, name=default_name, dtype=None, **kwargs):
        options = dict(defaults)
        options.update(zip(params, args))
        for key in kwargs:
            if key not in params:
                raise TypeError("%s.__init__() got an unexpected keyword argument %r" % (cls_name, key))
        options.update(kwargs)
        MeanMetricWrapper.__init__(self, fn, name=name, dtype=dtype, **options)

    return type(cls_name, (MeanMetricWrapper,), {"__init__": __init__, "__module__": __name__,
                                                  "__doc__": "The mean of ``%s`` over samples." % fn.__name__})


Accuracy = _wrapper_class("Accuracy", accuracy, "accuracy")
BinaryAccuracy = _wrapper_class("BinaryAccuracy", binary_accuracy, "binary_accuracy", ("threshold",),
                                {"threshold": 0.5})
CategoricalAccuracy = _wrapper_class("CategoricalAccuracy", categorical_accuracy, "categorical_accuracy")
SparseCategoricalAccuracy = _wrapper_class("SparseCategoricalAccuracy", sparse_categorical_accuracy,
                                           "sparse_categorical_accuracy")
TopKCategoricalAccuracy = _wrapper_class("TopKCategoricalAccuracy", top_k_categorical_accuracy,
                                         "top_k_categorical_accuracy", ("k",), {"k": 5})
SparseTopKCategoricalAccuracy = _wrapper_class("SparseTopKCategoricalAccuracy", sparse_top_k_categorical_accuracy,
                                               "sparse_top_k_categorical_accuracy", ("k",), {"k": 5})
MeanSquaredError = _wrapper_class("MeanSquaredError", _losses.mean_squared_error, "mean_squared_error")
MeanAbsoluteError = _wrapper_class("MeanAbsoluteError", _losses.mean_absolute_error, "mean_absolute_error")
MeanAbsolutePercentageError = _wrapper_class("MeanAbsolutePercentageError", _losses.mean_absolute_percentage_error,
                                             "mean_absolute_percentage_error")
BinaryCrossentropy = _wrapper_class("BinaryCrossentropy", _losses.binary_crossentropy, "binary_crossentropy",
                                    ("from_logits", "label_smoothing"), {"from_logits": False, "label_smoothing": 0.0})
CategoricalCrossentropy = _wrapper_class("CategoricalCrossentropy", _losses.categorical_crossentropy,
                                         "categorical_crossentropy", ("from_logits", "label_smoothing"),
                                         {"from_logits": False, "label_smoothing": 0.0})
SparseCategoricalCrossentropy = _wrapper_class("SparseCategoricalCrossentropy", _losses.sparse_categorical_crossentropy,
                                               "sparse_categorical_crossentropy", ("from_logits",),
                                               {"from_logits": False})


class RootMeanSquaredError(Mean):
    """``sqrt(mean((y_pred - y_true) ** 2))`` over all values seen."""

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = _losses._prep(y_true, y_pred)
        super().update_state(_core.squared_difference(y_pred, y_true), sample_weight)

    def result(self):
        return _core.sqrt(super().result())


def _thresholds_arg(thresholds, default):
    if thresholds is None:
        return [default], True
    if isinstance(thresholds, (list, tuple)):
        return [float(t) for t in thresholds], False
    return [float(thresholds)], True


def _flat_binary(y_true, y_pred, sample_weight, class_id=None):
    y_true = _core.cast(_T(y_true), "float32")
    y_pred = _core.cast(_T(y_pred), "float32")
    if class_id is not None:
        y_true = y_true[..., class_id]
        y_pred = y_pred[..., class_id]
    w = None if sample_weight is None else _core.reshape(_weights_like(sample_weight, y_pred), [-1])
    return _core.reshape(y_true, [-1]), _core.reshape(y_pred, [-1]), w


def _accumulate_confusion(metric, labels, preds, weights, thresholds, which):
    """Adds the weighted per-threshold counts named in ``which`` (``true_positives``, ``false_positives``,
    ``false_negatives``, ``true_negatives``) to the metric's state variables of those names."""
    limits = _core.convert_to_tensor(np.asarray([thresholds], dtype="float32"))
    above = _core.cast(_core.greater(_core.expand_dims(preds, 1), limits), "float32")
    pos = _core.expand_dims(labels, 1)
    w = None if weights is None else _core.expand_dims(weights, 1)
    for name in which:
        predicted = above if name in ("true_positives", "false_positives") else _core.subtract(1.0, above)
        actual = pos if name in ("true_positives", "false_negatives") else _core.subtract(1.0, pos)
        m = _core.multiply(predicted, actual)
        if w is not None:
            m = _core.multiply(m, w)
        getattr(metric, name).assign_add(_core.reduce_sum(m, 0))


class _ThresholdMetric(Metric):
    _counts = ()

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        if top_k is not None:
            raise NotImplementedError("%s(top_k=...) is not supported in this version of tapeflow; use thresholds "
                                      "(and class_id) instead." % type(self).__name__)
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        self.thresholds, self._scalar = _thresholds_arg(thresholds, 0.5)
        for name in self._counts:
            setattr(self, name, self.add_weight(name, shape=(len(self.thresholds),), initializer="zeros"))

    def update_state(self, y_true, y_pred, sample_weight=None):
        labels, preds, w = _flat_binary(y_true, y_pred, sample_weight, self.class_id)
        _accumulate_confusion(self, labels, preds, w, self.thresholds, self._counts)

    def _finish(self, value):
        return value[0] if self._scalar else value

    def get_config(self):
        config = super().get_config()
        config.update({"thresholds": self.init_thresholds, "top_k": self.top_k, "class_id": self.class_id})
        return config


class Precision(_ThresholdMetric):
    """``tp / (tp + fp)`` where a prediction above ``thresholds`` (default 0.5) counts as positive."""
    _counts = ("true_positives", "false_positives")

    def result(self):
        return self._finish(_divide_no_nan(self.true_positives, _core.add(self.true_positives, self.false_positives)))


class Recall(_ThresholdMetric):
    """``tp / (tp + fn)`` where a prediction above ``thresholds`` (default 0.5) counts as positive."""
    _counts = ("true_positives", "false_negatives")

    def result(self):
        return self._finish(_divide_no_nan(self.true_positives, _core.add(self.true_positives, self.false_negatives)))


class _ConditionCount(_ThresholdMetric):
    """The weighted count of one cell of the confusion matrix at each threshold (default 0.5)."""

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(thresholds=thresholds, name=name, dtype=dtype)

    def result(self):
        return self._finish(getattr(self, self._counts[0]).value())

    def get_config(self):
        return {"name": self.name, "dtype": self._dtype, "thresholds": self.init_thresholds}


class TruePositives(_ConditionCount):
    _counts = ("true_positives",)


class FalsePositives(_ConditionCount):
    _counts = ("false_positives",)


class TrueNegatives(_ConditionCount):
    _counts = ("true_negatives",)


class FalseNegatives(_ConditionCount):
    _counts = ("false_negatives",)


class FBetaScore(Metric):
    """The F-beta score of multi-label or one-hot predictions (batch, classes): per class, or averaged
    ("micro": over all cells, "macro": the classes' mean, "weighted": by each class's count of true labels). A
    prediction above ``threshold`` counts as positive; with ``threshold=None`` each row's largest (non-zero)
    prediction does. Numerics as Keras 3's (epsilon in each division)."""

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError("Invalid `average` argument value. Expected one of: {None, 'micro', 'macro', "
                             "'weighted'}. Received: average=%r" % (average,))
        if not isinstance(beta, float) or beta <= 0.0:
            raise ValueError("Invalid `beta` argument value. It should be a Python float > 0. Received: beta=%r"
                             % (beta,))
        if threshold is not None and not (isinstance(threshold, float) and 0.0 < threshold <= 1.0):
            raise ValueError("Invalid `threshold` argument value. It should be a Python float in the range ]0, 1]. "
                             "Received: threshold=%r" % (threshold,))
        self.average, self.beta, self.threshold = average, beta, threshold
        self._cells = None  # true_positives, false_positives, false_negatives, supports: made on the first update

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = _core.cast(_T(y_true), self._dtype)
        y_pred = _core.cast(_T(y_pred), self._dtype)
        if y_pred.ndim != 2 or tuple(y_true.shape) != tuple(y_pred.shape):
            raise ValueError("FBetaScore expects 2D inputs with shape (batch_size, output_dim) for both y_true and "
                             "y_pred. Received: y_true.shape=%s, y_pred.shape=%s" % (y_true.shape, y_pred.shape))
        if self._cells is None:
            shape = () if self.average == "micro" else (y_pred.shape[-1],)
            self._cells = [self.add_weight(n, shape=shape) for n in ("true_positives", "false_positives",
                                                                     "false_negatives", "intermediate_weights")]
        if self.threshold is None:
            top = _core.reduce_max(y_pred, -1, True)
            positive = _core.logical_and(_core.greater_equal(y_pred, top), _core.greater(_core.abs(y_pred), 1e-9))
        else:
            positive = _core.greater(y_pred, self.threshold)
        predicted = _core.cast(positive, self._dtype)
        missed = _core.subtract(1.0, predicted)
        axis = None if self.average == "micro" else 0
        weight = None if sample_weight is None else _core.expand_dims(_core.cast(_T(sample_weight), self._dtype), 1)
        for var, cell in zip(self._cells, (_core.multiply(predicted, y_true),
                                            _core.multiply(predicted, _core.subtract(1.0, y_true)),
                                            _core.multiply(missed, y_true), y_true)):
            var.assign_add(_core.reduce_sum(cell if weight is None else _core.multiply(cell, weight), axis))

    def result(self):
        if self._cells is None:
            return _core.convert_to_tensor(0.0)
        tp, fp, fn, supports = self._cells
        eps = backend.epsilon()
        precision = _core.divide(tp, _core.add(_core.add(tp, fp), eps))
        recall = _core.divide(tp, _core.add(_core.add(tp, fn), eps))
        beta2 = self.beta ** 2
        score = _core.multiply(_core.divide(_core.multiply(precision, recall),
                                            _core.add(_core.add(_core.multiply(precision, beta2), recall), eps)),
                               1.0 + beta2)
        if self.average == "weighted":
            share = _core.divide(supports, _core.add(_core.reduce_sum(supports), eps))
            return _core.reduce_sum(_core.multiply(score, share))
        if self.average is not None:
            return _core.reduce_mean(score)
        return score

    def get_config(self):
        config = super().get_config()
        config.update({"average": self.average, "beta": self.beta, "threshold": self.threshold})
        return config


class F1Score(FBetaScore):
    """FBetaScore with beta = 1."""

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self):
        config = super().get_config()
        del config["beta"]
        return config


class AUC(Metric):
    """Area under the ROC or precision-recall curve, from confusion counts at
    ``num_thresholds`` thresholds evenly spaced in [0, 1] (Riemann sum with
    trapezoids for ROC; the interpolation of Davis & Goadrich for PR)."""

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation", name=None, dtype=None,
                 thresholds=None, multi_label=False, num_labels=None, label_weights=None, from_logits=False):
        super().__init__(name=name or "auc", dtype=dtype)
        if multi_label or label_weights is not None:
            raise NotImplementedError("AUC(multi_label=True) and AUC(label_weights=...) are not supported in this "
                                      "version of tapeflow; AUC pools all labels into one curve.")
        if curve.upper() not in ("ROC", "PR"):
            raise ValueError('Invalid AUC curve value: "%s". Expected values are ["ROC", "PR"]' % (curve,))
        if summation_method not in ("interpolation", "minoring", "majoring"):
            raise ValueError("Invalid AUC summation method value: %r" % (summation_method,))
        if thresholds is not None:
            self.thresholds = [0.0 - backend.epsilon()] + sorted(float(t) for t in thresholds) + [1.0 + backend.epsilon()]
            num_thresholds = len(self.thresholds)
        else:
            if num_thresholds <= 1:
                raise ValueError("Argument `num_thresholds` must be an integer > 1. Received: num_thresholds=%r"
                                 % (num_thresholds,))
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self.thresholds = [0.0 - backend.epsilon()] + inner + [1.0 + backend.epsilon()]
        self.num_thresholds = num_thresholds
        self.curve = curve.upper()
        self.summation_method = summation_method
        self.multi_label = multi_label
        self.from_logits = from_logits
        n = len(self.thresholds)
        self.true_positives = self.add_weight("true_positives", shape=(n,))
        self.false_positives = self.add_weight("false_positives", shape=(n,))
        self.true_negatives = self.add_weight("true_negatives", shape=(n,))
        self.false_negatives = self.add_weight("false_negatives", shape=(n,))

    def update_state(self, y_true, y_pred, sample_weight=None):
        if self.from_logits:
            y_pred = _core.sigmoid(_T(y_pred))
        labels, preds, w = _flat_binary(y_true, y_pred, sample_weight)
        _accumulate_confusion(self, labels, preds, w, self.thresholds,
                              ("true_positives", "false_positives", "true_negatives", "false_negatives"))

    def result(self):
        tp, fp, tn, fn = self.true_positives, self.false_positives, self.true_negatives, self.false_negatives
        n = len(self.thresholds)
        if self.curve == "PR" and self.summation_method == "interpolation":
            dtp = _core.subtract(tp[: n - 1], tp[1:])
            p = _core.add(tp, fp)
            dp = _core.subtract(p[: n - 1], p[1:])
            slope = _divide_no_nan(dtp, _core.maximum(dp, 0.0))
            intercept = _core.subtract(tp[1:], _core.multiply(slope, p[1:]))
            both = _core.logical_and(_core.greater(p[: n - 1], 0.0), _core.greater(p[1:], 0.0))
            ratio = _core.where(both, _divide_no_nan(p[: n - 1], _core.maximum(p[1:], 0.0)), _core.ones_like(p[1:]))
            inc = _divide_no_nan(_core.multiply(slope, _core.add(dtp, _core.multiply(intercept, _core.log(ratio)))),
                                 _core.maximum(_core.add(tp[1:], fn[1:]), 0.0))
            return _core.reduce_sum(inc)
        recall = _divide_no_nan(tp, _core.add(tp, fn))
        if self.curve == "ROC":
            x = _divide_no_nan(fp, _core.add(fp, tn))
            y = recall
        else:
            x = recall
            y = _divide_no_nan(tp, _core.add(tp, fp))
        if self.summation_method == "interpolation":
            heights = _core.multiply(_core.add(y[: n - 1], y[1:]), 0.5)
        elif self.summation_method == "minoring":
            heights = _core.minimum(y[: n - 1], y[1:])
        else:
            heights = _core.maximum(y[: n - 1], y[1:])
        return _core.reduce_sum(_core.multiply(_core.subtract(x[: n - 1], x[1:]), heights))

    def get_config(self):
        config = super().get_config()
        config.update({"num_thresholds": self.num_thresholds, "curve": self.curve,
                       "summation_method": self.summation_method, "multi_label": self.multi_label,
                       "from_logits": self.from_logits})
        return config


class _AtConstraint(Metric):
    """The best of one rate among the thresholds where another rate reaches ``value`` (0 where none does), from
    confusion counts at ``num_thresholds`` thresholds evenly spaced in [0, 1] (one: 0.5)."""
    _arg = None  # the constructor's name for ``value``

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        if num_thresholds <= 0:
            raise ValueError("Argument `num_thresholds` must be an integer > 0. Received: num_thresholds=%r"
                             % (num_thresholds,))
        if not 0 <= value <= 1:
            raise ValueError("Argument `%s` must be in the range [0, 1]. Received: %s=%s" % (self._arg, self._arg,
                                                                                          value))
        self.value, self.num_thresholds, self.class_id = value, num_thresholds, class_id
        self.thresholds = [0.5] if num_thresholds == 1 else (
            [0.0] + [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)] + [1.0])
        for count in ("true_positives", "false_positives", "true_negatives", "false_negatives"):
            setattr(self, count, self.add_weight(count, shape=(len(self.thresholds),)))

    def update_state(self, y_true, y_pred, sample_weight=None):
        labels, preds, w = _flat_binary(y_true, y_pred, sample_weight, self.class_id)
        _accumulate_confusion(self, labels, preds, w, self.thresholds,
                              ("true_positives", "false_positives", "true_negatives", "false_negatives"))

    # each rate as (numerator, the other count of its denominator)
    _RATES = {"sensitivity": ("true_positives", "false_negatives"), "recall": ("true_positives", "false_negatives"),
              "specificity": ("true_negatives", "false_positives"), "precision": ("true_positives", "false_positives")}

    def _rate(self, name):
        hit, miss = (getattr(self, count) for count in self._RATES[name])
        return _divide_no_nan(hit, _core.add(hit, miss))

    def result(self):
        best = self._rate(self._best)
        feasible = _core.greater_equal(self._rate(self._arg), float(self.value))
        return _core.maximum(_core.reduce_max(_core.where(feasible, best, _core.zeros_like(best))), 0.0)

    def get_config(self):
        return {"name": self.name, "dtype": self._dtype, "class_id": self.class_id,
                "num_thresholds": self.num_thresholds, self._arg: self.value}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        return cls(config.pop(cls._arg), **config)


class SensitivityAtSpecificity(_AtConstraint):
    """The best sensitivity (recall) where specificity is at least ``specificity``."""
    _arg, _best = "specificity", "sensitivity"

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(specificity, num_thresholds, class_id, name, dtype)


class SpecificityAtSensitivity(_AtConstraint):
    """The best specificity where sensitivity (recall) is at least ``sensitivity``."""
    _arg, _best = "sensitivity", "specificity"

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)


class PrecisionAtRecall(_AtConstraint):
    """The best precision where recall is at least ``recall``."""
    _arg, _best = "recall", "precision"

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(recall, num_thresholds, class_id, name, dtype)


class RecallAtPrecision(_AtConstraint):
    """The best recall where precision is at least ``precision``."""
    _arg, _best = "precision", "recall"

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(precision, num_thresholds, class_id, name, dtype)


class IoU(Metric):
    """Intersection over union per class, ``tp / (tp + fp + fn)`` from a weighted confusion matrix of
    ``num_classes`` classes, averaged over ``target_class_ids`` that occur (in labels or predictions). Labels and
    predictions are class ids (``sparse_y_true`` / ``sparse_y_pred``) or scores whose argmax over ``axis`` is
    taken; ids out of range, and ``ignore_class``, are left out."""

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None, sparse_y_true=True,
                 sparse_y_pred=True, axis=-1):
        super().__init__(name=name, dtype=dtype or "int64")  # Keras 3 counts in integers unless given a float dtype
        if max(target_class_ids) >= num_classes:
            raise ValueError("Target class id %d is out of range, which is [0, %d)." % (max(target_class_ids),
                                                                                     num_classes))
        self.num_classes, self.target_class_ids = num_classes, list(target_class_ids)
        self.ignore_class, self.sparse_y_true, self.sparse_y_pred, self.axis = (ignore_class, sparse_y_true,
                                                                                sparse_y_pred, axis)
        self.total_cm = self.add_weight("total_confusion_matrix", shape=(num_classes, num_classes))

    def _ids(self, y, sparse):
        y = _T(y)
        return _core.reshape(_core.cast(y if sparse else _core.argmax(y, axis=self.axis), "int32"), [-1])

    def update_state(self, y_true, y_pred, sample_weight=None):
        t, p = self._ids(y_true, self.sparse_y_true), self._ids(y_pred, self.sparse_y_pred)
        keep = _core.logical_and(_core.logical_and(_core.greater_equal(t, 0), _core.less(t, self.num_classes)),
                                 _core.logical_and(_core.greater_equal(p, 0), _core.less(p, self.num_classes)))
        if self.ignore_class is not None:
            keep = _core.logical_and(keep, _core.not_equal(t, int(self.ignore_class)))
        w = _core.cast(keep, "float32")
        if sample_weight is not None:
            sw = _core.cast(_T(sample_weight), "float32")
            if "int" in self._dtype:  # as Keras: float weights truncated to the metric's integer dtype
                if not getattr(self, "_warned", False):
                    warnings.warn("You are passing weight as `float`, but dtype is `int`. This may result in an "
                                  "incorrect weight due to type casting Consider using integer weights.")
                    self._warned = True
                sw = _core.cast(_core.cast(sw, self._dtype), "float32")
            w = _core.multiply(w, _core.broadcast_to(_core.reshape(sw, [-1]) if sw.ndim > 1 else sw, list(t.shape)))
        rows = _core.one_hot(t, self.num_classes)
        cols = _core.multiply(_core.one_hot(p, self.num_classes), _core.expand_dims(w, -1))
        self.total_cm.assign_add(_core.cast(_core.matmul(_core.transpose(rows), cols), self._dtype))

    def result(self):
        cm = _core.cast(self.total_cm.value(), "float32")
        tp = _core.reduce_sum(_core.multiply(cm, np.eye(self.num_classes, dtype="float32")), 1)
        denominator = _core.subtract(_core.add(_core.reduce_sum(cm, 0), _core.reduce_sum(cm, 1)), tp)
        ids = _T(np.asarray(self.target_class_ids, "int32"))
        tp, denominator = _core.gather(tp, ids), _core.gather(denominator, ids)
        valid = _core.greater(denominator, 1e-9)
        iou = _core.where(valid, _core.divide(tp, _core.add(denominator, backend.epsilon())), _core.zeros_like(tp))
        count = _core.reduce_sum(_core.cast(valid, "float32"))
        return _core.divide(_core.reduce_sum(iou), _core.add(count, backend.epsilon()))

    def get_config(self):
        return {"name": self.name, "dtype": self._dtype, "num_classes": self.num_classes,
                "target_class_ids": self.target_class_ids, "ignore_class": self.ignore_class,
                "sparse_y_true": self.sparse_y_true, "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class MeanIoU(IoU):
    """IoU averaged over every class."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_true=True,
                 sparse_y_pred=True, axis=-1):
        super().__init__(num_classes, list(range(num_classes)), name, dtype, ignore_class, sparse_y_true,
                         sparse_y_pred, axis)

    def get_config(self):
        config = super().get_config()
        del config["target_class_ids"]
        return config


class OneHotIoU(IoU):
    """IoU of one-hot labels and score predictions (argmax of both)."""

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None, sparse_y_pred=False,
                 axis=-1):
        super().__init__(num_classes, target_class_ids, name, dtype, ignore_class, False, sparse_y_pred, axis)

    def get_config(self):
        config = super().get_config()
        del config["sparse_y_true"]
        return config


class OneHotMeanIoU(MeanIoU):
    """MeanIoU of one-hot labels and score predictions (argmax of both)."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, name, dtype, ignore_class, False, sparse_y_pred, axis)

    def get_config(self):
        config = super().get_config()
        del config["sparse_y_true"]
        return config


class BinaryIoU(IoU):
    """IoU of binary labels and predictions thresholded at ``threshold`` (a score at or above it is 1)."""

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(2, list(target_class_ids), name, dtype)
        self.threshold = threshold

    def update_state(self, y_true, y_pred, sample_weight=None):
        predicted = _core.cast(_core.greater_equal(_core.cast(_T(y_pred), "float32"), float(self.threshold)), "int32")
        super().update_state(y_true, predicted, sample_weight)

    def get_config(self):
        return {"name": self.name, "dtype": self._dtype, "target_class_ids": self.target_class_ids,
                "threshold": self.threshold}


mse = MSE = _losses.mean_squared_error
mae = MAE = _losses.mean_absolute_error
mape = MAPE = _losses.mean_absolute_percentage_error
mean_squared_error = _losses.mean_squared_error
mean_absolute_error = _losses.mean_absolute_error

_FUNCTIONS = {"accuracy": accuracy, "acc": accuracy, "binary_accuracy": binary_accuracy,
              "categorical_accuracy": categorical_accuracy, "sparse_categorical_accuracy": sparse_categorical_accuracy,
              "top_k_categorical_accuracy": top_k_categorical_accuracy,
              "sparse_top_k_categorical_accuracy": sparse_top_k_categorical_accuracy}
_CLASSES = {c.__name__: c for c in (
    Mean, Sum, Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy, TopKCategoricalAccuracy,
    SparseTopKCategoricalAccuracy, MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
    RootMeanSquaredError, BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy, AUC, Precision,
    Recall, TruePositives, FalsePositives, TrueNegatives, FalseNegatives, FBetaScore, F1Score,
    SensitivityAtSpecificity, SpecificityAtSensitivity, PrecisionAtRecall, RecallAtPrecision, IoU, MeanIoU, OneHotIoU,
    OneHotMeanIoU, BinaryIoU)}
_CLASS_BY_NAME = {"auc": AUC, "precision": Precision, "recall": Recall, "root_mean_squared_error": RootMeanSquaredError,
                  "rmse": RootMeanSquaredError}


def get(identifier):
    """A metric function or object from a name (``"accuracy"``, ``"mae"``, ``"AUC"``), a Metric or a callable."""
    if isinstance(identifier, Metric) or identifier is None:
        return identifier
    if isinstance(identifier, str):
        if identifier in _FUNCTIONS:
            return _FUNCTIONS[identifier]
        if identifier in _CLASSES:
            return _CLASSES[identifier]()
        if identifier in _CLASS_BY_NAME:
            return _CLASS_BY_NAME[identifier]()
        try:
            return _losses.get(identifier)
        except ValueError:
            raise ValueError("Could not interpret metric identifier: %r" % (identifier,)) from None
    if isinstance(identifier, dict):
        cls = _CLASSES.get(identifier.get("class_name"))
        if cls is None:
            raise ValueError("Could not interpret metric identifier: %r" % (identifier,))
        return cls.from_config(identifier.get("config", {}))
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError("Could not interpret metric identifier: %r" % (identifier,))


def serialize(metric):
    if isinstance(metric, Metric):
        return {"class_name": type(metric).__name__, "config": metric.get_config()}
    return getattr(metric, "__name__", None)


deserialize = get
