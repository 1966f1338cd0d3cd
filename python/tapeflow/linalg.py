"""tf.linalg: matrix products."""
from tapeflow._ops import eye, global_norm, matmul, tensordot, transpose  # noqa: F401

matrix_transpose = transpose
