"""CategoryEncoding, Discretization and IntegerLookup against Keras 3.15's outputs. The expected values were
printed by Keras 3.15 (TensorFlow backend) on the same inputs, in a separate virtual environment."""
import numpy as np
import pytest

import tapeflow as tf
from tapeflow import keras
from tapeflow.keras import layers

PAIRS = np.array([[0, 1], [0, 0], [1, 2], [3, 1]])


def check(got, want, dtype=None):
    got = got.numpy() if hasattr(got, "numpy") else np.asarray(got)
    np.testing.assert_allclose(got, np.asarray(want), rtol=1e-6, atol=1e-6)
    if dtype:
        assert got.dtype == np.dtype(dtype)


def test_category_encoding_modes():
    check(layers.CategoryEncoding(4, output_mode="one_hot")(np.array([3, 2, 0, 1])), np.eye(4)[[3, 2, 0, 1]],
          "float32")
    check(layers.CategoryEncoding(4, output_mode="one_hot")(np.array([[1], [2]])), np.eye(4)[[1, 2]])
    check(layers.CategoryEncoding(4)(PAIRS), [[1, 1, 0, 0], [1, 0, 0, 0], [0, 1, 1, 0], [0, 1, 0, 1]])
    check(layers.CategoryEncoding(4)(np.array([1, 2])), [0, 1, 1, 0])
    weights = np.array([[.1, .2], [.1, .1], [.2, .3], [.4, .2]], "float32")
    counted = layers.CategoryEncoding(4, output_mode="count")
    check(counted(PAIRS, count_weights=weights), [[.1, .2, 0, 0], [.2, 0, 0, 0], [0, .2, .3, 0], [0, .2, 0, .4]])
    check(counted(PAIRS), [[1, 1, 0, 0], [2, 0, 0, 0], [0, 1, 1, 0], [0, 1, 0, 1]])
    assert counted.get_config()["num_tokens"] == 4 and counted.get_config()["output_mode"] == "count"
    with pytest.raises(ValueError, match="count_weights"):
        layers.CategoryEncoding(4)(PAIRS, count_weights=weights)
    with pytest.raises(ValueError, match="output_mode"):
        layers.CategoryEncoding(4, output_mode="tf_idf")


def test_discretization_boundaries_modes_and_adapt():
    x = np.array([[-1.5, 1.0, 3.4, .5], [0.0, 3.0, 1.3, 0.0]])
    layer = layers.Discretization(bin_boundaries=[0., 1., 2.])
    check(layer(x), [[0, 2, 3, 1], [1, 3, 2, 1]], "int32")
    check(layers.Discretization(bin_boundaries=[0., 1., 2.], output_mode="one_hot")(np.array([-1., .5, 1.5, 3.])),
          np.eye(4))
    y = np.array([[-1., .5, .7], [2., 2., 2.]])
    check(layers.Discretization(bin_boundaries=[0., 1.], output_mode="multi_hot")(y), [[1, 1, 0], [0, 0, 1]])
    counted = layers.Discretization(bin_boundaries=[0., 1.], output_mode="count")
    check(counted(y), [[1, 2, 0], [0, 0, 3]], "float32")
    check(counted(np.array([np.nan, 1.0])), [0, 0, 2])  # NaN in the last bucket, as np.digitize
    adapted = layers.Discretization(num_bins=4, epsilon=0.01)
    adapted.adapt(x)
    check(adapted.bin_boundaries, [0.0, 0.5, 1.3])
    check(adapted(np.array([[-1.5, 1.0, 3.4, .5]])), [[0, 2, 3, 2]])
    normal = layers.Discretization(num_bins=5, epsilon=0.01)
    normal.adapt(np.random.default_rng(0).normal(size=(1000,)))
    check(normal.bin_boundaries, [-0.8496066927909851, -0.3048001825809479, 0.17602071166038513, 0.7710492014884949])
    restored = layers.Discretization.from_config(adapted.get_config())
    assert restored.bin_boundaries == adapted.bin_boundaries and restored.num_bins == 4
    batched = layers.Discretization(num_bins=4)
    batched.adapt(tf.data.Dataset.from_tensor_slices(x.reshape(-1)).batch(3))
    assert len(batched.bin_boundaries) == 3
    with pytest.raises(ValueError, match="should not be set"):
        layers.Discretization(bin_boundaries=[0.], num_bins=3)
    with pytest.raises(ValueError, match="adapt"):
        layers.Discretization(num_bins=3)(x)
    with pytest.raises(ValueError, match="Cannot adapt"):
        layer.adapt(x)


VOCAB = [12, 36, 1138, 42]
DATA = np.array([[12, 1138, 42], [42, 1000, 36]])


