"""Recurrent layers: the cells (SimpleRNNCell, LSTMCell, GRUCell), the generic ``RNN`` wrapper, and SimpleRNN,
LSTM and GRU.

A built-in cell whose activations the C++ kernel knows (linear, tanh, sigmoid, relu, hard_sigmoid; GRU with
``reset_after=True``) runs the whole sequence in one op, ``_core._rnn_sequence``: the input projection of every
step is one GEMM, each step one GEMM over all gates, and the backward pass a reverse-time kernel. Any other cell,
or ``unroll=True``, steps through time in Python with the cell's own ``call`` (composed of public ops, so it has
second derivatives). Both paths compute the same function, masks and dropout included.
"""
from tapeflow import _core
from tapeflow.keras import activations, backend, initializers, regularizers
from tapeflow.keras.layers.dropout import keep_mask
from tapeflow.keras.layers.layer import Layer

# What the fused kernel (_core._rnn_sequence) computes by name; the cells are filled in below the classes.
_CELL_CODES = {}
_ACT_CODES = {activations.linear: _core.Act.linear, activations.tanh: _core.Act.tanh,
              activations.sigmoid: _core.Act.sigmoid, activations.relu: _core.Act.relu,
              activations.hard_sigmoid: _core.Act.hard_sigmoid}


def _check_rate(name, value):
    if not 0 <= value <= 1:
        raise ValueError("Argument `%s` must be a float between 0 and 1. Received: %s=%r" % (name, name, value))
    return float(value)


class _Cell(Layer):
    """Shared parts of the built-in cells: weights, dropout masks (one per sequence, as Keras), config."""

    _gates = 1

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 **kwargs):
        kwargs.pop("implementation", None)
        super().__init__(**kwargs)
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise ValueError("Received an invalid value for argument `units`, expected a positive integer, got %r."
                             % (units,))
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = kernel_constraint
        self.recurrent_constraint = recurrent_constraint
        self.bias_constraint = bias_constraint
        self.dropout = _check_rate("dropout", dropout)
        self.recurrent_dropout = _check_rate("recurrent_dropout", recurrent_dropout)
        self.seed = seed
        self.reset_dropout_mask()

    @property
    def state_size(self):
        return self.units

    @property
    def output_size(self):
        return self.units

    def _bias_shape(self):
        return (self._gates * self.units,)

    def _bias_init(self):
        return self.bias_initializer

    def build(self, input_shape):
        n = self._gates * self.units
        self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], n), initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(name="recurrent_kernel", shape=(self.units, n),
                                                initializer=self.recurrent_initializer,
                                                regularizer=self.recurrent_regularizer,
                                                constraint=self.recurrent_constraint)
        self.bias = self.add_weight(name="bias", shape=self._bias_shape(), initializer=self._bias_init(),
                                    regularizer=self.bias_regularizer, constraint=self.bias_constraint) \
            if self.use_bias else None
        self.built = True

    # Dropout masks are drawn once per sequence and reused at every step.
    def reset_dropout_mask(self):
        self._dropout_mask = None
        self._recurrent_dropout_mask = None

    def get_dropout_mask(self, step_input):
        if self._dropout_mask is None and self.dropout > 0:
            self._dropout_mask = keep_mask(step_input.shape, self.dropout, step_input.dtype.name, self.seed)
        return self._dropout_mask

    def get_recurrent_dropout_mask(self, state):
        if self._recurrent_dropout_mask is None and self.recurrent_dropout > 0:
            self._recurrent_dropout_mask = keep_mask(state.shape, self.recurrent_dropout, state.dtype.name,
                                                      None if self.seed is None else self.seed + 1)
        return self._recurrent_dropout_mask

    def _dropped(self, inputs, h, training):
        """The step input and the state fed to the recurrent GEMM, with this sequence's dropout masks."""
        if training and self.dropout > 0:
            inputs = _core.multiply(inputs, self.get_dropout_mask(inputs))
        if training and self.recurrent_dropout > 0:
            h = _core.multiply(h, self.get_recurrent_dropout_mask(h))
        return inputs, h

    def _project(self, inputs):
        x = _core.matmul(inputs, self.kernel)
        bias = self._input_bias()
        return x if bias is None else _core.add(x, bias)

    def _input_bias(self):
        return self.bias

    def _fused_biases(self):
        """(bias added to x @ kernel, bias added to h @ recurrent_kernel) for the fused kernel: one bias can go
        with either product, and with h @ U it costs no extra pass over the projected inputs."""
        return None, self.bias

    def _fused_codes(self):
        """(cell, activation, recurrent activation) codes of the C++ kernel, or None when it cannot run this cell."""
        if type(self) not in _CELL_CODES:  # subclasses may change the step
            return None
        act = _ACT_CODES.get(self.activation)
        rec = _ACT_CODES.get(getattr(self, "recurrent_activation", activations.sigmoid))
        if act is None or rec is None:
            return None
        return _CELL_CODES[type(self)], act, rec

    def get_initial_state(self, batch_size=None, dtype=None):
        sizes = self.state_size if isinstance(self.state_size, (list, tuple)) else [self.state_size]
        return [_core.zeros([batch_size, s], dtype or self._dtype_name) for s in sizes]

    def get_config(self):
        config = super().get_config()
        config.update({
            "units": self.units, "activation": activations.serialize(self.activation), "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": None, "recurrent_constraint": None, "bias_constraint": None,
            "dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout, "seed": self.seed,
        })
        return config


