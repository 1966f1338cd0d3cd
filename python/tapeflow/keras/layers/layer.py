"""keras.layers.Layer: the base class of every layer and model.

A layer owns weights made by ``add_weight`` in ``build(input_shape)``, which runs
once, on the first call, from the first input's shape. Sublayers and variables
assigned as attributes (also inside lists, tuples and dicts) are tracked, in
assignment order. Called on symbolic ``KerasTensor``s, a layer records a Node
and returns symbolic outputs whose shapes come from ``compute_output_shape``,
or, where a layer does not define it, from running ``call`` on small stand-in
inputs."""
import inspect

import numpy as np

from tapeflow import _core, nest
from tapeflow import dtypes as _dtypes
from tapeflow.framework import TensorShape
from tapeflow.variables import Variable
from tapeflow.keras import backend, initializers, regularizers
from tapeflow.keras.engine.keras_tensor import KerasTensor, Node, any_symbolic
from tapeflow.keras.layers.input_spec import assert_input_compatibility

_LAYER_KWARGS = {"input_shape", "batch_input_shape", "batch_size", "input_dim", "weights", "activity_regularizer",
                 "autocast", "dynamic", "input_length"}


def _is_shape(s):
    return isinstance(s, (tuple, list)) and all(d is None or isinstance(d, (int, np.integer)) for d in s)


def _plain_shape(shape):
    """TensorShapes (possibly nested in lists or dicts) as plain lists, for configs."""
    if isinstance(shape, TensorShape):
        return shape.as_list()
    if isinstance(shape, dict):
        return {k: _plain_shape(v) for k, v in shape.items()}
    return [_plain_shape(s) for s in shape]


def _shape_of(structure):
    """TensorShape for one tensor, the same nesting of TensorShapes for several."""
    if isinstance(structure, (list, tuple, dict)):
        return nest.map_structure(lambda x: TensorShape(x.shape), structure)
    return TensorShape(structure.shape)


