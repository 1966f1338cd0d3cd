"""keras.layers UpSampling1D/2D, ZeroPadding1D/2D and Cropping1D/2D."""
from tapeflow import _core, image
from tapeflow.keras.layers.convolutional import normalize_data_format, normalize_tuple, spatial_axes
from tapeflow.keras.layers.input_spec import InputSpec
from tapeflow.keras.layers.layer import Layer


def _pairs(value, rank, name):
    """Keras padding / cropping forms: an int, one int per axis, or a (before, after) pair per axis (in 1-D,
    the pair itself)."""
    if isinstance(value, int):
        return [(value, value)] * rank
    value = list(value)
    if rank == 1 and len(value) == 2 and all(isinstance(v, int) for v in value):  # 1-D: (before, after)
        return [tuple(value)]
    if len(value) != rank:
        raise ValueError("`%s` should have %d elements. Received: %s." % (name, rank, value))
    return [(v, v) if isinstance(v, int) else tuple(normalize_tuple(v, 2, name)) for v in value]


class _UpSampling(Layer):
    rank = None

    def __init__(self, size=2, data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        if interpolation not in ("nearest", "bilinear") or (interpolation != "nearest" and self.rank == 1):
            raise NotImplementedError("UpSampling interpolation=%r is not supported in this version of tapeflow "
                                      "(UpSampling2D: 'nearest' or 'bilinear'; UpSampling1D: 'nearest')."
                                      % (interpolation,))
        self.size = normalize_tuple(size, self.rank, "size")
        self.data_format = normalize_data_format(data_format) if self.rank > 1 else "channels_last"
        self.interpolation = interpolation
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs):
        # Repeat every element along each spatial axis: insert a size-s axis after it, broadcast, merge.
        x = inputs
        if self.interpolation == "bilinear":  # TensorFlow's resize (half-pixel centers), as Keras 3 does
            channels_first = self.data_format == "channels_first"
            if channels_first:
                x = _core.transpose(x, [0, 2, 3, 1])
            x = image.resize(x, (x.shape[1] * self.size[0], x.shape[2] * self.size[1]), method="bilinear")
            return _core.transpose(x, [0, 3, 1, 2]) if channels_first else x
        for axis, s in zip(spatial_axes(self.rank, self.data_format), self.size):
            if s == 1:
                continue
            shape = list(x.shape)
            expanded = shape[:axis + 1] + [1] + shape[axis + 1:]
            tiled = shape[:axis + 1] + [s] + shape[axis + 1:]
            x = _core.reshape(_core.broadcast_to(_core.reshape(x, expanded), tiled),
                              shape[:axis] + [shape[axis] * s] + shape[axis + 1:])
        return x

    def compute_output_shape(self, input_shape):
        out = list(input_shape)
        for axis, s in zip(spatial_axes(self.rank, self.data_format), self.size):
            out[axis] = None if out[axis] is None else out[axis] * s
        return tuple(out)

    def get_config(self):
        config = super().get_config()
        config.update({"size": self.size if self.rank > 1 else self.size[0], "interpolation": self.interpolation})
        if self.rank > 1:
            config["data_format"] = self.data_format
        return config


class UpSampling1D(_UpSampling):
    """Repeats each time step ``size`` times."""
    rank = 1

    def __init__(self, size=2, **kwargs):
        super().__init__(size=size, **kwargs)


class UpSampling2D(_UpSampling):
    """Repeats rows and columns ``size`` times (``interpolation="nearest"``) or resizes bilinearly by ``size``."""
    rank = 2


class _EdgeLayer(Layer):
    """Adds (ZeroPadding) or removes (Cropping) (before, after) rows along each spatial axis."""

    rank = None
    arg = None  # the constructor argument holding the (before, after) pairs
    sign = None  # +1: the pairs add to the size; -1: they remove from it

    def __init__(self, edges, data_format, **kwargs):
        super().__init__(**kwargs)
        self._edges = _pairs(edges, self.rank, self.arg)
        self.data_format = normalize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _spatial_edges(self):
        return zip(spatial_axes(self.rank, self.data_format), self._edges)

    def compute_output_shape(self, input_shape):
        out = list(input_shape)
        for axis, (a, b) in self._spatial_edges():
            out[axis] = None if out[axis] is None else out[axis] + self.sign * (a + b)
        return tuple(out)

    def get_config(self):
        config = super().get_config()
        config.update({self.arg: tuple(self._edges) if self.rank > 1 else self._edges[0],
                       "data_format": self.data_format})
        return config


class _ZeroPadding(_EdgeLayer):
    arg, sign = "padding", 1

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)

    padding = property(lambda self: self._edges)

    def call(self, inputs):
        pads = [[0, 0] for _ in range(self.rank + 2)]
        for axis, p in self._spatial_edges():
            pads[axis] = list(p)
        return _core.pad(inputs, pads)


class ZeroPadding1D(_ZeroPadding):
    rank = 1


class ZeroPadding2D(_ZeroPadding):
    """Adds rows and columns of zeros: ``padding`` an int, (rows, cols) or ((top, bottom), (left, right))."""
    rank = 2


class _Cropping(_EdgeLayer):
    arg, sign = "cropping", -1

    def __init__(self, cropping=1, data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)

    cropping = property(lambda self: self._edges)

    def call(self, inputs):
        begin = [0] * (self.rank + 2)
        size = list(inputs.shape)
        for axis, (a, b) in self._spatial_edges():
            if a + b >= size[axis]:
                raise ValueError("Cropping %s removes all of axis %d of size %d" % ((a, b), axis, size[axis]))
            begin[axis], size[axis] = a, size[axis] - a - b
        return _core.slice(inputs, begin, size)


class Cropping1D(_Cropping):
    rank = 1


class Cropping2D(_Cropping):
    """Removes rows and columns at the edges: ``cropping`` as ZeroPadding2D's ``padding``."""
    rank = 2