class SimpleRNNCell(_Cell):
    """``h = activation(x @ kernel + h_prev @ recurrent_kernel + bias)``."""

    def call(self, inputs, states, training=False):
        h_prev = states[0] if isinstance(states, (list, tuple)) else states
        x, h_in = self._dropped(inputs, h_prev, training)
        h = self.activation(_core.add(self._project(x), _core.matmul(h_in, self.recurrent_kernel)))
        return h, [h]


class LSTMCell(_Cell):
    """The LSTM cell, gates in Keras's order (input, forget, cell, output):
    ``c = f * c_prev + i * activation(z_c)``, ``h = o * activation(c)``.

    ``unit_forget_bias=True`` starts the forget gate's bias at 1."""

    _gates = 4

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 unit_forget_bias=True, **kwargs):
        super().__init__(units, activation=activation, use_bias=use_bias, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = unit_forget_bias

    @property
    def state_size(self):
        return [self.units, self.units]

    def _bias_init(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        base, units = self.bias_initializer, self.units

        def init(shape, dtype=None):
            return _core.concat([_core.convert_to_tensor(base((units,), dtype=dtype)), _core.ones([units], dtype),
                                 _core.convert_to_tensor(base((2 * units,), dtype=dtype))], 0)
        return init

    def call(self, inputs, states, training=False):
        h_prev, c_prev = states[0], states[1]
        x, h_in = self._dropped(inputs, h_prev, training)
        z = _core.add(self._project(x), _core.matmul(h_in, self.recurrent_kernel))
        zi, zf, zc, zo = _core.split(z, 4, axis=-1)
        ra = self.recurrent_activation
        c = _core.add(_core.multiply(ra(zf), c_prev), _core.multiply(ra(zi), self.activation(zc)))
        h = _core.multiply(ra(zo), self.activation(c))
        return h, [h, c]

    def get_config(self):
        config = super().get_config()
        config.update({"recurrent_activation": activations.serialize(self.recurrent_activation),
                       "unit_forget_bias": self.unit_forget_bias})
        return config


class GRUCell(_Cell):
    """The GRU cell, gates in Keras's order (update z, reset r, candidate):
    ``h = z * h_prev + (1 - z) * activation(x_h + r * (h_prev @ U_h + b_h))`` with ``reset_after=True``
    (the default; the bias then has shape (2, 3 * units): input and recurrent biases), or
    ``activation(x_h + (r * h_prev) @ U_h)`` with ``reset_after=False``."""

    _gates = 3

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True, reset_after=True,
                 **kwargs):
        super().__init__(units, activation=activation, use_bias=use_bias, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = reset_after

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _input_bias(self):
        if self.bias is None or not self.reset_after:
            return self.bias
        return self.bias[0]

    def _recurrent_bias(self):
        return self.bias[1] if self.bias is not None and self.reset_after else None

    def _fused_biases(self):  # the reset gate multiplies only the recurrent part, so the two biases stay apart
        return self._input_bias(), self._recurrent_bias()

    def _fused_codes(self):
        return super()._fused_codes() if self.reset_after else None

    def call(self, inputs, states, training=False):
        h_prev = states[0] if isinstance(states, (list, tuple)) else states
        x, h_in = self._dropped(inputs, h_prev, training)
        xz, xr, xh = _core.split(self._project(x), 3, axis=-1)
        u = self.recurrent_kernel
        n = self.units
        ra = self.recurrent_activation
        if self.reset_after:
            inner = _core.matmul(h_in, u)
            rb = self._recurrent_bias()
            if rb is not None:
                inner = _core.add(inner, rb)
            rz, rr, rh = _core.split(inner, 3, axis=-1)
            z, r = ra(_core.add(xz, rz)), ra(_core.add(xr, rr))
            hh = self.activation(_core.add(xh, _core.multiply(r, rh)))
        else:
            rz, rr = _core.split(_core.matmul(h_in, u[:, :2 * n]), 2, axis=-1)
            z, r = ra(_core.add(xz, rz)), ra(_core.add(xr, rr))
            hh = self.activation(_core.add(xh, _core.matmul(_core.multiply(r, h_in), u[:, 2 * n:])))
        h = _core.add(_core.multiply(z, h_prev), _core.multiply(_core.subtract(1.0, z), hh))
        return h, [h]

    def get_config(self):
        config = super().get_config()
        config.update({"recurrent_activation": activations.serialize(self.recurrent_activation),
                       "reset_after": self.reset_after})
        return config


_CELL_CODES.update({SimpleRNNCell: _core.RnnCell.simple_rnn, LSTMCell: _core.RnnCell.lstm, GRUCell: _core.RnnCell.gru})


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


class RNN(Layer):
    """Runs a cell over the time axis of ``(batch, time, features)`` inputs.

    Args:
      cell: a cell with ``call(inputs, states, training)`` returning ``(output, new_states)`` and ``state_size``.
      return_sequences: return the output of every step (``(batch, time, units)``) rather than the last.
      return_state: also return the final states.
      go_backwards: process the sequence in reverse (the returned sequence is in processing order).
      stateful: carry the final states of one batch over as the initial states of the next call.
      unroll: step through time in Python even when the fused C++ kernel could run the cell.
      zero_output_for_mask: masked steps output zeros rather than the previous output.

    A mask (from ``Embedding(mask_zero=True)``, ``Masking`` or ``mask=``) of shape (batch, time) skips steps: a
    masked step leaves the states unchanged and repeats the previous output.
    """

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, zero_output_for_mask=False, **kwargs):
        if isinstance(cell, (list, tuple)):
            raise NotImplementedError("RNN with a list of cells (StackedRNNCells) is not supported in this version "
                                      "of tapeflow; stack RNN layers with return_sequences=True instead.")
        if not hasattr(cell, "call") or not hasattr(cell, "state_size"):
            raise ValueError("Argument `cell` should have a `call` method and a `state_size` attribute. "
                             "Received: cell=%r" % (cell,))
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences = return_sequences
        self.return_state = return_state
        self.go_backwards = go_backwards
        self.stateful = stateful
        self.unroll = unroll
        self.zero_output_for_mask = zero_output_for_mask
        self.supports_masking = True
        self._states = None

    def build(self, sequences_shape, initial_state_shape=None):
        if len(sequences_shape) != 3:
            raise ValueError("Input 0 of layer %r is incompatible with the layer: expected ndim=3, found ndim=%d. "
                             "Full shape received: %s" % (self.name, len(sequences_shape), tuple(sequences_shape)))
        if not self.cell.built:
            self.cell.build((sequences_shape[0], sequences_shape[-1]))
            self.cell.built = True
        self.built = True

    @property
    def states(self):
        return self._states

    def reset_states(self):
        self._states = None

    reset_state = reset_states

    def get_initial_state(self, batch_size):
        return self.cell.get_initial_state(batch_size=batch_size, dtype=self._dtype_name) \
            if hasattr(self.cell, "get_initial_state") else \
            [_core.zeros([batch_size, s], self._dtype_name) for s in _as_list(self.cell.state_size)]

    def call(self, sequences, initial_state=None, mask=None, training=False):
        if sequences.ndim != 3:
            raise ValueError("Layer %r expects inputs of shape (batch, time, features), got %s"
                             % (self.name, tuple(sequences.shape)))
        batch, steps = sequences.shape[0], sequences.shape[1]
        if steps == 0:
            raise ValueError("Layer %r received a sequence with 0 time steps" % self.name)
        if initial_state is None and self.stateful and self._states is not None:
            initial_state = self._states
        states = self.get_initial_state(batch) if initial_state is None else \
            [_core.cast(_core.convert_to_tensor(s), self._dtype_name) for s in _as_list(initial_state)]
        n_states = len(_as_list(self.cell.state_size))
        if len(states) != n_states:
            raise ValueError("Layer %r expects %d initial states, got %d" % (self.name, n_states, len(states)))
        if mask is not None:
            mask = _core.cast(mask, sequences.dtype.name)
        if self.go_backwards:
            sequences = _core.reverse(sequences, [1])
            if mask is not None:
                mask = _core.reverse(mask, [1])
        if hasattr(self.cell, "reset_dropout_mask"):
            self.cell.reset_dropout_mask()
        codes = None if self.unroll or not hasattr(self.cell, "_fused_codes") else self.cell._fused_codes()
        if codes is not None:
            outputs, last, states = self._fused(codes, sequences, states, mask, training)
        else:
            outputs, last, states = self._stepped(sequences, states, mask, training)
        if hasattr(self.cell, "reset_dropout_mask"):
            self.cell.reset_dropout_mask()
        if self.stateful:
            self._states = [_core.stop_gradient(s) for s in states]
        if self.return_sequences:
            out = outputs
            if self.zero_output_for_mask and mask is not None:
                out = _core.multiply(out, _core.expand_dims(mask, -1))
        else:
            out = last
        return [out] + list(states) if self.return_state else out

    def _fused(self, codes, sequences, states, mask, training):
        cell = self.cell
        batch, steps, features = sequences.shape
        x = sequences
        if training and cell.dropout > 0:
            x = _core.multiply(x, _core.expand_dims(cell.get_dropout_mask(sequences[:, 0]), 1))
        input_bias, rbias = cell._fused_biases()
        xw = _core.matmul(_core.reshape(x, [batch * steps, features]), cell.kernel)
        if input_bias is not None:
            xw = _core.add(xw, input_bias)
        xw = _core.reshape(xw, [batch, steps, cell.kernel.shape[-1]])
        rmask = cell.get_recurrent_dropout_mask(states[0]) if training and cell.recurrent_dropout > 0 else None
        c0 = states[1] if len(states) > 1 else None
        outs = _core._rnn_sequence(codes[0], codes[1], codes[2], xw, cell.recurrent_kernel, rbias, states[0], c0,
                                   mask, rmask)
        hs = outs[0]
        final = [hs[:, steps - 1]] + [o[:, steps - 1] for o in outs[1:]]
        if mask is None:
            return hs, final[0], final
        # The kernel carries the states through masked steps; the outputs of steps before a row's first unmasked
        # one are zeros (as Keras starts the previous output at zero), even with a nonzero initial state.
        seen = _core.cast(_core.greater(_core.cumsum(mask, axis=1), 0.0), hs.dtype.name)
        outputs = _core.multiply(hs, _core.expand_dims(seen, -1))
        return outputs, outputs[:, steps - 1], final

    def _stepped(self, sequences, states, mask, training):
        kwargs = {"training": training} if "training" in getattr(type(self.cell), "_call_params", ()) else {}
        outputs, prev = [], None
        for t in range(sequences.shape[1]):
            out, new_states = self.cell.call(sequences[:, t], states, **kwargs)
            new_states = _as_list(new_states)
            if mask is not None:
                m = _core.expand_dims(mask[:, t], -1)
                if prev is None:
                    prev = _core.zeros_like(out)
                out = _core.where(_core.cast(m, "bool"), out, prev)
                new_states = [_core.where(_core.cast(m, "bool"), n, s) for n, s in zip(new_states, states)]
            outputs.append(out)
            prev, states = out, new_states
        return _core.stack(outputs, 1), outputs[-1], states

    def compute_mask(self, inputs, mask=None):
        out = mask if self.return_sequences else None
        if self.return_state:
            return [out] + [None] * len(_as_list(self.cell.state_size))
        return out

    def get_config(self):
        from tapeflow.keras.saving.serialization import serialize_keras_object
        config = super().get_config()
        config.update({"return_sequences": self.return_sequences, "return_state": self.return_state,
                       "go_backwards": self.go_backwards, "stateful": self.stateful, "unroll": self.unroll,
                       "zero_output_for_mask": self.zero_output_for_mask})
        if type(self) is RNN:
            config["cell"] = serialize_keras_object(self.cell)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from tapeflow.keras.saving.serialization import with_sublayers
        return cls(**with_sublayers(config, ("cell",), custom_objects))


_RNN_ARGS = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll", "zero_output_for_mask",
             "name", "trainable", "dtype", "input_shape", "batch_input_shape", "batch_size", "input_dim",
             "activity_regularizer")


