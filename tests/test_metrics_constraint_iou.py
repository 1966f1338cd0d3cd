"""SensitivityAtSpecificity / SpecificityAtSensitivity / PrecisionAtRecall / RecallAtPrecision and the IoU metrics.
The expected values were printed by Keras 3.15 (TensorFlow backend) for exactly these inputs and calls."""
import warnings

import numpy as np
import pytest

from tapeflow import keras

M = keras.metrics


def _binary():
    rng = np.random.default_rng(7)
    yt = (rng.random(60) > 0.4).astype("float32")
    yp = np.clip(yt * 0.3 + rng.random(60) * 0.7, 0, 1).astype("float32")
    return rng, yt, yp, rng.random(60).astype("float32")


@pytest.mark.parametrize("name, kwargs, want", [
    ("SensitivityAtSpecificity", dict(specificity=0.6), 0.7711148262023926),
    ("SpecificityAtSensitivity", dict(sensitivity=0.8), 0.5931829810142517),
    ("PrecisionAtRecall", dict(recall=0.7), 0.8339879512786865),
    ("RecallAtPrecision", dict(precision=0.8), 0.7487855553627014),
    ("PrecisionAtRecall", dict(recall=0.9, num_thresholds=7), 0.7683668732643127),
    ("RecallAtPrecision", dict(precision=1.0, num_thresholds=1), 0.0),
])
def test_rate_at_constraint_matches_keras(name, kwargs, want):
    _, yt, yp, w = _binary()
    metric = getattr(M, name)(**kwargs)
    metric.update_state(yt[:30], yp[:30])
    metric.update_state(yt[30:], yp[30:], sample_weight=w[30:])
    assert float(metric.result()) == pytest.approx(want, abs=1e-6)
    again = getattr(M, name).from_config(metric.get_config())
    assert again.get_config() == metric.get_config()
    metric.reset_state()
    assert float(metric.result()) == 0.0
    with pytest.raises(ValueError, match="range"):
        getattr(M, name)(1.5)


def test_iou_family_matches_keras():
    rng, yt, yp, w = _binary()
    ct, cp = rng.integers(0, 4, (5, 6)), rng.integers(0, 4, (5, 6))
    cw = rng.random((5, 6)).astype("float32")

    def run(metric, *args, **kwargs):
        metric.update_state(*args, **kwargs)
        return float(metric.result())
    assert run(M.MeanIoU(4), ct, cp) == pytest.approx(0.05974264815449715, abs=1e-7)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # integer counting by default: weights below 1 truncate to 0, as in Keras (with its warning)
        assert run(M.MeanIoU(4, ignore_class=2), ct, cp, sample_weight=cw) == 0.0
    assert any("dtype is `int`" in str(c.message) for c in caught)
    assert run(M.IoU(4, [1, 3]), ct, cp) == pytest.approx(0.03125, abs=1e-7)
    onehot, scores = np.eye(4)[ct.ravel()], rng.random((30, 4)).astype("float32")
    assert run(M.OneHotIoU(4, [0, 2]), onehot, scores) == pytest.approx(0.18333333730697632, abs=1e-7)
    assert run(M.OneHotMeanIoU(4), onehot, scores) == pytest.approx(0.21666666865348816, abs=1e-7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert run(M.BinaryIoU(threshold=0.6), yt, yp, sample_weight=w) == 0.0
    assert run(M.BinaryIoU(target_class_ids=[1]), yt, yp) == pytest.approx(0.613636314868927, abs=1e-7)
    weighted = [0, 1, 1], [0, 1, 0]
    assert run(M.MeanIoU(2, dtype="float32"), *weighted, sample_weight=[0.5, 2.5, 1.0]) == pytest.approx(
        0.523809552192688, abs=1e-7)
    with pytest.warns(UserWarning):
        assert run(M.MeanIoU(2), *weighted, sample_weight=[0.5, 2.5, 1.0]) == pytest.approx(0.3333333432674408)
    with pytest.raises(ValueError, match="out of range"):
        M.IoU(2, [0, 2])


def test_iou_and_precision_at_recall_in_compile():
    rng = np.random.default_rng(0)
    x = rng.random((64, 4)).astype("float32")
    y = (x[:, 0] > 0.5).astype("float32")[:, None]
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy",
                  metrics=[M.PrecisionAtRecall(0.5, name="p_at_r"), M.BinaryIoU(target_class_ids=[1], name="iou")])
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert set(logs) == {"loss", "p_at_r", "iou"} and 0 <= logs["p_at_r"] <= 1 and 0 <= logs["iou"] <= 1
