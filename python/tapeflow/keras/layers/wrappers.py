"""keras.layers.Bidirectional and keras.layers.TimeDistributed."""
from tapeflow import _core
from tapeflow.keras.layers.layer import Layer
from tapeflow.keras.layers.rnn import _as_list

_MERGE_MODES = ("sum", "mul", "ave", "concat", None)


def _clone(layer, **overrides):
    """A fresh copy of ``layer`` from its config, with some config entries replaced."""
    from tapeflow.keras.saving.serialization import deserialize_keras_object, serialize_keras_object
    config = serialize_keras_object(layer)
    config["config"].update(overrides)
    return deserialize_keras_object(config)


class Bidirectional(Layer):
    """Runs a recurrent layer forwards and a copy of it backwards over the sequence and merges the outputs.

    Args:
      layer: an RNN layer (SimpleRNN, LSTM, GRU or RNN); it is copied from its config as ``forward_<name>``.
      merge_mode: ``"concat"`` (default), ``"sum"``, ``"mul"``, ``"ave"`` or None (a list of both outputs).
      backward_layer: an optional layer for the backward direction (``go_backwards`` must differ); by default a
        copy of ``layer`` with ``go_backwards=True`` named ``backward_<name>``.

    With ``return_sequences`` the backward outputs are flipped back to input order and masked steps output
    zeros. With ``return_state`` the forward states come before the backward ones.
    """

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError("Please initialize `Bidirectional` layer with a `keras.layers.Layer` instance. "
                             "Received: %r" % (layer,))
        if not hasattr(layer, "go_backwards") or not hasattr(layer, "return_sequences"):
            raise ValueError("`Bidirectional` wraps a recurrent layer (SimpleRNN, LSTM, GRU or RNN). Received: %r"
                             % (layer,))
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError("`backward_layer` need to be a `keras.layers.Layer` instance. Received: %r"
                             % (backward_layer,))
        if merge_mode not in _MERGE_MODES:
            raise ValueError("Invalid merge mode. Received: %r. Merge mode should be one of "
                             '{"sum", "mul", "ave", "concat", None}' % (merge_mode,))
        super().__init__(weights=weights, **kwargs)
        self.forward_layer = _clone(layer, name="forward_" + layer.name.removeprefix("forward_"))
        if backward_layer is None:
            backward_layer = _clone(layer, go_backwards=not layer.go_backwards,
                                    name="backward_" + layer.name.removeprefix("backward_"))
        self.backward_layer = backward_layer
        if self.forward_layer.go_backwards == self.backward_layer.go_backwards:
            raise ValueError("Forward layer and backward layer should have different `go_backwards` value.")
        for attr in ("stateful", "return_sequences", "return_state"):
            if getattr(self.forward_layer, attr) != getattr(self.backward_layer, attr):
                raise ValueError('Forward layer and backward layer are expected to have the same value for '
                                 'attribute "%s"' % attr)
        for sub in (self.forward_layer, self.backward_layer):
            sub.zero_output_for_mask = sub.return_sequences
        self.merge_mode = merge_mode
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.stateful = layer.stateful
        self.supports_masking = True

    def build(self, sequences_shape, initial_state_shape=None):
        for sub in (self.forward_layer, self.backward_layer):
            if not sub.built:
                sub._maybe_build(_core.zeros([1 if d is None else d for d in sequences_shape], self._dtype_name))
        self.built = True

    def call(self, sequences, initial_state=None, mask=None, training=None):
        fwd_state = bwd_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            fwd_state, bwd_state = list(initial_state[:half]), list(initial_state[half:])
        y = self.forward_layer(sequences, initial_state=fwd_state, mask=mask, training=training)
        y_rev = self.backward_layer(sequences, initial_state=bwd_state, mask=mask, training=training)
        states = ()
        if self.return_state:
            states = tuple(y[1:]) + tuple(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = _core.reverse(y_rev, [1])
        if self.merge_mode == "concat":
            output = _core.concat([y, y_rev], -1)
        elif self.merge_mode == "sum":
            output = _core.add(y, y_rev)
        elif self.merge_mode == "ave":
            output = _core.multiply(_core.add(y, y_rev), 0.5)
        elif self.merge_mode == "mul":
            output = _core.multiply(y, y_rev)
        else:
            output = [y, y_rev]
        if self.return_state:
            return (list(output) if self.merge_mode is None else [output]) + list(states)
        return output

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if self.return_sequences:
            out = [mask, mask] if self.merge_mode is None else mask
        else:
            out = [None, None] if self.merge_mode is None else None
        if self.return_state:
            n = 2 * len(_as_list(self.forward_layer.cell.state_size))
            return (out if isinstance(out, list) else [out]) + [None] * n
        return out

    def reset_states(self):
        self.forward_layer.reset_states()
        self.backward_layer.reset_states()

    def get_config(self):
        from tapeflow.keras.saving.serialization import serialize_keras_object
        config = super().get_config()
        config.update({"merge_mode": self.merge_mode, "layer": serialize_keras_object(self.forward_layer),
                       "backward_layer": serialize_keras_object(self.backward_layer)})
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from tapeflow.keras.saving.serialization import with_sublayers
        return cls(**with_sublayers(config, ("layer", "backward_layer"), custom_objects))


class TimeDistributed(Layer):
    """Applies ``layer`` to every time step of ``(batch, time, ...)`` inputs: the batch and time axes are folded
    into one for a single call of the wrapped layer, then unfolded."""

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError("Please initialize `TimeDistributed` layer with a `keras.layers.Layer` instance. "
                             "Received: %r" % (layer,))
        super().__init__(**kwargs)
        self.layer = layer
        self.supports_masking = True

    def build(self, input_shape):
        if len(input_shape) < 3:
            raise ValueError("`TimeDistributed` Layer should be passed an `input_shape` with at least 3 dimensions, "
                             "received: %s" % (tuple(input_shape),))
        if not self.layer.built:
            self.layer._maybe_build(_core.zeros([1] + [1 if d is None else d for d in input_shape[2:]],
                                                self._dtype_name))
        self.built = True

    def call(self, inputs, training=None, mask=None):
        shape = inputs.shape
        if len(shape) < 3:
            raise ValueError("`TimeDistributed` Layer should be passed inputs with at least 3 dimensions, received "
                             "shape %s" % (tuple(shape),))
        folded = _core.reshape(inputs, [shape[0] * shape[1]] + list(shape[2:]))
        kwargs = {"training": training} if "training" in type(self.layer)._call_params else {}
        y = self.layer(folded, **kwargs)
        return _core.reshape(y, [shape[0], shape[1]] + list(y.shape[1:]))

    def get_config(self):
        from tapeflow.keras.saving.serialization import serialize_keras_object
        config = super().get_config()
        config["layer"] = serialize_keras_object(self.layer)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from tapeflow.keras.saving.serialization import with_sublayers
        return cls(**with_sublayers(config, ("layer",), custom_objects))