class Layer:
    """The base layer.

    Args:
      trainable: whether the layer's weights are updated by training.
      name: the layer's name; by default made unique from the class name (``dense``, ``dense_1``, ...).
      dtype: the dtype of the weights and computations (default ``keras.backend.floatx()``).
      input_shape: on the first layer of a Sequential model, the shape of one sample.
    """

    _call_params = None  # per class: the parameter names of ``call``

    def __init__(self, trainable=True, name=None, dtype=None, **kwargs):
        for key in kwargs:
            if key not in _LAYER_KWARGS:
                raise TypeError("Keyword argument not understood: %r" % (key,))
        if name is not None and not isinstance(name, str):
            raise TypeError("Layer name must be a string, got %r" % (name,))
        self._name = name if name else backend.unique_name(backend.to_snake_case(type(self).__name__))
        self._trainable = bool(trainable)
        if isinstance(dtype, dict):  # a serialized dtype policy
            dtype = dtype.get("config", {}).get("name", None)
        self._dtype_name = _dtypes.as_dtype(dtype).name if dtype is not None else backend.floatx()
        self.built = False
        self.autocast = kwargs.get("autocast", True)
        self.supports_masking = False
        self.input_spec = None
        self._own_weights = []
        self._regularized = []
        self._call_losses = []
        self._inbound_nodes = []
        self._initial_weights = kwargs.get("weights")
        self._build_input_shape = None  # the shape build() ran with (saved as the build config)
        self._last_output_shape = None
        self.activity_regularizer = regularizers.get(kwargs.get("activity_regularizer"))
        batch_input_shape = kwargs.get("batch_input_shape")
        if batch_input_shape is None:
            if "input_shape" in kwargs and kwargs["input_shape"] is not None:
                batch_input_shape = (kwargs.get("batch_size"),) + tuple(backend.standardize_shape(kwargs["input_shape"]))
            elif kwargs.get("input_dim") is not None:
                batch_input_shape = (kwargs.get("batch_size"), int(kwargs["input_dim"]))
        self._batch_input_shape = None if batch_input_shape is None else tuple(batch_input_shape)
        cls = type(self)
        if cls.__dict__.get("_call_params") is None:
            cls._call_params = frozenset(inspect.signature(cls.call).parameters)

    # ----------------------------------------------------------------- identity
    name = property(lambda self: self._name)
    dtype = property(lambda self: self._dtype_name)
    compute_dtype = dtype
    variable_dtype = dtype

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        for layer in self._sublayers():
            layer.trainable = value

    def __repr__(self):
        return "<%s name=%s, built=%s>" % (type(self).__name__, self._name, self.built)

    # ----------------------------------------------------------------- weights
    def add_weight(self, name=None, shape=None, dtype=None, initializer=None, regularizer=None, trainable=True,
                   constraint=None, **kwargs):
        """Creates a weight variable of this layer (named ``<layer>/<name>``)."""
        if isinstance(name, (tuple, list)) or isinstance(name, (int, np.integer)):  # keras 3 order: (shape, ...)
            name, shape = shape if isinstance(shape, str) else None, name
        shape = () if shape is None else backend.standardize_shape(shape)
        if any(d is None for d in shape):
            raise ValueError("Can not create a weight with an undefined dimension: shape=%s (layer %r, weight %r)"
                             % (shape, self._name, name))
        dtype = _dtypes.as_dtype(dtype or self._dtype_name)
        if initializer is None:
            initializer = "glorot_uniform" if dtype.is_floating else "zeros"
        init = initializers.get(initializer)
        value = init(shape, dtype=dtype.name)
        value = _core.cast(_core.convert_to_tensor(value), dtype.name)
        if tuple(value._shape) != tuple(shape):
            value = _core.broadcast_to(value, list(shape))
        name = name or "variable"
        var = Variable(value, trainable=trainable and kwargs.get("synchronization") != "on_read",
                       name="%s/%s" % (self._name, name), dtype=dtype, constraint=constraint)
        var._keras_short_name = name
        self._own_weights.append(var)
        regularizer = regularizers.get(regularizer)
        if regularizer is not None:
            self._regularized.append((regularizer, var))
        return var

    def _sublayers(self):
        """Layers assigned as attributes, also inside lists, tuples and dicts, in assignment order."""
        out, seen = [], {id(self)}

        def visit(v):
            if isinstance(v, Layer):
                if id(v) not in seen:
                    seen.add(id(v))
                    out.append(v)
            elif isinstance(v, (list, tuple)):
                for x in v:
                    visit(x)
            elif isinstance(v, dict):
                for x in v.values():
                    visit(x)

        for v in self.__dict__.values():
            visit(v)
        return out

    def _flatten_layers(self):
        """This layer, then every layer under it (depth first, each once)."""
        out, seen = [], set()

        def walk(layer):
            if id(layer) not in seen:
                seen.add(id(layer))
                out.append(layer)
                for sub in layer._sublayers():
                    walk(sub)
        walk(self)
        return out

    def _own_variables(self):
        """Variables made by ``add_weight``, then variables assigned as attributes."""
        own = {id(w) for w in self._own_weights}
        return self._own_weights + [v for v in self.__dict__.values() if isinstance(v, Variable) and id(v) not in own]

    def _gather_weights(self, trainable):
        """Weights in ``weights`` order; ``trainable`` True/False keeps only those that train / do not
        (a weight trains when it is trainable and no layer above it is frozen); None keeps all."""
        out, seen = [], set()

        def walk(layer, frozen):
            frozen = frozen or not layer._trainable
            for w in layer._own_variables():
                if id(w) not in seen and (trainable is None or (w.trainable and not frozen) == trainable):
                    seen.add(id(w))
                    out.append(w)
            for sub in layer._sublayers():
                walk(sub, frozen)
        walk(self, False)
        return out

    @property
    def weights(self):
        """All weights: this layer's own in creation order, then each sublayer's."""
        return self._gather_weights(None)

    @property
    def trainable_weights(self):
        return self._gather_weights(True)

    @property
    def non_trainable_weights(self):
        return self._gather_weights(False)

    variables = weights
    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights

    def get_weights(self):
        """The weights' values as a list of NumPy arrays, in ``weights`` order."""
        return [w.numpy() for w in self.weights]

    def set_weights(self, weights):
        """Sets the weights from a list of arrays, in ``weights`` order, checking count and shapes."""
        params = self.weights
        weights = list(weights)
        if len(weights) != len(params):
            raise ValueError("You called `set_weights(weights)` on layer '%s' with a weight list of length %d, but the "
                             "layer was expecting %d weights." % (self._name, len(weights), len(params)))
        arrays = []
        for p, w in zip(params, weights):
            w = np.asarray(w)
            if tuple(w.shape) != tuple(p.shape):
                raise ValueError("Layer %s weight shape %s is not compatible with provided weight shape %s."
                                 % (self._name, tuple(p.shape), tuple(w.shape)))
            arrays.append(w)
        for p, w in zip(params, arrays):
            p.assign(w.astype(p.dtype.as_numpy_dtype, copy=False))

    def count_params(self):
        if not self.built:
            raise ValueError("You tried to call `count_params` on layer '%s', but the layer isn't built. You can build "
                             "it manually via: `layer.build(input_shape)`." % self._name)
        return int(sum(int(np.prod(w.shape)) for w in self.weights))

    # ----------------------------------------------------------------- losses
    def add_loss(self, loss):
        """Adds a loss (a scalar tensor) computed in ``call``; training adds it to the total loss."""
        self._call_losses.append(loss)

    def _own_losses(self):
        """Losses added by this layer's last call, and its weights' regularization penalties."""
        out = list(self._call_losses)
        if self._trainable:
            out.extend(reg(v) for reg, v in self._regularized)
        return out

    @property
    def losses(self):
        return [loss for layer in self._flatten_layers() for loss in layer._own_losses()]

    # ----------------------------------------------------------------- calling
    def build(self, input_shape):
        self.built = True

    def call(self, inputs, *args, **kwargs):
        return inputs

    def _maybe_build(self, inputs):
        if self.built:
            return
        shape = _shape_of(inputs)
        self._build_input_shape = _plain_shape(shape)
        self.build(shape)
        self.built = True
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def _autocast(self, x):
        if isinstance(x, _core.Tensor):
            if self.autocast and x._dtype_code in (0, 1, 2) and x.dtype.name != self._dtype_name:
                return _core.cast(x, self._dtype_name)
            return x
        if isinstance(x, (np.ndarray, np.generic, float, int, list)) and not isinstance(x, bool):
            a = np.asarray(x)
            if a.dtype.kind == "f":
                return _core.convert_to_tensor(a.astype(self._dtype_name, copy=False))
            if a.dtype.kind in "iub":
                return _core.convert_to_tensor(a)
        return x

    def __call__(self, *args, **kwargs):
        if not args:
            if "inputs" not in kwargs:
                raise TypeError("Layer %r called without inputs" % self._name)
            args = (kwargs.pop("inputs"),)
        first = args[0]
        if isinstance(first, KerasTensor) or ((len(args) > 1 or kwargs or isinstance(first, (list, tuple, dict)))
                                              and any_symbolic((list(args), kwargs))):
            return self._symbolic_call(args, kwargs)
        inputs = args[0]
        if isinstance(inputs, (list, tuple, dict)):
            inputs = nest.map_structure(self._autocast, inputs)
        else:
            inputs = self._autocast(inputs)
        if self.input_spec is not None:
            assert_input_compatibility(self.input_spec, inputs, self._name)
        if not self.built:
            self._maybe_build(inputs)
            if self.input_spec is not None:
                assert_input_compatibility(self.input_spec, inputs, self._name)
        training = kwargs.get("training")
        if training is None:
            training = backend.in_training()
        params = type(self)._call_params
        if "training" in params:
            if training is not None:
                kwargs["training"] = training
        else:
            kwargs.pop("training", None)
        previous_mask = kwargs.get("mask")
        if previous_mask is None:
            previous_mask = _mask_of(inputs)
        if "mask" in params:
            if previous_mask is not None:
                kwargs["mask"] = previous_mask
        else:
            kwargs.pop("mask", None)
        self._call_losses = []
        with backend.training_scope(training):
            outputs = self.call(inputs, *args[1:], **kwargs)
        _set_mask(outputs, self.compute_mask(inputs, previous_mask))
        if self.activity_regularizer is not None:
            for o in nest.flatten(outputs):
                self.add_loss(_core.divide(self.activity_regularizer(o), _core.cast(o.shape[0], o.dtype)))
        if self._last_output_shape is None:
            self._last_output_shape = nest.map_structure(
                lambda o: (None,) + tuple(o.shape)[1:] if getattr(o, "shape", None) else None, outputs)
        return outputs

    # ----------------------------------------------------------------- symbolic calls
    def _symbolic_call(self, args, kwargs):
        inputs = args[0]
        if self.input_spec is not None:
            assert_input_compatibility(self.input_spec, inputs, self._name)
        if not self.built:
            self._maybe_build(inputs)
        outputs = self.compute_output_spec(*args, **kwargs)
        Node(self, args, kwargs, outputs)
        return outputs

    def compute_output_spec(self, *args, **kwargs):
        """KerasTensors for the outputs of a call on these (symbolic) arguments."""
        if type(self).compute_output_shape is not Layer.compute_output_shape:
            return _map_shapes(self.compute_output_shape(_shape_of(args[0])), self._dtype_name)
        return self._spec_by_running(args, kwargs)

    def _spec_by_running(self, args, kwargs):
        """Runs the call on zero-filled stand-ins with unknown dimensions set to 2, then 3;
        output dimensions that change with them are unknown."""
        results = []
        for size in (2, 3):
            def concrete(x):
                if isinstance(x, KerasTensor):
                    return _core.zeros([size if d is None else d for d in x._shape], x.dtype.name)
                return x
            a = nest.map_structure(concrete, list(args))
            k = nest.map_structure(concrete, kwargs)
            try:
                results.append(Layer.__call__(self, *a, **k))
            except Exception as e:  # noqa: BLE001 - re-raised with the layer named
                raise type(e)("Exception encountered when calling layer %r (type %s) on symbolic inputs: %s"
                              % (self._name, type(self).__name__, e)) from e
        def spec(o2, o3):
            if not isinstance(o2, _core.Tensor):
                return o2
            shape = [a if a == b else None for a, b in zip(o2._shape, o3._shape)]
            return KerasTensor(shape, o2.dtype)
        return nest.map_structure(spec, results[0], results[1])

    def compute_output_shape(self, input_shape):
        raise NotImplementedError

    def compute_mask(self, inputs, mask=None):
        """The mask of the outputs: the input mask passed through when ``supports_masking``, else None."""
        return mask if self.supports_masking else None

    # ----------------------------------------------------------------- graph access
    def _node_attr(self, attr):
        if not self._inbound_nodes:
            raise AttributeError("Layer %s has never been called and thus has no defined %s." % (self._name, attr))
        node = self._inbound_nodes[0]
        if attr == "output":
            out = node.outputs
        else:
            out = node.input_tensors
            out = out[0] if len(out) == 1 else out
        return out

    input = property(lambda self: self._node_attr("input"))
    output = property(lambda self: self._node_attr("output"))

    @property
    def input_shape(self):
        return nest.map_structure(lambda t: t.shape, self.input)

    @property
    def output_shape(self):
        return nest.map_structure(lambda t: t.shape, self.output)

    # ----------------------------------------------------------------- config
    def get_config(self):
        config = {"name": self._name, "trainable": self._trainable, "dtype": self._dtype_name}
        if self._batch_input_shape is not None:
            config["batch_input_shape"] = self._batch_input_shape
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _mask_of(inputs):
    """The Keras mask carried by the input tensor(s) (``_keras_mask``), a list for several inputs, or None."""
    if isinstance(inputs, (list, tuple)):
        masks = [getattr(x, "_keras_mask", None) for x in inputs]
        return None if all(m is None for m in masks) else masks
    return getattr(inputs, "_keras_mask", None)


def _set_mask(outputs, mask):
    if mask is None:
        return
    if isinstance(outputs, (list, tuple)):
        for o, m in zip(outputs, mask if isinstance(mask, (list, tuple)) else [mask] * len(outputs)):
            _set_mask(o, m)
    elif isinstance(outputs, _core.Tensor):
        outputs._keras_mask = mask


def _map_shapes(structure, dtype):
    if _is_shape(structure):
        return KerasTensor(structure, dtype)
    if isinstance(structure, dict):
        return {k: _map_shapes(v, dtype) for k, v in structure.items()}
    return type(structure)(_map_shapes(s, dtype) for s in structure)
