"""Text in Keras: TextVectorization and StringLookup against Keras 3's outputs (tests/reference/text_layer_cases.py,
recorded by make_text_layer_reference.py), text_dataset_from_directory, string inputs to models, and TensorFlow's
"basic text classification" tutorial run with only its imports changed (on a small folder made here)."""
import json
import os
import re
import string
import sys

import numpy as np
import pytest

import tapeflow as tf
from tapeflow import keras
from tapeflow.keras import layers, losses

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "reference"))
from text_layer_cases import CASES  # noqa: E402

with open(os.path.join(os.path.dirname(__file__), "reference", "text_layer_reference.json")) as f:
    REF = json.load(f)


@pytest.mark.parametrize("name,source,data,query", CASES, ids=[c[0] for c in CASES])
def test_text_layers_match_keras(name, source, data, query):
    layer = eval(source, {"tf": tf, "layers": layers})
    if data is not None:
        layer.adapt(np.array(data))
    want = REF[name]
    assert layer.get_vocabulary() == want["vocabulary"]
    y = layer(np.array(query))
    assert y.dtype.name == want["dtype"] and list(y.shape) == want["shape"], (y.dtype, y.shape)
    got = np.asarray(y.numpy()).ravel().tolist()
    if want["dtype"] == "string":
        assert [v.decode() for v in got] == want["values"]
    else:
        np.testing.assert_allclose(got, want["values"], rtol=1e-6)


def test_text_vectorization_config_round_trip_and_adapt_sources():
    layer = layers.TextVectorization(max_tokens=12, output_sequence_length=5, ngrams=2)
    layer.adapt(tf.data.Dataset.from_tensor_slices(["a b c", "b c d", "c d e"]).batch(2))
    clone = layers.TextVectorization.from_config(layer.get_config())
    assert clone.get_vocabulary() == layer.get_vocabulary()
    np.testing.assert_array_equal(clone(["b c d e"]).numpy(), layer(["b c d e"]).numpy())
    from_list = layers.TextVectorization(max_tokens=12, output_sequence_length=5, ngrams=2)
    from_list.adapt(["a b c", "b c d", "c d e"])
    assert from_list.get_vocabulary() == layer.get_vocabulary()
    with pytest.raises(ValueError, match="last shape dimension must be 1"):
        layer(np.array([["a", "b"]]))
    with pytest.raises(ValueError, match="output_sequence_length"):
        layers.TextVectorization(output_mode="multi_hot", output_sequence_length=3)


def test_ragged_output_and_scalar_input():
    layer = layers.TextVectorization(vocabulary=["a", "b"], ragged=True)
    out = layer(["a b a", "b"])
    assert isinstance(out, tf.RaggedTensor) and out.to_list() == [[2, 3, 2], [3]]
    dense = layers.TextVectorization(vocabulary=["a", "b"])
    np.testing.assert_array_equal(dense(tf.constant("b a z")).numpy(), [3, 2, 1])


