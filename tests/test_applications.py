"""keras.applications VGG16, ResNet50 and MobileNetV2 (architecture, parameters, Keras's layer names and order,
weights arguments, preprocessing), and Keras 3's layer order for branching functional models, which lets Keras 3
weight files of such models load. Parameter counts and layer names are Keras 3.15's for the same arguments; Keras
3.15's own weight files of these models (random weights, .weights.h5 and .h5) loaded and gave its logits to 1e-5
(checked locally: the files are 10-300 MB)."""
import importlib.util
import os
import sys

import numpy as np
import pytest

from tapeflow import keras

REF = os.path.join(os.path.dirname(__file__), "reference", "saved_models")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "reference"))


def test_vgg16_layout_and_pooling():
    model = keras.applications.VGG16(weights=None, input_shape=(32, 32, 3), classes=10)
    assert model.name == "vgg16" and len(model.layers) == 23 and model.output_shape == (None, 10)
    assert [layer.name for layer in model.layers[-4:]] == ["flatten", "fc1", "fc2", "predictions"]
    assert model.count_params() == 33638218  # Keras 3.15: the same arguments
    features = keras.applications.VGG16(weights=None, include_top=False, pooling="max")
    assert features.output_shape == (None, 512) and features.count_params() == 14714688


def test_resnet50_layout_in_keras_order():
    model = keras.applications.ResNet50(weights=None, input_shape=(64, 64, 3), classes=10)
    assert model.name == "resnet50" and len(model.layers) == 177 and model.count_params() == 23608202
    assert [layer.name for layer in model.layers[7:16]] == [
        "conv2_block1_1_conv", "conv2_block1_1_bn", "conv2_block1_1_relu", "conv2_block1_2_conv",
        "conv2_block1_2_bn", "conv2_block1_2_relu", "conv2_block1_0_conv", "conv2_block1_3_conv",
        "conv2_block1_0_bn"]
    notop = keras.applications.ResNet50(weights=None, include_top=False, pooling="avg", input_shape=(32, 32, 3))
    assert notop.output_shape == (None, 2048) and notop.layers[-1].name == "avg_pool"
    x = np.random.default_rng(0).random((2, 32, 32, 3)).astype("float32") * 255
    assert np.isfinite(notop.predict(keras.applications.resnet50.preprocess_input(x), verbose=0)).all()


def test_weights_arguments_and_input_checks(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="`weights` argument"):
        keras.applications.VGG16(weights="no/such/file.h5")
    with pytest.raises(ValueError, match="classes"):
        keras.applications.VGG16(weights="imagenet", classes=10)
    with pytest.raises(ValueError, match="at least 32x32"):
        keras.applications.ResNet50(weights=None, input_shape=(16, 16, 3))
    with pytest.raises(ValueError, match="input_shape"):
        keras.applications.VGG16(weights="imagenet", input_shape=(64, 64, 3))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))  # no cached file, no network: a clear error naming the file
    with pytest.raises(Exception, match="vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"):
        keras.applications.VGG16(weights="imagenet", include_top=False)
    model = keras.applications.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
    path = str(tmp_path / "vgg.weights.h5")
    model.save_weights(path)
    again = keras.applications.VGG16(weights=path, include_top=False, input_shape=(32, 32, 3))
    for a, b in zip(again.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_preprocess_input_modes():
    x = np.array([[[10.0, 20.0, 30.0]]])
    np.testing.assert_allclose(keras.applications.vgg16.preprocess_input(x), [[[30 - 103.939, 20 - 116.779,
                                                                                10 - 123.68]]], rtol=1e-6)


def test_keras3_weights_of_a_branching_model_load():
    spec = importlib.util.spec_from_file_location("make_branch_weights",
                                                  os.path.join(REF, "..", "make_branch_weights.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = module.build(keras)
    expected = np.load(os.path.join(REF, "k3_branches.npz"))
    assert [type(layer).__name__ for layer in model.layers] == expected["layers"].tolist()  # Keras's order
    model.load_weights(os.path.join(REF, "k3_branches.weights.h5"))
    np.testing.assert_allclose(model.predict(expected["x"], verbose=0), expected["y"], rtol=1e-5, atol=1e-6)


def test_mobilenet_v2_layout_alpha_and_odd_inputs():
    model = keras.applications.MobileNetV2(weights=None, input_shape=(96, 96, 3), classes=7)
    assert model.name == "mobilenetv2_1.00_96" and len(model.layers) == 156 and model.count_params() == 2266951
    slim = keras.applications.MobileNetV2(weights=None, input_shape=(97, 75, 3), alpha=0.35, include_top=False,
                                          pooling="avg")  # odd sizes: Keras's asymmetric padding before strides
    assert slim.name == "mobilenetv2_0.35_97" and len(slim.layers) == 155 and slim.count_params() == 410208
    assert slim.output_shape == (None, 1280)
    x = np.random.default_rng(1).random((2, 97, 75, 3)).astype("float32") * 255
    assert np.isfinite(slim.predict(keras.applications.mobilenet_v2.preprocess_input(x), verbose=0)).all()
    np.testing.assert_allclose(keras.applications.mobilenet_v2.preprocess_input(np.array([0.0, 127.5, 255.0])),
                               [-1, 0, 1])
    with pytest.raises(ValueError, match="alpha"):
        keras.applications.MobileNetV2(weights="imagenet", alpha=0.6)


def test_decode_predictions(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    preds = np.zeros((2, 1000), "float32")
    preds[0, [5, 7, 9]] = [0.2, 0.5, 0.3]
    preds[1, 999] = 1.0
    with pytest.raises(Exception, match="imagenet_class_index.json"):  # not cached, nothing downloadable
        keras.applications.resnet50.decode_predictions(preds)
    with pytest.raises(ValueError, match="samples, 1000"):
        keras.applications.resnet50.decode_predictions(preds[:, :10])
    from tapeflow.keras.applications import imagenet_utils
    monkeypatch.setattr(imagenet_utils, "_class_index",  # the file's layout: id -> [wordnet id, name]
                        lambda: {str(i): ["n%08d" % i, "class_%d" % i] for i in range(1000)})
    decoded = keras.applications.vgg16.decode_predictions(preds, top=3)
    assert [t[:2] for t in decoded[0]] == [("n00000007", "class_7"), ("n00000009", "class_9"),
                                           ("n00000005", "class_5")]
    assert decoded[0][0][2] == pytest.approx(0.5) and decoded[1][0][:2] == ("n00000999", "class_999")
