"""Sequence layers: Embedding (sparse gradients), SimpleRNN / LSTM / GRU (the fused C++ kernel and the stepped
path), Bidirectional, TimeDistributed, masks, MultiHeadAttention and Attention.

Keras reference outputs come from tests/reference/make_sequence_reference.py (Keras 3.15), which also builds the
models: the same ``build`` function runs here with tapeflow's keras."""
import json
import os
import sys

import numpy as np
import pytest

import tapeflow as tf
from tapeflow import _core, keras
from tapeflow.keras import layers
from layertest import check_layer
from opcheck import check_op

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "reference"))
import make_sequence_reference as seqref  # noqa: E402

REF = json.load(open(os.path.join(os.path.dirname(__file__), "reference", "sequence_reference.json")))


@pytest.mark.parametrize("case,rec", list(zip(seqref.CASES, REF["cases"])), ids=[c[0] for c in seqref.CASES])
def test_matches_keras(case, rec):
    model = seqref.build(keras, case)
    assert [list(w.shape) for w in model.get_weights()] == rec["weight_shapes"]
    model.set_weights([np.asarray(w, np.float32) for w in rec["weights"]])
    x = np.asarray(rec["input"], np.int32 if case[1] == "ids" else np.float32)
    y = model(x)
    ys = y if isinstance(y, (list, tuple)) else [y]
    assert len(ys) == len(rec["outputs"])
    for got, want in zip(ys, rec["outputs"]):
        np.testing.assert_allclose(np.asarray(got), np.asarray(want, np.float32), rtol=1e-5, atol=2e-6)


# ---------------------------------------------------------------- the fused op against NumPy loops
def _sig(x):
    return 1 / (1 + np.exp(-x))


def np_rnn(cell, xw, u, rbias, h0, c0, mask, rmask):
    """float64 loops: (hs, cs) as _core._rnn_sequence computes them (tanh / sigmoid activations)."""
    B, T, _ = xw.shape
    H = u.shape[0]
    h, c = h0.copy(), None if c0 is None else c0.copy()
    hs, cs = np.zeros((B, T, H)), np.zeros((B, T, H))
    for t in range(T):
        hin = h * rmask if rmask is not None else h
        a = hin @ u + rbias
        if cell == 0:
            hn, cn = np.tanh(xw[:, t] + a), None
        elif cell == 1:
            i, f, g, o = np.split(xw[:, t] + a, 4, axis=-1)
            cn = _sig(f) * c + _sig(i) * np.tanh(g)
            hn = _sig(o) * np.tanh(cn)
        else:
            xz, xr, xh = np.split(xw[:, t], 3, axis=-1)
            az, ar, ah = np.split(a, 3, axis=-1)
            z, r = _sig(xz + az), _sig(xr + ar)
            hn, cn = z * h + (1 - z) * np.tanh(xh + r * ah), None
        keep = np.ones((B, 1)) if mask is None else mask[:, t:t + 1]
        h = keep * hn + (1 - keep) * h
        if cn is not None:
            c = keep * cn + (1 - keep) * c
            cs[:, t] = c
        hs[:, t] = h
    return [hs, cs] if cell == 1 else hs


