"""Derives the reference numbers in keras_reference.json from Keras 3 (TensorFlow backend).

Run in a separate virtual environment that has TensorFlow (tapeflow never depends on it):

    python -m venv /tmp/venv-tf && /tmp/venv-tf/bin/pip install tensorflow
    /tmp/venv-tf/bin/python tests/reference/make_keras_reference.py

The inputs are generated here with a fixed NumPy seed and stored in the JSON next to
Keras's outputs, so the tests feed tapeflow exactly the same numbers.
Recorded with TensorFlow 2.21.0 / Keras 3.15.1 on 2026-11-22.
"""
import json
import os

import numpy as np
import keras

rng = np.random.default_rng(1234)
f32 = lambda a: np.asarray(a, dtype="float32")  # noqa: E731


def tolist(a):
    return np.asarray(a, dtype="float64").tolist()


out = {"versions": {"keras": keras.__version__}}

# ---------------------------------------------------------------- losses
y_reg_t = f32(rng.normal(size=(4, 3)))
y_reg_p = f32(rng.normal(size=(4, 3)))
y_pos_t = f32(rng.uniform(0.1, 2.0, size=(4, 3)))
y_pos_p = f32(rng.uniform(0.1, 2.0, size=(4, 3)))
y_bin_t = f32(rng.integers(0, 2, size=(4, 3)))
y_prob_p = f32(rng.uniform(0.0, 1.0, size=(4, 3)))
y_prob_p[0, 0] = 0.0  # probabilities of exactly 0 and 1: cross-entropies must stay finite
y_prob_p[1, 1] = 1.0
logits = f32(rng.normal(size=(4, 5)) * 3)
onehot = f32(np.eye(5)[rng.integers(0, 5, size=4)])
sparse = onehot.argmax(-1).astype("int32")
probs = f32(np.exp(logits) / np.exp(logits).sum(-1, keepdims=True))
dist_t = f32(rng.dirichlet(np.ones(5), size=4))
sw = f32([1.0, 0.5, 0.0, 2.0])
inputs = {"y_reg_t": y_reg_t, "y_reg_p": y_reg_p, "y_pos_t": y_pos_t, "y_pos_p": y_pos_p, "y_bin_t": y_bin_t,
          "y_prob_p": y_prob_p, "logits": logits, "onehot": onehot, "sparse": sparse, "probs": probs,
          "dist_t": dist_t, "sw": sw}
out["inputs"] = {k: np.asarray(v).tolist() for k, v in inputs.items()}

L = keras.losses
loss_cases = [
    ("MeanSquaredError", {}, "y_reg_t", "y_reg_p"),
    ("MeanAbsoluteError", {}, "y_reg_t", "y_reg_p"),
    ("MeanAbsolutePercentageError", {}, "y_reg_t", "y_reg_p"),
    ("MeanSquaredLogarithmicError", {}, "y_pos_t", "y_pos_p"),
    ("Huber", {"delta": 0.7}, "y_reg_t", "y_reg_p"),
    ("LogCosh", {}, "y_reg_t", "y_reg_p"),
    ("Poisson", {}, "y_pos_t", "y_pos_p"),
    ("KLDivergence", {}, "dist_t", "probs"),
    ("CosineSimilarity", {}, "y_reg_t", "y_reg_p"),
    ("Hinge", {}, "y_bin_t", "y_reg_p"),
    ("SquaredHinge", {}, "y_bin_t", "y_reg_p"),
    ("CategoricalHinge", {}, "onehot", "logits"),
    ("BinaryCrossentropy", {}, "y_bin_t", "y_prob_p"),
    ("BinaryCrossentropy", {"from_logits": True}, "y_bin_t", "y_reg_p"),
    ("BinaryCrossentropy", {"label_smoothing": 0.2}, "y_bin_t", "y_prob_p"),
    ("CategoricalCrossentropy", {}, "onehot", "probs"),
    ("CategoricalCrossentropy", {"from_logits": True}, "onehot", "logits"),
    ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, "onehot", "logits"),
    ("SparseCategoricalCrossentropy", {}, "sparse", "probs"),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse", "logits"),
]
out["losses"] = []
for name, kwargs, t, p in loss_cases:
    rec = {"class": name, "kwargs": kwargs, "y_true": t, "y_pred": p}
    for reduction in ("sum_over_batch_size", "sum", "none"):
        obj = getattr(L, name)(reduction=reduction, **kwargs)
        rec[reduction] = tolist(obj(inputs[t], inputs[p]))
    rec["weighted"] = tolist(getattr(L, name)(**kwargs)(inputs[t], inputs[p], sample_weight=sw))
    out["losses"].append(rec)

