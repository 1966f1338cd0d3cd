"""Functional models: a DAG of layer calls traced from KerasTensors.

``Functional(inputs, outputs)`` walks back from the outputs through the Nodes the
layer calls recorded, orders the nodes so every node comes after the nodes it
reads from, and runs them in that order on real tensors."""
from tapeflow import _core, _ops, nest
from tapeflow.dtypes import string
from tapeflow.framework import convert_to_tensor
from tapeflow.string_tensor import StringTensor
from tapeflow.keras import backend
from tapeflow.keras.engine.keras_tensor import KerasTensor
from tapeflow.keras.layers.input_layer import InputLayer
from tapeflow.keras.models import summary as summary_mod
from tapeflow.keras.models.model import Model


def _topological_nodes(outputs, inputs):
    """Nodes needed to compute ``outputs`` from ``inputs``, each after its parents."""
    input_ids = {id(t) for t in inputs}
    order, done, active = [], set(), set()
    for out in outputs:
        if out._keras_history is None:
            raise ValueError("Output tensors of a Functional model must be the output of a layer (a KerasTensor "
                             "from keras.Input or a layer call). Received: %r" % (out,))
    stack = [(t, False) for t in reversed(outputs)]
    while stack:
        t, expanded = stack.pop()
        layer, ni, _ = t._keras_history
        node = layer._inbound_nodes[ni]
        if id(node) in done:
            continue
        if expanded:
            active.discard(id(node))
            done.add(id(node))
            order.append(node)
            continue
        if id(t) in input_ids:
            done.add(id(node))
            continue
        if node.is_input:
            raise ValueError("Graph disconnected: cannot find parent for tensor %r at layer %r. The following previous "
                             "layers were accessed without issue: %s"
                             % (t, layer.name, [n.layer.name for n in order]))
        if id(node) in active:
            raise ValueError("The graph of the model has a cycle at layer %r" % layer.name)
        active.add(id(node))
        stack.append((t, True))
        for parent in reversed(node.input_tensors):
            if parent._keras_history is None:
                raise ValueError("Tensor %r was not produced by a Keras layer; wrap the computation in a layer" % parent)
            stack.append((parent, False))
    return order


def _layers_by_depth(nodes, inputs, outputs):
    """The model's layers in Keras's order: by depth (the longest path to an output) from the inputs down, layers
    of one depth in the order a depth-first walk from the outputs first meets them. Keras 3 names the layers of a
    weights file by this order, so it is what lets such files load."""
    first_seen, member, visited = {}, {id(n) for n in nodes}, set()
    stack = list(reversed(outputs))
    while stack:  # pre-order from the outputs, parents in argument order
        layer, ni, _ = stack.pop()._keras_history
        node = layer._inbound_nodes[ni]
        first_seen.setdefault(id(layer), len(first_seen))
        if id(node) in member and id(node) not in visited:
            visited.add(id(node))
            stack.extend(reversed(node.input_tensors))
    node_depth, layer_depth = {}, {}
    for node in reversed(nodes):  # consumers before producers
        depth = max(node_depth.get(id(node), 0), layer_depth.get(id(node.layer), 0))
        layer_depth[id(node.layer)] = depth
        for parent in node.input_tensors:
            layer, ni, _ = parent._keras_history
            key = id(layer._inbound_nodes[ni])
            node_depth[key] = max(node_depth.get(key, 0), depth + 1)
    for t in inputs:
        layer = t._keras_history[0]
        layer_depth[id(layer)] = max(layer_depth.get(id(layer), 0), node_depth.get(id(layer._inbound_nodes[0]), 0))
    layers = list({id(l): l for l in [t._keras_history[0] for t in inputs] + [n.layer for n in nodes]}.values())
    return sorted(layers, key=lambda l: (-layer_depth.get(id(l), 0), first_seen.get(id(l), -1)))