class _BuiltinRNN(RNN):
    """SimpleRNN, LSTM and GRU: an RNN that builds its own cell from the layer's arguments."""

    _cell_class = None

    def __init__(self, units, **kwargs):
        kwargs.pop("use_cudnn", None)
        kwargs.pop("time_major", None)
        layer_kwargs = {k: kwargs.pop(k) for k in list(kwargs) if k in _RNN_ARGS}
        cell = self._cell_class(units, name=backend.to_snake_case(self._cell_class.__name__),
                                dtype=layer_kwargs.get("dtype"), **kwargs)
        super().__init__(cell, **layer_kwargs)

    def __getattr__(self, name):
        # units, activation, dropout, ...: the cell's arguments read through the layer, as in Keras.
        if name != "cell" and "cell" in self.__dict__ and not name.startswith("_") and \
                hasattr(self.__dict__["cell"], name):
            return getattr(self.__dict__["cell"], name)
        raise AttributeError("%r object has no attribute %r" % (type(self).__name__, name))

    def get_config(self):
        config = super().get_config()
        cell_config = self.cell.get_config()
        for key in ("name", "trainable", "dtype"):
            cell_config.pop(key, None)
        config.update(cell_config)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config.pop("cell", None)
        config.pop("time_major", None)
        return cls(**config)