def test_string_model_trains_saves_and_reloads(tmp_path):
    texts = np.array(["good movie", "bad movie", "great fun", "awful film"] * 16)
    labels = np.array([1, 0, 1, 0] * 16, "float32")
    vec = layers.TextVectorization(max_tokens=20, output_sequence_length=3)
    vec.adapt(texts)
    inp = keras.Input(shape=(1,), dtype="string")
    x = layers.GlobalAveragePooling1D()(layers.Embedding(20, 8)(vec(inp)))
    model = keras.Model(inp, layers.Dense(1, activation="sigmoid")(x))
    model.compile(keras.optimizers.Adam(0.05), "binary_crossentropy", metrics=["accuracy"])
    history = model.fit(texts, labels, epochs=8, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert model.evaluate(texts, labels, verbose=0)[1] == 1.0
    before = model.predict(np.array(["good film", "awful movie"]), verbose=0)
    assert before[0, 0] > 0.5 > before[1, 0]
    model.save(tmp_path / "text.keras")
    again = keras.models.load_model(tmp_path / "text.keras")
    assert again.layers[1].get_vocabulary() == vec.get_vocabulary()
    np.testing.assert_allclose(again.predict(np.array(["good film", "awful movie"]), verbose=0), before, rtol=1e-6)


def _write_reviews(root):
    """A tiny aclImdb-shaped folder: train/{neg,pos} and test/{neg,pos} of .txt reviews (plus a stray file)."""
    rng = np.random.RandomState(0)
    words = {"pos": "great wonderful loved superb".split(), "neg": "terrible awful boring hated".split()}
    filler = "the movie was a film and it plot actors story".split()
    for part, n in (("train", 40), ("test", 16)):
        for label in ("neg", "pos"):
            folder = root / part / label
            folder.mkdir(parents=True)
            for i in range(n):
                w = list(rng.choice(filler, rng.randint(4, 12))) + list(rng.choice(words[label], 3))
                rng.shuffle(w)
                (folder / ("%d_%d.txt" % (i, rng.randint(1, 10)))).write_text(
                    " ".join(w).capitalize() + ".<br />" + w[0].upper() + "!")
    (root / "train" / "README.md").write_text("not a review")


def test_text_dataset_from_directory(tmp_path):
    _write_reviews(tmp_path)
    ds = keras.utils.text_dataset_from_directory(tmp_path / "train", batch_size=16, shuffle=False)
    assert ds.class_names == ["neg", "pos"] and len(ds.file_paths) == 80
    texts, labels = next(iter(ds))
    assert texts.dtype == tf.string and texts.shape == (16,) and labels.dtype == tf.int32
    assert texts.numpy()[0] == open(ds.file_paths[0], "rb").read()
    assert labels.numpy().tolist() == [0] * 16
    train, val = keras.utils.text_dataset_from_directory(tmp_path / "train", batch_size=8, validation_split=0.25,
                                                         subset="both", seed=3)
    assert len(train.file_paths) == 60 and len(val.file_paths) == 20
    assert not set(train.file_paths) & set(val.file_paths)
    cut = keras.utils.text_dataset_from_directory(tmp_path / "train", batch_size=None, max_length=5, shuffle=False,
                                                  label_mode="binary")
    text, label = next(iter(cut))
    assert len(text.numpy()) == 5 and label.shape == (1,) and label.dtype == tf.float32
    with pytest.raises(ValueError, match="seed"):
        keras.utils.text_dataset_from_directory(tmp_path / "train", validation_split=0.2, subset="training")


def test_basic_text_classification_tutorial(tmp_path, capsys):
    """TensorFlow's "Basic text classification" tutorial, imports changed, data shrunk, steps as published."""
    _write_reviews(tmp_path / "aclImdb")
    tf.keras.utils.set_random_seed(0)
    batch_size, seed = 32, 42
    raw_train_ds = tf.keras.utils.text_dataset_from_directory(str(tmp_path / "aclImdb/train"), batch_size=batch_size,
                                                              validation_split=0.2, subset="training", seed=seed)
    raw_val_ds = tf.keras.utils.text_dataset_from_directory(str(tmp_path / "aclImdb/train"), batch_size=batch_size,
                                                            validation_split=0.2, subset="validation", seed=seed)
    raw_test_ds = tf.keras.utils.text_dataset_from_directory(str(tmp_path / "aclImdb/test"), batch_size=batch_size)
    assert "Found 80 files belonging to 2 classes." in capsys.readouterr().out

    def custom_standardization(input_data):
        lowercase = tf.strings.lower(input_data)
        stripped_html = tf.strings.regex_replace(lowercase, "<br />", " ")
        return tf.strings.regex_replace(stripped_html, "[%s]" % re.escape(string.punctuation), "")

    max_features, sequence_length = 10000, 250
    vectorize_layer = layers.TextVectorization(standardize=custom_standardization, max_tokens=max_features,
                                               output_mode="int", output_sequence_length=sequence_length)
    vectorize_layer.adapt(raw_train_ds.map(lambda x, y: x))
    vocab = vectorize_layer.get_vocabulary()
    assert vocab[:2] == ["", "[UNK]"] and "great" in vocab and "<br" not in " ".join(vocab)

    def vectorize_text(text, label):
        text = tf.expand_dims(text, -1)
        return vectorize_layer(text), label

    text_batch, label_batch = next(iter(raw_train_ds))
    first, _ = vectorize_text(text_batch[0], label_batch[0])
    assert first.shape == (1, sequence_length) and first.dtype == tf.int64
    train_ds = raw_train_ds.map(vectorize_text).cache().prefetch(buffer_size=tf.data.AUTOTUNE)
    val_ds = raw_val_ds.map(vectorize_text).cache().prefetch(buffer_size=tf.data.AUTOTUNE)
    test_ds = raw_test_ds.map(vectorize_text).cache().prefetch(buffer_size=tf.data.AUTOTUNE)
    model = tf.keras.Sequential([layers.Embedding(max_features, 16), layers.Dropout(0.2),
                                 layers.GlobalAveragePooling1D(), layers.Dropout(0.2),
                                 layers.Dense(1)])
    model.summary()
    assert "0 (unbuilt)" in capsys.readouterr().out
    model.compile(loss=losses.BinaryCrossentropy(from_logits=True), optimizer=keras.optimizers.Adam(0.05),
                  metrics=[tf.metrics.BinaryAccuracy(threshold=0.0)])
    history = model.fit(train_ds, validation_data=val_ds, epochs=20, verbose=0)
    assert set(history.history) == {"loss", "binary_accuracy", "val_loss", "val_binary_accuracy"}
    loss, accuracy = model.evaluate(test_ds, verbose=0)
    assert accuracy > 0.75, accuracy  # chance is 0.5
    export_model = tf.keras.Sequential([vectorize_layer, model, layers.Activation("sigmoid")])
    export_model.compile(loss=losses.BinaryCrossentropy(from_logits=False), optimizer="adam", metrics=["accuracy"])
    metrics = export_model.evaluate(raw_test_ds, return_dict=True, verbose=0)
    assert metrics["accuracy"] == accuracy  # the same predictions, as probabilities
    examples = tf.constant(["The movie was great!", "The movie was okay.", "The movie was terrible..."])
    scores = export_model.predict(examples, verbose=0)
    assert scores.shape == (3, 1) and scores[0, 0] > scores[2, 0]
