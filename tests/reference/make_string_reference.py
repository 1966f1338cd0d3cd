"""Records TensorFlow's outputs for tests/reference/string_cases.py into string_reference.json.

Run in a separate environment with TensorFlow (never a tapeflow dependency):

    /work/tfenv/bin/python tests/reference/make_string_reference.py

Bytes are stored as hex; a RaggedTensor as its nested list. Recorded with TensorFlow 2.21.0 on 2026-12-04."""
import json
import os
import re
import string

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from string_cases import CASES, ERRORS  # noqa: E402


def _leaf(v):
    return {"hex": v.hex()} if isinstance(v, bytes) else v


def plain(x):
    if isinstance(x, (tuple, list)):
        return [plain(v) for v in x]
    if isinstance(x, tf.RaggedTensor):
        def walk(v):
            return [walk(u) for u in v] if isinstance(v, list) else _leaf(v)
        return {"ragged": walk(x.to_list()), "dtype": x.dtype.name, "shape": x.shape.as_list()}
    a = np.asarray(x.numpy() if hasattr(x, "numpy") else x)
    dtype = "string" if a.dtype.kind in "OS" else a.dtype.name
    return {"dtype": dtype, "shape": list(a.shape), "values": [_leaf(v) for v in a.ravel().tolist()]}


out = {}
env = {"tf": tf, "np": np, "re": re, "string": string}
for name, source in CASES:
    out[name] = plain(eval(source, env))
for name, source, error in ERRORS:
    try:
        eval(source, env)
        out[name] = None
    except Exception as e:  # noqa: BLE001 - the error type is what is recorded
        out[name] = [type(e).__name__] + [c.__name__ for c in type(e).__mro__]
lengths = list(range(140)) + [200, 257, 1000]
strs = [bytes((i * 7 + j * 13) % 256 for j in range(n)) for i, n in enumerate(lengths)]
out["hash_lengths"] = {"lengths": lengths,
                       "fast": tf.strings.to_hash_bucket_fast(strs, 1000003).numpy().tolist(),
                       "strong": tf.strings.to_hash_bucket_strong(strs, 1000003, [123456789, 987654321]).numpy().tolist()}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "string_reference.json"), "w") as f:
    json.dump(out, f, indent=0)
print(len(out), "cases")
