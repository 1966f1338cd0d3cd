"""keras.layers.Embedding and keras.layers.Masking."""
from tapeflow import _core
from tapeflow.keras import initializers, regularizers
from tapeflow.keras.layers.layer import Layer


class Embedding(Layer):
    """Maps integer indices in [0, input_dim) to rows of a trainable (input_dim, output_dim) matrix.

    Args:
      input_dim: the vocabulary size. output_dim: the size of each vector.
      embeddings_initializer: default ``uniform`` (U(-0.05, 0.05)). embeddings_regularizer, embeddings_constraint.
      mask_zero: index 0 is padding: the layer outputs a mask (``inputs != 0``) that recurrent layers,
        ``GlobalAveragePooling1D`` and other mask-aware layers honour.

    Inputs of any integer dtype (floats are cast to int32). The gradient of the embeddings is sparse
    (``tf.IndexedSlices`` of the looked-up rows): optimizers update those rows without a dense
    (input_dim, output_dim) gradient.
    """

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", embeddings_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, weights=None, lora_rank=None, input_length=None,
                 **kwargs):
        super().__init__(weights=weights, **kwargs)  # input_length: tf.keras 2's argument, not needed
        if lora_rank is not None:
            raise NotImplementedError("Embedding(lora_rank=...) is not supported in this version of tapeflow.")
        for arg, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError("Both `input_dim` and `output_dim` should be positive, Received %s=%r"
                                 % (arg, value))
        self.input_dim = input_dim
        self.output_dim = output_dim
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = embeddings_constraint
        self.mask_zero = mask_zero
        self.supports_masking = mask_zero
        self.autocast = False

    def build(self, input_shape=None):
        self.embeddings = self.add_weight(name="embeddings", shape=(self.input_dim, self.output_dim),
                                          initializer=self.embeddings_initializer,
                                          regularizer=self.embeddings_regularizer,
                                          constraint=self.embeddings_constraint)
        self.built = True

    def call(self, inputs):
        if not isinstance(inputs, _core.Tensor):
            inputs = _core.convert_to_tensor(inputs)
        if inputs.dtype.name not in ("int32", "int64"):
            inputs = _core.cast(inputs, "int32")
        return _core.gather(self.embeddings, inputs)

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return _core.not_equal(inputs, 0)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self):
        config = super().get_config()
        config.update({
            "input_dim": self.input_dim, "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "embeddings_constraint": None, "mask_zero": self.mask_zero,
        })
        return config


class Masking(Layer):
    """Masks time steps whose features all equal ``mask_value``: they are zeroed and the layer outputs the mask
    ``any(inputs != mask_value, axis=-1)`` for the layers downstream."""

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = mask_value
        self.supports_masking = True

    def compute_mask(self, inputs, mask=None):
        return _core.reduce_any(_core.not_equal(inputs, self.mask_value), axis=-1)

    def call(self, inputs):
        keep = _core.cast(self.compute_mask(inputs), inputs.dtype.name)
        return _core.multiply(inputs, _core.expand_dims(keep, -1))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config["mask_value"] = self.mask_value
        return config
