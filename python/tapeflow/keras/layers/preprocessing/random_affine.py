"""keras.layers.RandomRotation, RandomZoom and RandomTranslation: a random affine map per image, sampled as
TensorFlow's ImageProjectiveTransformV3 samples (the fill modes and interpolations of ``affine_transform``)."""
import math

import numpy as np

from tapeflow import _core
from tapeflow import random as _random
from tapeflow.keras.layers.layer import Layer
from tapeflow.keras.layers.preprocessing._image import as_float, check_channels_last

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("nearest", "bilinear")


def _fold(coord, size, fill_mode):
    """Source coordinates outside [0, size - 1] brought inside by the fill mode (constant leaves them)."""
    if fill_mode == "constant":
        return coord
    last = float(size - 1)
    if size <= 1:
        return _core.zeros_like(coord)
    if fill_mode == "reflect":  # ... c b a | a b c d | d c b ...
        period = _core.floormod(coord, 2.0 * size)
        coord = _core.where(_core.less(period, float(size)), period, _core.subtract(2.0 * size - 1.0, period))
    elif fill_mode == "wrap":  # TensorFlow's rule, steps of size over a span of size - 1
        below = _core.add(coord, _core.multiply(float(size), _core.add(
            _core.floor(_core.divide(_core.negative(coord), last)), 1.0)))
        above = _core.subtract(coord, _core.multiply(float(size), _core.floor(_core.divide(coord, last))))
        coord = _core.where(_core.less(coord, 0.0), below, _core.where(_core.greater(coord, last), above, coord))
    return _core.clip_by_value(coord, 0.0, last)


def affine_transform(images, transform, interpolation="bilinear", fill_mode="constant", fill_value=0.0):
    """Each output pixel (x, y) of image b takes the input at ``((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k)``
    with ``k = c0 x + c1 y + 1`` and ``transform[b] = [a0, a1, a2, b0, b1, b2, c0, c1]``. Images (B, H, W, C) or
    (H, W, C), float; transform (B, 8) or (8,). Points outside the image follow ``fill_mode``; "constant" reads
    ``fill_value`` there."""
    if interpolation not in INTERPOLATIONS:
        raise ValueError("Invalid value for argument `interpolation`. Expected one of %s. Received: "
                         "interpolation=%s" % (set(INTERPOLATIONS), interpolation))
    if fill_mode not in FILL_MODES:
        raise ValueError("Invalid value for argument `fill_mode`. Expected one of %s. Received: fill_mode=%s"
                         % (set(FILL_MODES), fill_mode))
    images, transform = _core.convert_to_tensor(images), _core.convert_to_tensor(transform)
    single = images.ndim == 3
    if single:
        images = _core.expand_dims(images, 0)
    if transform.ndim == 1:
        transform = _core.expand_dims(transform, 0)
    if images.ndim != 4 or transform.ndim != 2 or transform.shape[1] != 8:
        raise ValueError("affine_transform needs images of rank 3 or 4 and transforms of shape (8,) or (batch, 8); "
                         "got %s and %s" % (tuple(images.shape), tuple(transform.shape)))
    batch, height, width, channels = images.shape
    t = _core.cast(transform, "float32")
    xs = _core.convert_to_tensor(np.arange(width, dtype="float32").reshape(1, 1, width))
    ys = _core.convert_to_tensor(np.arange(height, dtype="float32").reshape(1, height, 1))

    def row(i):
        return _core.reshape(t[:, i], [-1, 1, 1])

    k = _core.add(_core.add(_core.multiply(row(6), xs), _core.multiply(row(7), ys)), 1.0)
    src_x = _core.divide(_core.add(_core.add(_core.multiply(row(0), xs), _core.multiply(row(1), ys)), row(2)), k)
    src_y = _core.divide(_core.add(_core.add(_core.multiply(row(3), xs), _core.multiply(row(4), ys)), row(5)), k)
    src_x, src_y = _fold(src_x, width, fill_mode), _fold(src_y, height, fill_mode)
    flat = _core.reshape(_core.cast(images, "float32"), [batch * height * width, channels])
    base = _core.convert_to_tensor(np.arange(batch, dtype="int32").reshape(batch, 1, 1) * (height * width))
    fill = float(fill_value)

    def read(y, x):  # integer-valued float coordinates, fill_value outside the image
        inside = _core.logical_and(_core.logical_and(_core.greater_equal(y, 0.0), _core.less_equal(y, height - 1.0)),
                                   _core.logical_and(_core.greater_equal(x, 0.0), _core.less_equal(x, width - 1.0)))
        yi = _core.cast(_core.clip_by_value(y, 0.0, height - 1.0), "int32")
        xi = _core.cast(_core.clip_by_value(x, 0.0, width - 1.0), "int32")
        values = _core.gather(flat, _core.add(base, _core.add(_core.multiply(yi, width), xi)))
        return _core.where(_core.expand_dims(inside, -1), values, fill)

    if interpolation == "nearest":  # std::round: halves away from zero (floor(|c| + 0.5) rounds 0.49999997 up)
        def nearest(c):
            size = _core.abs(c)
            whole = _core.floor(size)
            up = _core.cast(_core.greater_equal(_core.subtract(size, whole), 0.5), "float32")
            return _core.multiply(_core.sign(c), _core.add(whole, up))
        out = read(nearest(src_y), nearest(src_x))
    else:
        y0, x0 = _core.floor(src_y), _core.floor(src_x)
        y1, x1 = _core.add(y0, 1.0), _core.add(x0, 1.0)
        wx1, wy1 = _core.expand_dims(_core.subtract(src_x, x0), -1), _core.expand_dims(_core.subtract(src_y, y0), -1)
        wx0, wy0 = _core.subtract(1.0, wx1), _core.subtract(1.0, wy1)
        top = _core.add(_core.multiply(wx0, read(y0, x0)), _core.multiply(wx1, read(y0, x1)))
        bottom = _core.add(_core.multiply(wx0, read(y1, x0)), _core.multiply(wx1, read(y1, x1)))
        out = _core.add(_core.multiply(wy0, top), _core.multiply(wy1, bottom))
    out = _core.cast(out, images.dtype.name)
    return _core.squeeze(out, [0]) if single else out


