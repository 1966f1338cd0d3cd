"""InputSpec: what a layer accepts (rank, sizes of given axes), checked on every call."""


class InputSpec:
    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None, axes=None,
                 allow_last_axis_squeeze=False, name=None, optional=False):
        self.dtype = dtype
        self.shape = None if shape is None else tuple(shape)
        self.ndim = len(self.shape) if self.shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.axes = dict(axes or {})
        self.name = name
        self.optional = optional

    def __repr__(self):
        spec = ["dtype=" + str(self.dtype) if self.dtype else "", "shape=" + str(self.shape) if self.shape else "",
                "ndim=" + str(self.ndim) if self.ndim else "", "max_ndim=" + str(self.max_ndim) if self.max_ndim else "",
                "min_ndim=" + str(self.min_ndim) if self.min_ndim else "", "axes=" + str(self.axes) if self.axes else ""]
        return "InputSpec(%s)" % ", ".join(x for x in spec if x)


def assert_input_compatibility(specs, inputs, layer_name):
    """Raises ValueError when an input does not match the layer's InputSpec."""
    if not specs:
        return
    if not isinstance(specs, (list, tuple)):
        specs = [specs]
    if not isinstance(inputs, (list, tuple)):
        inputs = [inputs]
    if len(inputs) != len(specs) and len(specs) > 1:
        raise ValueError('Layer "%s" expects %d input(s), but it received %d input tensors.'
                         % (layer_name, len(specs), len(inputs)))
    for i, (spec, x) in enumerate(zip(specs, inputs)):
        if spec is None or x is None:
            continue
        shape = tuple(x.shape)
        rank = len(shape)
        prefix = 'Input %d of layer "%s" is incompatible with the layer: ' % (i, layer_name)
        if spec.ndim is not None and rank != spec.ndim:
            raise ValueError(prefix + "expected ndim=%d, found ndim=%d. Full shape received: %s"
                             % (spec.ndim, rank, _fmt(shape)))
        if spec.max_ndim is not None and rank > spec.max_ndim:
            raise ValueError(prefix + "expected max_ndim=%d, found ndim=%d. Full shape received: %s"
                             % (spec.max_ndim, rank, _fmt(shape)))
        if spec.min_ndim is not None and rank < spec.min_ndim:
            raise ValueError(prefix + "expected min_ndim=%d, found ndim=%d. Full shape received: %s"
                             % (spec.min_ndim, rank, _fmt(shape)))
        for axis, value in spec.axes.items():
            if value is None:
                continue
            if not -rank <= axis < rank or shape[axis] not in (None, value):
                raise ValueError(prefix + "expected axis %d of input shape to have value %d, but received input "
                                 "with shape %s" % (axis, value, _fmt(shape)))
        if spec.shape is not None:
            for a, b in zip(spec.shape, shape):
                if a is not None and b is not None and a != b:
                    raise ValueError(prefix + "expected shape=%s, found shape=%s" % (_fmt(spec.shape), _fmt(shape)))


def _fmt(shape):
    return "(%s,)" % shape[0] if len(shape) == 1 else "(%s)" % ", ".join(str(d) for d in shape)
