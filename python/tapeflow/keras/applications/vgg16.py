"""keras.applications.VGG16 (Simonyan & Zisserman, 2014), laid out as Keras lays it out, so its weight files load."""
from tapeflow.keras import layers
from tapeflow.keras.applications import _common
from tapeflow.keras.applications.imagenet_utils import decode_predictions  # noqa: F401 (Keras exports it here)
from tapeflow.keras.models.functional import Functional


def VGG16(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
          classifier_activation="softmax", name="vgg16"):
    """VGG16: five blocks of 3x3 convolutions and max pooling, then (``include_top``) two 4096-unit layers and the
    classifier; without the top, ``pooling`` None / "avg" / "max". ``weights``: None, a file path, or "imagenet"
    (Keras's published file, which must be in ~/.keras/models when offline)."""
    _common.check_weights(weights, include_top, classes)
    shape = _common.input_shape_for(input_shape, 224, 32, include_top, weights)
    inputs = _common.image_input(input_tensor, shape)
    x = inputs
    for block, (filters, convs) in enumerate(((64, 2), (128, 2), (256, 3), (512, 3), (512, 3)), start=1):
        for i in range(1, convs + 1):
            x = layers.Conv2D(filters, (3, 3), activation="relu", padding="same",
                              name="block%d_conv%d" % (block, i))(x)
        x = layers.MaxPooling2D((2, 2), strides=(2, 2), name="block%d_pool" % block)(x)
    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(4096, activation="relu", name="fc1")(x)
        x = layers.Dense(4096, activation="relu", name="fc2")(x)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = _common.pooled(x, pooling)
    model = Functional(inputs, x, name=name)
    return _common.load(model, weights, "vgg16_weights_tf_dim_ordering_tf_kernels.h5",
                        "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5", include_top, "vgg16")


def preprocess_input(x, data_format=None):
    """RGB images in [0, 255] to VGG's input: BGR, minus ImageNet's channel means ("caffe" mode)."""
    return _common.preprocess(x, "caffe")
