"""Reader for the IDX format of MNIST and Fashion-MNIST (optionally gzip-compressed):
a big-endian header (two zero bytes, a type code, the number of dimensions, then
each dimension as a 32-bit integer) followed by the values."""
import gzip

import numpy as np

_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"),
          0x0E: np.dtype(">f8")}


def read_idx(filename):
    opener = gzip.open if str(filename).endswith(".gz") else open
    try:
        with opener(filename, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as e:
        raise ValueError("Could not read IDX file %s: %s (the file is damaged or truncated)" % (filename, e)) from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _TYPES:
        raise ValueError("%s is not an IDX file (bad magic number)" % filename)
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError("IDX file %s is truncated (header)" % filename)
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    dtype = np.dtype(_TYPES[data[2]])
    count = int(np.prod(dims, dtype=np.int64))
    if len(data) - header != count * dtype.itemsize:
        raise ValueError("IDX file %s is truncated or has trailing data: header says %s values of %d bytes, found %d "
                         "bytes" % (filename, dims, dtype.itemsize, len(data) - header))
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(dims).astype(dtype.newbyteorder("="))