@pytest.mark.parametrize("cell", [0, 1, 2], ids=["simple_rnn", "lstm", "gru"])
@pytest.mark.parametrize("masked", [False, True], ids=["plain", "masked"])
def test_rnn_sequence_op(cell, masked):
    rng = np.random.default_rng(cell)
    B, T, H = 3, 5, 4
    G = (1, 4, 3)[cell]
    xw = rng.normal(size=(B, T, G * H))
    u = rng.normal(size=(H, G * H)) * 0.5
    h0 = rng.normal(size=(B, H)) * 0.5
    c0 = rng.normal(size=(B, H)) * 0.5 if cell == 1 else None
    rbias = rng.normal(size=(G * H,)) * 0.5
    mask = (rng.random((B, T)) > 0.3).astype(np.float64) if masked else None
    rmask = rng.random((B, H)) * 2 if masked else None
    args = [xw, u, h0, rbias] + ([c0] if cell == 1 else [])

    def split(a):
        return a[0], a[1], a[2], a[4] if cell == 1 else None, a[3]

    def tf_fn(*a):
        xw_, u_, h0_, c0_, rb_ = split(a)
        m = None if mask is None else tf.constant(mask.astype(np.float32))
        rm = None if rmask is None else tf.constant(rmask)
        out = _core._rnn_sequence(_core.RnnCell(cell), _core.Act.tanh, _core.Act.sigmoid, xw_, u_, rb_, h0_, c0_, m, rm)
        return out if cell == 1 else out[0]

    def np_fn(*a):
        xw_, u_, h0_, c0_, rb_ = split(a)
        return np_rnn(cell, xw_, u_, rb_, h0_, c0_, mask, rmask)

    check_op(tf_fn, np_fn, *args, rtol32=1e-4, atol32=1e-5)


def test_rnn_sequence_errors_and_empty_batch():
    with pytest.raises(ValueError, match="rnn_sequence"):
        _core._rnn_sequence(_core.RnnCell.lstm, _core.Act.tanh, _core.Act.sigmoid, np.zeros((2, 3, 8), np.float32), np.zeros((2, 7), np.float32), None,
                            np.zeros((2, 2), np.float32), np.zeros((2, 2), np.float32), None, None)
    with pytest.raises(ValueError, match="initial states"):
        _core._rnn_sequence(_core.RnnCell.lstm, _core.Act.tanh, _core.Act.sigmoid, np.zeros((2, 3, 8), np.float32), np.zeros((2, 8), np.float32), None,
                            np.zeros((2, 2), np.float32), None, None, None)
    with pytest.raises(ValueError, match="mask must have shape"):
        _core._rnn_sequence(_core.RnnCell.simple_rnn, _core.Act.tanh, _core.Act.sigmoid, np.zeros((2, 3, 2), np.float32), np.zeros((2, 2), np.float32), None,
                            np.zeros((2, 2), np.float32), None, np.ones((3, 2), np.float32), None)
    layer = layers.LSTM(3, return_sequences=True)
    assert tuple(layer(np.zeros((0, 4, 2), np.float32)).shape) == (0, 4, 3)
    with pytest.raises(ValueError, match="0 time steps"):
        layer(np.zeros((2, 0, 2), np.float32))
    with pytest.raises(ValueError, match="expected ndim=3"):
        layers.GRU(2)(np.zeros((2, 3), np.float32))


# ---------------------------------------------------------------- fused kernel == stepped Python path
@pytest.mark.parametrize("cls,kwargs", [
    (layers.SimpleRNN, {"activation": "relu"}),
    (layers.LSTM, {"recurrent_activation": "hard_sigmoid"}),
    (layers.GRU, {}),
    (layers.LSTM, {"dropout": 0.3, "recurrent_dropout": 0.4, "seed": 7}),
    (layers.GRU, {"dropout": 0.3, "recurrent_dropout": 0.4, "seed": 7}),
])
def test_fused_equals_unrolled_with_gradients(cls, kwargs):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 7, 3)).astype(np.float32)
    mask = np.ones((4, 7), bool)
    mask[1, 5:] = False
    mask[2, 2] = False
    fused = cls(5, return_sequences=True, **kwargs)
    stepped = cls(5, return_sequences=True, unroll=True, **kwargs)
    fused(x)
    stepped(x)
    stepped.set_weights(fused.get_weights())
    results = []
    for layer in (fused, stepped):
        keras.utils.set_random_seed(1)  # the same dropout masks for both
        with tf.GradientTape() as tape:
            y = layer(x, mask=tf.constant(mask), training=True)
            loss = tf.reduce_sum(y * np.linspace(-1, 1, y.shape[-1]).astype(np.float32))
        results.append([y.numpy()] + [g.numpy() for g in tape.gradient(loss, layer.trainable_weights)])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("cls", [layers.SimpleRNN, layers.LSTM, layers.GRU])
