"""tf.train: Checkpoint, CheckpointManager and latest_checkpoint.

A checkpoint saves the variables of the objects it tracks (given as keyword arguments): Keras models and layers
(their weights), optimizers (their variables, built for the tracked model's trainable variables when a restore
finds them unbuilt), tf.Modules and other objects (the variables their attributes hold, walked as tf.Module
walks), variables, and other checkpoints. ``save(prefix)`` writes ``<prefix>-<n>.ckpt.h5`` (HDF5, written
atomically) and returns ``<prefix>-<n>``, the path ``restore`` and ``latest_checkpoint`` use, as TensorFlow's
do. The file format is tapeflow's own: TensorFlow's checkpoints are not read, nor tapeflow's by TensorFlow."""
import os
import re

import numpy as np

from tapeflow import module as _module
from tapeflow import variables as _variables
from tapeflow._files import atomic_write

_SUFFIX = ".ckpt.h5"
_STATE = "checkpoint"  # the directory's state file, in TensorFlow's text format


def _h5py():
    import h5py
    return h5py


def _is_optimizer(obj):
    return hasattr(obj, "apply_gradients") and hasattr(obj, "variables")


def _is_layer(obj):
    return hasattr(obj, "get_weights") and hasattr(obj, "weights")


def _tracked(name, obj):
    """(key, variable) pairs of one tracked object, in a fixed order."""
    if isinstance(obj, _variables.Variable):
        return [(name, obj)]
    if isinstance(obj, Checkpoint):
        return [(name + "/" + k, v) for key, child in sorted(obj._objects.items()) for k, v in _tracked(key, child)]
    if _is_optimizer(obj):
        return [("%s/variables/%d" % (name, i), v) for i, v in enumerate(obj.variables)]
    if _is_layer(obj):
        if not getattr(obj, "built", True):
            return []
        return [("%s/weights/%d" % (name, i), v) for i, v in enumerate(obj.weights)]
    return [(name + "/" + path, v) for path, v in _module.walk(obj) if isinstance(v, _variables.Variable)]


class CheckpointLoadStatus:
    """What ``restore`` matched: ``assert_consumed()`` fails unless every saved value and every tracked variable
    met; ``assert_existing_objects_matched()`` unless every tracked variable was restored; ``expect_partial()``
    silences nothing here (no warnings are printed) and returns the status."""

    def __init__(self, unused_saved, unmatched_objects):
        self.unused_saved, self.unmatched_objects = unused_saved, unmatched_objects

    def assert_consumed(self):
        if self.unused_saved or self.unmatched_objects:
            raise AssertionError("Unresolved objects in the checkpoint: saved values not restored %s; variables "
                                 "with no saved value %s" % (self.unused_saved, self.unmatched_objects))
        return self

    def assert_existing_objects_matched(self):
        if self.unmatched_objects:
            raise AssertionError("Variables with no saved value: %s" % (self.unmatched_objects,))
        return self

    def expect_partial(self):
        return self


class Checkpoint:
    """Saves and restores the variables of the objects given as keyword arguments (``root`` too)."""

    def __init__(self, root=None, **kwargs):
        self._objects = dict(kwargs)
        if root is not None:
            self._objects["root"] = root
        for key, value in self._objects.items():
            if value is None:
                raise ValueError("`Checkpoint` was expecting %s to be a trackable object, got None" % key)
        self.save_counter = _variables.Variable(np.int64(0), trainable=False, name="save_counter")

    def __getattr__(self, name):
        objects = self.__dict__.get("_objects", {})
        if name in objects:
            return objects[name]
        raise AttributeError("'Checkpoint' object has no attribute %r" % name)

    def _variables(self):
        pairs = [("save_counter", self.save_counter)]
        for key, obj in sorted(self._objects.items()):
            pairs.extend(_tracked(key, obj))
        return pairs

    def write(self, file_prefix, options=None):
        """Writes the tracked variables to ``<file_prefix>.ckpt.h5`` (atomically); returns ``file_prefix``."""
        file_prefix = os.fspath(file_prefix)
        os.makedirs(os.path.dirname(os.path.abspath(file_prefix)), exist_ok=True)
        h5py = _h5py()
        with atomic_write(file_prefix + _SUFFIX) as tmp:
            with h5py.File(tmp, "w") as f:
                for key, var in self._variables():
                    f.create_dataset(key, data=var.numpy())
        return file_prefix

    def save(self, file_prefix, options=None):
        """Writes ``<file_prefix>-<n>`` (n counting the saves) and records it as the directory's latest."""
        self.save_counter.assign_add(1)
        path = self.write("%s-%d" % (os.fspath(file_prefix), int(self.save_counter.numpy())))
        _record_latest(os.path.dirname(os.path.abspath(path)), path, None)
        return path

    def read(self, save_path, options=None):
        return self.restore(save_path)

    def restore(self, save_path, options=None):
        """Assigns the saved values to the tracked variables of the same keys; returns a CheckpointLoadStatus.
        ``save_path`` None restores nothing (as TensorFlow: a first run has no checkpoint yet)."""
        if save_path is None:
            return CheckpointLoadStatus([], [])
        path = os.fspath(save_path)
        if not os.path.exists(path + _SUFFIX):
            raise ValueError("Unsuccessful TensorSliceReader constructor: failed to find any matching files for "
                             "%s (tapeflow checkpoints are %s files)" % (path, _SUFFIX))
        self._build_optimizers()
        h5py = _h5py()
        with h5py.File(path + _SUFFIX, "r") as f:
            saved = {}
            f.visititems(lambda key, item: saved.__setitem__(key, item) if isinstance(item, h5py.Dataset) else None)
            pairs = self._variables()
            for key, var in pairs:  # check every shape first: nothing is assigned from a file that does not fit
                if key in saved and tuple(saved[key].shape) != tuple(var.shape):
                    raise ValueError("The checkpoint's %s has shape %s, the variable %s" % (key, saved[key].shape,
                                                                                           tuple(var.shape)))
            for key, var in pairs:
                if key in saved:
                    var.assign(np.asarray(saved[key][()]).astype(var.dtype.name))
            matched = {key for key, _ in pairs}
            return CheckpointLoadStatus(sorted(set(saved) - matched), [k for k, _ in pairs if k not in saved])

    def _build_optimizers(self):
        """Optimizers make their slots on their first step: a restore before it builds them for the tracked
        model's trainable variables, so that the saved slots have somewhere to go."""
        models = [o for o in self._objects.values() if _is_layer(o) and getattr(o, "built", False)]
        for obj in self._objects.values():
            if _is_optimizer(obj) and not getattr(obj, "built", True) and len(models) == 1:
                obj.build(models[0].trainable_variables)


