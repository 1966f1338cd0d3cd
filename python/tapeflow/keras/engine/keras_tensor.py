"""Symbolic tensors for the functional API: a KerasTensor has a shape (None for
unknown dimensions) and a dtype but no data, and remembers the layer call
(the Node) that produced it, so a model can be traced from its outputs back to
its inputs."""
from tapeflow import _core, nest
from tapeflow import dtypes as _dtypes
from tapeflow.framework import TensorShape
from tapeflow.keras import backend


class KerasTensor:
    """The symbolic output of ``keras.Input`` or of a layer called on symbolic inputs."""

    def __init__(self, shape, dtype="float32", name=None, sparse=False):
        self._shape = backend.standardize_shape(shape)
        self._dtype = _dtypes.as_dtype(dtype)
        self.name = name if name is not None else backend.unique_name("keras_tensor")
        self.sparse = sparse
        self._keras_history = None  # (layer, node_index, tensor_index)

    shape = property(lambda self: TensorShape(self._shape))
    dtype = property(lambda self: self._dtype)
    ndim = property(lambda self: len(self._shape))

    def get_shape(self):
        return self.shape

    def __repr__(self):
        return "<KerasTensor shape=%s, dtype=%s, name=%s>" % (
            "(%s,)" % self._shape[0] if len(self._shape) == 1 else "(%s)" % ", ".join(str(d) for d in self._shape),
            self._dtype.name, self.name)

    def __bool__(self):
        raise TypeError("A symbolic KerasTensor has no value, so it cannot be used as a Python bool. "
                        "Use it only as input to layers and operations.")

    def __len__(self):
        if not self._shape or self._shape[0] is None:
            raise TypeError("len() of a KerasTensor with unknown first dimension: shape=%s" % (self.shape,))
        return self._shape[0]

    def __iter__(self):
        raise TypeError("A symbolic KerasTensor cannot be iterated over. Use it only as input to layers.")

    def __array__(self, *args, **kwargs):
        raise TypeError("A KerasTensor is symbolic: it is a placeholder for the input of a model and has no value. "
                        "You cannot convert it to a NumPy array. Build a model with keras.Model(inputs, outputs) "
                        "and call it on data instead.")

    # Operators (set below) build auto-named op layers so that `x * 2` or `x[:, 0]` works in a functional model.
    def __getitem__(self, key):
        return op_call(_getitem, "getitem", self, key)


def _binary_operators(fn, name):
    return (lambda self, other: op_call(fn, name, self, other),
            lambda self, other: op_call(fn, name, other, self))


for _dunder, _fn, _name in (("add", _core.add, "add"), ("sub", _core.subtract, "subtract"),
                            ("mul", _core.multiply, "multiply"), ("truediv", _core.truediv, "truediv"),
                            ("pow", _core.pow, "pow"), ("matmul", _core.matmul, "matmul")):
    _forward, _reflected = _binary_operators(_fn, _name)
    setattr(KerasTensor, "__%s__" % _dunder, _forward)
    setattr(KerasTensor, "__r%s__" % _dunder, _reflected)
KerasTensor.__neg__ = lambda self: op_call(_core.negative, "negative", self)
KerasTensor.__abs__ = lambda self: op_call(_core.abs, "abs", self)


def _getitem(x, key):
    return x[key]


def any_symbolic(structure):
    return any(isinstance(x, KerasTensor) for x in nest.flatten(structure))


def op_call(fn, name, *args, **kwargs):
    """Applies ``fn`` to symbolic arguments through an auto-created op layer."""
    from tapeflow.keras.layers.op_layer import OpLayer
    return OpLayer(fn, name=backend.unique_name(name))(*args, **kwargs)


class Node:
    """One call of a layer on symbolic arguments: the arguments (with KerasTensors in
    them) and the KerasTensors it produced."""

    def __init__(self, layer, call_args=(), call_kwargs=None, outputs=None):
        self.layer = layer
        self.call_args = tuple(call_args)
        self.call_kwargs = dict(call_kwargs or {})
        self.outputs = outputs
        self.input_tensors = [t for t in nest.flatten((list(self.call_args), self.call_kwargs))
                              if isinstance(t, KerasTensor)]
        self.output_tensors = nest.flatten(outputs)
        index = len(layer._inbound_nodes)
        layer._inbound_nodes.append(self)
        for i, t in enumerate(self.output_tensors):
            t._keras_history = (layer, index, i)

    @property
    def is_input(self):
        return not self.input_tensors and not self.call_args
