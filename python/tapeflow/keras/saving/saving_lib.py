"""Whole-model and weights files.

- ``.keras``: a zip holding ``metadata.json``, ``config.json`` (the architecture and
  compile config, Keras 3's format) and ``model.weights.h5`` (each layer's variables
  under ``layers/<name>/vars/<i>``, the optimizer's under ``optimizer/vars/<i>``).
- ``.h5``: tf.keras's HDF5 layout (``model_config`` / ``training_config`` attributes,
  ``model_weights/<layer>/<weight>`` with ``layer_names`` / ``weight_names``
  attributes, ``optimizer_weights``).
- ``.weights.h5``: the weights part of a ``.keras`` file on its own.

Every file is written to a temporary file in the target directory and renamed over
the target, so an interrupted save leaves the previous file intact."""
import contextlib
import datetime
import io
import json
import os
import struct
import warnings
import zipfile
import zlib

import numpy as np

from tapeflow._files import atomic_write
from tapeflow.keras.saving.serialization import deserialize_keras_object, serialize_keras_object

_CONFIG, _METADATA, _WEIGHTS = "config.json", "metadata.json", "model.weights.h5"


def _h5py():
    try:
        import h5py
    except ImportError:
        raise ImportError("Saving and loading models needs h5py: `pip install h5py`.") from None
    return h5py


def _version():
    from tapeflow import __version__
    return __version__


def _json_default(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, tuple):
        return list(o)
    raise TypeError("Cannot serialize %r (of type %s) to JSON" % (o, type(o).__name__))


# ----------------------------------------------------------------- the weights tree
def _children(layer):
    """(key, sublayer) pairs in Keras 3's layout: a model's layers under ``layers/<snake class name>``
    (``dense``, ``dense_1``, ...); other layers' sublayers under their (sorted) attribute names."""
    from tapeflow.keras import backend
    from tapeflow.keras.layers.layer import Layer
    from tapeflow.keras.models import Functional, Sequential

    def numbered(prefix, items):
        counts, out = {}, []
        for item in items:
            base = backend.to_snake_case(type(item).__name__)
            n = counts.get(base, 0)
            counts[base] = n + 1
            out.append(("%s/%s" % (prefix, base if n == 0 else "%s_%d" % (base, n)), item))
        return out
    if isinstance(layer, (Sequential, Functional)):
        from tapeflow.keras.layers.op_layer import OpLayer  # ops between layers: Keras 3 stores nothing for them
        return numbered("layers", [x for x in layer.layers if not isinstance(x, OpLayer)])
    out = []
    for attr in sorted(layer.__dict__):
        if attr.startswith("_"):
            continue
        v = layer.__dict__[attr]
        if isinstance(v, Layer):
            out.append((attr, v))
        elif isinstance(v, (list, tuple)):
            out.extend(numbered(attr, [x for x in v if isinstance(x, Layer)]))
        elif isinstance(v, dict):
            out.extend(("%s/%s" % (attr, k), x) for k, x in v.items() if isinstance(x, Layer))
    return out


def _save_layer_tree(layer, group, visited):
    if id(layer) in visited:
        return
    visited.add(id(layer))
    vars_group = group.create_group("vars")
    vars_group.attrs["name"] = layer.name
    for i, v in enumerate(layer._own_variables()):
        vars_group.create_dataset(str(i), data=v.numpy())
    for key, child in _children(layer):
        _save_layer_tree(child, group.require_group(key), visited)


def _mismatch(message, skip_mismatch):
    if not skip_mismatch:
        raise ValueError(message)
    warnings.warn("Skipping loading weights: " + message, stacklevel=4)


def _datasets(group, names):
    """The datasets ``group[name]`` (not read), or None when one is missing or not a numeric dataset."""
    h5py = _h5py()
    out = []
    for name in names:
        ds = group.get(name) if group is not None else None
        if not isinstance(ds, h5py.Dataset) or ds.dtype.kind not in "fiub":
            return None
        out.append(ds)
    return out


def _fits(datasets, variables):
    return datasets is not None and len(datasets) == len(variables) and \
        all(tuple(ds.shape) == tuple(v.shape) for ds, v in zip(datasets, variables))


