"""tf.math: the elementwise, reduction and scan ops."""
from tapeflow._ops import *  # noqa: F401,F403
from tapeflow._ops import _CORE_OPS, add_n, l2_normalize, mod, tensordot, top_k  # noqa: F401

__all__ = list(_CORE_OPS) + ["add_n", "l2_normalize", "mod", "tensordot", "top_k"]