def _bounds(layer, factor, name, low=-1.0):
    """(lower, upper) from a number f (-|f|, |f|) or a pair, each in (low, 1]."""
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2:
            raise ValueError("The `%s` argument of %s should be a number or a pair of numbers. Received: %s=%s"
                             % (name, layer, name, factor))
        lower, upper = sorted(float(f) for f in factor)
    elif isinstance(factor, (int, float)):
        lower, upper = -abs(float(factor)), abs(float(factor))
    else:
        raise ValueError("The `%s` argument of %s should be a number or a pair of numbers. Received: %s=%s"
                         % (name, layer, name, factor))
    if lower <= low or upper > 1.0:
        raise ValueError("The `%s` argument of %s must be in (%s, 1]. Received: %s=%s" % (name, layer, low, name,
                                                                                         factor))
    return lower, upper


class _RandomAffine(Layer):
    """In training, samples each image through a random affine map (``_transforms``); at inference, the identity."""

    def __init__(self, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 **kwargs):
        super().__init__(**kwargs)
        check_channels_last(self, data_format)
        if fill_mode not in FILL_MODES:
            raise NotImplementedError("Unknown `fill_mode` %s. Expected of one %s." % (fill_mode, FILL_MODES))
        if interpolation not in INTERPOLATIONS:
            raise NotImplementedError("Unknown `interpolation` %s. Expected of one %s."
                                      % (interpolation, INTERPOLATIONS))
        self.fill_mode, self.interpolation, self.seed, self.fill_value = fill_mode, interpolation, seed, fill_value

    def _uniform(self, n, lower, upper):
        return _random.uniform([n], lower, upper, dtype="float32", seed=self.seed)

    def call(self, inputs, training=True):
        x = as_float(inputs, self.dtype)
        if not training:
            return x
        n = x.shape[0] if x.ndim == 4 else 1
        transform = _core.stack(self._transforms(n, x.shape[-3], x.shape[-2]), axis=1)
        return affine_transform(x, transform, self.interpolation, self.fill_mode, self.fill_value)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"fill_mode": self.fill_mode, "interpolation": self.interpolation, "seed": self.seed,
                       "fill_value": self.fill_value, "data_format": "channels_last"})
        return config