def _read(pairs):
    """Reads every dataset of (target, datasets) pairs, only after all were checked: nothing is assigned while a
    later value can still fail to load (so a failed load leaves the model as it was)."""
    try:
        return [(target, [np.asarray(ds[()]) for ds in datasets]) for target, datasets in pairs]
    except (OSError, RuntimeError, KeyError) as e:
        raise ValueError("Could not read the stored weights (truncated or corrupt file?): %s" % e) from None


def _assign(pairs):
    """Reads the datasets of checked (variables, datasets) pairs, then assigns them."""
    for variables, values in _read(pairs):
        for v, value in zip(variables, values):
            v.assign(value.astype(v.dtype.name, copy=False))


def _plan_layer_tree(layer, group, visited, pairs, path="/", skip_mismatch=False):
    """Checks the stored variables of ``layer`` and its sublayers against theirs (count, shape, numeric dtype)
    from the file's metadata alone, and appends (variables, datasets) pairs to load."""
    if id(layer) in visited:
        return
    visited.add(id(layer))
    own = layer._own_variables()
    stored = group.get("vars")
    count = len(stored) if stored is not None else 0
    datasets = _datasets(stored, [str(i) for i in range(count)])
    if count != len(own):
        _mismatch("Layer %r expected %d variables, but received %d variables during loading (at %s). Expected: %s"
                  % (layer.name, len(own), count, path, [v.name for v in own]), skip_mismatch)
    elif datasets is None:
        _mismatch("The variables of layer %r are not all numeric datasets in the file (at %s)" % (layer.name, path),
                  skip_mismatch)
    elif not _fits(datasets, own):
        _mismatch("The variables of layer %r have shapes %s, but the file holds %s (at %s)"
                  % (layer.name, [tuple(v.shape) for v in own], [ds.shape for ds in datasets], path), skip_mismatch)
    elif own:
        pairs.append((own, datasets))
    for key, child in _children(layer):
        if key not in group:
            _mismatch("The weights file has no entry %r for layer %r (at %s)" % (key, child.name, path),
                      skip_mismatch)
            continue
        _plan_layer_tree(child, group[key], visited, pairs, path + key + "/", skip_mismatch)


def _load_layer_tree(model, group, skip_mismatch=False, optimizer_group=None):
    """Keras 3's layout: checks every layer (and the optimizer's stored state, if given) first, then assigns."""
    pairs = []
    _plan_layer_tree(model, group, set(), pairs, skip_mismatch=skip_mismatch)
    if optimizer_group is not None:
        stored = optimizer_group.get("vars")
        planned = _plan_optimizer(model, _datasets(stored, [str(i) for i in range(len(stored or ()))]))
        if planned is not None:
            pairs.append(planned)
    _assign(pairs)


def _save_optimizer(optimizer, group):
    vars_group = group.create_group("vars")
    vars_group.attrs["name"] = optimizer.name
    for i, v in enumerate(optimizer.variables):
        vars_group.create_dataset(str(i), data=v.numpy())


def _plan_optimizer(model, datasets):
    """Builds the optimizer for the model's trainable variables; (variables, datasets) when the stored state fits
    it, else None with a warning (the optimizer then starts from scratch)."""
    optimizer = model.optimizer
    optimizer.build(model.trainable_variables)
    variables = optimizer.variables
    if datasets is not None and len(datasets) == len(variables) - 1 and optimizer._learning_rate is not None:
        variables = [variables[0]] + variables[2:]  # tf.keras 2 files do not store the learning rate
    if not _fits(datasets, variables):
        warnings.warn("Skipping loading of the optimizer state of %r: the file's %s variables do not fit the "
                      "optimizer's %d (shapes %s). The optimizer starts from scratch."
                      % (optimizer.name, "unreadable" if datasets is None else len(datasets), len(variables),
                         [tuple(v.shape) for v in variables]), stacklevel=4)
        return None
    return variables, datasets


