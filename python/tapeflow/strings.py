"""``tf.strings``: text ops on string tensors (and on the flat values of ragged ones), with TensorFlow's names,
arguments and results.

Strings are UTF-8 bytes. Regular expressions use Python's ``re`` on the decoded text: RE2's syntax (TensorFlow's)
and Python's agree on what text pipelines write (classes, escapes, groups, ``\\1`` in rewrites; ``\\0`` is the
whole match in both). Hashing (``to_hash_bucket_fast``, ``tf.fingerprint``) is FarmHash's Fingerprint64 in C++,
so buckets equal TensorFlow's.
"""
import re as _re

import numpy as np

from tapeflow import _core, errors
from tapeflow import dtypes as _dtypes
from tapeflow.host_print import array_text, string_text
from tapeflow.ragged import RaggedTensor, stack_rows
from tapeflow.string_tensor import StringTensor, _to_bytes, _wrap, is_string_value as _is_strings
from tapeflow.string_tensor import strings as _as_strings

__all__ = ["as_string", "bytes_split", "format", "join", "length", "lower", "ngrams", "reduce_join",
           "regex_full_match", "regex_replace", "split", "strip", "substr", "to_hash_bucket_fast",
           "to_hash_bucket_strong", "to_number", "unicode_decode", "unicode_encode", "unicode_split", "upper"]


def _elementwise(fn, otype=None):
    """``fn`` (bytes -> value) over every element of a string tensor or a ragged one's flat values; the result is
    a string tensor (``otype`` None) or a tensor of NumPy type ``otype``."""
    def run(x):
        if isinstance(x, RaggedTensor):
            return x.with_flat_values(run(x.flat_values))
        a = _as_strings(x)._a
        if otype is None:
            out = np.empty(a.shape, object)
            out.ravel()[:] = [fn(v) for v in a.ravel().tolist()]
            return _wrap(out)
        return _core.convert_to_tensor(np.asarray([fn(v) for v in a.ravel().tolist()], otype).reshape(a.shape))
    return run


def _text(b):
    return b.decode("utf-8", "surrogateescape")


def _bytes(s):
    return s.encode("utf-8", "surrogateescape")


def lower(input, encoding="", name=None):  # noqa: A002 - TensorFlow's argument names
    """Lower-cases ASCII letters (every letter with ``encoding="utf-8"``)."""
    return _elementwise((lambda b: _bytes(_text(b).lower())) if encoding.lower().replace("-", "") == "utf8"
                        else bytes.lower)(input)


def upper(input, encoding="", name=None):  # noqa: A002
    return _elementwise((lambda b: _bytes(_text(b).upper())) if encoding.lower().replace("-", "") == "utf8"
                        else bytes.upper)(input)


def strip(input, name=None):  # noqa: A002
    """Removes leading and trailing whitespace."""
    return _elementwise(bytes.strip)(input)


def _utf8_length(b):
    return len(_text(b))


def length(input, unit="BYTE", name=None):  # noqa: A002
    """The length of each string in bytes (``unit="BYTE"``) or in UTF-8 characters (``"UTF8_CHAR"``), int32."""
    _check_unit(unit)
    return _elementwise(len if unit == "BYTE" else _utf8_length, np.int32)(input)


def _check_unit(unit):
    if unit not in ("BYTE", "UTF8_CHAR"):
        raise ValueError("unit must be one of BYTE, UTF8_CHAR, got %r" % (unit,))


def substr(input, pos, len, unit="BYTE", name=None):  # noqa: A002
    """``len`` bytes (or UTF-8 characters) from ``pos`` (negative: from the end) of each string; ``pos`` past the
    end is an InvalidArgumentError, as in TensorFlow. ``pos`` / ``len`` are scalars or match the input's shape."""
    _check_unit(unit)
    a = _as_strings(input)._a
    pos = np.broadcast_to(np.asarray(pos.numpy() if hasattr(pos, "numpy") else pos, np.int64), a.shape)
    size = np.broadcast_to(np.asarray(len.numpy() if hasattr(len, "numpy") else len, np.int64), a.shape)
    out = np.empty(a.shape, object)
    for i, (b, p, n) in enumerate(zip(a.ravel().tolist(), pos.ravel().tolist(), size.ravel().tolist())):
        s = b if unit == "BYTE" else _text(b)
        start = p + builtin_len(s) if p < 0 else p
        if start < 0 or start > builtin_len(s):
            raise errors.InvalidArgumentError(None, None, "pos %d out of range for string b'%s' at index %d"
                                              % (p, _text(b), i))
        piece = s[start:start + max(n, 0)]
        out.ravel()[i] = piece if unit == "BYTE" else _bytes(piece)
    return _wrap(out)


