"""Records Keras 3 numbers for the public names tests/test_api_reference.py checks: the learning-rate schedules,
L1 / L1L2 regularizers, SparseTopKCategoricalAccuracy, Sum, mean absolute percentage error (metric and loss),
ZeroPadding1D, one step of LSTMCell and SimpleRNNCell, hard_swish.

Run in a separate virtual environment that has TensorFlow (tapeflow never depends on it):

    python -m venv /tmp/venv-tf && /tmp/venv-tf/bin/pip install tensorflow
    /tmp/venv-tf/bin/python tests/reference/make_api_reference.py

Inputs come from a fixed NumPy seed and are stored with Keras's outputs in api_reference.json.
Recorded with TensorFlow 2.21.0 / Keras 3.15.1 on 2026-12-04.
"""
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras  # noqa: E402
import numpy as np  # noqa: E402

rng = np.random.default_rng(77)


def f32(a):
    return np.asarray(a, dtype="float32")


def tolist(a):
    return np.asarray(a, dtype="float64").tolist()


out = {"versions": {"keras": keras.__version__}}

S = keras.optimizers.schedules
steps = [0, 1, 5, 10, 15, 37, 100]
schedules = [
    ("ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.9}),
    ("ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.9, "staircase": True}),
    ("InverseTimeDecay", {"initial_learning_rate": 0.5, "decay_steps": 4, "decay_rate": 0.3}),
    ("InverseTimeDecay", {"initial_learning_rate": 0.5, "decay_steps": 4, "decay_rate": 0.3, "staircase": True}),
    ("PiecewiseConstantDecay", {"boundaries": [5, 15], "values": [1.0, 0.5, 0.1]}),
    ("PolynomialDecay", {"initial_learning_rate": 0.2, "decay_steps": 20, "end_learning_rate": 0.01, "power": 2.0}),
    ("PolynomialDecay", {"initial_learning_rate": 0.2, "decay_steps": 20, "power": 0.5, "cycle": True}),
    ("CosineDecay", {"initial_learning_rate": 0.3, "decay_steps": 30, "alpha": 0.1}),
    ("CosineDecay", {"initial_learning_rate": 0.0, "decay_steps": 30, "warmup_target": 0.2, "warmup_steps": 10}),
]
out["schedules"] = [{"class_name": c, "config": cfg, "steps": steps,
                     "values": [float(getattr(S, c)(**cfg)(s)) for s in steps]} for c, cfg in schedules]

w = f32(rng.normal(size=(4, 3)))
out["regularizers"] = {"weight": tolist(w),
                       "L1": float(keras.regularizers.L1(0.01)(w)),
                       "L1L2": float(keras.regularizers.L1L2(l1=0.01, l2=0.02)(w))}

labels = np.array([0, 3, 1, 2, 3], "int32")
scores = f32(rng.normal(size=(5, 4)))
sample_weight = f32([1.0, 0.5, 2.0, 0.0, 1.0])
topk = keras.metrics.SparseTopKCategoricalAccuracy(k=2)
topk.update_state(labels, scores)
topk_w = keras.metrics.SparseTopKCategoricalAccuracy(k=2)
topk_w.update_state(labels, scores, sample_weight=sample_weight)
total = keras.metrics.Sum()
total.update_state(scores[0])
total.update_state(scores[1], sample_weight=[1.0, 0.0, 2.0, 1.0])
y_true = f32(rng.uniform(0.5, 2.0, size=(3, 4)))
y_true[0, 0] = 0.0  # a zero target: Keras clips the denominator by epsilon
y_pred = f32(rng.normal(size=(3, 4)))
mape = keras.metrics.MeanAbsolutePercentageError()
mape.update_state(y_true, y_pred)
out["metrics"] = {"labels": labels.tolist(), "scores": tolist(scores), "sample_weight": tolist(sample_weight),
                  "topk": float(topk.result()), "topk_weighted": float(topk_w.result()), "sum": float(total.result()),
                  "y_true": tolist(y_true), "y_pred": tolist(y_pred), "mape_metric": float(mape.result()),
                  "mape_loss": tolist(keras.losses.MeanAbsolutePercentageError(reduction=None)(y_true, y_pred))}

x1 = f32(rng.normal(size=(2, 5, 3)))
out["zero_padding_1d"] = {"input": tolist(x1), "padding": [1, 2],
                          "output": tolist(keras.layers.ZeroPadding1D(padding=(1, 2))(x1))}

x = f32(rng.normal(size=(3, 4)))
cells = {}
for name, cell, n_states in (("LSTMCell", keras.layers.LSTMCell(5), 2), ("SimpleRNNCell", keras.layers.SimpleRNNCell(5), 1)):
    states = [f32(rng.normal(size=(3, 5))) for _ in range(n_states)]
    cell.build((3, 4))
    weights = [f32(rng.normal(size=v.shape) * 0.5) for v in cell.weights]
    cell.set_weights(weights)
    y, new_states = cell(x, states if n_states > 1 else states[0])
    new_states = new_states if isinstance(new_states, (list, tuple)) else [new_states]
    cells[name] = {"states": [tolist(s) for s in states], "weights": [tolist(v) for v in weights],
                   "output": tolist(y), "new_states": [tolist(s) for s in new_states]}
out["cells"] = {"input": tolist(x), **cells}

z = f32(np.linspace(-5, 5, 21))
out["hard_swish"] = {"input": tolist(z), "output": tolist(keras.activations.hard_swish(z))}

# activation and rescaling layers: config, weights (set to seeded values), input, output
xa = f32(rng.normal(size=(2, 3, 4)) * 3)
mask = rng.random((2, 3, 4)) > 0.3
mask[0, 1] = False  # a whole softmax axis masked
layer_cases = []
for class_name, config in (("ReLU", {}), ("ReLU", {"max_value": 6.0, "negative_slope": 0.1, "threshold": 0.5}),
                           ("LeakyReLU", {}), ("LeakyReLU", {"negative_slope": 0.05}), ("PReLU", {}),
                           ("PReLU", {"shared_axes": [1]}), ("ELU", {}), ("ELU", {"alpha": 0.5}),
                           ("Softmax", {}), ("Softmax", {"axis": 1}), ("Softmax", {"axis": [1, 2]}),
                           ("Rescaling", {"scale": 1 / 127.5, "offset": -1})):
    layer = getattr(keras.layers, class_name)(**config)
    layer.build(xa.shape)
    weights = [f32(rng.normal(size=v.shape)) for v in layer.weights]
    layer.set_weights(weights)
    case = {"class_name": class_name, "config": config, "weights": [tolist(w) for w in weights],
            "output": tolist(layer(xa))}
    if class_name == "Softmax" and config.get("axis", -1) == -1:
        case["output_masked"] = tolist(layer(xa, mask=mask))
    layer_cases.append(case)
out["activation_layers"] = {"input": tolist(xa), "mask": mask.tolist(), "cases": layer_cases}

# confusion-matrix counts and F-scores over two updates, with sample weights in the second
yt = f32(rng.integers(0, 2, size=(6, 3)))
yp = f32(rng.random((6, 3)))
yp[2] = 0.0  # a row with no prediction at all
sw = f32(rng.random(6))
counts = []
for class_name, config in (("TruePositives", {}), ("FalsePositives", {"thresholds": 0.3}),
                           ("TrueNegatives", {"thresholds": [0.2, 0.6]}), ("FalseNegatives", {})):
    m = getattr(keras.metrics, class_name)(**config)
    m.update_state(yt[:3], yp[:3])
    m.update_state(yt[3:], yp[3:], sample_weight=sw[3:])
    counts.append({"class_name": class_name, "config": config, "result": tolist(m.result())})
fscores = []
for class_name, config in (("F1Score", {}), ("F1Score", {"average": "micro"}), ("F1Score", {"average": "macro"}),
                           ("F1Score", {"average": "weighted", "threshold": 0.5}),
                           ("FBetaScore", {"beta": 2.0, "threshold": 0.4}),
                           ("FBetaScore", {"beta": 0.5, "average": "weighted"})):
    m = getattr(keras.metrics, class_name)(**config)
    m.update_state(yt[:3], yp[:3])
    m.update_state(yt[3:], yp[3:], sample_weight=sw[3:])
    fscores.append({"class_name": class_name, "config": config, "result": tolist(m.result())})
xn = f32(rng.normal(size=(40, 3, 4)) * 3 + 1)
norm_cases = []
for config, source in (({}, "array"), ({"axis": None}, "array"), ({"axis": (1, 2)}, "array"),
                       ({}, "dataset"), ({"mean": [1.0, 2.0, 3.0, 4.0], "variance": [1.0, 4.0, 0.0, 9.0]}, None),
                       ({"mean": [1.0, 2.0, 3.0, 4.0], "variance": [1.0, 4.0, 0.0, 9.0], "invert": True}, None)):
    layer = keras.layers.Normalization(**config)
    if source == "array":
        layer.adapt(xn)
    elif source == "dataset":
        import tensorflow as tf
        layer.adapt(tf.data.Dataset.from_tensor_slices((xn, np.zeros(40))).batch(7).map(lambda a, b: a))
    norm_cases.append({"config": {k: v for k, v in config.items()}, "adapt": source,
                       "output": tolist(layer(xn[:5])),
                       "weights": [tolist(w) for w in layer.get_weights()]})
out["normalization"] = {"input": tolist(xn), "cases": norm_cases}

import tensorflow as tf  # noqa: E402
img = f32(rng.random((2, 5, 7, 3)))
img_u8 = (img * 255).astype("uint8")
image_cases = {
    "resize_up_bilinear": tf.image.resize(img, (8, 11)), "resize_down_bilinear": tf.image.resize(img, (3, 4)),
    "resize_up_nearest": tf.image.resize(img, (9, 12), method="nearest"),
    "resize_down_nearest": tf.image.resize(img, (2, 3), method="nearest"),
    "resize_single_u8": tf.image.resize(img_u8[0], (4, 9)),
    "resize_aspect": tf.image.resize(img, (10, 10), preserve_aspect_ratio=True),
    "flip_left_right": tf.image.flip_left_right(img), "flip_up_down": tf.image.flip_up_down(img[0]),
    "rot90_3": tf.image.rot90(img, k=3), "transpose": tf.image.transpose(img),
    "crop_box": tf.image.crop_to_bounding_box(img, 1, 2, 3, 4), "central_crop": tf.image.central_crop(img, 0.5),
    "pad_box": tf.image.pad_to_bounding_box(img, 1, 2, 8, 10),
    "crop_or_pad": tf.image.resize_with_crop_or_pad(img, 3, 10),
    "to_uint8": tf.image.convert_image_dtype(img, "uint8"), "to_float": tf.image.convert_image_dtype(img_u8, "float32"),
    "grayscale": tf.image.rgb_to_grayscale(img), "grayscale_u8": tf.image.rgb_to_grayscale(img_u8),
    "brightness": tf.image.adjust_brightness(img, 0.2), "contrast": tf.image.adjust_contrast(img, 1.7),
    "standardization": tf.image.per_image_standardization(img_u8),
}
layer_img = f32(rng.random((2, 6, 8, 3)) * 255)
preprocessing = []
for class_name, config in (("Resizing", {"height": 4, "width": 5}),
                           ("Resizing", {"height": 9, "width": 9, "interpolation": "nearest"}),
                           ("Resizing", {"height": 4, "width": 4, "crop_to_aspect_ratio": True}),
                           ("CenterCrop", {"height": 3, "width": 5}), ("CenterCrop", {"height": 10, "width": 4})):
    layer = getattr(keras.layers, class_name)(**config)
    preprocessing.append({"class_name": class_name, "config": config, "output": tolist(layer(layer_img))})
out["image_layers"] = {"input": tolist(layer_img), "cases": preprocessing}
out["image"] = {"input": tolist(img), "cases": {k: {"dtype": np.asarray(v).dtype.name, "values": tolist(v)}
                                                 for k, v in image_cases.items()}}

out["confusion_metrics"] = {"y_true": tolist(yt), "y_pred": tolist(yp), "sample_weight": tolist(sw),
                            "counts": counts, "fscores": fscores}

path = os.path.join(os.path.dirname(__file__), "api_reference.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1)
print("wrote", path)