def save_weights_h5(model, h5file):
    _save_layer_tree(model, h5file, set())
    if getattr(model, "optimizer", None) is not None and model.optimizer.built:
        _save_optimizer(model.optimizer, h5file.create_group("optimizer"))


def load_weights_h5(model, h5file, with_optimizer=False):
    with_optimizer = with_optimizer and "optimizer" in h5file and getattr(model, "optimizer", None) is not None
    _load_layer_tree(model, h5file, optimizer_group=h5file["optimizer"] if with_optimizer else None)


# ----------------------------------------------------------------- compile config
def _serialize_nested(obj):
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if isinstance(obj, (list, tuple)):
        return [_serialize_nested(x) for x in obj]
    if isinstance(obj, dict):
        return {k: _serialize_nested(v) for k, v in obj.items()}
    if hasattr(obj, "get_config"):
        module = type(obj).__module__
        if module.startswith("tapeflow.keras."):  # e.g. tapeflow.keras.losses -> keras.losses, as Keras writes
            module = "keras." + module.split(".")[2]
        return {"module": module, "class_name": type(obj).__name__, "config": obj.get_config(),
                "registered_name": None}
    name = getattr(obj, "__name__", None)
    if name is None:
        raise TypeError("Cannot serialize %r in the compile config" % (obj,))
    return name


def compile_config(model):
    from tapeflow.keras import optimizers
    args = model._compile_args
    config = {k: _serialize_nested(v) for k, v in args.items()}
    spec = optimizers.serialize(model.optimizer)
    config["optimizer"] = {"module": "keras.optimizers", "class_name": spec["class_name"], "config": spec["config"],
                           "registered_name": None}
    return config


def _revive(spec, getter, custom_objects):
    """Loss / metric specs back to what compile takes: names stay names (compile resolves them, e.g.
    "accuracy" by the loss), configs become objects, custom names come from ``custom_objects``."""
    if spec is None:
        return None
    if isinstance(spec, list):
        return [_revive(s, getter, custom_objects) for s in spec]
    if isinstance(spec, dict) and "class_name" not in spec:
        return {k: _revive(v, getter, custom_objects) for k, v in spec.items()}
    if isinstance(spec, dict) and spec.get("class_name") == "MeanMetricWrapper":  # tf.keras 2's "accuracy" etc.
        return spec["config"].get("name") or spec["config"].get("fn")
    if isinstance(spec, str) and custom_objects and spec in custom_objects:
        return custom_objects[spec]
    if isinstance(spec, dict) and custom_objects and spec["class_name"] in custom_objects:
        return custom_objects[spec["class_name"]].from_config(spec.get("config", {}))
    return getter(spec) if isinstance(spec, dict) else spec


def compile_from_config(model, config, custom_objects=None):
    from tapeflow.keras import losses, metrics, optimizers
    optimizer = config.get("optimizer") or config.get("optimizer_config")
    model.compile(optimizer=optimizers.get(optimizer) if optimizer is not None else "rmsprop",
                  loss=_revive(config.get("loss"), losses.get, custom_objects),
                  loss_weights=config.get("loss_weights"),
                  metrics=_revive(config.get("metrics"), metrics.get, custom_objects),
                  weighted_metrics=_revive(config.get("weighted_metrics"), metrics.get, custom_objects))


# ----------------------------------------------------------------- .keras
def save_keras(model, filepath):
    config = serialize_keras_object(model)
    if getattr(model, "compiled", False) and model.optimizer is not None:
        config["compile_config"] = compile_config(model)
    metadata = {"keras_version": _version(),
                "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")}
    h5py = _h5py()
    weights = io.BytesIO()  # h5py needs a seekable file; zip members are written as streams
    with h5py.File(weights, "w") as h5:
        save_weights_h5(model, h5)
    with atomic_write(filepath) as tmp:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
            zf.writestr(_METADATA, json.dumps(metadata))
            zf.writestr(_CONFIG, json.dumps(config, default=_json_default))
            zf.writestr(_WEIGHTS, weights.getbuffer())