def test_integer_lookup_forward_inverse_and_encodings():
    lookup = layers.IntegerLookup(vocabulary=VOCAB)
    check(lookup(DATA), [[1, 3, 4], [4, 0, 2]], "int64")
    assert lookup.get_vocabulary() == [-1] + VOCAB and lookup.vocabulary_size() == 5
    check(layers.IntegerLookup(vocabulary=VOCAB, invert=True)(np.array([[1, 3, 4], [4, 0, 2]])),
          [[12, 1138, 42], [42, -1, 36]])
    check(layers.IntegerLookup(vocabulary=[12, 36], invert=True)(np.array([[0, 1, 2, 3, -1]])), [[-1, 12, 36, -1, -1]])
    check(layers.IntegerLookup(vocabulary=VOCAB, output_mode="multi_hot")(DATA), [[0, 1, 0, 1, 1], [1, 0, 1, 0, 1]],
          "int64")
    check(layers.IntegerLookup(vocabulary=VOCAB, num_oov_indices=2)(np.array([[12, 1138, 42], [42, 1000, 37]])),
          [[2, 4, 5], [5, 0, 1]])
    masked = layers.IntegerLookup(vocabulary=VOCAB, mask_token=0)
    check(masked(np.array([[12, 0, 42]])), [[2, 0, 5]])
    assert masked.get_vocabulary() == [0, -1] + VOCAB
    check(layers.IntegerLookup(vocabulary=[12, 36], mask_token=0, output_mode="multi_hot")(np.array([[12, 0, 7]])),
          [[1, 1, 0]])
    check(layers.IntegerLookup(vocabulary=[12, 36], max_tokens=6, pad_to_max_tokens=True,
                               output_mode="multi_hot")(np.array([[12, 7]])), [[1, 1, 0, 0, 0, 0]])
    check(layers.IntegerLookup(vocabulary=[12, 36], output_mode="one_hot")(np.array([12, 7, 36])),
          [[0, 1, 0], [1, 0, 0], [0, 0, 1]])
    check(layers.IntegerLookup(vocabulary=[12, 36], output_mode="multi_hot")(np.array([12, 7])), [1, 1, 0])
    check(layers.IntegerLookup(vocabulary=VOCAB, output_mode="count")(np.array([[12, 12, 42]])), [[0, 2, 0, 0, 1]])
    check(layers.IntegerLookup(vocabulary=VOCAB, output_mode="tf_idf", idf_weights=[.2, .3, .4, .5])(
        np.array([[12, 12, 42, 7]])), [[0.35, 0.4, 0, 0, 0.5]], "float32")
    lookup.set_vocabulary([3, 4, 5])
    assert lookup.get_vocabulary() == [-1, 3, 4, 5]
    check(lookup(np.array([4])), [2])
    check(lookup(np.array([4.0, 9.0])), [2, 0])
    with pytest.raises(ValueError, match="repeated term"):
        layers.IntegerLookup(vocabulary=[12, 12])
    with pytest.raises(ValueError, match="idf_weights"):
        layers.IntegerLookup(vocabulary=VOCAB, output_mode="tf_idf")


def test_integer_lookup_adapt_order_idf_and_config(tmp_path):
    lookup = layers.IntegerLookup()
    lookup.adapt(np.array([[12, 1138, 42], [42, 1000, 36], [42, 12, 7]]))
    assert lookup.get_vocabulary() == [-1, 42, 12, 1138, 1000, 36, 7]  # by count, ties larger first
    check(lookup(np.array([[12, 5, 42]])), [[2, 0, 1]])
    capped = layers.IntegerLookup(max_tokens=3)
    capped.adapt(np.array([5, 5, 5, 6, 6, 7, 8]))
    assert capped.get_vocabulary() == [-1, 5, 6]
    idf = layers.IntegerLookup(output_mode="tf_idf")
    idf.adapt(np.array([[5, 5, 6], [6, 7, 8], [5, 9, 9]]))
    assert idf.get_vocabulary() == [-1, 5, 9, 6, 8, 7]
    check(idf.idf_weights, [0.82703334, 0.6931472, 0.91629076, 0.6931472, 0.91629076, 0.91629076])
    check(idf(np.array([[5, 6, 6, 100]])), [[0.82703334, 0.6931472, 0., 1.3862944, 0., 0.]])
    again = layers.IntegerLookup.from_config(lookup.get_config())
    assert again.get_vocabulary() == lookup.get_vocabulary()
    path = tmp_path / "vocab.txt"
    path.write_text("12\n36\n")
    assert layers.IntegerLookup(vocabulary=str(path)).get_vocabulary() == [-1, 12, 36]


def test_lookup_and_encoding_train_inside_a_model_and_a_dataset_map(tmp_path):
    rng = np.random.default_rng(0)
    codes = rng.choice([3, 17, 40, 99], size=(256, 1))
    ages = rng.uniform(0, 80, size=(256, 1)).astype("float32")
    y = ((codes[:, 0] == 17) | (ages[:, 0] > 60)).astype("float32")
    lookup = layers.IntegerLookup(output_mode="one_hot")
    lookup.adapt(codes)
    bucket = layers.Discretization(num_bins=4)
    bucket.adapt(ages)
    mixed = keras.ops.concatenate([np.ones((1, 2), "int64"), np.ones((1, 1), "float32")], axis=-1)
    assert mixed.dtype == "float32" and keras.backend.result_type("int32", "int64") == "int64"  # Keras 3's rule
    code_in, age_in = keras.Input((1,), dtype="int64"), keras.Input((1,))
    features = layers.Concatenate()([lookup(code_in), layers.CategoryEncoding(4, output_mode="one_hot")(
        bucket(age_in))])
    model = keras.Model([code_in, age_in], layers.Dense(1, activation="sigmoid")(features))
    model.compile(keras.optimizers.Adam(0.05), "binary_crossentropy", metrics=["accuracy"])
    history = model.fit([codes, ages], y, epochs=30, batch_size=32, verbose=0)
    assert history.history["accuracy"][-1] > 0.9
    path = str(tmp_path / "m.keras")
    model.save(path)
    reloaded = keras.models.load_model(path)
    np.testing.assert_allclose(reloaded.predict([codes, ages], verbose=0), model.predict([codes, ages], verbose=0),
                               rtol=1e-6)
    mapped = tf.data.Dataset.from_tensor_slices(codes[:, 0]).batch(8).map(layers.IntegerLookup(vocabulary=[3, 17]))
    assert sorted(set(np.concatenate(list(mapped.as_numpy_iterator())).tolist())) == [0, 1, 2]
