"""plot_model / model_to_dot: the layer graph drawn with Graphviz through pydot (both optional
dependencies: ``pip install pydot`` and the Graphviz ``dot`` program)."""
import os


def layer_edges(model):
    """``[(layer, [parent layers])]`` for each layer call of a Sequential or functional model, inputs first;
    for a subclassed model (whose graph exists only while it runs), its layers with no edges."""
    from tapeflow.keras.models import Functional, Sequential
    if isinstance(model, Sequential):
        chain = ([model._input_layer] if model._input_layer is not None else []) + model._stack
        return [(layer, [chain[i - 1]] if i else []) for i, layer in enumerate(chain)]
    if isinstance(model, Functional):
        edges = [(t._keras_history[0], []) for t in model.inputs]
        return edges + [(n.layer, [t._keras_history[0] for t in n.input_tensors]) for n in model._nodes]
    return [(layer, []) for layer in model.layers]


def _pydot():
    try:
        import pydot
    except ImportError:
        raise ImportError("You must install pydot (`pip install pydot`) for `plot_model` to work.") from None
    return pydot


def _shape_text(shape):
    if isinstance(shape, list):
        return ", ".join(_shape_text(s) for s in shape)
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _label(layer, show_shapes, show_dtype, show_layer_names, show_layer_activations, show_trainable):
    cls = type(layer).__name__
    lines = ["%s (%s)" % (layer.name, cls) if show_layer_names else cls]
    if show_layer_activations and hasattr(layer, "activation"):
        lines.append("activation: %s" % getattr(layer.activation, "__name__", layer.activation))
    if show_dtype:
        lines.append("dtype: %s" % layer.dtype)
    if show_trainable:
        lines.append("trainable: %s" % layer.trainable)
    if show_shapes:
        nodes = [n for n in layer._inbound_nodes]
        if nodes:
            node = nodes[-1]
            ins = [tuple(t.shape) for t in node.input_tensors] or [tuple(t.shape) for t in node.output_tensors]
            outs = [tuple(t.shape) for t in node.output_tensors]
            lines.append("input: %s | output: %s" % (_shape_text(ins if len(ins) > 1 else ins[0]),
                                                     _shape_text(outs if len(outs) > 1 else outs[0])))
    return "\n".join(lines)


def model_to_dot(model, show_shapes=False, show_dtype=False, show_layer_names=True, rankdir="TB", expand_nested=False,
                 dpi=200, subgraph=False, show_layer_activations=False, show_trainable=False, **kwargs):
    """The model's layer graph as a ``pydot.Dot``: one box per layer, an edge per connection."""
    if not model.built:
        raise ValueError("This model has not yet been built. Build the model first by calling `build()` or by "
                         "calling the model on a batch of data.")
    if expand_nested:
        raise NotImplementedError("plot_model(expand_nested=True) is not supported in this version of tapeflow.")
    pydot = _pydot()
    dot = pydot.Dot(graph_type="digraph", rankdir=rankdir, dpi=str(dpi), concentrate=True)
    dot.set_node_defaults(shape="box", fontname="Helvetica")
    ids = {}
    edges = layer_edges(model)
    for layer, _ in edges:
        if id(layer) not in ids:
            ids[id(layer)] = str(len(ids))
            label = _label(layer, show_shapes, show_dtype, show_layer_names, show_layer_activations, show_trainable)
            dot.add_node(pydot.Node(ids[id(layer)], label=label))
    for layer, parents in edges:
        for parent in parents:
            dot.add_edge(pydot.Edge(ids[id(parent)], ids[id(layer)]))
    return dot


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False, show_layer_names=True, rankdir="TB",
               expand_nested=False, dpi=200, show_layer_activations=False, show_trainable=False, **kwargs):
    """Draws the model's layer graph to ``to_file`` (the extension picks the format: png, svg, pdf, dot, ...).
    Needs pydot and Graphviz; raises ImportError saying which is missing."""
    dot = model_to_dot(model, show_shapes=show_shapes, show_dtype=show_dtype, show_layer_names=show_layer_names,
                       rankdir=rankdir, expand_nested=expand_nested, dpi=dpi,
                       show_layer_activations=show_layer_activations, show_trainable=show_trainable)
    to_file = os.fspath(to_file)
    extension = os.path.splitext(to_file)[1][1:].lower() or "png"
    if extension == "dot":
        with open(to_file, "w") as f:
            f.write(dot.to_string())
        return None
    try:
        data = dot.create(format=extension)
    except (OSError, FileNotFoundError, AssertionError) as e:
        raise ImportError("You must install graphviz (see instructions at https://graphviz.gitlab.io/download/) for "
                          "`plot_model` to work: the `dot` program could not be run (%s)." % e) from None
    with open(to_file, "wb") as f:
        f.write(data)
    return None