builtin_len = len


def _pattern(pattern):
    if isinstance(pattern, StringTensor):
        pattern = pattern.numpy()
    if isinstance(pattern, bytes):
        pattern = pattern.decode("utf-8")
    try:
        return _re.compile(pattern)
    except _re.error as e:
        raise errors.InvalidArgumentError(None, None, "Invalid pattern: %s, error: %s" % (pattern, e)) from e


def regex_replace(input, pattern, rewrite, replace_global=True, name=None):  # noqa: A002
    """Replaces every match of ``pattern`` (the first only with ``replace_global=False``) by ``rewrite``, in which
    ``\\1``..``\\9`` are groups and ``\\0`` the whole match."""
    regex = _pattern(pattern)
    if isinstance(rewrite, StringTensor):
        rewrite = rewrite.numpy()
    rewrite = rewrite.decode("utf-8") if isinstance(rewrite, bytes) else rewrite
    rewrite = _re.sub(r"\\0", r"\\g<0>", rewrite)
    count = 0 if replace_global else 1
    return _elementwise(lambda b: _bytes(regex.sub(rewrite, _text(b), count=count)))(input)


def regex_full_match(input, pattern, name=None):  # noqa: A002
    regex = _pattern(pattern)
    return _elementwise(lambda b: regex.fullmatch(_text(b)) is not None, np.bool_)(input)


def split(input, sep=None, maxsplit=-1, name=None):  # noqa: A002
    """Splits each string on ``sep`` (on runs of whitespace when None, dropping empty pieces, as Python's
    ``str.split``), at most ``maxsplit`` times. A scalar gives a 1-D string tensor, a tensor of rank N a
    RaggedTensor of rank N + 1."""
    if isinstance(input, RaggedTensor):
        return input.with_flat_values(split(input.flat_values, sep, maxsplit))
    a = _as_strings(input)._a
    sep = _to_bytes(sep.numpy() if isinstance(sep, StringTensor) else sep) if sep not in (None, "", b"") else None
    pieces = [np.array(b.split(sep, maxsplit), dtype=object) for b in a.ravel().tolist()]
    if a.ndim == 0:
        return _wrap(pieces[0])
    out = stack_rows(pieces, strings=True)
    for dim in reversed(a.shape[1:]):
        out = RaggedTensor.from_uniform_row_length(out, dim)
    return out


def bytes_split(input, name=None):  # noqa: A002
    """Each string's bytes as one-byte strings (ragged for rank >= 1)."""
    return _per_string(input, lambda b: [b[i:i + 1] for i in range(builtin_len(b))], strings=True)


def unicode_split(input, input_encoding="UTF-8", errors="replace", replacement_char=65533, name=None):  # noqa: A002
    """Each string's UTF-8 characters as strings (ragged for rank >= 1)."""
    _check_encoding(input_encoding)
    return _per_string(input, lambda b: [_bytes(c) for c in b.decode("utf-8", _mode(errors, replacement_char))],
                       strings=True)


def unicode_decode(input, input_encoding="UTF-8", errors="replace", replacement_char=65533,  # noqa: A002
                   replace_control_characters=False, name=None):
    """Each string's code points, int32 (ragged for rank >= 1)."""
    _check_encoding(input_encoding)
    return _per_string(input, lambda b: [ord(c) for c in b.decode("utf-8", _mode(errors, replacement_char))],
                       strings=False)


def unicode_encode(input, output_encoding="UTF-8", errors="replace", replacement_char=65533, name=None):  # noqa: A002
    """Code points (the last dimension, or the rows of a RaggedTensor) as UTF-8 strings."""
    _check_encoding(output_encoding)
    rows = input.to_list() if isinstance(input, RaggedTensor) else np.asarray(
        input.numpy() if hasattr(input, "numpy") else input).tolist()

    def encode(r):
        if r and isinstance(r[0], list):
            return [encode(x) for x in r]
        return "".join(chr(c) if 0 <= c <= 0x10FFFF else chr(replacement_char) for c in r).encode("utf-8")
    return _as_strings(encode(rows))