def test_leading_masked_steps_with_initial_state(cls):
    # Outputs before a row's first unmasked step are zeros while the (nonzero) initial state is carried.
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 5, 3)).astype(np.float32)
    mask = np.array([[False, False, True, True, False], [True] * 5])
    fused = cls(4, return_sequences=True, return_state=True)
    stepped = cls(4, return_sequences=True, return_state=True, unroll=True)
    fused(x)
    stepped(x)
    stepped.set_weights(fused.get_weights())
    init = [np.full((2, 4), 0.5, np.float32)] * (2 if cls is layers.LSTM else 1)
    outs = [[o.numpy() for o in layer(x, initial_state=init, mask=tf.constant(mask))] for layer in (fused, stepped)]
    for a, b in zip(*outs):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(outs[0][0][0, :2], 0.0)


@pytest.mark.parametrize("cls,kwargs", [(layers.SimpleRNN, {}), (layers.LSTM, {}), (layers.GRU, {}),
                                        (layers.LSTM, {"recurrent_activation": "hard_sigmoid"})])
def test_nan_propagates_as_in_the_stepped_path(cls, kwargs):
    x = np.zeros((2, 3, 2), np.float32)
    x[0, 1, 0] = np.nan
    fused, stepped = cls(3, return_sequences=True, **kwargs), cls(3, return_sequences=True, unroll=True, **kwargs)
    fused(x)
    stepped(x)
    stepped.set_weights(fused.get_weights())
    a, b = fused(x).numpy(), stepped(x).numpy()
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    assert np.isnan(a[0, 1:]).all() and not np.isnan(a[1]).any() and not np.isnan(a[0, 0]).any()


def test_second_derivative_needs_unroll():
    x = tf.constant(np.random.default_rng(0).normal(size=(2, 4, 3)).astype(np.float32))
    for unroll in (False, True):
        layer = layers.SimpleRNN(3, unroll=unroll)
        layer(x)
        with tf.GradientTape() as outer:
            with tf.GradientTape() as inner:
                y = tf.reduce_sum(layer(x) ** 2)
            g = inner.gradient(y, layer.recurrent_kernel)
            if not unroll:
                with pytest.raises(NotImplementedError, match="unroll=True"):
                    outer.gradient(tf.reduce_sum(g ** 2), layer.recurrent_kernel)
            else:
                assert outer.gradient(tf.reduce_sum(g ** 2), layer.recurrent_kernel) is not None


def test_layer_helpers():
    check_layer(layers.SimpleRNN, {"units": 3}, (2, 5, 4), (2, 3), 3)
    check_layer(layers.LSTM, {"units": 3, "return_sequences": True}, (2, 5, 4), (2, 5, 3), 3)
    check_layer(layers.GRU, {"units": 3, "reset_after": False}, (2, 5, 4), (2, 3), 3)
    check_layer(layers.RNN, {"cell": layers.GRUCell(3), "return_sequences": True}, (2, 5, 4), (2, 5, 3), 3)
    check_layer(layers.TimeDistributed, {"layer": layers.Dense(2)}, (2, 5, 4), (2, 5, 2), 2)
    check_layer(layers.Bidirectional, {"layer": layers.LSTM(3)}, (2, 5, 4), (2, 6), 6)
    check_layer(layers.Embedding, {"input_dim": 9, "output_dim": 3}, (2, 5), (2, 5, 3), 1,
                input_data=np.arange(10).reshape(2, 5) % 9)


