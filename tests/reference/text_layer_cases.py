"""TextVectorization and StringLookup configurations whose Keras 3 outputs make_text_layer_reference.py records
(text_layer_reference.json); tests/test_text.py builds the same layers with tapeflow. Each case: (name, the layer's
constructor source, adapt data or None, the call input)."""
CORPUS = ["The cat sat on the mat.", "The dog ate my homework!", "A cat, a dog; a bird?", "Éclair au café",
          "the the the end"]
QUERY = ["the cat ate the bird", "an unknown zebra", "", "Dog dog DOG"]
CASES = [
    ("tv_int", "layers.TextVectorization()", CORPUS, QUERY),
    ("tv_int_seq", "layers.TextVectorization(max_tokens=8, output_sequence_length=3)", CORPUS, QUERY),
    ("tv_int_seq_long", "layers.TextVectorization(output_sequence_length=7)", CORPUS, QUERY),
    ("tv_multi_hot", "layers.TextVectorization(max_tokens=10, output_mode='multi_hot')", CORPUS, QUERY),
    ("tv_count", "layers.TextVectorization(output_mode='count')", CORPUS, QUERY),
    ("tv_tf_idf", "layers.TextVectorization(output_mode='tf_idf', ngrams=2)", CORPUS, QUERY),
    ("tv_pad_max", "layers.TextVectorization(max_tokens=20, output_mode='multi_hot', pad_to_max_tokens=True)",
     CORPUS, QUERY),
    ("tv_ngrams_tuple", "layers.TextVectorization(ngrams=(2, 3))", CORPUS, QUERY),
    ("tv_character", "layers.TextVectorization(split='character', standardize='lower')", CORPUS, QUERY),
    ("tv_no_standardize", "layers.TextVectorization(standardize=None)", CORPUS, QUERY),
    ("tv_strip_only", "layers.TextVectorization(standardize='strip_punctuation')", CORPUS, QUERY),
    ("tv_custom", "layers.TextVectorization(standardize=lambda s: tf.strings.regex_replace(tf.strings.lower(s), "
                  "'[aeiou]', ''))", CORPUS, QUERY),
    ("tv_vocabulary", "layers.TextVectorization(vocabulary=['cat', 'dog', 'the'])", None, QUERY),
    ("tv_column", "layers.TextVectorization(output_sequence_length=4)", CORPUS, [["the cat"], ["a dog ate"]]),
    ("sl_int", "layers.StringLookup()", [["a", "b", "b", "c", "c", "c"]], [["c", "a", "z"], ["b", "", "a"]]),
    ("sl_mask", "layers.StringLookup(mask_token='', num_oov_indices=2)", [["a", "b", "b"]],
     [["a", "", "q", "zz"]]),
    ("sl_vocab_multi_hot", "layers.StringLookup(vocabulary=['x', 'y', 'z'], output_mode='multi_hot')", None,
     [["x", "z", "q"], ["y", "y", "y"]]),
    ("sl_count", "layers.StringLookup(vocabulary=['x', 'y'], output_mode='count')", None, [["x", "x", "q"]]),
    ("sl_one_hot", "layers.StringLookup(vocabulary=['x', 'y'], output_mode='one_hot')", None, ["y", "x", "q"]),
    ("sl_tf_idf", "layers.StringLookup(output_mode='tf_idf')", [["a", "b"], ["a", "c"], ["a", "a"]],
     [["a", "c", "q"]]),
    ("sl_invert", "layers.StringLookup(vocabulary=['x', 'y'], invert=True)", None, [[0, 1, 2, 7]]),
    ("sl_max_tokens", "layers.StringLookup(max_tokens=3)", [["a", "b", "b", "c", "c", "c"]], [["a", "b", "c"]]),
    ("sl_oov_hashing", "layers.StringLookup(vocabulary=['x'], num_oov_indices=5)", None,
     [["x", "apple", "banana", "cherry", "date"]]),
]
