"""Keras layers through the generic helper, plus Layer base-class behaviour."""
import numpy as np
import pytest

import tapeflow as tf
from tapeflow import keras
from tapeflow.keras import layers
from layertest import check_layer


@pytest.mark.parametrize("cls,kwargs,in_shape,out_shape,n_weights", [
    (layers.Dense, {"units": 4}, (3, 5), (3, 4), 2),
    (layers.Dense, {"units": 4, "use_bias": False, "activation": "relu"}, (3, 5), (3, 4), 1),
    (layers.Dense, {"units": 2}, (2, 3, 5), (2, 3, 2), 2),
    (layers.Activation, {"activation": "tanh"}, (3, 5), (3, 5), 0),
    (layers.Flatten, {}, (2, 3, 4), (2, 12), 0),
    (layers.Reshape, {"target_shape": (2, -1)}, (3, 6), (3, 2, 3), 0),
    (layers.Dropout, {"rate": 0.5}, (3, 5), (3, 5), 0),
])
def test_layer_helper(cls, kwargs, in_shape, out_shape, n_weights):
    check_layer(cls, kwargs, in_shape, out_shape, n_weights)


def test_dense_numerics_and_rank3():
    layer = layers.Dense(3, kernel_initializer="ones", bias_initializer="zeros")
    x = np.arange(12, dtype="float32").reshape(2, 2, 3)
    np.testing.assert_allclose(layer(x).numpy(), np.repeat(x.sum(-1, keepdims=True), 3, -1))


def test_dense_input_errors():
    layer = layers.Dense(2)
    layer(np.ones((1, 3), "float32"))
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 3"):
        layer(np.ones((1, 4), "float32"))
    with pytest.raises(ValueError, match="positive integer"):
        layers.Dense(0)
    with pytest.raises(TypeError, match="Keyword argument not understood"):
        layers.Dense(2, nonsense=1)


def test_dropout_only_in_training():
    x = np.ones((200, 50), "float32")
    d = layers.Dropout(0.5)
    np.testing.assert_array_equal(d(x).numpy(), x)
    y = d(x, training=True).numpy()
    assert set(np.unique(y)) <= {0.0, 2.0}
    assert 0.4 < (y == 0).mean() < 0.6


def test_lambda_and_operators_on_keras_tensors():
    inp = keras.Input(shape=(3,))
    out = layers.Lambda(lambda t: t * 2.0)(inp) + 1.0
    out = out[:, :2]
    model = keras.Model(inp, out)
    assert model.output_shape == (None, 2)
    np.testing.assert_allclose(model(np.ones((2, 3), "float32")).numpy(), np.full((2, 2), 3.0))


def test_merge_shape_checks():
    a, b = keras.Input(shape=(3,)), keras.Input(shape=(4,))
    assert layers.concatenate([a, b]).shape == (None, 7)
    with pytest.raises(ValueError, match="incompatible shapes"):
        layers.add([a, b])
    with pytest.raises(ValueError, match="exactly 2 inputs"):
        layers.Subtract()([a, a, a])
    with pytest.raises(ValueError, match="list of inputs"):
        layers.Add()(a)


def test_automatic_unique_names():
    keras.backend.clear_session()
    assert [layers.Dense(1).name for _ in range(3)] == ["dense", "dense_1", "dense_2"]
    assert keras.Sequential().name == "sequential"
    assert keras.Sequential().name == "sequential_1"


def test_add_weight_tracking_and_freezing():
    class Scale(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.inner = [layers.Dense(2), {"d": layers.Dense(2)}]

        def build(self, input_shape):
            self.w = self.add_weight(name="w", shape=(input_shape[-1],), initializer="ones")
            self.c = self.add_weight(name="c", shape=(), initializer="zeros", trainable=False)

        def call(self, x):
            return self.inner[1]["d"](self.inner[0](x * self.w)) + self.c

    s = Scale()
    s(np.ones((1, 3), "float32"))
    names = [w.name for w in s.weights]
    assert names[:2] == ["scale/w:0", "scale/c:0"] and len(names) == 6
    assert len(s.trainable_weights) == 5 and len(s.non_trainable_weights) == 1
    s.trainable = False
    assert s.trainable_weights == [] and len(s.non_trainable_weights) == 6
    assert s.inner[0].trainable is False
    w = s.get_weights()
    s.set_weights([np.zeros_like(a) for a in w])
    assert all(not np.any(a) for a in s.get_weights())
    with pytest.raises(ValueError, match="expecting 6 weights"):
        s.set_weights(w[:2])
    with pytest.raises(ValueError, match="not compatible"):
        s.set_weights([np.zeros((5,))] + w[1:])


@pytest.mark.parametrize("init", ["zeros", "ones", "random_normal", "random_uniform", "glorot_uniform",
                                  "glorot_normal", "he_normal", "he_uniform", "orthogonal",
                                  keras.initializers.Constant(0.5)])
def test_string_and_object_initializers(init):
    class L(layers.Layer):
        def build(self, input_shape):
            self.k = self.add_weight(name="k", shape=(8, 6), initializer=init)

    layer = L()
    layer(np.ones((1, 2), "float32"))
    k = layer.k.numpy()
    assert k.shape == (8, 6) and k.dtype == np.float32
    if init == "zeros":
        assert not k.any()


def test_regularizer_losses():
    layer = layers.Dense(2, kernel_initializer="ones", kernel_regularizer=keras.regularizers.L2(0.1))
    layer(np.ones((1, 3), "float32"))
    np.testing.assert_allclose(float(layer.losses[0]), 0.1 * 6)


def test_activations_by_name_and_get():
    x = np.linspace(-3, 3, 7).astype("float32")
    for name in ["relu", "sigmoid", "softmax", "tanh", "elu", "selu", "gelu", "softplus", "swish", "linear",
                 "leaky_relu"]:
        assert keras.activations.get(name)(tf.constant(x)).shape == (7,)
    with pytest.raises(ValueError, match="Could not interpret activation"):
        keras.activations.get("nope")


def test_dropout_seed_gives_reproducible_masks():
    x = np.ones((4, 50), "float32")
    masks = []
    for _ in range(2):
        tf.random.set_seed(7)
        d = layers.Dropout(0.5, seed=3)
        masks.append([d(x, training=True).numpy() for _ in range(2)])
    np.testing.assert_array_equal(masks[0][0], masks[1][0])
    np.testing.assert_array_equal(masks[0][1], masks[1][1])
    assert not np.array_equal(masks[0][0], masks[0][1])
    tf.random.set_seed(7)
    other = layers.Dropout(0.5, seed=4)(x, training=True).numpy()
    assert not np.array_equal(other, masks[0][0])  # the layer's seed, not only the global one, picks the mask


@pytest.mark.parametrize("make", [
    lambda: keras.metrics.Precision(top_k=2),
    lambda: keras.metrics.AUC(multi_label=True),
    lambda: keras.optimizers.Adam(use_ema=True),
    lambda: keras.optimizers.SGD(gradient_accumulation_steps=4),
    lambda: layers.Dense(2, lora_rank=4),
])
def test_unsupported_options_raise_instead_of_being_ignored(make):
    with pytest.raises(NotImplementedError, match="not supported"):
        make()