def _open_keras_zip(filepath):
    try:
        zf = zipfile.ZipFile(filepath, "r")
        names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError) as e:
        raise ValueError("%s is not a valid .keras file (a truncated or foreign file?): %s" % (filepath, e)) from None
    missing = [n for n in (_CONFIG, _WEIGHTS) if n not in names]
    if missing:
        zf.close()
        raise ValueError("%s is not a valid .keras file: it has no %s" % (filepath, " or ".join(missing)))
    return zf


def load_keras(filepath, custom_objects=None, compile=True):
    h5py = _h5py()
    with _open_keras_zip(filepath) as zf:
        try:
            config = json.loads(zf.read(_CONFIG).decode("utf-8"))
        except (ValueError, zipfile.BadZipFile) as e:
            raise ValueError("%s has an unreadable config.json: %s" % (filepath, e)) from None
        model = deserialize_keras_object(config, custom_objects)
        compiled = compile and bool(config.get("compile_config"))  # Keras 3 writes {} for an uncompiled model
        if compiled:
            compile_from_config(model, config["compile_config"], custom_objects)
        try:
            with zf.open(_WEIGHTS) as f, h5py.File(f, "r") as h5:
                load_weights_h5(model, h5, with_optimizer=compiled)
        except (OSError, zipfile.BadZipFile, KeyError) as e:
            raise ValueError("%s has unreadable weights (truncated or corrupt?): %s" % (filepath, e)) from None
    return model


# ----------------------------------------------------------------- legacy .h5 (tf.keras layout)
def _weight_names(layer):
    """``<layer>/<weight>`` names for each of ``layer.weights``, made unique."""
    names, seen = [], set()
    owner = {}
    for sub in layer._flatten_layers():
        for v in sub._own_variables():
            owner.setdefault(id(v), sub)
    for i, w in enumerate(layer.weights):
        short = getattr(w, "_keras_short_name", None) or w.name.split(":")[0].split("/")[-1]
        name = "%s/%s" % (owner.get(id(w), layer).name, short)
        if name in seen:
            name = "%s_%d" % (name, i)
        seen.add(name)
        names.append(name)
    return names


def _str_attr(values):
    return np.array([v.encode("utf-8") for v in values], dtype="S") if values else np.zeros((0,), dtype="S1")


def _decode(values):
    return [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in np.asarray(values).reshape(-1)]


def _save_legacy_weights(model, group):
    group.attrs["layer_names"] = _str_attr([l.name for l in model.layers])
    group.attrs["backend"] = "tapeflow"
    group.attrs["keras_version"] = _version()
    for layer in model.layers:
        g = group.create_group(layer.name)
        names = _weight_names(layer)
        g.attrs["weight_names"] = _str_attr(names)
        for name, w in zip(names, layer.weights):
            g.create_dataset(name, data=w.numpy())


def _load_legacy_weights(model, group, skip_mismatch=False, by_name=False):
    """tf.keras's layout: saved layers with weights matched to the model's layers with weights in order, or by
    name with ``by_name`` (layers not in the file keep their weights). Every layer is checked before any is set."""
    saved = []
    for name in _decode(group.attrs["layer_names"]):
        g = group.get(name)
        names = _decode(g.attrs.get("weight_names", [])) if g is not None else []
        datasets = _datasets(g, names)
        if datasets is None:
            raise ValueError("The weights of layer %r are missing or not numeric datasets in the file" % name)
        if datasets:
            saved.append((name, datasets))
    if by_name:
        layers = {l.name: l for l in model.layers}
        matched = [(layers[name], name, datasets) for name, datasets in saved if name in layers]
    else:
        layers = [l for l in model.layers if l.weights]
        if len(saved) != len(layers):
            raise ValueError("Layer count mismatch when loading weights from file. Model expected %d layers with "
                             "weights, found %d saved layers with weights." % (len(layers), len(saved)))
        matched = [(layer, name, datasets) for layer, (name, datasets) in zip(layers, saved)]
    pairs = []
    for layer, name, datasets in matched:
        if not _fits(datasets, layer.weights):
            _mismatch("layer %r (saved as %r) has weights of shapes %s, the file %s."
                      % (layer.name, name, [tuple(w.shape) for w in layer.weights], [ds.shape for ds in datasets]),
                      skip_mismatch)
            continue
        pairs.append((layer, datasets))
    for layer, values in _read(pairs):
        layer.set_weights(values)