def test_states_and_options():
    x = np.random.default_rng(1).normal(size=(2, 6, 3)).astype(np.float32)
    lstm = layers.LSTM(4, return_state=True)
    out, h, c = lstm(x)
    np.testing.assert_array_equal(out.numpy(), h.numpy())
    # initial_state continues a sequence: running the halves one after the other equals the whole.
    whole = layers.LSTM(4, return_sequences=True, return_state=True)
    seq, hw, cw = whole(x)
    first, h1, c1 = whole(x[:, :3])
    second, h2, c2 = whole(x[:, 3:], initial_state=[h1, c1])
    np.testing.assert_allclose(np.concatenate([first.numpy(), second.numpy()], 1), seq.numpy(), rtol=1e-6)
    # stateful layers carry the states between calls until reset_states
    stateful = layers.GRU(4, stateful=True)
    stateful(x[:, :3])
    carried = stateful(x[:, 3:]).numpy()
    gru = layers.GRU(4)
    gru(x)
    gru.set_weights(stateful.get_weights())
    np.testing.assert_allclose(carried, gru(x).numpy(), rtol=1e-6)
    stateful.reset_states()
    np.testing.assert_allclose(stateful(x[:, 3:]).numpy(), gru(x[:, 3:]).numpy(), rtol=1e-6)
    # the cell's arguments read through the layer, as in Keras
    assert lstm.units == 4 and lstm.cell.units == 4 and lstm.recurrent_activation is keras.activations.sigmoid
    assert [w.name for w in lstm.weights] == ["lstm_cell/kernel:0", "lstm_cell/recurrent_kernel:0",
                                               "lstm_cell/bias:0"]
    np.testing.assert_array_equal(lstm.cell.bias.numpy()[4:8], np.ones(4))  # unit_forget_bias


def test_custom_cell_through_rnn():
    class MinimalCell(layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.state_size = units

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
            self.built = True

        def call(self, inputs, states):
            h = tf.matmul(inputs, self.kernel) + states[0]
            return h, [h]

    x = np.ones((2, 4, 3), np.float32)
    layer = layers.RNN(MinimalCell(2), return_sequences=True)
    y = layer(x).numpy()
    step = x[:, 0] @ layer.cell.kernel.numpy()
    np.testing.assert_allclose(y, np.cumsum(np.repeat(step[:, None], 4, 1), 1), rtol=1e-6)


# ---------------------------------------------------------------- masks
def test_masks_propagate_from_embedding():
    ids = np.array([[3, 4, 0, 0], [5, 0, 6, 0]])
    emb = layers.Embedding(10, 2, mask_zero=True)
    e = emb(ids)
    np.testing.assert_array_equal(e._keras_mask.numpy(), ids != 0)
    seq = layers.LSTM(3, return_sequences=True)(e)
    np.testing.assert_array_equal(seq._keras_mask.numpy(), ids != 0)
    # masked steps repeat the previous output; the last output equals the last unmasked step's
    np.testing.assert_array_equal(seq.numpy()[0, 2], seq.numpy()[0, 1])
    assert getattr(layers.LSTM(3)(e), "_keras_mask", None) is None
    # Masking derives the mask from the features
    x = np.ones((2, 3, 2), np.float32)
    x[0, 1] = 0
    masked = layers.Masking()(x)
    np.testing.assert_array_equal(masked._keras_mask.numpy(), [[True, False, True], [True, True, True]])
    # padding does not change a masked model's predictions
    model = keras.Sequential([keras.Input((None,), dtype="int32"), layers.Embedding(10, 4, mask_zero=True),
                              layers.GRU(3), layers.Dense(1)])
    short = model(np.array([[3, 4, 5]])).numpy()
    padded = model(np.array([[3, 4, 5, 0, 0, 0]])).numpy()
    np.testing.assert_allclose(short, padded, rtol=1e-6)


# ---------------------------------------------------------------- sparse gradients
def test_embedding_gradient_is_indexed_slices():
    emb = layers.Embedding(50, 3)
    ids = np.array([[1, 4, 1], [7, 4, 0]])
    emb(ids)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(emb(ids) * 2.0)
    g = tape.gradient(loss, emb.embeddings)
    assert isinstance(g, tf.IndexedSlices)
    assert tuple(g.values.shape) == (6, 3) and tuple(g.shape) == (50, 3)
    np.testing.assert_array_equal(g.indices.numpy(), ids.ravel())
    dense = tf.convert_to_tensor(g).numpy()
    want = np.zeros((50, 3))
    np.add.at(want, ids.ravel(), 2.0)
    np.testing.assert_array_equal(dense, want)
    # a variable also used densely gets one dense gradient
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.gather(emb.embeddings, [2, 2])) + tf.reduce_sum(emb.embeddings * 3.0)
    g = tape.gradient(loss, emb.embeddings)
    assert isinstance(g, tf.Tensor)
    want = np.full((50, 3), 3.0)
    want[2] += 2
    np.testing.assert_array_equal(g.numpy(), want)


