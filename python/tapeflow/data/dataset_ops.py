"""tf.data.Dataset: input pipelines with TensorFlow's semantics.

An element is a structure (tuples, namedtuples and dicts; a Python list is data, converted to a tensor, as
TensorFlow does) of tensors. Each dataset is a recipe; iterating it (``for x in ds``, ``iter(ds)``, ``fit(ds)``)
runs the recipe from the start, so a pipeline with ``shuffle`` draws a new order on every pass unless
``reshuffle_each_iteration=False``.

Where the numbers move: a chain of ``from_tensor_slices`` / ``range`` then ``shuffle``, ``repeat``, ``skip``,
``take``, ``shard`` and ``batch`` is planned as streams of row indices (the shuffle buffer runs in C++ over
indices), and each batch is one gather per component in C++: no Python per element. Other transformations
(``map``, ``filter``, generators, windows) pass elements through Python, as TensorFlow's eager iteration
would call Python functions per element; ``prefetch`` overlaps them with the training step on a background
thread.
"""
import collections
import itertools
import os
import queue
import threading

import numpy as np

from tapeflow import _core, _ops, dtypes, errors, nest
from tapeflow.framework import convert_to_tensor, is_tensor
from tapeflow.string_tensor import strings
from tapeflow._files import atomic_write
from tapeflow.polymorphic_function import TensorSpec

AUTOTUNE = -1
INFINITE_CARDINALITY = -1
UNKNOWN_CARDINALITY = -2


# ----------------------------------------------------------------- element structures
def _is_structure(x):
    return isinstance(x, (tuple, dict))


def _normalize(value):
    """A user's element (or slices) as a structure of tensors: tuples and dicts stay structure, anything else
    (arrays, lists, scalars, tensors) becomes one tensor."""
    if isinstance(value, dict):
        return type(value)((k, _normalize(v)) for k, v in value.items())
    if isinstance(value, tuple):
        items = [_normalize(v) for v in value]
        return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
    return convert_to_tensor(value)


def _flatten(structure):
    if isinstance(structure, dict):
        return [x for k in sorted(structure) for x in _flatten(structure[k])]
    if isinstance(structure, tuple):
        return [x for v in structure for x in _flatten(v)]
    return [structure]


def _pack(structure, flat):
    it = iter(flat)

    def build(s):
        if isinstance(s, dict):
            return type(s)((k, build(s[k])) for k in sorted(s))
        if isinstance(s, tuple):
            items = [build(v) for v in s]
            return type(s)(*items) if hasattr(s, "_fields") else tuple(items)
        return next(it)
    return build(structure)


def _spec_of(t):
    return TensorSpec(tuple(t.shape), t.dtype)


def _call(fn, element):
    """Calls a user function on an element: a tuple is passed as positional arguments, as TensorFlow does."""
    return fn(*element) if isinstance(element, tuple) and not hasattr(element, "_fields") else fn(element)


class _Iterator:
    """What ``iter(dataset)`` returns: ``next()``, ``get_next()``, ``element_spec``."""

    def __init__(self, dataset):
        self._dataset = dataset
        self._gen = dataset._elements()

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._gen)

    def get_next(self):
        return next(self._gen)

    @property
    def element_spec(self):
        return self._dataset.element_spec