# ---------------------------------------------------------------- metrics
M = keras.metrics
bin_t = f32(rng.integers(0, 2, size=(16, 1)))
bin_p = f32(rng.uniform(size=(16, 1)))
metric_cases = [
    ("Accuracy", {}, f32([[1], [2], [3], [4]]), f32([[0], [2], [3], [4]])),
    ("BinaryAccuracy", {}, bin_t, bin_p),
    ("BinaryAccuracy", {"threshold": 0.3}, bin_t, bin_p),
    ("CategoricalAccuracy", {}, onehot, probs),
    ("SparseCategoricalAccuracy", {}, sparse, probs),
    ("TopKCategoricalAccuracy", {"k": 2}, onehot, probs),
    ("MeanSquaredError", {}, y_reg_t, y_reg_p),
    ("MeanAbsoluteError", {}, y_reg_t, y_reg_p),
    ("RootMeanSquaredError", {}, y_reg_t, y_reg_p),
    ("Precision", {}, bin_t, bin_p),
    ("Recall", {}, bin_t, bin_p),
    ("Precision", {"thresholds": 0.7}, bin_t, bin_p),
    ("AUC", {}, bin_t, bin_p),
    ("AUC", {"curve": "PR"}, bin_t, bin_p),
    ("AUC", {"num_thresholds": 7}, bin_t, bin_p),
]
out["metrics"] = []
for name, kwargs, t, p in metric_cases:
    m = getattr(M, name)(**kwargs)
    half = len(t) // 2
    m.update_state(t[:half], p[:half])
    m.update_state(t[half:], p[half:])
    rec = {"class": name, "kwargs": kwargs, "y_true": np.asarray(t).tolist(), "y_pred": np.asarray(p).tolist(),
           "result": tolist(m.result())}
    if name not in ("AUC",):
        mw = getattr(M, name)(**kwargs)
        w = f32(np.linspace(0.0, 2.0, len(t)))
        mw.update_state(t, p, sample_weight=w)
        rec["sample_weight"] = w.tolist()
        rec["weighted_result"] = tolist(mw.result())
    out["metrics"].append(rec)

mean = M.Mean()
mean.update_state([1.0, 2.0, 3.0], sample_weight=[1.0, 0.0, 2.0])
out["mean_weighted"] = float(mean.result())

# ---------------------------------------------------------------- optimizers
w0 = f32(rng.normal(size=(3, 2)))
grads = [f32(rng.normal(size=(3, 2))) for _ in range(4)]
grads[1][0, 0] = 0.0
opt_cases = [
    ("SGD", {"learning_rate": 0.1}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}),
    ("RMSprop", {}),
    ("RMSprop", {"momentum": 0.5, "centered": True}),
    ("Adam", {}),
    ("Adam", {"learning_rate": 0.01, "amsgrad": True}),
    ("AdamW", {}),
    ("Adagrad", {"learning_rate": 0.1}),
    ("Adadelta", {"learning_rate": 1.0}),
    ("Adamax", {}),
    ("Nadam", {}),
    ("SGD", {"learning_rate": 0.1, "clipnorm": 0.5}),
    ("SGD", {"learning_rate": 0.1, "clipvalue": 0.3}),
    ("SGD", {"learning_rate": 0.1, "global_clipnorm": 0.5}),
    ("Adam", {"learning_rate": 0.01, "weight_decay": 0.1}),
]
out["optimizer_inputs"] = {"w0": w0.tolist(), "grads": [g.tolist() for g in grads]}
out["optimizers"] = []
for name, kwargs in opt_cases:
    opt = getattr(keras.optimizers, name)(**kwargs)
    v = keras.Variable(w0)
    steps = []
    for g in grads:
        opt.apply_gradients([(g, v)])
        steps.append(tolist(v.numpy()))
    out["optimizers"].append({"class": name, "kwargs": kwargs, "steps": steps})

sched = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5)
opt = keras.optimizers.SGD(learning_rate=sched)
v = keras.Variable(w0)
for g in grads:
    opt.apply_gradients([(g, v)])
out["schedule_sgd"] = tolist(v.numpy())

# ---------------------------------------------------------------- layers and activations
x = f32(rng.normal(size=(4, 3)))
kernel = f32(rng.normal(size=(3, 5)))
bias = f32(rng.normal(size=(5,)))
out["layer_inputs"] = {"x": x.tolist(), "kernel": kernel.tolist(), "bias": bias.tolist()}
out["activations"] = {}
for act in ("relu", "sigmoid", "softmax", "tanh", "elu", "selu", "gelu", "softplus", "swish", "linear", "leaky_relu",
            "softsign", "relu6", "hard_sigmoid", "mish", "exponential", "log_softmax"):
    d = keras.layers.Dense(5, activation=act)
    d.build((None, 3))
    d.set_weights([kernel, bias])
    out["activations"][act] = tolist(d(x))
out["merging"] = {
    "add": tolist(keras.layers.Add()([x, 2 * x])),
    "subtract": tolist(keras.layers.Subtract()([x, 2 * x + 1])),
    "multiply": tolist(keras.layers.Multiply()([x, x + 1])),
    "average": tolist(keras.layers.Average()([x, 3 * x])),
    "maximum": tolist(keras.layers.Maximum()([x, -x])),
    "minimum": tolist(keras.layers.Minimum()([x, -x])),
    "concatenate": tolist(keras.layers.Concatenate()([x, 2 * x])),
}

# Initializer statistics: mean and std of a large sample, which tapeflow's own RNG must match in distribution.
out["initializers"] = {}
for init in ("glorot_uniform", "glorot_normal", "he_normal", "he_uniform", "random_normal", "random_uniform",
             "orthogonal", "lecun_normal"):
    w = np.asarray(keras.initializers.get(init)((400, 300)))
    out["initializers"][init] = {"mean": float(w.mean()), "std": float(w.std()), "max_abs": float(np.abs(w).max())}

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "keras_reference.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1)
print("wrote", path)