def _check_encoding(encoding):
    if encoding.upper().replace("-", "") != "UTF8":
        raise errors.UnimplementedError(None, None, "tapeflow's unicode ops read and write UTF-8 only, got %r"
                                        % (encoding,))


def _mode(errors_mode, replacement_char):
    if errors_mode == "strict":
        return "strict"
    return "replace" if errors_mode == "replace" and replacement_char == 65533 else "ignore"


def _per_string(input, fn, strings):  # noqa: A002
    a = _as_strings(input)._a
    rows = [np.array(fn(b), dtype=object if strings else np.int32) for b in a.ravel().tolist()]
    if a.ndim == 0:
        return _wrap(rows[0]) if strings else _core.convert_to_tensor(rows[0])
    out = stack_rows([r if r.size else np.zeros(0, object if strings else np.int32) for r in rows], strings)
    for dim in reversed(a.shape[1:]):
        out = RaggedTensor.from_uniform_row_length(out, dim)
    return out


def join(inputs, separator="", name=None):
    """Joins the strings of ``inputs`` (a list of string tensors that broadcast) element by element."""
    arrays = np.broadcast_arrays(*[_as_strings(x)._a for x in inputs])
    sep = _to_bytes(separator)
    out = np.empty(arrays[0].shape, object)
    out.ravel()[:] = [sep.join(parts) for parts in zip(*[a.ravel().tolist() for a in arrays])]
    return _wrap(out)


def reduce_join(inputs, axis=None, keepdims=False, separator="", name=None):
    """Joins the strings along ``axis`` (all of them when None)."""
    a = _as_strings(inputs)._a
    sep = _to_bytes(separator)
    if axis is None:
        out = np.empty((1,) * a.ndim if keepdims else (), object)
        out.ravel()[0] = sep.join(a.ravel().tolist())
        return _wrap(out)
    axis = int(axis) % max(a.ndim, 1)
    moved = np.moveaxis(a, axis, -1)
    out = np.empty(moved.shape[:-1], object)
    out.ravel()[:] = [sep.join(row) for row in moved.reshape(-1, moved.shape[-1]).tolist()] if out.size else []
    return _wrap(np.expand_dims(out, axis) if keepdims else out)


def to_number(string_tensor, out_type="float32", name=None):
    """Parses each string as a number of ``out_type`` (float32 by default); a string that is not one is an
    InvalidArgumentError."""
    out_type = _dtypes.as_dtype(out_type)

    def parse(b):
        text = b.decode("utf-8", "replace").strip()
        try:
            return int(text) if out_type.is_integer else float(text)
        except ValueError:
            raise errors.InvalidArgumentError(None, None, "StringToNumberOp could not correctly convert string: %s"
                                              % text) from None
    return _core.cast(_elementwise(parse, np.float64 if out_type.is_floating else np.int64)(string_tensor),
                      out_type) if not isinstance(string_tensor, RaggedTensor) else \
        string_tensor.with_flat_values(to_number(string_tensor.flat_values, out_type))


def as_string(input, precision=-1, scientific=False, shortest=False, width=-1, fill="", name=None):  # noqa: A002
    """Numbers (or bools) as strings: integers in decimal, floats as C's ``%f`` (``%e`` with ``scientific``,
    ``%g`` with ``shortest``, ``precision`` digits), bools as true / false, padded to ``width`` with ``fill``."""
    if isinstance(input, StringTensor):
        return input
    t = _core.convert_to_tensor(input)
    if fill not in ("", " ", "0"):
        raise errors.InvalidArgumentError(None, None, "Fill argument not supported: \"%s\"" % fill)
    flag = "0" if fill == "0" else ""
    w = str(width) if width > -1 else ""
    if t.dtype.is_floating:
        spec = "%" + flag + w + ("." + str(precision) if precision > -1 else "") + (
            "g" if shortest else "e" if scientific else "f")
    elif t.dtype.is_bool:
        return _wrap(np.vectorize(lambda v: b"true" if v else b"false", otypes=[object])(t.numpy()))
    else:
        spec = "%" + flag + w + "d"
    a = t.numpy()
    out = np.empty(a.shape, object)
    out.ravel()[:] = [(spec % v).encode() for v in a.ravel().tolist()]
    return _wrap(out)


