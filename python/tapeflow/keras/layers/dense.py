"""keras.layers.Dense."""
from tapeflow import _core
from tapeflow.keras import activations, initializers, regularizers
from tapeflow.keras.layers.input_spec import InputSpec
from tapeflow.keras.layers.layer import Layer

# Activations the C++ dense op applies in the GEMM epilogue (codes of cpu::Act). Not sigmoid and softmax: their
# outputs keep the logits for the cross-entropy losses (activations._keep_logits).
_FUSED_ACTIVATIONS = {activations.linear: _core.Act.linear, activations.tanh: _core.Act.tanh,
                      activations.relu: _core.Act.relu, activations.gelu: _core.Act.gelu}


class Dense(Layer):
    """A densely connected layer: ``activation(inputs @ kernel + bias)``.

    Args:
      units: positive int, the size of the output's last axis.
      activation: an activation name or callable (default: none, linear).
      use_bias: whether to add a bias vector.
      kernel_initializer, bias_initializer: initializers (default glorot_uniform and zeros).
      kernel_regularizer, bias_regularizer, activity_regularizer: optional penalties.
      kernel_constraint, bias_constraint: optional projections applied after each update.

    Input shape: ``(batch, ..., input_dim)``. Output shape: ``(batch, ..., units)``.
    """

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, lora_rank=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if lora_rank is not None:
            raise NotImplementedError("Dense(lora_rank=...) is not supported in this version of tapeflow.")
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            try:
                ok = int(units) == units and int(units) > 0
            except (TypeError, ValueError):
                ok = False
            if not ok:
                raise ValueError("Received an invalid value for `units`, expected a positive integer. "
                                 "Received: units=%r" % (units,))
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = kernel_constraint
        self.bias_constraint = bias_constraint
        self.input_spec = InputSpec(min_ndim=2)
        self.supports_masking = True

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError("The last dimension of the inputs to a Dense layer should be defined. Found None. "
                             "Full input shape received: %s" % (input_shape,))
        self.kernel = self.add_weight(name="kernel", shape=(input_dim, self.units), initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self.units,), initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        else:
            self.bias = None
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})
        self.built = True

    def call(self, inputs):
        if not inputs.dtype.is_floating:  # integer features: computed in the layer's dtype, as Keras does
            inputs = _core.cast(inputs, self.compute_dtype)
        code = _FUSED_ACTIVATIONS.get(self.activation)
        if code is not None:  # one GEMM with the bias and activation applied to each finished tile
            return _core.dense(inputs, self.kernel, self.bias, code)
        x = _core.matmul(inputs, self.kernel)
        if self.bias is not None:
            x = _core.add(x, self.bias)
        return self.activation(x)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)[:-1] + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update({
            "units": self.units, "activation": activations.serialize(self.activation), "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": None, "bias_constraint": None,
        })
        return config