def save_h5(model, filepath, include_optimizer=True):
    h5py = _h5py()
    model_config = {"class_name": type(model).__name__, "config": model.get_config()}
    with atomic_write(filepath) as tmp:
        with h5py.File(tmp, "w") as f:
            f.attrs["backend"] = "tapeflow"
            f.attrs["keras_version"] = _version()
            f.attrs["model_config"] = json.dumps(model_config, default=_json_default)
            _save_legacy_weights(model, f.create_group("model_weights"))
            if getattr(model, "compiled", False) and model.optimizer is not None:
                training = compile_config(model)
                training["optimizer_config"] = training.pop("optimizer")
                f.attrs["training_config"] = json.dumps(training, default=_json_default)
                if include_optimizer and model.optimizer.built:
                    g = f.create_group("optimizer_weights")
                    names = ["%s/%d_%s" % (model.optimizer.name, i, v.name.split(":")[0])
                             for i, v in enumerate(model.optimizer.variables)]
                    g.attrs["weight_names"] = _str_attr(names)
                    for name, v in zip(names, model.optimizer.variables):
                        g.create_dataset(name, data=v.numpy())


def _open_h5(filepath):
    h5py = _h5py()
    try:
        return h5py.File(filepath, "r")
    except OSError as e:
        raise ValueError("Could not read %s as an HDF5 file (truncated or not HDF5?): %s" % (filepath, e)) from None


def load_h5(filepath, custom_objects=None, compile=True):
    with _open_h5(filepath) as f:
        raw = f.attrs.get("model_config")
        if raw is None:
            raise ValueError("No model config found in the file at %s: it holds weights only; build the model and "
                             "call `model.load_weights()`." % filepath)
        config = json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else raw)
        model = deserialize_keras_object(config, custom_objects)
        try:
            _load_legacy_weights(model, f["model_weights"])
        except KeyError as e:
            raise ValueError("%s has unreadable weights (truncated or corrupt?): %s" % (filepath, e)) from None
        raw = f.attrs.get("training_config")
        if compile and raw is not None:
            training = json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else raw)
            optimizer = training.get("optimizer_config")
            if isinstance(optimizer, dict) and str(optimizer.get("class_name", "")).startswith("Custom>"):
                optimizer = dict(optimizer, class_name=optimizer["class_name"][len("Custom>"):])
            training["optimizer"] = optimizer
            compile_from_config(model, training, custom_objects)
            if "optimizer_weights" in f:
                g = f["optimizer_weights"]
                planned = _plan_optimizer(model, _datasets(g, _decode(g.attrs.get("weight_names", []))))
                _assign([planned] if planned else [])
    return model


# ----------------------------------------------------------------- entry points
def _kind(filepath):
    h5py = _h5py()
    if zipfile.is_zipfile(filepath):
        return "keras"
    if h5py.is_hdf5(filepath):
        return "h5"
    raise ValueError("%s is neither a .keras zip archive nor an HDF5 file (a truncated or foreign file?)" % filepath)


def save_model(model, filepath, overwrite=True, include_optimizer=True, **kwargs):
    """``model.save``: ``.keras`` (the default format) or ``.h5`` / ``.hdf5`` (tf.keras's HDF5 layout)."""
    filepath = os.fspath(filepath)
    if kwargs.get("save_format") not in (None, "keras", "h5"):
        raise ValueError("Unknown save_format %r: use 'keras' or 'h5'" % (kwargs["save_format"],))
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError("%s exists and overwrite=False" % filepath)
    if filepath.endswith((".h5", ".hdf5")) or kwargs.get("save_format") == "h5":
        save_h5(model, filepath, include_optimizer)
    elif filepath.endswith(".keras"):
        save_keras(model, filepath)
    else:
        raise ValueError("Invalid filepath extension for saving. Please add either a `.keras` extension for the "
                         "native Keras format (recommended) or a `.h5` extension. Received: filepath=%s" % filepath)


