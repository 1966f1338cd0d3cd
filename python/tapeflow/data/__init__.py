"""tf.data: input pipelines (``tf.data.Dataset``) with TensorFlow's semantics; see dataset_ops."""
from tapeflow.data import experimental  # noqa: F401
from tapeflow.data.dataset_ops import AUTOTUNE, Dataset, Options  # noqa: F401
