"""Records tf.keras outputs of the convolution and pooling layers for tests/test_keras_conv_layers.py.

Run in a virtual environment with TensorFlow 2.21 / Keras 3.15 (never a tapeflow dependency):

    python tests/reference/make_layer_reference.py

For each case it builds the layer from its config, sets its weights to seeded random values, runs it on a
seeded random input (with the case's call arguments, e.g. training=True), and stores the config, input,
weights, output and the weights after the call (BatchNormalization's moving statistics) in
layer_reference.json."""
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402

CASES = [
    ("Conv2D", {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same", "activation": "relu"}, (2, 7, 6, 3)),
    ("Conv2D", {"filters": 4, "kernel_size": [3, 2], "dilation_rate": 2, "use_bias": False}, (1, 8, 8, 2)),
    ("Conv2D", {"filters": 6, "kernel_size": 3, "groups": 3}, (2, 6, 6, 3)),
    ("Conv2D", {"filters": 5, "kernel_size": 1, "activation": "tanh"}, (2, 4, 4, 3)),
    ("Conv1D", {"filters": 5, "kernel_size": 3, "padding": "causal", "dilation_rate": 2}, (2, 9, 4)),
    ("Conv1D", {"filters": 5, "kernel_size": 3, "strides": 2, "padding": "same"}, (2, 9, 4)),
    ("MaxPooling2D", {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 7, 7, 3)),
    ("AveragePooling2D", {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 7, 7, 3)),
    ("MaxPooling2D", {"pool_size": [2, 3]}, (2, 6, 7, 2)),
    ("MaxPooling1D", {"pool_size": 2}, (2, 7, 3)),
    ("AveragePooling1D", {"pool_size": 3, "strides": 1, "padding": "same"}, (2, 7, 3)),
    ("GlobalAveragePooling2D", {}, (2, 5, 4, 3)),
    ("GlobalMaxPooling2D", {"keepdims": True}, (2, 5, 4, 3)),
    ("GlobalAveragePooling1D", {}, (2, 6, 3)),
    ("GlobalMaxPooling1D", {}, (2, 6, 3)),
    ("BatchNormalization", {}, (4, 3, 5)),
    ("BatchNormalization", {"axis": 1, "momentum": 0.9, "epsilon": 0.01}, (4, 3, 5), {"training": True}),
    ("BatchNormalization", {"center": False}, (6, 4), {"training": True}),
    ("LayerNormalization", {}, (2, 3, 5)),
    ("LayerNormalization", {"axis": [1, 2], "epsilon": 0.1, "scale": False}, (2, 3, 4)),
    ("UpSampling2D", {"size": [2, 3]}, (2, 3, 2, 2)),
    ("UpSampling1D", {"size": 3}, (2, 3, 2)),
    ("ZeroPadding2D", {"padding": [[1, 2], [0, 1]]}, (2, 3, 3, 2)),
    ("Cropping2D", {"cropping": [[1, 0], [1, 2]]}, (2, 4, 5, 2)),
    ("Cropping1D", {"cropping": [1, 2]}, (2, 6, 3)),
    ("Conv2DTranspose", {"filters": 3, "kernel_size": 3, "strides": 2}, (2, 3, 4, 2)),
    ("Conv2DTranspose", {"filters": 2, "kernel_size": [3, 2], "strides": 2, "padding": "same"}, (1, 3, 3, 4)),
    ("Conv2DTranspose", {"filters": 2, "kernel_size": 3, "strides": 2, "output_padding": 1}, (1, 3, 3, 2)),
    ("DepthwiseConv2D", {"kernel_size": 3, "depth_multiplier": 2, "padding": "same"}, (2, 5, 5, 3)),
    ("SeparableConv2D", {"filters": 4, "kernel_size": 3, "depth_multiplier": 2, "strides": 2}, (2, 7, 7, 3)),
    ("GroupNormalization", {"groups": 2}, (2, 3, 3, 4)),
    ("GroupNormalization", {"groups": 3, "axis": 1, "epsilon": 0.01}, (2, 6, 5)),
]


def main():
    import keras
    rng = np.random.default_rng(0)
    out = []
    for name, config, shape, *call in CASES:
        call = call[0] if call else {}
        layer = getattr(keras.layers, name)(**config)
        x = rng.normal(size=shape).astype("float32")
        layer.build(shape)
        weights = [rng.normal(size=w.shape).astype("float32") * 0.5 for w in layer.get_weights()]
        layer.set_weights(weights)
        y = np.asarray(layer(x, **call))
        out.append({"layer": name, "config": config, "call": call, "input": x.tolist(),
                    "weights": [w.tolist() for w in weights], "output": y.tolist(),
                    "weight_shapes": [list(w.shape) for w in weights],
                    "weights_after": [np.asarray(w).tolist() for w in layer.get_weights()]})
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "layer_reference.json")
    with open(path, "w") as f:
        json.dump({"keras_version": keras.__version__, "cases": out}, f)


if __name__ == "__main__":
    main()
