"""keras.Sequential: a plain stack of layers, each with one input and one output."""
import numpy as np

from tapeflow import _core
from tapeflow.keras import backend
from tapeflow.keras.engine.keras_tensor import KerasTensor
from tapeflow.keras.layers.input_layer import InputLayer
from tapeflow.keras.layers.layer import Layer
from tapeflow.keras.models import summary as summary_mod
from tapeflow.keras.models.model import Model


class Sequential(Model):
    """A linear stack of layers.

    Args:
      layers: optional list of layers (a ``keras.Input(...)`` first fixes the input shape).
      name: the model's name (default ``sequential``, ``sequential_1``, ...).

    The model is built (weights created) as soon as its input shape is known: from a
    ``keras.Input``, an ``input_shape=`` argument of the first layer, ``build(input_shape)``,
    or the first call on data.
    """

    def __init__(self, layers=None, trainable=True, name=None):
        Model.__init__(self, trainable=trainable, name=name or backend.unique_name("sequential"))
        self._stack = []
        self._input_layer = None
        self._graph_nodes = []
        self.inputs = None
        self.outputs = None
        for layer in layers or ():
            self.add(layer, rebuild=False)
        self._maybe_build_graph()

    def add(self, layer, rebuild=True):
        """Appends a layer (or a ``keras.Input``) to the stack."""
        if isinstance(layer, KerasTensor) and layer._keras_history is not None:
            layer = layer._keras_history[0]
        if not isinstance(layer, Layer):
            raise ValueError("Only instances of `keras.Layer` can be added to a Sequential model. Received: %r "
                             "(of type %s)" % (layer, type(layer)))
        if isinstance(layer, InputLayer):
            if self._input_layer is not None or self._stack:
                raise ValueError("Sequential model %r has already been configured to use an input shape; an "
                                 "InputLayer can only be its first layer." % self.name)
            self._input_layer = layer
        else:
            if any(l.name == layer.name for l in self._stack):
                raise ValueError("All layers added to a Sequential model should have unique names. Name %r is already "
                                 "the name of a layer in this model. Update the `name` argument to pass a unique name."
                                 % layer.name)
            if not self._stack and self._input_layer is None:
                nested = getattr(layer, "_input_layer", None)  # a Sequential that knows its input shape
                batch_shape = nested._batch_shape if isinstance(nested, InputLayer) else layer._batch_input_shape
                if batch_shape is not None:
                    self._input_layer = InputLayer(batch_shape=batch_shape, dtype=None)
            self._stack.append(layer)
        if rebuild:
            self._maybe_build_graph()

    def pop(self, rebuild=True):
        if not self._stack:
            raise TypeError("There are no layers in the model.")
        layer = self._stack.pop()
        if rebuild:
            self._maybe_build_graph()
        return layer

    def _sublayers(self):
        return list(self._stack)

    def _clear_graph(self):
        for node in self._graph_nodes:
            if node in node.layer._inbound_nodes:
                node.layer._inbound_nodes.remove(node)
        self._graph_nodes = []
        self.inputs = self.outputs = None

    def _maybe_build_graph(self):
        """With a known input, traces the stack symbolically: builds every layer and records output shapes."""
        self._clear_graph()
        if self._input_layer is None:
            return
        x = self._input_layer._output
        for layer in self._stack:
            before = len(layer._inbound_nodes)
            x = layer(x)
            if len(layer._inbound_nodes) > before:
                self._graph_nodes.append(layer._inbound_nodes[-1])
        self.inputs = [self._input_layer._output]
        self.outputs = [x]
        self.built = True

    @property
    def input_names(self):
        return [self._input_layer.name] if self._input_layer is not None else []

    @property
    def output_names(self):
        return [self._stack[-1].name] if self._stack else []

    def build(self, input_shape=None):
        """Builds the model for inputs of ``input_shape`` (batch dimension included, e.g. ``(None, 3)``)."""
        if input_shape is None:
            if self._input_layer is None:
                raise ValueError("You must provide an `input_shape` argument.")
        elif self._input_layer is None:
            self._input_layer = InputLayer(batch_shape=tuple(input_shape))
        self._maybe_build_graph()


    def call(self, inputs, training=None, mask=None):
        x = inputs
        if self._input_layer is not None and isinstance(x, (_core.Tensor, np.ndarray)):
            x = _core.convert_to_tensor(x)
            if x.dtype.name != self._input_layer.dtype:  # to the declared input dtype, as a functional model does
                x = _core.cast(x, self._input_layer.dtype)
        for layer in self._stack:
            x = layer(x, training=training) if "training" in type(layer)._call_params else layer(x)
        return x

    def compute_output_spec(self, inputs, *args, **kwargs):
        x = inputs
        for layer in self._stack:
            x = layer.compute_output_spec(x)
        return x

    def _maybe_build(self, inputs):
        """The first call (on a tensor or a KerasTensor) fixes the input shape and builds the stack."""
        if self._input_layer is None and isinstance(inputs, (_core.Tensor, KerasTensor)):
            self._input_layer = InputLayer(batch_shape=(None,) + tuple(inputs.shape)[1:], dtype=inputs.dtype.name)
            self._maybe_build_graph()
        self.built = True

    @property
    def weights(self):
        if not self.built:
            raise ValueError("Weights for model %r have not yet been created. Weights are created when the model is "
                             "first called on inputs or `build()` is called with an `input_shape`." % self.name)
        return Model.weights.fget(self)

    @property
    def input_shape(self):
        if self._input_layer is None:
            raise AttributeError("The Sequential model %r has no defined input shape yet." % self.name)
        return self._input_layer.batch_shape

    @property
    def output_shape(self):
        if not self.outputs:
            raise AttributeError("The Sequential model %r has no defined output shape yet." % self.name)
        return tuple(self.outputs[0].shape)

    def _summary_rows(self):
        rows = []
        shapes = {id(n.layer): summary_mod.output_shape_of(n.outputs) for n in self._graph_nodes}
        for layer in self._stack:
            rows.append(summary_mod.layer_row(layer, shapes.get(id(layer), layer._last_output_shape)))
        return rows, False

    def get_config(self):
        from tapeflow.keras.saving.serialization import serialize_keras_object
        head = [self._input_layer] if self._input_layer is not None else []
        layers = [serialize_keras_object(layer) for layer in head + self._stack]
        return {"name": self.name, "trainable": self.trainable, "layers": layers}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from tapeflow.keras.layers import deserialize
        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        for spec in config["layers"]:
            model.add(deserialize(spec, custom_objects), rebuild=False)
        model._maybe_build_graph()
        return model
