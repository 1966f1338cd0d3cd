"""keras.losses: loss functions (per-sample values, averaged over the last axis) and
Loss classes that apply sample weights and a reduction.

Reductions follow Keras: ``"sum_over_batch_size"`` (default) divides the weighted
sum by the number of per-sample values, ``"sum"`` sums, ``"none"`` returns them."""
import warnings

from tapeflow import _core
from tapeflow.keras import backend

_T = _core.convert_to_tensor


def _prep(y_true, y_pred):
    y_pred = _T(y_pred)
    if not y_pred.dtype.is_floating:
        y_pred = _core.cast(y_pred, backend.floatx())
    y_true = _core.cast(_T(y_true), y_pred.dtype.name)
    if y_true.ndim == y_pred.ndim - 1 and y_pred.ndim >= 1 and y_pred._shape[-1] == 1:
        y_true = _core.expand_dims(y_true, -1)
    elif y_pred.ndim == y_true.ndim - 1 and y_true._shape[-1] == 1:
        y_true = _core.squeeze(y_true, [-1])
    if tuple(y_true._shape) != tuple(y_pred._shape):
        try:
            _core.broadcast_to(y_true, list(y_pred._shape))
        except ValueError:
            raise ValueError("Arguments `target` and `output` must have the same shape. Received: target.shape=%s, "
                             "output.shape=%s" % (y_true.shape, y_pred.shape)) from None
    return y_true, y_pred


def _logits(y_pred, from_logits, fn_name, axis=None):
    """The logits behind a sigmoid output (``axis`` None) or a softmax output over ``axis``, as TensorFlow's Keras
    uses them: ``(tensor, from_logits)``."""
    kind = getattr(y_pred, "_keras_logits_kind", None)
    if kind is None or kind != ("sigmoid" if axis is None else axis % max(y_pred.ndim, 1)):
        return y_pred, from_logits
    if from_logits:
        warnings.warn("`%s` received `from_logits=True`, but the `output` argument was produced by a %s activation "
                      "and thus does not represent logits. Was this intended?"
                      % (fn_name, "Sigmoid" if axis is None else "Softmax"), stacklevel=3)
    return y_pred._keras_logits, True


def _mean_last(x):
    return _core.reduce_mean(x, -1)


def mean_squared_error(y_true, y_pred):
    y_true, y_pred = _prep(y_true, y_pred)
    return _mean_last(_core.squared_difference(y_pred, y_true))


def mean_absolute_error(y_true, y_pred):
    y_true, y_pred = _prep(y_true, y_pred)
    return _mean_last(_core.abs(_core.subtract(y_pred, y_true)))


def mean_absolute_percentage_error(y_true, y_pred):
    y_true, y_pred = _prep(y_true, y_pred)
    diff = _core.abs(_core.divide(_core.subtract(y_true, y_pred), _core.maximum(_core.abs(y_true), backend.epsilon())))
    return _core.multiply(_mean_last(diff), 100.0)


def mean_squared_logarithmic_error(y_true, y_pred):
    y_true, y_pred = _prep(y_true, y_pred)
    a = _core.log(_core.add(_core.maximum(y_pred, backend.epsilon()), 1.0))
    b = _core.log(_core.add(_core.maximum(y_true, backend.epsilon()), 1.0))
    return _mean_last(_core.squared_difference(a, b))


def huber(y_true, y_pred, delta=1.0):
    y_true, y_pred = _prep(y_true, y_pred)
    err = _core.abs(_core.subtract(y_pred, y_true))
    quad = _core.multiply(_core.square(err), 0.5)
    lin = _core.subtract(_core.multiply(err, delta), 0.5 * delta * delta)
    return _mean_last(_core.where(_core.less_equal(err, delta), quad, lin))


def log_cosh(y_true, y_pred):
    y_true, y_pred = _prep(y_true, y_pred)
    x = _core.subtract(y_pred, y_true)
    # log(cosh(x)) = x + softplus(-2x) - log(2), stable for large |x|.
    return _mean_last(_core.subtract(_core.add(x, _core.softplus(_core.multiply(x, -2.0))), 0.6931471805599453))


def poisson(y_true, y_pred):
    y_true, y_pred = _prep(y_true, y_pred)
    return _mean_last(_core.subtract(y_pred, _core.multiply(y_true, _core.log(_core.add(y_pred, backend.epsilon())))))


