"""keras.ops.nn: the neural-network functions of keras.ops under their submodule's name."""
from tapeflow.keras.ops import (average_pool, binary_crossentropy, categorical_crossentropy, conv, elu,  # noqa: F401
                                gelu, hard_sigmoid, hard_swish, leaky_relu, log_softmax, max_pool, moments, one_hot,
                                relu, relu6, selu, sigmoid, silu, softmax, softplus, softsign,
                                sparse_categorical_crossentropy, swish)