# ----------------------------------------------------------------- the base class
class Dataset:
    """A pipeline of elements. Build one with ``from_tensor_slices``, ``from_tensors``, ``range``,
    ``from_generator`` or ``zip``, then chain transformations."""

    # --- what subclasses give: the elements, the cardinality, an index plan where there is one
    def _elements(self):
        raise NotImplementedError

    def _cardinality(self):
        return UNKNOWN_CARDINALITY

    def _index_plan(self):
        """(source tensors, element structure, a function giving a fresh iterator of int64 index chunks) for
        pipelines that only select rows of arrays, else None."""
        return None

    # --- iteration and inspection
    def __iter__(self):
        return _Iterator(self)

    def as_numpy_iterator(self):
        """The elements as NumPy values (a scalar as a NumPy scalar, as TensorFlow gives it)."""
        for element in self._elements():
            yield nest.map_structure(lambda t: t.numpy()[()] if isinstance(t, _core.Tensor) else t.numpy() if is_tensor(t) else t, element)

    @property
    def element_spec(self):
        if not hasattr(self, "_spec"):
            first = next(iter(self._elements()), None)
            if first is None:
                raise ValueError("The element_spec of an empty dataset built from Python is unknown here")
            self._spec = _pack(first, [_spec_of(t) for t in _flatten(first)])
        return self._spec

    def cardinality(self):
        return _core.convert_to_tensor(np.int64(self._cardinality()))

    def __len__(self):
        n = self._cardinality()
        if n == INFINITE_CARDINALITY:
            raise TypeError("The dataset is infinite.")
        if n == UNKNOWN_CARDINALITY:
            raise TypeError("The dataset length is unknown.")
        return n

    def __bool__(self):  # not len(): an infinite or unknown dataset has none
        return True

    def __repr__(self):
        return "<%s element_spec=%s>" % (type(self).__name__, self.element_spec)

    # --- sources
    @staticmethod
    def from_tensor_slices(tensors, name=None):
        return _Slices(_normalize(tensors))

    @staticmethod
    def from_tensors(tensors, name=None):
        return _Tensors(_normalize(tensors))

    @staticmethod
    def range(*args, output_type="int64", name=None):
        r = range(*[int(a) for a in args])
        return _Slices(_core.convert_to_tensor(np.arange(r.start, r.stop, r.step, dtype=dtypes.as_dtype(
            output_type).name)))

    @staticmethod
    def from_generator(generator, output_types=None, output_shapes=None, args=None, output_signature=None,
                       name=None):
        return _Generator(generator, args or (), output_types, output_shapes, output_signature)

    @staticmethod
    def zip(*datasets, name=None):
        if len(datasets) == 1 and isinstance(datasets[0], (tuple, dict)):
            datasets = datasets[0]
        return _Zip(datasets)

    @staticmethod
    def sample_from_datasets(datasets, weights=None, seed=None, stop_on_empty_dataset=False):
        return _Sample(list(datasets), weights, seed, stop_on_empty_dataset)

    # --- transformations
    def map(self, map_func, num_parallel_calls=None, deterministic=None, name=None):
        return _Map(self, map_func)

    def filter(self, predicate, name=None):
        return _Filter(self, predicate)

    def batch(self, batch_size, drop_remainder=False, num_parallel_calls=None, deterministic=None, name=None):
        if int(batch_size) <= 0:
            raise ValueError("batch_size must be positive, got %r" % (batch_size,))
        return _Batch(self, int(batch_size), bool(drop_remainder))

    def padded_batch(self, batch_size, padded_shapes=None, padding_values=None, drop_remainder=False, name=None):
        return _PaddedBatch(self, int(batch_size), padded_shapes, padding_values, bool(drop_remainder))

    def unbatch(self, name=None):
        return _Unbatch(self)

    def rebatch(self, batch_size, drop_remainder=False, name=None):
        return self.unbatch().batch(batch_size, drop_remainder)

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=None, name=None):
        if int(buffer_size) <= 0 and int(buffer_size) != AUTOTUNE:
            raise ValueError("buffer_size must be greater than zero, got %r" % (buffer_size,))
        return _Shuffle(self, int(buffer_size), seed, reshuffle_each_iteration is not False)

    def repeat(self, count=None, name=None):
        return _Repeat(self, -1 if count is None else int(count))

    def take(self, count, name=None):
        return _Take(self, int(count))

    def skip(self, count, name=None):
        return _Skip(self, int(count))

    def shard(self, num_shards, index, name=None):
        if not 0 <= int(index) < int(num_shards):
            raise ValueError("index must be in [0, num_shards), got index=%r num_shards=%r" % (index, num_shards))
        return _Shard(self, int(num_shards), int(index))

    def prefetch(self, buffer_size, name=None):
        return _Prefetch(self, 2 if int(buffer_size) == AUTOTUNE else max(1, int(buffer_size)))

    def cache(self, filename="", name=None):
        return _Cache(self, filename)

    def enumerate(self, start=0, name=None):
        return _Enumerate(self, int(start))

    def concatenate(self, dataset, name=None):
        return _Concatenate(self, dataset)

    def flat_map(self, map_func, name=None):
        return _FlatMap(self, map_func)

    def interleave(self, map_func, cycle_length=None, block_length=None, num_parallel_calls=None,
                   deterministic=None, name=None):
        cycle = 2 if cycle_length in (None, AUTOTUNE) else int(cycle_length)
        return _Interleave(self, map_func, cycle, 1 if block_length is None else int(block_length))

    def window(self, size, shift=None, stride=1, drop_remainder=False, name=None):
        return _Window(self, int(size), int(shift or size), int(stride), bool(drop_remainder))

    def reduce(self, initial_state, reduce_func, name=None):
        state = _normalize(initial_state)
        for element in self._elements():
            state = _normalize(reduce_func(state, element))
        return state

    def apply(self, transformation_func):
        return transformation_func(self)

    def with_options(self, options, name=None):
        return self

    def options(self):
        return Options()