class Functional(Model):
    """A model defined by its input and output KerasTensors (``keras.Model(inputs, outputs)``)."""

    def __init__(self, inputs, outputs, name=None, trainable=True, **kwargs):
        Model.__init__(self, name=name or backend.unique_name("functional"), trainable=trainable,
                       **{k: v for k, v in kwargs.items() if k == "dtype"})
        self._input_keys = list(inputs) if isinstance(inputs, dict) else None
        self._inputs_struct = inputs
        self._outputs_struct = outputs
        flat_in = list(inputs.values()) if isinstance(inputs, dict) else nest.flatten(inputs)
        flat_out = nest.flatten(outputs)
        for t in flat_in + flat_out:
            if not isinstance(t, KerasTensor):
                raise ValueError("All `inputs` and `outputs` values must be KerasTensors (from keras.Input or a layer "
                                 "call). Received: %r of type %s" % (t, type(t).__name__))
        for t in flat_in:
            if t._keras_history is None or not isinstance(t._keras_history[0], InputLayer):
                raise ValueError("Model inputs must come from `keras.Input` (thus holding past layer metadata). "
                                 "Received: %r" % (t,))
        self.inputs = flat_in
        self.outputs = flat_out
        self._nodes = _topological_nodes(flat_out, flat_in)
        self._layers = _layers_by_depth(self._nodes, flat_in, flat_out)
        self.input_names = [t._keras_history[0].name for t in flat_in]
        self.output_names = self._make_output_names(outputs, flat_out)
        self.built = True

    @staticmethod
    def _make_output_names(outputs, flat_out):
        if isinstance(outputs, dict):
            return sorted(outputs)
        names = []
        for t in flat_out:
            name = t._keras_history[0].name
            names.append(name if name not in names else "%s_%d" % (name, len(names)))
        return names

    def _sublayers(self):
        return list(self._layers)

    @property
    def input(self):
        return self._inputs_struct

    @property
    def output(self):
        return self._outputs_struct

    @property
    def input_shape(self):
        shapes = [tuple(t.shape) for t in self.inputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_shape(self):
        shapes = [tuple(t.shape) for t in self.outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    def _flatten_inputs(self, inputs):
        if isinstance(inputs, dict):
            keys = self._input_keys or self.input_names
            missing = [k for k in keys if k not in inputs]
            if missing:
                raise ValueError("Missing data for input %r. You passed a data dictionary with keys %s. Expected the "
                                 "following keys: %s" % (missing[0], sorted(inputs), keys))
            return [inputs[k] for k in keys]
        flat = nest.flatten(inputs)
        if len(flat) != len(self.inputs):
            raise ValueError('Layer "%s" expects %d input(s), but it received %d input tensors.'
                             % (self.name, len(self.inputs), len(flat)))
        return flat

    def _run(self, flat_inputs, apply):
        """Runs the nodes in order on a list of inputs; ``apply(layer, args, kwargs)`` does one call."""
        values = {id(kt): x for kt, x in zip(self.inputs, flat_inputs)}

        def fetch(v):
            return values[id(v)] if isinstance(v, KerasTensor) else v
        for node in self._nodes:
            args = [nest.map_structure(fetch, a) for a in node.call_args]
            kwargs = {k: nest.map_structure(fetch, v) for k, v in node.call_kwargs.items()}
            outs = apply(node.layer, args, kwargs)
            for kt, o in zip(node.output_tensors, nest.flatten(outs)):
                values[id(kt)] = o
        return nest.pack_sequence_as(self._outputs_struct, [values[id(t)] for t in self.outputs])

    def call(self, inputs, training=None, mask=None):
        def to_input(i, kt, x):
            if not isinstance(x, (_core.Tensor, StringTensor)):
                x = convert_to_tensor(x)
            if x.dtype != kt.dtype and x.dtype != string and kt.dtype != string:
                x = _core.cast(x, kt.dtype.name)
            if x.ndim == kt.ndim - 1 and kt.shape[-1] == 1:  # Keras adjusts a missing or extra last axis of 1
                x = _ops.expand_dims(x, -1)
            elif x.ndim == kt.ndim + 1 and x.shape[-1] == 1:
                x = _ops.squeeze(x, [-1])
            if x.ndim != kt.ndim:
                raise ValueError('Input %d of layer "%s" is incompatible with the layer: expected shape=%s, found '
                                 'shape=%s' % (i, self.name, kt.shape, x.shape))
            return x
        flat = [to_input(i, kt, x) for i, (kt, x) in enumerate(zip(self.inputs, self._flatten_inputs(inputs)))]
        return self._run(flat, lambda layer, args, kwargs: layer(*args, **kwargs))

    def compute_output_spec(self, inputs, *args, **kwargs):
        return self._run(self._flatten_inputs(inputs), lambda layer, a, k: layer.compute_output_spec(*a, **k))

    def _is_sequential_like(self):
        """One input, one output, and every layer called once on one tensor."""
        if len(self.inputs) != 1 or len(self.outputs) != 1:
            return False
        return all(len(node.input_tensors) == 1 and len(node.layer._inbound_nodes) == 1 for node in self._nodes)

    def _summary_rows(self):
        connected = not self._is_sequential_like()
        rows = []
        nodes_of = {}
        for node in self._nodes:
            nodes_of.setdefault(id(node.layer), []).append(node)
        for layer in self._layers:
            if isinstance(layer, InputLayer):
                shape = layer.batch_shape
                conns = []
            else:
                nodes = nodes_of.get(id(layer), [])
                shape = summary_mod.output_shape_of(nodes[0].outputs) if len(nodes) == 1 else \
                    [summary_mod.output_shape_of(n.outputs) for n in nodes]
                conns = []
                for n in nodes:
                    for t in n.input_tensors:
                        l, ni, ti = t._keras_history
                        conns.append("%s[%d][%d]" % (l.name, ni, ti))
            row = summary_mod.layer_row(layer, shape)
            rows.append(row + [conns])
        return rows, connected

    def get_config(self):
        """The Keras 3 functional config: each layer with its inbound nodes, and the model's input and output
        tensors as ``[layer_name, node_index, tensor_index]`` (node indices count this model's calls only)."""
        from tapeflow.keras.saving.serialization import serialize_keras_object
        mine = {id(n) for n in self._nodes}
        index = {}
        for layer in self._layers:
            k = 0
            for node in layer._inbound_nodes:
                if id(node) in mine or (node.is_input and isinstance(layer, InputLayer)):
                    index[id(node)] = k
                    k += 1

        def history(t):
            layer, ni, ti = t._keras_history
            return [layer.name, index[id(layer._inbound_nodes[ni])], ti]

        def encode(v):
            if isinstance(v, KerasTensor):
                return {"class_name": "__keras_tensor__",
                        "config": {"shape": list(v.shape), "dtype": v.dtype.name, "keras_history": history(v)}}
            if isinstance(v, (list, tuple)):
                return [encode(x) for x in v]
            if isinstance(v, dict):
                return {k: encode(x) for k, x in v.items()}
            return v
        layers = []
        for layer in self._layers:
            spec = serialize_keras_object(layer)
            spec["name"] = layer.name
            spec["inbound_nodes"] = [{"args": encode(list(n.call_args)), "kwargs": encode(n.call_kwargs)}
                                     for n in layer._inbound_nodes if id(n) in mine]
            layers.append(spec)

        def io(struct, flat):
            if isinstance(struct, dict):
                return {k: history(t) for k, t in struct.items()}
            return history(flat[0]) if len(flat) == 1 and not isinstance(struct, (list, tuple)) else \
                [history(t) for t in flat]
        return {"name": self.name, "trainable": self.trainable, "layers": layers,
                "input_layers": io(self._inputs_struct, self.inputs),
                "output_layers": io(self._outputs_struct, self.outputs)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuilds the graph from a functional config (Keras 3, or tf.keras 2 with list-form inbound nodes)."""
        from tapeflow.keras.saving.serialization import deserialize_keras_object
        layers, pending, outputs, calls = {}, {}, {}, {}
        for spec in config["layers"]:
            name = spec.get("name") or spec["config"]["name"]
            layer = deserialize_keras_object(spec, custom_objects)
            layers[name] = layer
            calls[name] = 0
            if isinstance(layer, InputLayer):
                outputs[(name, 0)] = [layer._output]
                calls[name] = 1
            pending[name] = list(spec.get("inbound_nodes") or [])

        class _Missing(Exception):
            pass

        def tensor(hist):
            key = (hist[0], hist[1])
            if key not in outputs:
                raise _Missing()
            return outputs[key][hist[2]]

        def revive(v):
            if isinstance(v, dict):
                if v.get("class_name") == "__keras_tensor__":
                    return tensor(v["config"]["keras_history"])
                return {k: revive(x) for k, x in v.items()}
            if isinstance(v, list):
                return [revive(x) for x in v]
            return v

        def node_call(node):
            if isinstance(node, dict):  # Keras 3
                return revive(node.get("args", [])), revive(node.get("kwargs", {}))
            entries = [e for e in node]  # tf.keras 2: [[layer_name, node_index, tensor_index, kwargs], ...]
            tensors = [tensor(e) for e in entries]
            kwargs = entries[0][3] if len(entries[0]) > 3 else {}
            return ([tensors[0]] if len(tensors) == 1 else [tensors]), dict(kwargs or {})

        while any(pending.values()):
            progress = False
            for name, queue in pending.items():
                while queue:
                    try:
                        args, kwargs = node_call(queue[0])
                    except _Missing:
                        break
                    out = layers[name](*args, **kwargs)
                    outputs[(name, calls[name])] = nest.flatten(out)
                    calls[name] += 1
                    queue.pop(0)
                    progress = True
            if not progress:
                raise ValueError("Cannot rebuild the functional model %r from its config: the inbound nodes of %s "
                                 "refer to tensors no layer produces." % (config.get("name"),
                                                                          [n for n, q in pending.items() if q]))

        def io(spec):
            if isinstance(spec, dict):
                return {k: tensor(v) for k, v in spec.items()}
            if spec and isinstance(spec[0], str):
                return tensor(spec)
            return [tensor(h) for h in spec]
        try:
            inputs, outs = io(config["input_layers"]), io(config["output_layers"])
        except _Missing:
            raise ValueError("The config of model %r names inputs or outputs that are not in its layers."
                             % config.get("name")) from None
        # As Keras does: one input or output listed alone (tf.keras 2 always lists them) is used bare.
        inputs = inputs[0] if isinstance(inputs, list) and len(inputs) == 1 else inputs
        outs = outs[0] if isinstance(outs, list) and len(outs) == 1 else outs
        return cls(inputs=inputs, outputs=outs, name=config.get("name"), trainable=config.get("trainable", True))
