"""tf.print: prints tensors' values at every call, also from a replayed ``tf.function`` or ``fit`` step (the
printing is a host callback recorded as a kernel), in TensorFlow's format."""
import struct
import sys

import numpy as np

from tapeflow import _core, nest
from tapeflow.string_tensor import StringTensor


def _number(v):
    """TensorFlow's text for one value: the short form (%g with 6 or 15 digits) when it reads back as the same
    value, else 9 or 17 digits; booleans as 1 and 0."""
    if isinstance(v, (bool, np.bool_)):
        return "1" if v else "0"
    if isinstance(v, (np.integer, int)):
        return str(int(v))
    if isinstance(v, np.float32):
        short = "%.6g" % v
        return short if struct.unpack("f", struct.pack("f", float(short)))[0] == v else "%.9g" % v
    short = "%.15g" % v
    return short if float(short) == float(v) else "%.17g" % v


def array_text(a, summarize, indent=0):
    if a.ndim == 0:
        return _number(a[()])
    n = a.shape[0]
    cut = summarize is not None and summarize >= 0 and n > 2 * summarize
    rows = list(range(summarize)) + [None] + list(range(n - summarize, n)) if cut else list(range(n))
    if a.ndim == 1:
        return "[" + " ".join("..." if i is None else _number(a[i]) for i in rows) + "]"
    sep = "\n" + " " * (indent + 1)
    return "[" + sep.join("..." if i is None else array_text(a[i], summarize, indent + 1) for i in rows) + "]"


def string_text(a):
    """TensorFlow's text for string values: a scalar as its text, arrays of quoted strings in brackets."""
    if a.ndim == 0:
        return a[()].decode("utf-8", "replace")
    return "[" + " ".join('"%s"' % b.decode("utf-8", "replace") if a.ndim == 1 else string_text(b)
                          for b in a) + "]"


def _text(x, values, summarize, top=True):
    """x with its tensors (in order) replaced by their values' text."""
    if isinstance(x, _core.Tensor):
        return array_text(next(values), summarize)
    if isinstance(x, StringTensor):
        return string_text(x._a)
    if isinstance(x, dict):
        return "{" + ", ".join("%r: %s" % (k, _text(v, values, summarize, False)) for k, v in x.items()) + "}"
    if isinstance(x, (list, tuple)):
        inner = ", ".join(_text(v, values, summarize, False) for v in x)
        return "[%s]" % inner if isinstance(x, list) else "(%s)" % inner
    return str(x) if top else repr(x)


def print(*inputs, output_stream=None, summarize=3, sep=" ", end="\n", name=None):  # noqa: A001
    """Prints ``inputs`` (tensors, Python values, nested structures of them) separated by ``sep`` to
    ``output_stream`` (``sys.stderr`` by default, any object with ``write``, or a ``"file://path"`` to append to).
    ``summarize``: how many values to show at each end of each axis (-1 or None: all)."""
    tensors = [t for t in nest.flatten(list(inputs)) if isinstance(t, _core.Tensor)]
    if summarize is not None and summarize < 0:
        summarize = None

    def emit(*values):
        values = iter(values)
        line = sep.join(_text(x, values, summarize) for x in inputs) + end
        if isinstance(output_stream, str) and output_stream.startswith("file://"):
            with open(output_stream[len("file://"):], "a") as f:
                f.write(line)
        else:
            stream = sys.stderr if output_stream is None else output_stream
            stream.write(line)
            if hasattr(stream, "flush"):
                stream.flush()
    _core._host_callback(emit, tensors)
