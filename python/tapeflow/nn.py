"""tf.nn: activations and losses."""
from tapeflow._ops import (bias_add, elu, gelu, leaky_relu, log_softmax, relu, relu6, selu, sigmoid,  # noqa: F401
                           sigmoid_cross_entropy_with_logits, silu, softmax, softmax_cross_entropy_with_logits,
                           softplus, softsign, sparse_softmax_cross_entropy_with_logits, swish, tanh)
