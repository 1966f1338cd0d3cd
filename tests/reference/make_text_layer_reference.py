"""Records Keras 3's TextVectorization / StringLookup outputs and vocabularies for text_layer_cases.py into
text_layer_reference.json.

Run in a separate environment with TensorFlow and Keras 3 (never a tapeflow dependency):

    /work/tfenv/bin/python tests/reference/make_text_layer_reference.py

Recorded with TensorFlow 2.21.0 / Keras 3.15.1 on 2026-12-04."""
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow.keras import layers  # noqa: E402

from text_layer_cases import CASES  # noqa: E402

out = {}
for name, source, data, query in CASES:
    layer = eval(source, {"tf": tf, "layers": layers})
    if data is not None:
        layer.adapt(np.array(data))
    y = np.asarray(layer(np.array(query)))
    values = [v.decode() if isinstance(v, bytes) else v for v in y.ravel().tolist()]
    out[name] = {"vocabulary": [str(v) for v in layer.get_vocabulary()], "dtype": y.dtype.name if y.dtype != object
                 else "string", "shape": list(y.shape), "values": values}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "text_layer_reference.json"), "w") as f:
    json.dump(out, f, indent=0)
print(len(out), "cases")