def kl_divergence(y_true, y_pred):
    y_true, y_pred = _prep(y_true, y_pred)
    eps = backend.epsilon()
    y_true = _core.clip_by_value(y_true, eps, 1.0)
    y_pred = _core.clip_by_value(y_pred, eps, 1.0)
    return _core.reduce_sum(_core.multiply(y_true, _core.log(_core.divide(y_true, y_pred))), -1)


def _l2_normalize(x, axis):
    return _core.multiply(x, _core.rsqrt(_core.maximum(_core.reduce_sum(_core.square(x), axis, True), 1e-12)))


def cosine_similarity(y_true, y_pred, axis=-1):
    y_true, y_pred = _prep(y_true, y_pred)
    return _core.negative(_core.reduce_sum(_core.multiply(_l2_normalize(y_true, axis), _l2_normalize(y_pred, axis)),
                                           axis))


def _hinge_labels(y_true):
    # Labels given as {0, 1} become {-1, 1}.
    is_binary = bool(_core.reduce_all(_core.logical_or(_core.equal(y_true, 0.0), _core.equal(y_true, 1.0))))
    return _core.subtract(_core.multiply(y_true, 2.0), 1.0) if is_binary else y_true


def hinge(y_true, y_pred):
    y_true, y_pred = _prep(y_true, y_pred)
    y_true = _hinge_labels(y_true)
    return _mean_last(_core.relu(_core.subtract(1.0, _core.multiply(y_true, y_pred))))


def squared_hinge(y_true, y_pred):
    y_true, y_pred = _prep(y_true, y_pred)
    y_true = _hinge_labels(y_true)
    return _mean_last(_core.square(_core.relu(_core.subtract(1.0, _core.multiply(y_true, y_pred)))))


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    y_pred, from_logits = _logits(y_pred, from_logits, "binary_crossentropy")
    y_true, y_pred = _prep(y_true, y_pred)
    if label_smoothing:
        y_true = _core.add(_core.multiply(y_true, 1.0 - label_smoothing), 0.5 * label_smoothing)
    if from_logits:
        bce = _core.sigmoid_cross_entropy_with_logits(_core.broadcast_to(y_true, list(y_pred._shape)), y_pred)
    else:
        eps = backend.epsilon()
        p = _core.clip_by_value(y_pred, eps, 1.0 - eps)
        bce = _core.negative(_core.add(_core.multiply(y_true, _core.log(p)),
                                       _core.multiply(_core.subtract(1.0, y_true), _core.log(_core.subtract(1.0, p)))))
    return _core.reduce_mean(bce, axis)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    y_pred, from_logits = _logits(y_pred, from_logits, "categorical_crossentropy", axis)
    y_true, y_pred = _prep(y_true, y_pred)
    if label_smoothing:
        n = y_pred._shape[axis]
        y_true = _core.add(_core.multiply(y_true, 1.0 - label_smoothing), label_smoothing / n)
    if from_logits:
        if axis not in (-1, y_pred.ndim - 1):
            return _core.negative(_core.reduce_sum(_core.multiply(y_true, _core.log_softmax(y_pred, axis)), axis))
        return _core.softmax_cross_entropy_with_logits(_core.broadcast_to(y_true, list(y_pred._shape)), y_pred)
    eps = backend.epsilon()
    p = _core.divide(y_pred, _core.reduce_sum(y_pred, axis, True))
    p = _core.clip_by_value(p, eps, 1.0 - eps)
    return _core.negative(_core.reduce_sum(_core.multiply(y_true, _core.log(p)), axis))


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    y_pred, from_logits = _logits(y_pred, from_logits, "sparse_categorical_crossentropy", -1)
    y_pred = _T(y_pred)
    y_true = _T(y_true)
    if y_true.ndim == y_pred.ndim and y_true._shape[-1] == 1:
        y_true = _core.squeeze(y_true, [-1])
    if y_true.ndim != y_pred.ndim - 1 or tuple(y_true._shape) != tuple(y_pred._shape[:-1]):
        raise ValueError("Argument `output` must have rank (ndim) `target.ndim - 1`, with matching leading "
                         "dimensions. Received: target.shape=%s, output.shape=%s" % (y_true.shape, y_pred.shape))
    labels = _core._class_ids(y_true)  # NaN labels raise (a cast would make them class 0)
    if ignore_class is not None:
        valid = _core.not_equal(labels, ignore_class)
        labels = _core.where(valid, labels, _core.zeros_like(labels))
    if not from_logits:  # as TensorFlow's Keras: log of the clipped probabilities, renormalised by the softmax
        eps = backend.epsilon()
        y_pred = _core.log(_core.clip_by_value(y_pred, eps, 1.0 - eps))
    loss = _core.sparse_softmax_cross_entropy_with_logits(labels, y_pred)
    if ignore_class is not None:
        loss = _core.multiply(loss, _core.cast(valid, loss.dtype.name))
    return loss


