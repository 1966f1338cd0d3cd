"""keras.Model: a Layer with training (compile / fit / evaluate / predict) and summary.

``keras.Model(inputs, outputs)`` makes a functional model; subclasses define
layers in ``__init__`` and the computation in ``call``."""
import json

import numpy as np

from tapeflow import _core, nest
from tapeflow.keras import backend
from tapeflow.keras.engine.keras_tensor import any_symbolic
from tapeflow.keras.engine.trainer import Trainer
from tapeflow.keras.layers.layer import Layer, _plain_shape, _shape_of
from tapeflow.keras.models import summary as summary_mod
from tapeflow.keras.saving import saving_lib
from tapeflow.keras.saving.serialization import serialize_keras_object


class Model(Trainer, Layer):
    """A model: layers plus training.

    ``keras.Model(inputs=..., outputs=..., name=...)`` builds a functional model from
    KerasTensors; subclassing ``keras.Model`` and implementing ``call`` defines one
    imperatively.
    """

    def __new__(cls, *args, **kwargs):
        # inputs and outputs: by name, or (a subclass's own positional arguments aside) as KerasTensors
        graph = "inputs" in kwargs or "outputs" in kwargs or \
            (len(args) >= 2 and (cls is Model or (any_symbolic(args[0]) and any_symbolic(args[1]))))
        if graph:
            from tapeflow.keras.models.functional import Functional
            if cls is Model:
                return Functional.__new__(Functional)
            if not issubclass(cls, Functional):  # a subclass given inputs and outputs: functional, with its methods
                return super().__new__(_functional_subclass(cls, Functional))
        return super().__new__(cls)

    def __init__(self, *args, **kwargs):
        if args or "inputs" in kwargs or "outputs" in kwargs:
            raise TypeError("keras.Model.__init__ takes no positional arguments besides inputs and outputs; got %r"
                            % (args,))
        trainable = kwargs.pop("trainable", True)
        name = kwargs.pop("name", None)
        dtype = kwargs.pop("dtype", None)
        Layer.__init__(self, trainable=trainable, name=name, dtype=dtype, **kwargs)
        self._init_trainer()

    def call(self, *args, **kwargs):
        raise NotImplementedError("Model %r (a subclass of keras.Model) must implement `call()`." % self.name)

    def __call__(self, *args, **kwargs):
        out = self._captured_call(args, kwargs)
        return Layer.__call__(self, *args, **kwargs) if out is None else out

    def _captured_call(self, args, kwargs):
        """Inference ``model(x)`` on one tensor, replayed from a captured plan (fresh output tensors each call), or
        None for the eager call: under a tape or a capture, in training, with a mask, run_eagerly, or for a model
        with layers defined outside tapeflow (their ``call`` may have Python side effects, which a replay skips)."""
        if len(args) != 1 or (kwargs and (set(kwargs) != {"training"} or kwargs["training"])) or not self.built:
            return None
        x = args[0]
        if type(x) is np.ndarray and x.dtype == np.float32:
            x = _core.convert_to_tensor(x)
        if type(x) is not _core.Tensor or getattr(x, "_keras_mask", None) is not None or _core._capturing() or \
                _core._tape_active() or backend.in_training():
            return None
        if self._call_capturable is None:
            from tapeflow.keras.models.functional import Functional
            from tapeflow.keras.models.sequential import Sequential
            self._call_capturable = type(self) in (Sequential, Functional) and all(
                type(layer).__module__.startswith("tapeflow.") for layer in self._flatten_layers())
        cache = self._capture_cache("call") if self._call_capturable else None
        if cache is None:
            return None
        return cache.run(self._inference_call, x, lambda: self.variables, "tensor")

    def _inference_call(self, x):
        out = Layer.__call__(self, x, training=False)
        if _core._capturing():
            if any(getattr(o, "_keras_mask", None) is not None for o in nest.flatten(out)):
                _core._capture_fail("the model's outputs carry a mask")
            if any(layer._call_losses for layer in self._flatten_layers()):
                _core._capture_fail("the call adds losses")
        return out

    def build(self, input_shape):
        """Creates the weights by calling the model on zeros of ``input_shape`` (None -> 1)."""
        if self.built:
            return
        if input_shape is None:
            raise ValueError("You must provide an `input_shape` argument.")

        def zeros(shape):
            return _core.zeros([1 if d is None else d for d in shape], "float32")
        if isinstance(input_shape, (list, tuple)) and input_shape and isinstance(input_shape[0], (list, tuple)):
            x = [zeros(s) for s in input_shape]
        elif isinstance(input_shape, dict):
            x = {k: zeros(s) for k, s in input_shape.items()}
        else:
            x = zeros(input_shape)
        Layer.__call__(self, x)
        self.built = True

    def _maybe_build(self, inputs):
        # A subclassed model's weights are made by its first call; only a user-defined build runs here.
        if not self.built and type(self).build is not Model.build:
            Layer._maybe_build(self, inputs)
        elif not self.built:
            self._build_input_shape = _plain_shape(_shape_of(inputs))  # saved as the build config
        self.built = True

    @property
    def layers(self):
        return self._sublayers()

    def get_layer(self, name=None, index=None):
        """A layer by name or index."""
        if index is not None and name is not None:
            raise ValueError("Provide only a layer name or a layer index. Received: index=%r, name=%r."
                             % (index, name))
        layers = self.layers
        if index is not None:
            if len(layers) <= index:
                raise ValueError("Was asked to retrieve layer at index %d but model only has %d layers."
                                 % (index, len(layers)))
            return layers[index]
        if name is not None:
            for layer in layers:
                if layer.name == name:
                    return layer
            raise ValueError("No such layer: %s. Existing layers are: %s." % (name, [l.name for l in layers]))
        raise ValueError("Provide either a layer name or layer index at `get_layer`.")

    def _summary_rows(self):
        rows = []
        for layer in self.layers:
            rows.append(summary_mod.layer_row(layer, layer._last_output_shape))
        return rows, False

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False, show_trainable=False,
                layer_range=None):
        """Prints the layers, their output shapes and parameter counts, and the totals. An unbuilt model's layers
        show "?" shapes and "0 (unbuilt)" for layers that will have weights, as in Keras 3."""
        if not self.built and not self.layers:
            raise ValueError("This model has not yet been built. Build the model first by calling `build()` or by "
                             "calling the model on a batch of data.")
        rows, connected = self._summary_rows()
        summary_mod.print_summary(self, rows, connected, line_length, positions, print_fn)

    def count_params(self):
        if not self.built:
            raise ValueError("You tried to call `count_params` on model %r, but the model isn't built. You can build "
                             "it manually via: `model.build(input_shape)`." % self.name)
        return int(sum(int(np.prod(w.shape)) for w in self.weights))

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        if "layers" in config and "input_layers" in config:  # a functional model's config (Keras does the same)
            from tapeflow.keras.models.functional import Functional
            return Functional.from_config.__func__(cls, config, custom_objects)
        return cls(**config)

    # ----------------------------------------------------------------- saving
    def save(self, filepath, overwrite=True, include_optimizer=True, **kwargs):
        """Saves the architecture, weights and compile state: ``.keras`` (zip) or ``.h5`` (tf.keras's HDF5)."""
        saving_lib.save_model(self, filepath, overwrite=overwrite, include_optimizer=include_optimizer, **kwargs)

    def save_weights(self, filepath, overwrite=True, **kwargs):
        """Saves the weights: ``.weights.h5`` (Keras 3 layout) or another ``.h5`` name (tf.keras layout)."""
        saving_lib.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, skip_mismatch=False, by_name=False, **kwargs):
        """Loads weights saved by ``save_weights`` or ``save`` (also files written by tf.keras)."""
        saving_lib.load_weights(self, filepath, skip_mismatch=skip_mismatch, by_name=by_name)

    def to_json(self, **kwargs):
        """The architecture as a JSON string (``keras.models.model_from_json`` reads it back)."""
        return json.dumps(serialize_keras_object(self), default=saving_lib._json_default, **kwargs)

    def get_compile_config(self):
        return saving_lib.compile_config(self) if self.compiled else None

    def compile_from_config(self, config):
        saving_lib.compile_from_config(self, config)


_FUNCTIONAL_SUBCLASSES = {}


def _functional_subclass(cls, functional):
    """``cls`` (a subclass of Model, e.g. one overriding ``train_step``) combined with Functional, as Keras does
    for ``CustomModel(inputs, outputs)``: the subclass's methods over a functional graph."""
    combined = _FUNCTIONAL_SUBCLASSES.get(cls)
    if combined is None:
        combined = type(cls.__name__, (cls, functional), {"__module__": cls.__module__,
                                                           "__qualname__": cls.__qualname__})
        _FUNCTIONAL_SUBCLASSES[cls] = combined
    return combined