def format(template, inputs, placeholder="{}", summarize=3, name=None):  # noqa: A001
    """``template`` with each ``placeholder`` replaced by the next input printed as TensorFlow prints tensors'
    values (``tf.strings.format("x = {}", x)``)."""
    if not isinstance(inputs, (list, tuple)):
        inputs = [inputs]
    parts = _to_bytes(template).decode().split(placeholder)
    if builtin_len(parts) != builtin_len(inputs) + 1:
        raise errors.InvalidArgumentError(None, None, "%d placeholders in template and %d inputs"
                                          % (builtin_len(parts) - 1, builtin_len(inputs)))
    out = parts[0]
    for value, rest in zip(inputs, parts[1:]):
        out += _format_value(value, summarize) + rest
    return _as_strings(out)


def _format_value(value, summarize):
    if isinstance(value, StringTensor):
        return '"%s"' % _text(value._a[()]) if value.ndim == 0 else string_text(value._a)
    if isinstance(value, _core.Tensor):
        return array_text(value.numpy(), summarize)
    return str(value)


def ngrams(data, ngram_width, separator=" ", pad_values=None, padding_width=None, preserve_short_sequences=False,
           name=None):
    """The ``ngram_width``-grams (an int or a list of widths) of each row of tokens (the last dimension of a
    string tensor, or the rows of a RaggedTensor), joined with ``separator``."""
    widths = [ngram_width] if np.ndim(ngram_width) == 0 else list(ngram_width)
    sep = _to_bytes(separator)
    if pad_values is not None:
        left, right = (pad_values, pad_values) if isinstance(pad_values, (str, bytes)) else pad_values
        left, right = _to_bytes(left), _to_bytes(right)

    def grams(row):
        out = []
        for n in widths:
            pad = (n - 1 if padding_width is None else min(padding_width, n - 1)) if pad_values is not None else 0
            seq = [left] * pad + row + [right] * pad if pad else row
            got = [sep.join(seq[i:i + n]) for i in range(builtin_len(seq) - n + 1)]
            if not got and preserve_short_sequences and row:
                got = [sep.join(seq)]
            out.extend(got)
        return out
    if isinstance(data, RaggedTensor):
        return stack_rows([np.array(grams(r), dtype=object) for r in data.to_list()], strings=True)
    a = _as_strings(data)._a
    if a.ndim == 1:
        return _wrap(np.array(grams(a.tolist()), dtype=object))
    rows = [grams(r) for r in a.reshape(-1, a.shape[-1]).tolist()]
    return _wrap(np.array(rows, dtype=object).reshape(a.shape[:-1] + (-1,)))


def to_hash_bucket_fast(input, num_buckets, name=None):  # noqa: A002
    """FarmHash Fingerprint64 of each string modulo ``num_buckets`` (int64), as TensorFlow."""
    if isinstance(input, RaggedTensor):
        return input.with_flat_values(to_hash_bucket_fast(input.flat_values, num_buckets))
    a = _as_strings(input)._a
    return _core.reshape(_core.string_hash_buckets(a.ravel().tolist(), int(num_buckets), []), a.shape)


def fingerprint(data, method="farmhash64", name=None):
    """``tf.fingerprint``: each string's (or each row's bytes') FarmHash Fingerprint64 as 8 little-endian bytes,
    a uint8 tensor of shape [n, 8]."""
    if method != "farmhash64":
        raise ValueError("Unsupported fingerprint method: %r (only 'farmhash64')" % (method,))
    if isinstance(data, StringTensor) or (not isinstance(data, _core.Tensor) and _is_strings(data)):
        a = _as_strings(data)._a
        return _core.fingerprint64(a.reshape(a.shape[0], -1).sum(axis=1).tolist() if a.ndim > 1 else
                                   a.reshape(-1).tolist())
    a = np.ascontiguousarray(_core.convert_to_tensor(data).numpy())
    return _core.fingerprint64([row.tobytes() for row in a.reshape(a.shape[0], -1)])


def to_hash_bucket_strong(input, num_buckets, key, name=None):  # noqa: A002
    """SipHash-2-4 of each string with the 128-bit ``key`` (two uint64s) modulo ``num_buckets``, as TensorFlow."""
    if builtin_len(key) != 2:
        raise errors.InvalidArgumentError(None, None, "Key must have 2 elements, got %d" % builtin_len(key))
    a = _as_strings(input)._a
    return _core.reshape(_core.string_hash_buckets(a.ravel().tolist(), int(num_buckets), [int(k) for k in key]),
                         a.shape)