class Options:
    """Accepted for compatibility (``dataset.with_options(options)``): the options change nothing here."""

    def __init__(self):
        self.experimental_deterministic = True
        self.deterministic = True


# ----------------------------------------------------------------- sources
class _Slices(Dataset):
    def __init__(self, structure):
        self._structure = structure
        self._tensors = _flatten(structure)
        if not self._tensors or any(t.ndim == 0 for t in self._tensors):
            raise ValueError("from_tensor_slices needs tensors of rank >= 1 (their first axis is sliced)")
        sizes = {t.shape[0] for t in self._tensors}
        if len(sizes) != 1:
            raise ValueError("Dimensions %s in the components of from_tensor_slices do not match: every "
                             "component must have the same first dimension" % sorted(sizes))
        self._n = sizes.pop()
        self._spec = _pack(structure, [TensorSpec(tuple(t.shape[1:]), t.dtype) for t in self._tensors])

    def _cardinality(self):
        return self._n

    def _index_plan(self):
        return self._tensors, self._structure, lambda: iter([np.arange(self._n, dtype=np.int64)])

    def _elements(self):
        for i in range(self._n):
            yield _pack(self._structure, [t[i] for t in self._tensors])


class _Tensors(Dataset):
    def __init__(self, structure):
        self._structure = structure
        self._spec = _pack(structure, [_spec_of(t) for t in _flatten(structure)])

    def _cardinality(self):
        return 1

    def _elements(self):
        yield self._structure


class _Generator(Dataset):
    """Elements from a Python generator, converted to the declared dtypes and checked against the declared
    shapes (``output_signature``, or ``output_types`` with optional ``output_shapes``: unknown when absent)."""

    def __init__(self, generator, args, output_types, output_shapes, output_signature):
        if output_signature is None and output_types is None:
            raise TypeError("from_generator needs `output_signature` (or the deprecated `output_types`)")
        self._generator, self._args = generator, tuple(args)
        if output_signature is not None:
            self._structure = output_signature
            flat = _flatten(output_signature)
            self._types, self._shapes = [s.dtype for s in flat], [s.shape for s in flat]
            self._spec = output_signature
        else:
            self._structure = output_types
            self._types = [dtypes.as_dtype(t) for t in _flatten(output_types)]
            if output_shapes is None:
                self._shapes = [None] * len(self._types)
            elif _is_structure(output_types):
                self._shapes = [None if s is None else TensorSpec(s).shape for s in _flatten(output_shapes)]
            else:
                self._shapes = [TensorSpec(output_shapes).shape]

    def _elements(self):
        for value in self._generator(*self._args):
            flat = _flatten(_as_tuples(value)) if _is_structure(self._structure) else [value]
            if len(flat) != len(self._types):
                raise TypeError("`generator` yielded an element that did not match the expected structure %s: %r"
                                % (self._structure, value))
            out = []
            for v, dtype, shape in zip(flat, self._types, self._shapes):
                t = convert_to_tensor(v, dtype=dtype) if dtype == dtypes.string else \
                    _core.convert_to_tensor(np.asarray(v, dtype=dtype.name))
                if shape is not None and not shape.is_compatible_with(t.shape):
                    raise TypeError("`generator` yielded an element of shape %s where an element of shape %s was "
                                    "expected" % (tuple(t.shape), shape))
                out.append(t)
            yield _pack(self._structure, out) if _is_structure(self._structure) else out[0]


def _as_tuples(value):
    """A generator's element with its lists as tuples (TensorFlow reads a yielded list as a tuple)."""
    if isinstance(value, list):
        return tuple(_as_tuples(v) for v in value)
    if isinstance(value, dict):
        return type(value)((k, _as_tuples(v)) for k, v in value.items())
    return value


