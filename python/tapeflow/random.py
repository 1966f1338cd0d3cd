"""tf.random: seeded, counter-based (Philox) random tensors. A seed gives the same
numbers on every machine and for any thread count."""
from tapeflow import _core

set_seed = _core.set_seed


def uniform(shape, minval=0, maxval=None, dtype="float32", seed=None, name=None):
    """Uniform values in [minval, maxval); integer dtypes require ``maxval``."""
    return _core.random_uniform(shape, minval, maxval, dtype, seed)


def normal(shape, mean=0.0, stddev=1.0, dtype="float32", seed=None, name=None):
    return _core.random_normal(shape, float(mean), float(stddev), dtype, seed)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype="float32", seed=None, name=None):
    """Normal values redrawn until within two standard deviations of the mean."""
    return _core.truncated_normal(shape, float(mean), float(stddev), dtype, seed)
