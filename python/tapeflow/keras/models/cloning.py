"""keras.models.clone_model: the same architecture with new layers (new weights)."""
from tapeflow import nest
from tapeflow.keras.layers.input_layer import Input, InputLayer
from tapeflow.keras.models.functional import Functional
from tapeflow.keras.models.sequential import Sequential


def _fresh(layer):
    return layer.__class__.from_config(layer.get_config())


def clone_model(model, input_tensors=None, clone_function=None, call_function=None, recursive=False, **kwargs):
    """A copy of ``model``'s architecture with every layer made anew by ``clone_function(layer)`` (default: the
    layer's class from its config, so new weights). Sequential and functional models are rebuilt layer by layer
    (``recursive``: nested Sequential / functional models too), on ``input_tensors`` if given, each call made by
    ``call_function(layer, *args, **kwargs)`` if given; a subclassed model is rebuilt from its config."""
    if kwargs:
        raise ValueError("Unexpected keyword arguments: %s" % (sorted(kwargs),))
    user_clone = clone_function or _fresh

    def clone(layer):
        if recursive and isinstance(layer, (Sequential, Functional)):
            return clone_model(layer, clone_function=clone_function, call_function=call_function, recursive=True)
        return user_clone(layer)

    if isinstance(model, Sequential):
        layers = [clone(layer) for layer in model.layers]
        if input_tensors is not None:
            inputs = nest.flatten(input_tensors)
            if len(inputs) != 1:
                raise ValueError("A Sequential model takes one input tensor; got %d" % len(inputs))
            return Sequential([InputLayer(input_tensor=inputs[0])] + layers, name=model.name)
        head = [] if model._input_layer is None else [InputLayer(batch_shape=model._input_layer._batch_shape,
                                                                 dtype=model.inputs[0].dtype.name)]
        return Sequential(head + layers, name=model.name)
    if isinstance(model, Functional):
        if input_tensors is None:
            inputs = [Input(batch_shape=tuple(kt.shape), dtype=kt.dtype.name) for kt in model.inputs]
        else:
            inputs = nest.flatten(input_tensors)
            if len(inputs) != len(model.inputs):
                raise ValueError("The model has %d inputs; input_tensors has %d" % (len(model.inputs), len(inputs)))
        clones = {}

        def apply(layer, args, kwargs):
            if id(layer) not in clones:
                clones[id(layer)] = clone(layer)
            if call_function is not None:
                return call_function(clones[id(layer)], *args, **kwargs)
            return clones[id(layer)](*args, **kwargs)
        outputs = model._run(inputs, apply)
        return Functional(nest.pack_sequence_as(model._inputs_struct, inputs), outputs, name=model.name)
    if clone_function is not None or input_tensors is not None:
        raise ValueError("Arguments `clone_function` and `input_tensors` are only supported for Sequential models or "
                         "Functional models. Received model of type %r" % type(model).__name__)
    return model.__class__.from_config(model.get_config())