class _Zip(Dataset):
    def __init__(self, datasets):
        self._datasets = datasets

    @property
    def element_spec(self):
        return nest.map_structure(lambda d: d.element_spec, self._datasets) if isinstance(self._datasets, dict) \
            else tuple(d.element_spec for d in self._datasets)

    def _cardinality(self):
        cards = [d._cardinality() for d in _flatten_datasets(self._datasets)]
        finite = [c for c in cards if c >= 0]
        if finite:
            return min(finite)
        return UNKNOWN_CARDINALITY if UNKNOWN_CARDINALITY in cards else INFINITE_CARDINALITY

    def _elements(self):
        flat = _flatten_datasets(self._datasets)
        for items in zip(*[d._elements() for d in flat]):
            if isinstance(self._datasets, dict):
                yield type(self._datasets)(zip(sorted(self._datasets), items))
            else:
                yield tuple(items)


def _flatten_datasets(datasets):
    return [datasets[k] for k in sorted(datasets)] if isinstance(datasets, dict) else list(datasets)


class _Sample(Dataset):
    def __init__(self, datasets, weights, seed, stop_on_empty):
        self._datasets = datasets
        w = np.ones(len(datasets)) if weights is None else np.asarray(weights, dtype=np.float64)
        self._weights = w / w.sum()
        self._seed, self._stop = seed, stop_on_empty

    def _elements(self):
        rng = _rng(self._seed)
        its = [d._elements() for d in self._datasets]
        live = list(range(len(its)))
        while live:
            w = self._weights[live] / self._weights[live].sum()
            k = live[int(rng.choice(len(live), p=w))]
            try:
                yield next(its[k])
            except StopIteration:
                if self._stop:
                    return
                live.remove(k)


# ----------------------------------------------------------------- transformations
class _Unary(Dataset):
    def __init__(self, inner):
        self._inner = inner

    @property
    def element_spec(self):
        return self._inner.element_spec

    def _cardinality(self):
        return self._inner._cardinality()


class _Map(_Unary):
    def __init__(self, inner, fn):
        super().__init__(inner)
        self._fn = fn

    element_spec = Dataset.element_spec

    def _elements(self):
        for element in self._inner._elements():
            yield _normalize(_call(self._fn, element))


class _Filter(_Unary):
    def __init__(self, inner, predicate):
        super().__init__(inner)
        self._predicate = predicate

    def _cardinality(self):
        return INFINITE_CARDINALITY if self._inner._cardinality() == INFINITE_CARDINALITY else UNKNOWN_CARDINALITY

    def _elements(self):
        for element in self._inner._elements():
            keep = _core.convert_to_tensor(_call(self._predicate, element))
            if keep.dtype.name != "bool" or keep.ndim != 0:
                raise ValueError("`predicate` return type must be convertible to a scalar boolean tensor, got %s"
                                 % keep)
            if bool(keep):
                yield element


def _stack(elements):
    """One batch: the elements' components stacked (they must agree in shape, as in TensorFlow)."""
    columns = list(zip(*[_flatten(e) for e in elements]))
    out = []
    for col in columns:
        shapes = {tuple(t.shape) for t in col}
        if len(shapes) > 1:
            raise errors.InvalidArgumentError(
                None, None, "Cannot batch tensors with different shapes in component: %s. Use padded_batch or "
                            "ragged batching for elements of different shapes." % sorted(shapes))
        out.append(_ops.stack(list(col), 0))
    return _pack(elements[0], out)


class _Batch(_Unary):
    def __init__(self, inner, size, drop_remainder):
        super().__init__(inner)
        self._size, self._drop = size, drop_remainder

    @property
    def element_spec(self):
        n = self._size if self._drop else None
        return nest.map_structure(lambda s: TensorSpec((n,) + tuple(s.shape), s.dtype), self._inner.element_spec)

    def _cardinality(self):
        n = self._inner._cardinality()
        if n < 0:
            return n
        return n // self._size if self._drop else -(-n // self._size)

    def _elements(self):
        plan = self._inner._index_plan()
        if plan is not None:
            yield from self._gathered(*plan)
            return
        pending = []
        for element in self._inner._elements():
            pending.append(element)
            if len(pending) == self._size:
                yield _stack(pending)
                pending = []
        if pending and not self._drop:
            yield _stack(pending)

    def _gathered(self, tensors, structure, chunks):
        """Batches of an index plan: each one gather per component, in C++."""
        leftover = np.zeros(0, np.int64)
        for chunk in chunks():
            idx = np.concatenate([leftover, chunk]) if leftover.size else chunk
            full = len(idx) // self._size * self._size
            for start in range(0, full, self._size):
                yield _gather(tensors, structure, idx[start:start + self._size])
            leftover = idx[full:]
        if leftover.size and not self._drop:
            yield _gather(tensors, structure, leftover)


