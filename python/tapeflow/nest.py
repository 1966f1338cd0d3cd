"""Minimal tf.nest: flatten and re-pack lists, tuples, namedtuples and dicts (sorted keys)."""

__all__ = ["flatten", "pack_sequence_as", "map_structure", "is_nested"]


def is_nested(x):
    return isinstance(x, (list, tuple, dict))


def _children(x):
    if isinstance(x, dict):
        return [x[k] for k in sorted(x)]
    return list(x)


def flatten(structure):
    if not is_nested(structure):
        return [structure]
    out = []
    for c in _children(structure):
        out.extend(flatten(c))
    return out


def _pack(structure, flat, pos):
    if not is_nested(structure):
        return flat[pos], pos + 1
    items = []
    for c in _children(structure):
        v, pos = _pack(c, flat, pos)
        items.append(v)
    if isinstance(structure, dict):
        return type(structure)(zip(sorted(structure), items)), pos
    if isinstance(structure, tuple) and hasattr(structure, "_fields"):
        return type(structure)(*items), pos
    return type(structure)(items), pos


def pack_sequence_as(structure, flat_sequence):
    flat_sequence = list(flat_sequence)
    packed, used = _pack(structure, flat_sequence, 0)
    if used != len(flat_sequence):
        raise ValueError("The structure has %d elements but flat_sequence has %d" % (used, len(flat_sequence)))
    return packed


def map_structure(func, *structures):
    flats = [flatten(s) for s in structures]
    return pack_sequence_as(structures[0], [func(*xs) for xs in zip(*flats)])