class SimpleRNN(_BuiltinRNN):
    """A fully connected RNN: ``h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)``.

    Args: units, activation (tanh), use_bias, the kernel / recurrent / bias initializers, regularizers and
    constraints, dropout and recurrent_dropout (fractions dropped from the inputs and from the state fed to the
    recurrent kernel, with one mask per sequence), seed, and the ``RNN`` arguments."""

    _cell_class = SimpleRNNCell


class LSTM(_BuiltinRNN):
    """Long short-term memory (Hochreiter and Schmidhuber, 1997), as tf.keras's LSTM: gates i, f, c, o;
    weights ``kernel`` (features, 4 units), ``recurrent_kernel`` (units, 4 units), ``bias`` (4 units).

    Args: units, activation (tanh), recurrent_activation (sigmoid), use_bias, unit_forget_bias, the
    initializers, regularizers and constraints, dropout, recurrent_dropout, seed, and the ``RNN`` arguments.
    With ``return_state`` the layer returns ``[output, h, c]``."""

    _cell_class = LSTMCell


class GRU(_BuiltinRNN):
    """Gated recurrent unit, as tf.keras's GRU (``reset_after=True`` by default, bias (2, 3 units)).

    Args: units, activation (tanh), recurrent_activation (sigmoid), use_bias, reset_after, the initializers,
    regularizers and constraints, dropout, recurrent_dropout, seed, and the ``RNN`` arguments."""

    _cell_class = GRUCell