def _gather(tensors, structure, idx):
    index = _core.convert_to_tensor(np.ascontiguousarray(idx, dtype=np.int64))
    return _pack(structure, [_ops.gather(t, index) for t in tensors])


class _PaddedBatch(_Batch):
    def __init__(self, inner, size, padded_shapes, padding_values, drop_remainder):
        super().__init__(inner, size, drop_remainder)
        self._padded_shapes, self._padding_values = padded_shapes, padding_values

    def _elements(self):
        pending = []
        for element in self._inner._elements():
            pending.append(element)
            if len(pending) == self._size:
                yield self._pad(pending)
                pending = []
        if pending and not self._drop:
            yield self._pad(pending)

    def _pad(self, elements):
        flat = [_flatten(e) for e in elements]
        n = len(flat[0])
        shapes = _flatten(self._padded_shapes) if self._padded_shapes is not None else [None] * n
        if _is_structure(elements[0]) and self._padded_shapes is not None and not _is_structure(self._padded_shapes):
            shapes = [self._padded_shapes] * n
        values = _flatten(self._padding_values) if _is_structure(self._padding_values) else \
            [self._padding_values] * n
        out = []
        for k in range(n):
            col = [f[k] for f in flat]
            rank = col[0].ndim
            longest = [max(t.shape[d] for t in col) for d in range(rank)]
            want = shapes[k] if shapes[k] is not None else [None] * rank
            want = [longest[d] if want[d] in (None, -1) else int(want[d]) for d in range(rank)]
            if any(t.shape[d] > want[d] for t in col for d in range(rank)):
                raise ValueError("Attempted to pad to a smaller size than the input element: %s" % (want,))
            pad_value = (b"" if col[0].dtype == dtypes.string else 0) if values[k] is None else values[k]
            padded = [_ops.pad(t, [[0, w - s] for s, w in zip(t.shape, want)], constant_values=pad_value)
                      if rank else t for t in col]
            out.append(_ops.stack(padded, 0))
        return _pack(elements[0], out)


class _Unbatch(_Unary):
    @property
    def element_spec(self):
        return nest.map_structure(lambda s: TensorSpec(tuple(s.shape)[1:], s.dtype), self._inner.element_spec)

    def _cardinality(self):
        return INFINITE_CARDINALITY if self._inner._cardinality() == INFINITE_CARDINALITY else UNKNOWN_CARDINALITY

    def _elements(self):
        for element in self._inner._elements():
            flat = _flatten(element)
            for i in range(flat[0].shape[0] if flat else 0):
                yield _pack(element, [t[i] for t in flat])


def _rng(seed, salt=0):
    """NumPy generator for a transformation's draws: from the op seed and the global seed (TensorFlow's rule:
    either makes the pipeline deterministic), else from fresh entropy."""
    global_seed = _core.get_global_seed()
    if seed is None and global_seed is None:
        return np.random.default_rng()
    return np.random.default_rng([0 if global_seed is None else int(global_seed) & (2 ** 63 - 1),
                                  87654321 if seed is None else int(seed) & (2 ** 63 - 1), salt])