@pytest.mark.parametrize("make", [
    lambda: keras.optimizers.SGD(0.1),
    lambda: keras.optimizers.SGD(0.1, momentum=0.9, nesterov=True),
    lambda: keras.optimizers.Adam(0.01),
    lambda: keras.optimizers.Adam(0.01, amsgrad=True),
    lambda: keras.optimizers.RMSprop(0.01),
    lambda: keras.optimizers.RMSprop(0.01, momentum=0.5),
    lambda: keras.optimizers.Adagrad(0.1),
    lambda: keras.optimizers.Nadam(0.01),
    lambda: keras.optimizers.Adam(0.01, clipnorm=0.5),
], ids=["sgd", "nesterov", "adam", "amsgrad", "rmsprop", "rmsprop_momentum", "adagrad", "nadam", "clipnorm"])
def test_sparse_updates_equal_dense(make):
    rng = np.random.default_rng(0)
    start = rng.normal(size=(20, 3)).astype(np.float32)
    steps = [rng.integers(0, 20, size=6) for _ in range(4)]  # with repeated rows
    finals = []
    for sparse in (True, False):
        v = tf.Variable(start)
        opt = make()
        for ids in steps:
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum(tf.gather(v, ids) ** 2)
            g = tape.gradient(loss, v)
            assert isinstance(g, tf.IndexedSlices)
            opt.apply_gradients([(g if sparse else tf.convert_to_tensor(g), v)])
        finals.append(v.numpy())
    np.testing.assert_array_equal(finals[0], finals[1])


def test_sparse_update_errors():
    v = tf.Variable(np.zeros((4, 2), np.float32))
    opt = keras.optimizers.SGD(0.1)
    with pytest.raises(IndexError, match="out of range"):
        opt.apply_gradients([(tf.IndexedSlices(tf.ones([1, 2]), tf.constant([4]), [4, 2]), v)])
    with pytest.raises(ValueError, match="does not match"):
        opt.apply_gradients([(tf.IndexedSlices(tf.ones([1, 2]), tf.constant([1]), [5, 2]), v)])
    with pytest.raises(tf.errors.InvalidArgumentError, match="not in"):
        layers.Embedding(5, 2)(np.array([[5]]))
    table = np.arange(10, dtype=np.float32).reshape(5, 2)  # initial weights, as in Keras
    np.testing.assert_array_equal(layers.Embedding(5, 2, weights=[table])(np.array([[3, 0]])).numpy(), table[[[3, 0]]])


# ---------------------------------------------------------------- attention
def test_attention_options():
    rng = np.random.default_rng(0)
    q = rng.normal(size=(2, 3, 4)).astype(np.float32)
    v = rng.normal(size=(2, 5, 6)).astype(np.float32)
    mha = layers.MultiHeadAttention(num_heads=2, key_dim=3)
    out, scores = mha(q, v, return_attention_scores=True)
    assert tuple(out.shape) == (2, 3, 4) and tuple(scores.shape) == (2, 2, 3, 5)
    np.testing.assert_allclose(scores.numpy().sum(-1), 1.0, rtol=1e-6)
    mask = np.ones((2, 3, 5), bool)
    mask[:, :, 3:] = False
    _, scores = mha(q, v, attention_mask=mask, return_attention_scores=True)
    assert scores.numpy()[..., 3:].max() < 1e-6
    att = layers.Attention()
    out, w = att([q, q], return_attention_scores=True, use_causal_mask=True)
    np.testing.assert_allclose(np.triu(w.numpy()[0], 1), 0, atol=1e-7)
    with pytest.raises(ValueError, match="list of inputs"):
        layers.Attention()(q)
    with pytest.raises(ValueError, match="recurrent layer"):
        layers.Bidirectional(layers.Dense(3))
    with pytest.raises(NotImplementedError, match="attention_axes"):
        layers.MultiHeadAttention(2, 2, attention_axes=(1, 2))


