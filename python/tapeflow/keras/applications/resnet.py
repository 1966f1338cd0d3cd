"""keras.applications.ResNet50 (He et al., 2015), laid out as Keras lays it out, so its weight files load."""
from tapeflow.keras import layers
from tapeflow.keras.applications import _common
from tapeflow.keras.applications.imagenet_utils import decode_predictions  # noqa: F401 (Keras exports it here)
from tapeflow.keras.models.functional import Functional

_EPSILON = 1.001e-5


def _block(x, filters, stride=1, conv_shortcut=True, name=None):
    """A bottleneck block: 1x1, 3x3, 1x1 (4x filters) convolutions with batch norms, added to the shortcut."""
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=name + "_0_conv")(x)
        shortcut = layers.BatchNormalization(axis=3, epsilon=_EPSILON, name=name + "_0_bn")(shortcut)
    else:
        shortcut = x
    x = layers.Conv2D(filters, 1, strides=stride, name=name + "_1_conv")(x)
    x = layers.BatchNormalization(axis=3, epsilon=_EPSILON, name=name + "_1_bn")(x)
    x = layers.Activation("relu", name=name + "_1_relu")(x)
    x = layers.Conv2D(filters, 3, padding="same", name=name + "_2_conv")(x)
    x = layers.BatchNormalization(axis=3, epsilon=_EPSILON, name=name + "_2_bn")(x)
    x = layers.Activation("relu", name=name + "_2_relu")(x)
    x = layers.Conv2D(4 * filters, 1, name=name + "_3_conv")(x)
    x = layers.BatchNormalization(axis=3, epsilon=_EPSILON, name=name + "_3_bn")(x)
    x = layers.Add(name=name + "_add")([shortcut, x])
    return layers.Activation("relu", name=name + "_out")(x)


def _stack(x, filters, blocks, stride=2, name=None):
    x = _block(x, filters, stride=stride, name=name + "_block1")
    for i in range(2, blocks + 1):
        x = _block(x, filters, conv_shortcut=False, name=name + "_block%d" % i)
    return x


def ResNet50(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
             classifier_activation="softmax", name="resnet50"):
    """ResNet50: a 7x7 stem, then 3, 4, 6 and 3 bottleneck blocks, then (``include_top``) average pooling and the
    classifier; without the top, ``pooling`` None / "avg" / "max". ``weights``: None, a file path, or "imagenet"
    (Keras's published file, which must be in ~/.keras/models when offline)."""
    _common.check_weights(weights, include_top, classes)
    shape = _common.input_shape_for(input_shape, 224, 32, include_top, weights)
    inputs = _common.image_input(input_tensor, shape)
    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(inputs)
    x = layers.Conv2D(64, 7, strides=2, name="conv1_conv")(x)
    x = layers.BatchNormalization(axis=3, epsilon=_EPSILON, name="conv1_bn")(x)
    x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    x = _stack(x, 64, 3, stride=1, name="conv2")
    x = _stack(x, 128, 4, name="conv3")
    x = _stack(x, 256, 6, name="conv4")
    x = _stack(x, 512, 3, name="conv5")
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = _common.pooled(x, pooling, "avg_pool", "max_pool")
    model = Functional(inputs, x, name=name)
    return _common.load(model, weights, "resnet50_weights_tf_dim_ordering_tf_kernels.h5",
                        "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5", include_top, "resnet")


def preprocess_input(x, data_format=None):
    """RGB images in [0, 255] to ResNet's input: BGR, minus ImageNet's channel means ("caffe" mode)."""
    return _common.preprocess(x, "caffe")
