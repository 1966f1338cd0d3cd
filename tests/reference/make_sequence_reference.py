"""Records Keras outputs of the sequence layers (embeddings, recurrent layers, wrappers, attention) for
tests/test_keras_sequence_layers.py.

Run in a virtual environment with TensorFlow 2.21 / Keras 3.15 (never a tapeflow dependency):

    python tests/reference/make_sequence_reference.py

Each case is a small functional model made by ``build(keras, case)``; the test builds the same model with
tapeflow's keras through this same function. The weights are set to seeded random values, the model runs on
a seeded input (integer ids with padding zeros where an Embedding masks them), and the input, weights and
outputs go to sequence_reference.json."""
import json
import os

import numpy as np

B, T, D = 3, 6, 4
VOCAB = 12

# (name, input kind, layer spec): kinds "float" (B, T, D) or "ids" (B, T) with zero padding.
CASES = [
    ("simple_rnn", "float", ("SimpleRNN", {"units": 5})),
    ("simple_rnn_relu_seq_back", "float", ("SimpleRNN", {"units": 5, "activation": "relu", "return_sequences": True,
                                                         "go_backwards": True})),
    ("lstm", "float", ("LSTM", {"units": 5})),
    ("lstm_seq_state", "float", ("LSTM", {"units": 5, "return_sequences": True, "return_state": True})),
    ("lstm_back_hard_sigmoid", "float", ("LSTM", {"units": 4, "go_backwards": True, "unit_forget_bias": False,
                                                  "recurrent_activation": "hard_sigmoid"})),
    ("gru_seq", "float", ("GRU", {"units": 5, "return_sequences": True})),
    ("gru_reset_before", "float", ("GRU", {"units": 5, "reset_after": False})),
    ("gru_state_back", "float", ("GRU", {"units": 3, "return_state": True, "go_backwards": True})),
    ("embedding", "ids", ("Embedding", {"input_dim": VOCAB, "output_dim": 3})),
    ("masked_lstm_seq", "ids", ("LSTM", {"units": 5, "return_sequences": True})),
    ("masked_gru", "ids", ("GRU", {"units": 5})),
    ("masked_simple_rnn_back", "ids", ("SimpleRNN", {"units": 4, "go_backwards": True, "return_sequences": True})),
    ("masked_bidirectional_lstm", "ids", ("Bidirectional", {"units": 3, "return_sequences": True})),
    ("bidirectional_gru_sum", "float", ("Bidirectional", {"units": 3, "merge_mode": "sum", "cell": "GRU"})),
    ("bidirectional_lstm_state", "float", ("Bidirectional", {"units": 3, "return_state": True})),
    ("time_distributed_dense", "float", ("TimeDistributed", {"units": 3})),
    ("masked_average", "ids", ("GlobalAveragePooling1D", {})),
    ("mha_self", "float", ("MultiHeadAttention", {"num_heads": 2, "key_dim": 3})),
    ("mha_causal_value_dim", "float", ("MultiHeadAttention", {"num_heads": 3, "key_dim": 2, "value_dim": 4,
                                                              "output_shape": 5, "causal": True})),
    ("masked_mha", "ids", ("MultiHeadAttention", {"num_heads": 2, "key_dim": 2})),
    ("attention_dot", "float", ("Attention", {})),
    ("attention_concat_scale", "float", ("Attention", {"use_scale": True, "score_mode": "concat"})),
    ("masked_attention_causal", "ids", ("Attention", {"use_scale": True, "causal": True})),
]


def build(keras, case):
    """The case's model with the given keras module (Keras 3 or tapeflow.keras)."""
    name, kind, (layer, args) = case
    args = dict(args)
    L = keras.layers
    if kind == "ids":
        inp = keras.Input((T,), dtype="int32")
        x = L.Embedding(VOCAB, D, mask_zero=layer != "Embedding")(inp) if layer != "Embedding" else inp
    else:
        inp = keras.Input((T, D))
        x = inp
    if layer == "Bidirectional":
        cell = getattr(L, args.pop("cell", "LSTM"))
        merge = args.pop("merge_mode", "concat")
        out = L.Bidirectional(cell(**args), merge_mode=merge)(x)
    elif layer == "TimeDistributed":
        out = L.TimeDistributed(L.Dense(args["units"], activation="tanh"))(x)
    elif layer == "MultiHeadAttention":
        causal = args.pop("causal", False)
        out = L.MultiHeadAttention(**args)(x, x, use_causal_mask=causal)
    elif layer == "Attention":
        causal = args.pop("causal", False)
        out = L.Attention(**args)([x, x], use_causal_mask=causal)
    elif layer == "GlobalAveragePooling1D":
        out = L.GlobalAveragePooling1D()(L.SimpleRNN(4, return_sequences=True)(x))
    else:
        out = getattr(L, layer)(**args)(x)
    return keras.Model(inp, out)


def make_input(kind, rng):
    if kind == "float":
        return rng.normal(size=(B, T, D)).astype("float32")
    ids = rng.integers(1, VOCAB, size=(B, T)).astype("int32")
    ids[0, 4:] = 0   # trailing padding
    ids[1, 1] = 0    # a masked step in the middle
    ids[2, :2] = 0   # leading padding
    return ids


def main():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras
    rng = np.random.default_rng(0)
    out = []
    for case in CASES:
        model = build(keras, case)
        x = make_input(case[1], rng)
        weights = [rng.normal(size=w.shape).astype("float32") * 0.5 for w in model.get_weights()]
        model.set_weights(weights)
        y = model(x)
        ys = [np.asarray(v).tolist() for v in (y if isinstance(y, (list, tuple)) else [y])]
        out.append({"name": case[0], "input": x.tolist(), "weights": [w.tolist() for w in weights],
                    "weight_shapes": [list(w.shape) for w in weights], "outputs": ys})
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sequence_reference.json")
    with open(path, "w") as f:
        json.dump({"keras_version": keras.__version__, "cases": out}, f)


if __name__ == "__main__":
    main()