def categorical_hinge(y_true, y_pred):
    y_true, y_pred = _prep(y_true, y_pred)
    pos = _core.reduce_sum(_core.multiply(y_true, y_pred), -1)
    neg = _core.reduce_max(_core.multiply(_core.subtract(1.0, y_true), y_pred), -1)
    return _core.relu(_core.add(_core.subtract(neg, pos), 1.0))


_REDUCTIONS = ("sum_over_batch_size", "sum", "none", "mean", "auto", None)


def align_sample_weight(sample_weight, values):
    """Sample weights cast to ``values``' dtype with trailing axes dropped or added to match its rank."""
    sw = _core.cast(_T(sample_weight), values.dtype.name)
    while sw.ndim > values.ndim and sw._shape[-1] == 1:
        sw = _core.squeeze(sw, [-1])
    while sw.ndim < values.ndim:
        sw = _core.expand_dims(sw, -1)
    return sw


def _reduce(values, sample_weight, reduction):
    if sample_weight is not None:
        sw = align_sample_weight(sample_weight, values)
        values = _core.multiply(values, sw)
    if reduction in ("none", None):
        return values
    total = _core.reduce_sum(values)
    if reduction == "sum":
        return total
    if reduction == "mean" and sample_weight is not None:
        return _core.divide(total, _core.maximum(_core.reduce_sum(_core.broadcast_to(sw, list(values._shape))),
                                                 backend.epsilon()))
    count = 1
    for d in values._shape:
        count *= d
    return _core.divide(total, float(max(count, 1)))


class Loss:
    """Base class: subclasses implement ``call(y_true, y_pred)`` returning per-sample losses.

    Args:
      reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"`` (weighted mean) or ``"none"``.
      name: the loss's name.
    """

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        if reduction not in _REDUCTIONS:
            raise ValueError("Invalid value for argument `reduction`. Expected one of %s. Received: reduction=%r"
                             % (_REDUCTIONS[:4], reduction))
        self.name = name or backend.to_snake_case(type(self).__name__)
        self.reduction = "sum_over_batch_size" if reduction == "auto" else reduction
        self.dtype = dtype

    def __call__(self, y_true, y_pred, sample_weight=None):
        return _reduce(self.call(y_true, y_pred), sample_weight, self.reduction)

    def call(self, y_true, y_pred):
        raise NotImplementedError("Loss subclasses must implement call(y_true, y_pred)")

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class LossFunctionWrapper(Loss):
    """A Loss from a function ``fn(y_true, y_pred, **kwargs)``."""

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, **kwargs):
        super().__init__(name=name or fn.__name__, reduction=reduction)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        config = super().get_config()
        config.update(self._fn_kwargs)
        return config


def _loss_class(cls_name, fn, default_name, params=(), defaults=None):
    defaults = defaults or {}

    def __init__(self, *args, reduction="sum_over_batch_size", name=default_name, **kwargs):
        options = dict(defaults)
        if len(args) > len(params):
            raise TypeError("%s takes at most %d positional arguments" % (cls_name, len(params)))
        options.update(zip(params, args))
        for key in kwargs:
            if key not in params:
                raise TypeError("%s.__init__() got an unexpected keyword argument %r" % (cls_name, key))
        options.update(kwargs)
        LossFunctionWrapper.__init__(self, fn, reduction=reduction, name=name, **options)

    cls = type(cls_name, (LossFunctionWrapper,), {"__init__": __init__, "__module__": __name__,
                                                   "__doc__": "Loss class for ``%s``." % fn.__name__})
    return cls


MeanSquaredError = _loss_class("MeanSquaredError", mean_squared_error, "mean_squared_error")
MeanAbsoluteError = _loss_class("MeanAbsoluteError", mean_absolute_error, "mean_absolute_error")
MeanAbsolutePercentageError = _loss_class("MeanAbsolutePercentageError", mean_absolute_percentage_error,
                                          "mean_absolute_percentage_error")
MeanSquaredLogarithmicError = _loss_class("MeanSquaredLogarithmicError", mean_squared_logarithmic_error,
                                          "mean_squared_logarithmic_error")
