"""The generic layer-test helper: one call checks a layer's output shape (eager and
symbolic), its weight count, a get_config/from_config round trip, and one fit step."""
import numpy as np

from tapeflow import keras


def check_layer(cls, kwargs, input_shape, expected_output_shape, expected_weights=0, input_data=None,
                trainable_step=True):
    """``input_shape`` includes the batch size; ``expected_output_shape`` too (None for free dims)."""
    rng = np.random.default_rng(0)
    x = input_data if input_data is not None else rng.normal(size=input_shape).astype("float32")
    layer = cls(**kwargs)
    y = layer(x)
    assert layer.built
    got = tuple(y.shape)
    assert len(got) == len(expected_output_shape)
    for g, e in zip(got, expected_output_shape):
        assert e is None or g == e, (got, expected_output_shape)
    assert len(layer.weights) == expected_weights
    # symbolic: a functional model built from the same layer class infers the shape without data
    inp = keras.Input(shape=input_shape[1:], dtype=str(x.dtype) if hasattr(x, "dtype") else "float32")
    sym = cls(**kwargs)(inp)
    assert len(sym.shape) == len(expected_output_shape)
    assert all(e is None or s == e for s, e in zip(tuple(sym.shape)[1:], tuple(expected_output_shape)[1:]))
    # config round trip gives an equivalent layer
    config = layer.get_config()
    clone = cls.from_config(config)
    clone_config = clone.get_config()
    config.pop("name"), clone_config.pop("name")
    assert clone_config == config
    if layer.weights:
        clone(x)
        clone.set_weights(layer.get_weights())
        np.testing.assert_allclose(clone(x).numpy(), y.numpy(), rtol=1e-6)
        assert layer.count_params() == sum(int(np.prod(w.shape)) for w in layer.get_weights())
    # one fit step through a model moves every trainable weight
    if trainable_step and layer.trainable_weights:
        model = keras.Model(inp, sym)
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
        before = [w.numpy().copy() for w in model.trainable_weights]
        target = rng.normal(size=(input_shape[0],) + tuple(y.shape)[1:]).astype("float32")
        model.fit(x, target, epochs=1, batch_size=input_shape[0], verbose=0)
        after = [w.numpy() for w in model.trainable_weights]
        assert all(not np.array_equal(b, a) for b, a in zip(before, after))
    return layer, y
