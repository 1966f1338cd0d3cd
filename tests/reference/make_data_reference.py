"""Records tf.data outputs for tests/test_data.py: deterministic pipelines (no shuffle) element by element.

Run in a separate environment with TensorFlow (never a tapeflow dependency):

    /tmp/venv-tf/bin/python tests/reference/make_data_reference.py

Each case is a pipeline written once as source text; the test evaluates the same text with tapeflow.
Recorded with TensorFlow 2.21.0 on 2026-12-04."""
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from data_cases import CASES  # noqa: E402


def plain(x):
    if isinstance(x, dict):
        return {k: plain(v) for k, v in sorted(x.items())}
    if isinstance(x, (tuple, list)):
        return [plain(v) for v in x]
    a = np.asarray(x)
    return {"dtype": a.dtype.name, "shape": list(a.shape), "values": a.ravel().tolist()}


out = {}
for name, source in CASES:
    ds = eval(source, {"tf": tf, "np": np})
    out[name] = {"elements": [plain(e) for e in ds.as_numpy_iterator()],
                 "cardinality": int(ds.cardinality())}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "data_reference.json"), "w") as f:
    json.dump(out, f, indent=0)
print(len(out), "cases")
