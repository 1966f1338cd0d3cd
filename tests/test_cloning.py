"""keras.models.clone_model: Sequential, functional (shared inputs, merges), custom clone and call functions,
nested models with recursive, subclassed models; the clone has new weights and the same outputs once they are
copied."""
import numpy as np
import pytest

from tapeflow import keras


def _functional():
    inputs = keras.Input((3,), name="x")
    a, b = keras.layers.Dense(2, name="a")(inputs), keras.layers.Dense(2, name="b")(inputs)
    return keras.Model(inputs, keras.layers.Add(name="sum")([a, b]))


@pytest.mark.parametrize("make", [
    lambda: keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu"), keras.layers.Dense(1)]),
    _functional])
def test_clone_has_new_weights_and_the_same_function(make):
    model = make()
    clone = keras.models.clone_model(model)
    assert type(clone) is type(model) and clone.count_params() == model.count_params()
    assert all(c is not m for c, m in zip(clone.layers, model.layers))
    assert not np.allclose(clone.get_weights()[0], model.get_weights()[0])
    clone.set_weights(model.get_weights())
    x = np.random.default_rng(0).random((5, 3)).astype("float32")
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    before = model.get_weights()
    clone.compile("sgd", "mse")
    clone.fit(x, np.ones((5, clone.output_shape[-1])), verbose=0)  # trains its own weights only
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), before))
    assert not all(np.array_equal(a, b) for a, b in zip(clone.get_weights(), before))


def test_clone_function_call_function_recursive_and_subclassed():
    model = _functional()
    renamed = keras.models.clone_model(
        model, clone_function=lambda layer: layer.__class__.from_config({**layer.get_config(),
                                                                         "name": "c_" + layer.name}))
    assert [layer.name for layer in renamed.layers[1:]] == ["c_a", "c_b", "c_sum"]
    calls = []
    keras.models.clone_model(model, call_function=lambda layer, *a, **k: calls.append(layer.name) or layer(*a, **k))
    assert calls == ["a", "b", "sum"]
    inner = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    outer = keras.Sequential([inner, keras.layers.Dense(1)])
    assert keras.models.clone_model(outer, recursive=True).layers[0] is not inner
    on_tensor = keras.models.clone_model(model, input_tensors=keras.Input((3,), name="new"))
    assert on_tensor.inputs[0].name == "new"

    class Sub(keras.Model):
        def __init__(self, units=2, **kwargs):
            super().__init__(**kwargs)
            self.units, self.dense = units, keras.layers.Dense(units)

        def call(self, x):
            return self.dense(x)

        def get_config(self):
            return {**super().get_config(), "units": self.units}
    assert keras.models.clone_model(Sub(units=5)).units == 5
    with pytest.raises(ValueError, match="only supported for Sequential"):
        keras.models.clone_model(Sub(), clone_function=lambda layer: layer)
