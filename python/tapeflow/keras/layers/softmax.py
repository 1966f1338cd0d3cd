"""keras.layers.Softmax."""
from tapeflow import _core
from tapeflow.keras import activations
from tapeflow.keras.layers.layer import Layer

_MASKED = -1e9  # the logit a masked position takes (Keras's large negative number for float32)


class Softmax(Layer):
    """Softmax over ``axis`` (an int, or several axes normalised together). With a mask (a call argument, or a
    Keras mask carried by the input), masked positions get probability 0; an axis masked whole gives zeros.

    Args:
      axis: the axis or axes to normalise over (default -1).

    Input shape: any. Output shape: the input's.
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else axis
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is not None:
            mask = _core.convert_to_tensor(mask)
            keep = mask if mask.dtype.name == "bool" else _core.greater(mask, _core.cast(0.5, mask.dtype.name))
            inputs = _core.where(keep, inputs, _core.cast(_MASKED, inputs.dtype.name))
        if isinstance(self.axis, list) and len(self.axis) > 1:
            outputs = _core.exp(_core.subtract(inputs, _core.reduce_logsumexp(inputs, self.axis, True)))
        else:
            outputs = activations.softmax(inputs, axis=self.axis[0] if isinstance(self.axis, list) else self.axis)
        if mask is not None:
            outputs = _core.where(keep, outputs, _core.zeros_like(outputs))
        return outputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config
