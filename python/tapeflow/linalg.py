"""tf.linalg: matrix products."""
from tapeflow import _core
from tapeflow._ops import einsum, eye, global_norm, matmul, tensordot, transpose  # noqa: F401


def matrix_transpose(a, name="matrix_transpose", conjugate=False):
    """Swaps the last two axes (of each matrix in a batch)."""
    a = _core.convert_to_tensor(a)
    if a.ndim < 2:
        raise ValueError("Argument `a` should be a (batch) matrix with rank >= 2. Received `a` = %s with shape: %s"
                         % (a, a.shape))
    perm = list(range(a.ndim - 2)) + [a.ndim - 1, a.ndim - 2]
    return _core.transpose(a, perm)
