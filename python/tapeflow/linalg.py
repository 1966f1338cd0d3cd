"""tf.linalg: matrix products."""
from tapeflow._ops import eye, matmul, tensordot, transpose  # noqa: F401

matrix_transpose = transpose