def _record_latest(directory, latest, all_paths):
    """Writes the directory's state file (TensorFlow's text format, paths relative to the directory)."""
    rel = os.path.relpath(latest, directory)
    lines = ['model_checkpoint_path: "%s"' % rel]
    lines += ['all_model_checkpoint_paths: "%s"' % os.path.relpath(p, directory) for p in (all_paths or [latest])]
    with atomic_write(os.path.join(directory, _STATE)) as tmp:
        with open(tmp, "w") as f:
            f.write("\n".join(lines) + "\n")


def latest_checkpoint(checkpoint_dir, latest_filename=None):
    """The latest checkpoint's path recorded in ``checkpoint_dir``, or None."""
    state = os.path.join(os.fspath(checkpoint_dir), latest_filename or _STATE)
    if not os.path.exists(state):
        return None
    with open(state) as f:
        match = re.search(r'^model_checkpoint_path:\s*"(.*)"', f.read(), re.M)
    if not match:
        return None
    path = match.group(1)
    path = path if os.path.isabs(path) else os.path.join(os.fspath(checkpoint_dir), path)
    return path if os.path.exists(path + _SUFFIX) else None


class CheckpointManager:
    """Numbered checkpoints of one Checkpoint in ``directory``, keeping the newest ``max_to_keep``."""

    def __init__(self, checkpoint, directory, max_to_keep, keep_checkpoint_every_n_hours=None,
                 checkpoint_name="ckpt", step_counter=None, checkpoint_interval=None, init_fn=None):
        self._checkpoint, self.directory = checkpoint, os.fspath(directory)
        self.max_to_keep, self._name, self._init_fn = max_to_keep, checkpoint_name, init_fn
        os.makedirs(self.directory, exist_ok=True)
        pattern = re.compile(re.escape(checkpoint_name) + r"-(\d+)" + re.escape(_SUFFIX) + "$")
        found = sorted((int(m.group(1)), f) for f in os.listdir(self.directory) for m in [pattern.match(f)] if m)
        self._paths = [os.path.join(self.directory, f[:-len(_SUFFIX)]) for _, f in found]

    @property
    def checkpoints(self):
        return list(self._paths)

    @property
    def latest_checkpoint(self):
        return self._paths[-1] if self._paths else None

    def save(self, checkpoint_number=None, check_interval=True, options=None):
        """Writes the next checkpoint (numbered ``checkpoint_number``, else by the checkpoint's save counter),
        deletes the oldest beyond ``max_to_keep`` and records the state file; returns its path."""
        if checkpoint_number is None:
            self._checkpoint.save_counter.assign_add(1)
            checkpoint_number = int(self._checkpoint.save_counter.numpy())
        path = self._checkpoint.write(os.path.join(self.directory, "%s-%d" % (self._name, int(checkpoint_number))))
        self._paths = [p for p in self._paths if p != path] + [path]
        while self.max_to_keep is not None and len(self._paths) > self.max_to_keep:
            old = self._paths.pop(0)
            if os.path.exists(old + _SUFFIX):
                os.unlink(old + _SUFFIX)
        _record_latest(self.directory, path, self._paths)
        return path

    def restore_or_initialize(self):
        if self.latest_checkpoint:
            self._checkpoint.restore(self.latest_checkpoint)
            return self.latest_checkpoint
        if self._init_fn is not None:
            self._init_fn()
        return None


__all__ = ["Checkpoint", "CheckpointManager", "CheckpointLoadStatus", "latest_checkpoint"]