class _Shuffle(_Unary):
    """TensorFlow's shuffle: a buffer of ``buffer_size`` elements filled from the input; each output is a
    uniformly chosen element of the buffer, whose place the next input element takes."""

    def __init__(self, inner, buffer_size, seed, reshuffle):
        super().__init__(inner)
        self._buffer = buffer_size if buffer_size > 0 else 1024
        self._seed, self._reshuffle, self._epoch = seed, reshuffle, 0
        if seed is None and _core.get_global_seed() is None:
            self._seed = int(np.random.default_rng().integers(2 ** 62))  # this dataset's own stream

    def _next_rng(self):
        rng = _rng(self._seed, self._epoch if self._reshuffle else 0)
        self._epoch += 1
        return rng

    def _index_plan(self):
        plan = self._inner._index_plan()
        if plan is None:
            return None
        tensors, structure, chunks = plan

        def shuffled():
            order = np.concatenate(list(chunks()) or [np.zeros(0, np.int64)])
            seed = int(self._next_rng().integers(2 ** 63))
            yield _core._shuffle_order(_core.convert_to_tensor(order), self._buffer, seed).numpy()
        return tensors, structure, shuffled

    def _elements(self):
        plan = self._index_plan()
        if plan is not None:
            tensors, structure, chunks = plan
            for chunk in chunks():
                for i in chunk:
                    yield _pack(structure, [t[int(i)] for t in tensors])
            return
        rng, buffer = self._next_rng(), []
        for element in self._inner._elements():
            if len(buffer) < self._buffer:
                buffer.append(element)
                continue
            k = int(rng.integers(len(buffer)))
            yield buffer[k]
            buffer[k] = element
        while buffer:
            yield buffer.pop(int(rng.integers(len(buffer))))


class _Repeat(_Unary):
    def __init__(self, inner, count):
        super().__init__(inner)
        self._count = count

    def _cardinality(self):
        n = self._inner._cardinality()
        if self._count == 0 or n == 0:
            return 0
        if self._count < 0 or n == INFINITE_CARDINALITY:
            return INFINITE_CARDINALITY
        return n * self._count if n >= 0 else UNKNOWN_CARDINALITY

    def _passes(self):
        return itertools.count() if self._count < 0 else range(self._count)

    def _index_plan(self):
        plan = self._inner._index_plan()
        if plan is None:
            return None
        tensors, structure, chunks = plan

        def repeated():
            for _ in self._passes():
                empty = True
                for chunk in chunks():
                    empty = empty and chunk.size == 0
                    yield chunk
                if empty:
                    return
        return tensors, structure, repeated

    def _elements(self):
        for _ in self._passes():
            empty = True
            for element in self._inner._elements():
                empty = False
                yield element
            if empty:
                return


class _Take(_Unary):
    def __init__(self, inner, count):
        super().__init__(inner)
        self._count = count

    def _cardinality(self):
        n = self._inner._cardinality()
        if self._count < 0:
            return n
        return self._count if n == INFINITE_CARDINALITY else (min(n, self._count) if n >= 0 else UNKNOWN_CARDINALITY)

    def _index_plan(self):
        plan = self._inner._index_plan()
        if plan is None or self._count < 0:
            return plan
        tensors, structure, chunks = plan

        def taken():
            left = self._count
            for chunk in chunks():
                if left <= 0:
                    return
                yield chunk[:left]
                left -= len(chunk)
        return tensors, structure, taken

    def _elements(self):
        if self._count < 0:
            yield from self._inner._elements()
            return
        yield from itertools.islice(self._inner._elements(), self._count)


class _Skip(_Unary):
    def __init__(self, inner, count):
        super().__init__(inner)
        self._count = count

    def _cardinality(self):
        n = self._inner._cardinality()
        if n < 0:
            return n
        return 0 if self._count < 0 else max(0, n - self._count)

    def _index_plan(self):
        plan = self._inner._index_plan()
        if plan is None:
            return None
        tensors, structure, chunks = plan

        def skipped():
            left = self._count
            for chunk in chunks():
                if left < 0:  # skip(-1) skips everything
                    continue
                drop = min(left, len(chunk))
                left -= drop
                if drop < len(chunk):
                    yield chunk[drop:]
        return tensors, structure, skipped

    def _elements(self):
        it = self._inner._elements()
        if self._count < 0:
            for _ in it:
                pass
            return
        yield from itertools.islice(it, self._count, None)


class _Shard(_Unary):
    def __init__(self, inner, num, index):
        super().__init__(inner)
        self._num, self._index = num, index

    def _cardinality(self):
        n = self._inner._cardinality()
        return n if n < 0 else (n - self._index + self._num - 1) // self._num

    def _index_plan(self):
        plan = self._inner._index_plan()
        if plan is None:
            return None
        tensors, structure, chunks = plan

        def sharded():
            seen = 0
            for chunk in chunks():
                first = (self._index - seen) % self._num
                yield chunk[first::self._num]
                seen += len(chunk)
        return tensors, structure, sharded

    def _elements(self):
        yield from itertools.islice(self._inner._elements(), self._index, None, self._num)


