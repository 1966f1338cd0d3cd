"""keras.layers.Reshape."""
import numpy as np

from tapeflow import _core
from tapeflow.keras.layers.layer import Layer


class Reshape(Layer):
    """Reshapes each sample to ``target_shape`` (one entry may be -1).

    Input shape: ``(batch, ...)``. Output shape: ``(batch,) + target_shape``.
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(int(d) for d in target_shape)
        if sum(d == -1 for d in self.target_shape) > 1 or any(d < -1 or d == 0 for d in self.target_shape):
            raise ValueError("Invalid `target_shape` %s: dimensions must be positive, with at most one -1"
                             % (self.target_shape,))

    def _resolve(self, sample_shape):
        known = int(np.prod([d for d in self.target_shape if d != -1], dtype=np.int64))
        if any(d is None for d in sample_shape):
            return tuple(None if d == -1 else d for d in self.target_shape)
        total = int(np.prod(sample_shape, dtype=np.int64))
        if -1 in self.target_shape:
            if known == 0 or total % known:
                raise ValueError("The total size of the tensor must be unchanged. Received: input_shape=%s, "
                                 "target_shape=%s" % (tuple(sample_shape), self.target_shape))
            return tuple(total // known if d == -1 else d for d in self.target_shape)
        if total != known:
            raise ValueError("The total size of the tensor must be unchanged. Received: input_shape=%s, "
                             "target_shape=%s" % (tuple(sample_shape), self.target_shape))
        return self.target_shape

    def call(self, inputs):
        shape = self._resolve(tuple(inputs._shape[1:]))
        return _core.reshape(inputs, [inputs._shape[0]] + list(shape))

    def compute_output_shape(self, input_shape):
        return (tuple(input_shape)[0],) + self._resolve(tuple(input_shape)[1:])

    def get_config(self):
        config = super().get_config()
        config["target_shape"] = self.target_shape
        return config
