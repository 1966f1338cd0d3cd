"""keras.random: random tensors with Keras 3's seed rules. An int ``seed`` gives the same values on every call; a
``keras.random.SeedGenerator`` gives a new draw each call (also each replay of a recorded step), from a stream its
seed fixes; no seed draws from the global stream (``keras.utils.set_random_seed`` fixes it)."""
import numpy as np

from tapeflow import _core, dtypes
from tapeflow.keras import backend


class SeedGenerator:
    """A seeded stream of draws: each random call that takes it draws the next values."""

    def __init__(self, seed=None, name=None, **kwargs):
        self.seed = int(np.random.randint(2 ** 31)) if seed is None else int(seed)
        self.name = name

    def get_config(self):
        return {"seed": self.seed}


def _seed_args(seed):
    """(op seed, stateless) for the random ops."""
    if isinstance(seed, SeedGenerator):
        return seed.seed, False
    return (None, False) if seed is None else (int(seed), True)


def _dtype(dtype):
    return dtypes.as_dtype(dtype or backend.floatx()).name


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    op_seed, stateless = _seed_args(seed)
    return _core.random_normal(list(shape), float(mean), float(stddev), _dtype(dtype), op_seed, stateless=stateless)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    op_seed, stateless = _seed_args(seed)
    return _core.truncated_normal(list(shape), float(mean), float(stddev), _dtype(dtype), op_seed, stateless=stateless)


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    op_seed, stateless = _seed_args(seed)
    return _core.random_uniform(list(shape), minval, maxval, _dtype(dtype), op_seed, stateless=stateless)


def randint(shape, minval, maxval, dtype="int32", seed=None):
    op_seed, stateless = _seed_args(seed)
    return _core.random_uniform(list(shape), minval, maxval, dtypes.as_dtype(dtype).name, op_seed,
                                stateless=stateless)


def dropout(inputs, rate, noise_shape=None, seed=None):
    """Zeroes each value with probability ``rate`` and scales the others by 1 / (1 - rate)."""
    x = _core.convert_to_tensor(inputs)
    keep = _core.greater_equal(uniform(noise_shape or tuple(x.shape), dtype=x.dtype.name, seed=seed), rate)
    return _core.where(keep, _core.divide(x, 1.0 - rate), _core.zeros_like(x))


def shuffle(x, axis=0, seed=None):
    """``x`` with its slices along ``axis`` in a random order."""
    x = _core.convert_to_tensor(x)
    keys = np.asarray(uniform((x.shape[axis],), seed=seed))  # the order is read on the host (eager only)
    return _core.gather(x, _core.convert_to_tensor(np.argsort(keys, kind="stable").astype("int64")), axis=axis)