class _Prefetch(_Unary):
    """Produces up to ``size`` elements ahead on a background thread (the kernels it runs release the GIL)."""

    _DONE = object()

    def __init__(self, inner, size):
        super().__init__(inner)
        self._size = size

    def _index_plan(self):
        return None

    def _elements(self):
        slots = queue.Queue(self._size)
        stop = threading.Event()

        def produce():
            try:
                for element in self._inner._elements():
                    while not stop.is_set():
                        try:
                            slots.put((element, None), timeout=0.1)
                            break
                        except queue.Full:
                            continue
                    if stop.is_set():
                        return
                slots.put((self._DONE, None))
            except BaseException as e:  # handed to the consumer, raised there
                slots.put((self._DONE, e))
        worker = threading.Thread(target=produce, daemon=True, name="tapeflow-prefetch")
        worker.start()
        try:
            while True:
                element, error = slots.get()
                if element is self._DONE:
                    if error is not None:
                        raise error
                    return
                yield element
        finally:
            stop.set()


class _Cache(_Unary):
    """Keeps the elements of the first complete pass (in memory, or in ``filename``'s NumPy archive) and reads
    later passes from there."""

    def __init__(self, inner, filename):
        super().__init__(inner)
        self._filename = filename
        self._stored = None

    def _index_plan(self):
        return self._inner._index_plan() if not self._filename else None

    def _elements(self):
        if self._stored is None and self._filename:
            self._stored = _load_cache(self._filename)
        if self._stored is not None:
            yield from self._stored
            return
        seen = []
        for element in self._inner._elements():
            seen.append(element)
            yield element
        self._stored = seen
        if self._filename:
            _save_cache(self._filename, seen)


def _cache_path(filename):
    return filename + ".tapeflow-cache.npz"


def _load_cache(filename):
    path = _cache_path(filename)
    if not os.path.exists(path):
        return None
    with np.load(path, allow_pickle=False) as f:
        structure = _structure_from_text(str(f["structure"]))
        n, k = int(f["count"]), len(_flatten(structure))
        return [_pack(structure, [_cached_tensor(f, "e%d_%d" % (i, j)) for j in range(k)]) for i in range(n)]


def _cached_tensor(f, key):
    """A tensor of the cache: an array, or a string tensor stored as its bytes, lengths and shape."""
    if key in f:
        return _core.convert_to_tensor(f[key])
    data, lengths = f[key + "_bytes"].tobytes(), f[key + "_lengths"]
    ends = np.cumsum(lengths).tolist()
    values = np.array([data[e - n:e] for e, n in zip(ends, lengths.tolist())] or [], dtype=object)
    return strings(values.reshape(f[key + "_shape"]))


def _save_cache(filename, elements):
    """Writes the cache to a temporary file beside it, renamed over it when complete."""
    arrays = {"count": np.int64(len(elements)),
              "structure": np.str_(_structure_text(elements[0]) if elements else "x")}
    for i, e in enumerate(elements):
        for j, t in enumerate(_flatten(e)):
            key = "e%d_%d" % (i, j)
            if t.dtype == dtypes.string:  # no pickled objects in the file: bytes, lengths, shape
                flat = t.numpy().reshape(-1).tolist() if t.ndim else [t.numpy()]
                arrays[key + "_bytes"] = np.frombuffer(b"".join(flat), np.uint8)
                arrays[key + "_lengths"] = np.array([len(b) for b in flat], np.int64)
                arrays[key + "_shape"] = np.array(t.shape, np.int64)
            else:
                arrays[key] = t.numpy()
    with atomic_write(_cache_path(filename)) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)


def _structure_text(s):
    """An element's structure as text (tuples "(..)", dicts "{k:..}", a tensor "x"); no pickling."""
    if isinstance(s, dict):
        return "{" + ",".join("%s:%s" % (k, _structure_text(s[k])) for k in sorted(s)) + "}"
    if isinstance(s, tuple):
        return "(" + ",".join(_structure_text(v) for v in s) + ")"
    return "x"