def test_transformer_block_trains_and_reloads(tmp_path):
    keras.utils.set_random_seed(0)
    inp = keras.Input((8,), dtype="int32")
    x = layers.Embedding(20, 16)(inp)
    att = layers.MultiHeadAttention(num_heads=2, key_dim=8)(x, x)
    x = layers.LayerNormalization()(layers.Add()([x, att]))
    ff = layers.TimeDistributed(layers.Dense(16, activation="relu"))(x)
    x = layers.LayerNormalization()(layers.Add()([x, ff]))
    out = layers.Dense(1, activation="sigmoid")(layers.GlobalAveragePooling1D()(x))
    model = keras.Model(inp, out)
    rng = np.random.default_rng(0)
    ids = rng.integers(1, 20, size=(256, 8))
    y = (ids == 7).any(1).astype(np.float32)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    hist = model.fit(ids, y, epochs=12, batch_size=32, verbose=0)
    assert hist.history["accuracy"][-1] > 0.95
    for ext in (".keras", ".h5"):
        path = str(tmp_path / ("t" + ext))
        model.save(path)
        again = keras.models.load_model(path)
        np.testing.assert_allclose(again.predict(ids[:5], verbose=0), model.predict(ids[:5], verbose=0), rtol=1e-5)


# ---------------------------------------------------------------- acceptance: Embedding -> LSTM on a sequence task
def _first_vs_last(n, rng, steps=20):
    """Label 1 when the first token is larger than the last non-padding token (lengths 8..20, zero-padded)."""
    ids = rng.integers(1, 10, size=(n, steps))
    lengths = rng.integers(8, steps + 1, size=n)
    last = ids[np.arange(n), lengths - 1]
    keep = ids[:, 0] != last
    ids[np.arange(steps)[None, :] >= lengths[:, None]] = 0
    return ids[keep].astype(np.int32), (ids[keep, 0] > last[keep]).astype(np.float32)


def test_embedding_lstm_learns_sequence_task(tmp_path):
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x, y = _first_vs_last(4000, rng)
    xt, yt = _first_vs_last(1000, rng)
    model = keras.Sequential([keras.Input((20,), dtype="int32"), layers.Embedding(10, 16, mask_zero=True),
                              layers.LSTM(32), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=8, batch_size=64, verbose=0)
    loss, acc = model.evaluate(xt, yt, verbose=0)
    assert acc >= 0.95, acc
    path = str(tmp_path / "lstm.keras")
    model.save(path)
    np.testing.assert_allclose(keras.models.load_model(path).predict(xt[:8], verbose=0),
                               model.predict(xt[:8], verbose=0), rtol=1e-5)


def test_merge_layers_combine_masks():
    ids = np.array([[1, 2, 0], [3, 0, 0]])
    a = layers.Embedding(5, 2, mask_zero=True)(ids)
    b_ids = np.array([[1, 0, 4], [2, 2, 2]])
    b = layers.Embedding(5, 2, mask_zero=True)(b_ids)
    np.testing.assert_array_equal(layers.Add()([a, b])._keras_mask.numpy(), (ids != 0) & (b_ids != 0))
    # Concatenate along features: a step is kept if any input keeps it; an unmasked input keeps everything
    np.testing.assert_array_equal(layers.Concatenate()([a, b])._keras_mask.numpy(), (ids != 0) | (b_ids != 0))
    plain = tf.ones([2, 3, 2])
    np.testing.assert_array_equal(layers.Concatenate()([a, plain])._keras_mask.numpy(), np.ones((2, 3), bool))
    # the combined mask reaches a recurrent layer
    out = layers.GRU(2, return_sequences=True)(layers.Add()([a, b]))
    np.testing.assert_array_equal(out._keras_mask.numpy(), (ids != 0) & (b_ids != 0))
