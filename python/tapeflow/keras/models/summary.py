"""``model.summary()``: the classic Keras table (layer, output shape, parameter
count, and what each layer is connected to in non-sequential functional models),
then the parameter totals with their sizes."""
import numpy as np

from tapeflow import nest
from tapeflow.keras.layers.layer import Layer


def _fmt_shape(shape):
    if shape is None:
        return "?"
    if isinstance(shape, (list, tuple)) and shape and all(isinstance(s, (list, tuple)) or s is None for s in shape):
        return "[" + ", ".join(_fmt_shape(s) for s in shape) + "]"
    if isinstance(shape, dict):
        return "{" + ", ".join("%r: %s" % (k, _fmt_shape(v)) for k, v in shape.items()) + "}"
    shape = tuple(shape)
    return "(%s,)" % shape[0] if len(shape) == 1 else "(%s)" % ", ".join(str(d) for d in shape)


def readable_size(nbytes):
    for unit in ("Byte", "KB", "MB", "GB", "TB"):
        if nbytes / 1024 < 1:
            return "%.2f %s" % (nbytes, unit)
        nbytes /= 1024
    return "%.2f PB" % nbytes


def _size(weights):
    count = sum(int(np.prod(w.shape)) for w in weights)
    nbytes = sum(int(np.prod(w.shape)) * w.dtype.size for w in weights)
    return count, nbytes


def _row(fields, positions):
    line = ""
    for i, field in enumerate(fields):
        if i > 0:
            line = line[:-1] + " "
        line += str(field)
        if i < len(fields) - 1:  # the last column may run past the table's width, as Keras lets it
            line = line[:positions[i]]
        line += " " * (positions[i] - len(line))
    return line


def print_summary(model, rows, connected, line_length=None, positions=None, print_fn=None):
    """``rows``: (name (type), output shape text, param count, [connections])."""
    print_fn = print_fn or (lambda text, **kw: print(text))
    if connected:
        line_length = line_length or 98
        positions = positions or [0.33, 0.55, 0.67, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
    else:
        line_length = line_length or 65
        positions = positions or [0.45, 0.85, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #"]
    if positions[-1] <= 1:
        positions = [int(line_length * p) for p in positions]
    lines = ['Model: "%s"' % model.name, "_" * line_length, _row([" " + header[0]] + header[1:], positions),
             "=" * line_length]
    for i, row in enumerate(rows):
        conns = row[3] if connected else []
        first = [" " + row[0], row[1], row[2]] + ([conns[0] if conns else ""] if connected else [])
        lines.append(_row(first, positions))
        for c in conns[1:]:
            lines.append(_row(["", "", "", c], positions))
        lines.append(" " * line_length)
    lines.append("=" * line_length)
    total, total_b = _size(model.weights if model.built else [])
    train, train_b = _size(model.trainable_weights if model.built else [])
    lines.append("Total params: {:,} ({})".format(total, readable_size(total_b)))
    lines.append("Trainable params: {:,} ({})".format(train, readable_size(train_b)))
    lines.append("Non-trainable params: {:,} ({})".format(total - train, readable_size(total_b - train_b)))
    opt = getattr(model, "optimizer", None)
    if opt is not None and getattr(opt, "built", False):
        count, nbytes = _size(opt.variables)
        lines.append("Optimizer params: {:,} ({})".format(count, readable_size(nbytes)))
    lines.append("_" * line_length)
    for line in lines:
        print_fn(line)


def layer_row(layer, output_shape):
    if layer.built or layer.weights:
        params = "{:,}".format(layer.count_params())
    else:  # a layer with its own build() makes weights there; one without has none
        params = "0 (unbuilt)" if type(layer).build is not Layer.build else "0"
    return ["%s (%s)" % (layer.name, type(layer).__name__), _fmt_shape(output_shape), params]


def output_shape_of(outputs):
    return nest.map_structure(lambda t: tuple(t.shape), outputs)
