"""Loads the tapeflow-written files of tests/reference/tapeflow_files/ with Keras 3 and records its predictions
(keras3_predictions.npz beside them). Run in a separate environment with TensorFlow (never a tapeflow dependency):

    python -m venv /tmp/venv-tf && /tmp/venv-tf/bin/pip install tensorflow
    /tmp/venv-tf/bin/python tests/reference/check_keras3_loads.py

Recorded with TensorFlow 2.21.0 / Keras 3.15.1 on 2026-12-04: every file loaded (compiled models with their
optimizer state; for seq.keras, whose SGD never took a step, Keras 3 warns that it skips the optimizer's
variables), and the .weights.h5 file loaded into Keras 3's own copy of the model."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras  # noqa: E402
import numpy as np  # noqa: E402

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tapeflow_files")
inputs = np.load(os.path.join(HERE, "inputs.npz"))
out = {}
for name in ("mlp.keras", "mlp.h5", "conv.keras", "seq.keras"):
    model = keras.models.load_model(os.path.join(HERE, name))
    key = name.split(".")[0]
    out[name] = model.predict(inputs[key], verbose=0)
    print(name, "loaded:", type(model).__name__, "compiled" if model.optimizer else "", out[name].shape)
mlp = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dropout(0.2),
                        keras.layers.Dense(3, activation="softmax")])
mlp.load_weights(os.path.join(HERE, "mlp.weights.h5"))
out["mlp.weights.h5"] = mlp.predict(inputs["mlp"], verbose=0)
np.savez(os.path.join(HERE, "keras3_predictions.npz"), **out)
print("versions: keras", keras.__version__)