Huber = _loss_class("Huber", huber, "huber_loss", ("delta",), {"delta": 1.0})
LogCosh = _loss_class("LogCosh", log_cosh, "log_cosh")
Poisson = _loss_class("Poisson", poisson, "poisson")
KLDivergence = _loss_class("KLDivergence", kl_divergence, "kl_divergence")
CosineSimilarity = _loss_class("CosineSimilarity", cosine_similarity, "cosine_similarity", ("axis",), {"axis": -1})
Hinge = _loss_class("Hinge", hinge, "hinge")
SquaredHinge = _loss_class("SquaredHinge", squared_hinge, "squared_hinge")
CategoricalHinge = _loss_class("CategoricalHinge", categorical_hinge, "categorical_hinge")
BinaryCrossentropy = _loss_class("BinaryCrossentropy", binary_crossentropy, "binary_crossentropy",
                                 ("from_logits", "label_smoothing", "axis"),
                                 {"from_logits": False, "label_smoothing": 0.0, "axis": -1})
CategoricalCrossentropy = _loss_class("CategoricalCrossentropy", categorical_crossentropy, "categorical_crossentropy",
                                      ("from_logits", "label_smoothing", "axis"),
                                      {"from_logits": False, "label_smoothing": 0.0, "axis": -1})
SparseCategoricalCrossentropy = _loss_class("SparseCategoricalCrossentropy", sparse_categorical_crossentropy,
                                            "sparse_categorical_crossentropy", ("from_logits", "ignore_class"),
                                            {"from_logits": False, "ignore_class": None})

# Aliases, as in Keras.
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh

_FUNCTIONS = {f.__name__: f for f in (
    mean_squared_error, mean_absolute_error, mean_absolute_percentage_error, mean_squared_logarithmic_error, huber,
    log_cosh, poisson, kl_divergence, cosine_similarity, hinge, squared_hinge, categorical_hinge, binary_crossentropy,
    categorical_crossentropy, sparse_categorical_crossentropy)}
_FUNCTIONS.update({"mse": mse, "mae": mae, "mape": mape, "msle": msle, "kld": kld, "logcosh": log_cosh,
                   "kullback_leibler_divergence": kl_divergence, "huber_loss": huber})
_CLASSES = {c.__name__: c for c in (
    MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredLogarithmicError, Huber, LogCosh,
    Poisson, KLDivergence, CosineSimilarity, Hinge, SquaredHinge, CategoricalHinge, BinaryCrossentropy,
    CategoricalCrossentropy, SparseCategoricalCrossentropy)}
_CLASS_OF = {mean_squared_error: MeanSquaredError, mean_absolute_error: MeanAbsoluteError,
             mean_absolute_percentage_error: MeanAbsolutePercentageError,
             mean_squared_logarithmic_error: MeanSquaredLogarithmicError, huber: Huber, log_cosh: LogCosh,
             poisson: Poisson, kl_divergence: KLDivergence, cosine_similarity: CosineSimilarity, hinge: Hinge,
             squared_hinge: SquaredHinge, categorical_hinge: CategoricalHinge,
             binary_crossentropy: BinaryCrossentropy, categorical_crossentropy: CategoricalCrossentropy,
             sparse_categorical_crossentropy: SparseCategoricalCrossentropy}


def get(identifier):
    """A loss function or object from a name (``"mse"``, ``"categorical_crossentropy"``,
    ``"BinaryCrossentropy"``), a config dict, a Loss or a callable."""
    if identifier is None:
        return None
    if isinstance(identifier, str):
        if identifier in _FUNCTIONS:
            return _FUNCTIONS[identifier]
        if identifier in _CLASSES:
            return _CLASSES[identifier]()
        raise ValueError("Could not interpret loss identifier: %r" % (identifier,))
    if isinstance(identifier, dict):
        cls = _CLASSES.get(identifier.get("class_name"))
        if cls is None:
            raise ValueError("Could not interpret loss identifier: %r" % (identifier,))
        return cls.from_config(identifier.get("config", {}))
    if callable(identifier):
        return identifier
    raise ValueError("Could not interpret loss identifier: %r" % (identifier,))


def as_loss_object(identifier):
    """A Loss object for ``compile``: functions are wrapped in their class or LossFunctionWrapper."""
    fn = get(identifier)
    if fn is None or isinstance(fn, Loss):
        return fn
    if fn in _CLASS_OF:
        return _CLASS_OF[fn]()
    return LossFunctionWrapper(fn, name=getattr(fn, "__name__", "loss"))


def serialize(loss):
    if isinstance(loss, Loss):
        return {"class_name": type(loss).__name__, "config": loss.get_config()}
    return getattr(loss, "__name__", None)


deserialize = get