class RandomRotation(_RandomAffine):
    """Rotates each image about its center by an angle drawn from [lower, upper] turns (``factor`` f: [-f, f];
    0.1 is up to 36 degrees either way), filling as ``fill_mode`` says.

    Input shape: (batch, H, W, C) or (H, W, C). Output shape: the input's.
    """

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0,
                 data_format=None, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.factor = _bounds(self.name, factor, "factor")

    def _transforms(self, n, height, width):
        angle = _core.multiply(self._uniform(n, self.factor[0], self.factor[1]), 2.0 * math.pi)
        cos, sin = _core.cos(angle), _core.sin(angle)
        cx, cy = (width - 1) / 2.0, (height - 1) / 2.0
        zero = _core.zeros_like(angle)
        x_shift = _core.subtract(cx, _core.subtract(_core.multiply(cx, cos), _core.multiply(cy, sin)))
        y_shift = _core.subtract(cy, _core.add(_core.multiply(cx, sin), _core.multiply(cy, cos)))
        return [cos, _core.negative(sin), x_shift, sin, cos, y_shift, zero, zero]

    def get_config(self):
        config = super().get_config()
        config["factor"] = list(self.factor)
        return config


class RandomZoom(_RandomAffine):
    """Zooms each image about its center by 1 + a draw from ``height_factor``'s range (and ``width_factor``'s,
    else the same draw): a positive draw zooms out, a negative one in. Factors in (-1, 1].

    Input shape: (batch, H, W, C) or (H, W, C). Output shape: the input's.
    """

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self.height_range = _bounds(self.name, height_factor, "height_factor")
        self.width_range = None if width_factor is None else _bounds(self.name, width_factor, "width_factor")

    def _transforms(self, n, height, width):
        zoom_y = _core.add(self._uniform(n, *self.height_range), 1.0)
        zoom_x = zoom_y if self.width_range is None else _core.add(self._uniform(n, *self.width_range), 1.0)
        zero = _core.zeros_like(zoom_y)
        x_shift = _core.multiply((width - 1) / 2.0, _core.subtract(1.0, zoom_x))
        y_shift = _core.multiply((height - 1) / 2.0, _core.subtract(1.0, zoom_y))
        return [zoom_x, zero, x_shift, zero, zoom_y, y_shift, zero, zero]

    def get_config(self):
        config = super().get_config()
        config.update({"height_factor": self.height_factor, "width_factor": self.width_factor})
        return config


class RandomTranslation(_RandomAffine):
    """Shifts each image by a draw from ``height_factor``'s range times its height (down for positive) and from
    ``width_factor``'s times its width (right for positive). Factors in (-1, 1].

    Input shape: (batch, H, W, C) or (H, W, C). Output shape: the input's.
    """

    def __init__(self, height_factor, width_factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self.height_range = _bounds(self.name, height_factor, "height_factor")
        self.width_range = _bounds(self.name, width_factor, "width_factor")

    def _transforms(self, n, height, width):
        dy = _core.multiply(self._uniform(n, *self.height_range), float(height))
        dx = _core.multiply(self._uniform(n, *self.width_range), float(width))
        zero, one = _core.zeros_like(dx), _core.ones_like(dx)
        return [one, zero, _core.negative(dx), zero, one, _core.negative(dy), zero, zero]

    def get_config(self):
        config = super().get_config()
        config.update({"height_factor": self.height_factor, "width_factor": self.width_factor})
        return config
