"""keras.applications.MobileNetV2 (Sandler et al., 2018), laid out as Keras lays it out, so its weight files load."""
import warnings

from tapeflow.keras import layers
from tapeflow.keras.applications import _common
from tapeflow.keras.applications.imagenet_utils import decode_predictions  # noqa: F401 (Keras exports it here)
from tapeflow.keras.models.functional import Functional

# (filters, stride, expansion) of the 17 inverted residual blocks
_BLOCKS = [(16, 1, 1), (24, 2, 6), (24, 1, 6), (32, 2, 6), (32, 1, 6), (32, 1, 6), (64, 2, 6), (64, 1, 6),
           (64, 1, 6), (64, 1, 6), (96, 1, 6), (96, 1, 6), (96, 1, 6), (160, 2, 6), (160, 1, 6), (160, 1, 6),
           (320, 1, 6)]


def _divisible(v, divisor=8):
    """``v`` rounded to a multiple of ``divisor``, at least ``divisor`` and not below 90% of ``v``."""
    rounded = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * v else rounded


def _batch_norm(name):
    return layers.BatchNormalization(epsilon=1e-3, momentum=0.999, name=name)


def _inverted_residual(inputs, expansion, stride, alpha, filters, block_id):
    """Expand (1x1, ReLU6), depthwise 3x3 (ReLU6), project (1x1, linear); added to the input when shapes agree."""
    in_channels = inputs.shape[-1]
    out_channels = _divisible(int(filters * alpha))
    x = inputs
    prefix = "block_%d_" % block_id if block_id else "expanded_conv_"
    if block_id:
        x = layers.Conv2D(expansion * in_channels, 1, padding="same", use_bias=False, name=prefix + "expand")(x)
        x = layers.ReLU(6.0, name=prefix + "expand_relu")(_batch_norm(prefix + "expand_BN")(x))
    if stride == 2:  # pad so that the stride-2 window is centred as on an even input ("same" in TensorFlow)
        height, width = x.shape[1], x.shape[2]
        adjust = (1, 1) if height is None else (1 - height % 2, 1 - width % 2)
        x = layers.ZeroPadding2D(((1 - adjust[0], 1), (1 - adjust[1], 1)), name=prefix + "pad")(x)
    x = layers.DepthwiseConv2D(3, strides=stride, use_bias=False, padding="same" if stride == 1 else "valid",
                               name=prefix + "depthwise")(x)
    x = layers.ReLU(6.0, name=prefix + "depthwise_relu")(_batch_norm(prefix + "depthwise_BN")(x))
    x = layers.Conv2D(out_channels, 1, padding="same", use_bias=False, name=prefix + "project")(x)
    x = _batch_norm(prefix + "project_BN")(x)
    if in_channels == out_channels and stride == 1:
        return layers.Add(name=prefix + "add")([inputs, x])
    return x


def MobileNetV2(input_shape=None, alpha=1.0, include_top=True, weights="imagenet", input_tensor=None, pooling=None,
                classes=1000, classifier_activation="softmax", name=None):
    """MobileNetV2 with width multiplier ``alpha``; without the top, ``pooling`` None / "avg" / "max".
    ``weights``: None, a file path, or "imagenet" (Keras's published file for this alpha and input size, which must
    be in ~/.keras/models when offline)."""
    _common.check_weights(weights, include_top, classes)
    given = tuple(input_tensor.shape[1:]) if input_shape is None and input_tensor is not None else input_shape
    rows = given[0] if given is not None and given[0] in (96, 128, 160, 192, 224) else 224
    shape = _common.input_shape_for(given, rows, 32, include_top, weights)
    rows, cols = shape[0], shape[1]
    if weights == "imagenet":
        if alpha not in (0.35, 0.50, 0.75, 1.0, 1.3, 1.4):
            raise ValueError("If imagenet weights are being loaded, alpha must be one of `0.35`, `0.50`, `0.75`, "
                             "`1.0`, `1.3` or `1.4` only; Received `alpha=%s`" % (alpha,))
        if rows != cols or rows not in (96, 128, 160, 192, 224):
            rows = 224
            warnings.warn("`input_shape` is undefined or non-square, or `rows` is not in [96, 128, 160, 192, 224]. "
                          "Weights for input shape (224, 224) will be loaded as the default.", stacklevel=2)
    inputs = _common.image_input(input_tensor, shape)
    x = layers.Conv2D(_divisible(32 * alpha), 3, strides=(2, 2), padding="same", use_bias=False, name="Conv1")(inputs)
    x = layers.ReLU(6.0, name="Conv1_relu")(_batch_norm("bn_Conv1")(x))
    for block_id, (filters, stride, expansion) in enumerate(_BLOCKS):
        x = _inverted_residual(x, expansion, stride, alpha, filters, block_id)
    last = _divisible(1280 * alpha) if alpha > 1.0 else 1280
    x = layers.Conv2D(last, 1, use_bias=False, name="Conv_1")(x)
    x = layers.ReLU(6.0, name="out_relu")(_batch_norm("Conv_1_bn")(x))
    if include_top:
        x = layers.GlobalAveragePooling2D()(x)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = _common.pooled(x, pooling)
    model = Functional(inputs, x, name=name or "mobilenetv2_%0.2f_%s" % (alpha, rows))
    stem = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_%s_%s" % (float(alpha), rows)
    return _common.load(model, weights, stem + ".h5", stem + "_no_top.h5", include_top, "mobilenet_v2")


def preprocess_input(x, data_format=None):
    """RGB images in [0, 255] to MobileNetV2's input range [-1, 1] ("tf" mode)."""
    return _common.preprocess(x, "tf")