def _structure_from_text(text):
    def parse(i):
        if text[i] == "x":
            return "x", i + 1
        close = ")" if text[i] == "(" else "}"
        items, keys, i = [], [], i + 1
        while text[i] != close:
            if close == "}":
                colon = text.index(":", i)
                keys.append(text[i:colon])
                i = colon + 1
            item, i = parse(i)
            items.append(item)
            if text[i] == ",":
                i += 1
        return (dict(zip(keys, items)) if close == "}" else tuple(items)), i + 1
    return parse(0)[0]


class _Enumerate(_Unary):
    def __init__(self, inner, start):
        super().__init__(inner)
        self._start = start

    @property
    def element_spec(self):
        return (TensorSpec((), "int64"), self._inner.element_spec)

    def _elements(self):
        for i, element in enumerate(self._inner._elements(), self._start):
            yield (_core.convert_to_tensor(np.int64(i)), element)


class _Concatenate(Dataset):
    def __init__(self, first, second):
        self._parts = (first, second)

    @property
    def element_spec(self):
        return self._parts[0].element_spec

    def _cardinality(self):
        a, b = (p._cardinality() for p in self._parts)
        if INFINITE_CARDINALITY in (a, b):
            return INFINITE_CARDINALITY
        return a + b if a >= 0 and b >= 0 else UNKNOWN_CARDINALITY

    def _elements(self):
        for part in self._parts:
            yield from part._elements()


class _FlatMap(_Unary):
    def __init__(self, inner, fn):
        super().__init__(inner)
        self._fn = fn

    element_spec = Dataset.element_spec

    def _cardinality(self):
        return UNKNOWN_CARDINALITY

    def _elements(self):
        for element in self._inner._elements():
            inner = _call(self._fn, element)
            if not isinstance(inner, Dataset):
                raise TypeError("`map_func` of flat_map must return a Dataset, got %r" % (inner,))
            yield from inner._elements()


class _Interleave(_FlatMap):
    """TensorFlow's interleave: ``cycle`` input elements' datasets open at a time, ``block`` elements from each
    in turn; an exhausted one is replaced by the next input element's."""

    def __init__(self, inner, fn, cycle, block):
        super().__init__(inner, fn)
        self._cycle, self._block = max(1, cycle), max(1, block)

    def _elements(self):
        inputs = self._inner._elements()
        open_ = collections.deque()

        def refill():
            while len(open_) < self._cycle:
                element = next(inputs, None)
                if element is None:
                    return
                open_.append(_call(self._fn, element)._elements())
        refill()
        while open_:
            it = open_.popleft()
            finished = False
            for _ in range(self._block):
                element = next(it, None)
                if element is None:
                    finished = True
                    break
                yield element
            if finished:
                element = next(inputs, None)
                if element is not None:
                    open_.appendleft(_call(self._fn, element)._elements())
                    open_.rotate(-1)
            else:
                open_.append(it)


class _Window(_Unary):
    def __init__(self, inner, size, shift, stride, drop_remainder):
        super().__init__(inner)
        if size <= 0 or shift <= 0 or stride <= 0:
            raise ValueError("window size, shift and stride must be positive, got %d, %d, %d"
                             % (size, shift, stride))
        self._size, self._shift, self._stride, self._drop = size, shift, stride, drop_remainder

    @property
    def element_spec(self):
        return self._inner.element_spec  # each component is a dataset of such elements

    def _cardinality(self):
        return UNKNOWN_CARDINALITY

    def _elements(self):
        span = (self._size - 1) * self._stride + 1
        buffered = []
        source = self._inner._elements()
        exhausted = False
        start = 0
        while True:
            while not exhausted and len(buffered) < start + span:
                element = next(source, None)
                if element is None:
                    exhausted = True
                else:
                    buffered.append(element)
            window = buffered[start:start + span:self._stride]
            if not window or (self._drop and len(window) < self._size):
                return
            first = window[0]
            columns = list(zip(*[_flatten(e) for e in window]))
            yield _pack(first, [_Elements(list(col)) for col in columns])
            start += self._shift
            if start >= len(buffered) and exhausted:
                return
            drop = min(start, len(buffered))
            buffered, start = buffered[drop:], start - drop


class _Elements(Dataset):
    """A finite dataset over a list of elements (a window's component)."""

    def __init__(self, elements):
        self._list = elements

    def _cardinality(self):
        return len(self._list)

    def _elements(self):
        yield from self._list