# What a corrupt file raises from deep inside json, zipfile, zlib, h5py or a config walk; load_model and
# load_weights turn these into one ValueError that names the file (and name it in their own ValueErrors).
_CORRUPT = (KeyError, IndexError, TypeError, AttributeError, UnicodeDecodeError, json.JSONDecodeError,
            zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, struct.error, EOFError, OSError, RuntimeError)


@contextlib.contextmanager
def _corrupt_file_errors(filepath):
    try:
        yield
    except ValueError as e:
        if filepath in str(e):
            raise
        raise ValueError("Could not load %s: %s" % (filepath, e)) from e
    except _CORRUPT as e:
        if isinstance(e, (FileNotFoundError, PermissionError)):
            raise
        raise ValueError("Could not load %s: the file is corrupt or was not written by Keras (%s: %s)"
                         % (filepath, type(e).__name__, e)) from e


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """A model from a ``.keras`` or ``.h5`` file; compiled (with its optimizer state) when it was saved compiled.
    ``safe_mode=False`` allows Python lambdas stored in the file (Lambda layers) to be loaded: only for trusted
    files, since that runs code from the file."""
    filepath = os.fspath(filepath)
    if not os.path.exists(filepath):
        raise ValueError("File not found: filepath=%s. Please ensure the file is an accessible `.keras` zip file "
                         "or `.h5` file." % filepath)
    from tapeflow.keras.saving.object_registration import CustomObjectScope
    from tapeflow.keras.saving.serialization import safe_mode_scope
    with CustomObjectScope(custom_objects or {}), safe_mode_scope(safe_mode), _corrupt_file_errors(filepath):
        if _kind(filepath) == "keras":
            return load_keras(filepath, custom_objects, compile)
        return load_h5(filepath, custom_objects, compile)


def save_weights(model, filepath, overwrite=True):
    """``.weights.h5``: Keras 3's weights layout; other ``.h5`` names: tf.keras's ``layer_names`` layout."""
    filepath = os.fspath(filepath)
    if not filepath.endswith((".h5", ".hdf5")):
        raise ValueError("The filename must end in `.weights.h5`. Received: filepath=%s" % filepath)
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError("%s exists and overwrite=False" % filepath)
    h5py = _h5py()
    with atomic_write(filepath) as tmp:
        with h5py.File(tmp, "w") as f:
            if filepath.endswith(".weights.h5"):
                _save_layer_tree(model, f, set())
            else:
                _save_legacy_weights(model, f)


def load_weights(model, filepath, skip_mismatch=False, by_name=False):
    """Weights from a ``.weights.h5``, ``.h5`` (tf.keras layout, whole model or weights only) or ``.keras`` file.
    ``skip_mismatch``: layers whose weights do not fit are skipped with a warning instead of an error.
    ``by_name`` (tf.keras-layout files only): saved layers go to the model's layers of the same name."""
    filepath = os.fspath(filepath)
    if not os.path.exists(filepath):
        raise FileNotFoundError("Unable to open file: %s does not exist" % filepath)
    with _corrupt_file_errors(filepath):
        _load_weights(model, filepath, skip_mismatch, by_name)


def _load_weights(model, filepath, skip_mismatch, by_name):
    if _kind(filepath) == "keras":
        if by_name:
            raise ValueError("Invalid keyword arguments: by_name=True is only supported for tf.keras-layout .h5 "
                             "weights files.")
        h5py = _h5py()
        with _open_keras_zip(filepath) as zf, zf.open(_WEIGHTS) as fh, h5py.File(fh, "r") as h5:
            _load_layer_tree(model, h5, skip_mismatch=skip_mismatch)
        return
    with _open_h5(filepath) as f:
        legacy = f if "layer_names" in f.attrs else f["model_weights"] if "model_weights" in f else None
        if legacy is not None:
            _load_legacy_weights(model, legacy, skip_mismatch, by_name)
        elif by_name:
            raise ValueError("Invalid keyword arguments: by_name=True is only supported for tf.keras-layout .h5 "
                             "weights files, not .weights.h5.")
        else:
            _load_layer_tree(model, f, skip_mismatch=skip_mismatch)
