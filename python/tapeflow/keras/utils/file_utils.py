"""Finding, downloading and safely reading data set files.

A file is looked for at ``path`` (absolute, or relative to the Keras cache directory
``$KERAS_HOME/datasets``, default ``~/.keras/datasets``) and in system locations a data
set names; when it is in none of them it is downloaded into the cache from its
published origin and checked against its published checksum. Offline, the error
says where to put the file."""
import hashlib
import io
import os
import pickle
import shutil
import tarfile
import tempfile
import urllib.parse
import zipfile

import numpy as np

GCS = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


def keras_home():
    return os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")


def keras_cache_dir(subdir):
    return os.path.join(keras_home(), "datasets", subdir)


def file_hash(filename, algorithm="sha256", chunk_size=1 << 20):
    h = hashlib.sha256() if algorithm == "sha256" else hashlib.md5()
    with open(filename, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            h.update(chunk)
    return h.hexdigest()


def _algorithm(expected, algorithm):
    if algorithm == "auto":
        return "sha256" if len(expected) == 64 else "md5"
    return algorithm


def validate_file(filename, expected, algorithm="auto"):
    """Whether the file's sha256 (64 hex digits) or md5 (32) digest is ``expected``."""
    return file_hash(filename, _algorithm(expected, algorithm)) == expected


def _download(origin, target, expected, algorithm):
    """Downloads to a temporary file next to ``target``, checks it, and renames it into place."""
    import urllib.request  # only when downloading: it pulls in http and ssl at import
    os.makedirs(os.path.dirname(target), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".download-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(origin, timeout=60) as response:
            shutil.copyfileobj(response, out, 1 << 20)
        if expected and not validate_file(tmp, expected, algorithm):
            raise ValueError("The file downloaded from %s does not match its published %s checksum %s: the download "
                             "is corrupt or the file changed upstream." % (origin, _algorithm(expected, algorithm),
                                                                            expected))
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def get_file(fname=None, origin=None, untar=False, md5_hash=None, file_hash=None, cache_subdir="datasets",
             hash_algorithm="auto", extract=False, archive_format="auto", cache_dir=None, force_download=False):
    """``keras.utils.get_file``: the local path of ``fname`` in ``cache_dir/cache_subdir`` (default
    ``~/.keras/datasets``), downloaded from ``origin`` first when it is missing, or when ``file_hash``
    (sha256, or md5 when 32 digits) does not match. ``extract=True`` unpacks a tar or zip archive next to it
    and returns the folder."""
    if origin is None:
        raise ValueError('Please specify the "origin" argument (URL of the file to download).')
    fname = fname or os.path.basename(urllib.parse.urlsplit(origin).path)
    expected = file_hash or md5_hash
    directory = os.path.join(os.path.expanduser(cache_dir or keras_home()), cache_subdir)
    if untar:
        extract = True
        fname = fname if fname.endswith(".tar.gz") else fname + ".tar.gz"
    target = os.path.join(directory, fname)
    present = os.path.exists(target)
    mismatch = present and expected is not None and not validate_file(target, expected, hash_algorithm)
    fresh = force_download or not present or mismatch
    if fresh:
        try:
            _download(origin, target, expected, hash_algorithm)
        except OSError as e:  # urllib.error.URLError is an OSError
            if mismatch:  # the file is there, but not the published one: say so, not "could not download"
                raise ValueError(
                    "%s is there, but its %s checksum differs from the published %s (a truncated, corrupt or "
                    "different file), and a fresh copy could not be downloaded from %s (%s). Replace it with the "
                    "published file." % (target, _algorithm(expected, hash_algorithm), expected, origin,
                                         getattr(e, "reason", e))) from None
            raise FileNotFoundError(
                "Could not download %s from %s (%s). tapeflow looks for it at %s: when offline, copy the published "
                "file there (or pass its location as `path=`)." % (fname, origin, getattr(e, "reason", e), target)) \
                from None
    if not extract:
        return target
    folder = target
    for suffix in (".tar.gz", ".tgz", ".tar", ".zip"):
        if folder.endswith(suffix):
            folder = folder[: -len(suffix)]
    if fresh or not os.path.isdir(folder):
        extract_archive(target, folder if folder != target else target + "_extracted")
    return folder if folder != target else target + "_extracted"


def extract_archive(archive, destination):
    """Unpacks a tar(.gz) or zip archive into ``destination``, refusing members that would land outside it."""
    os.makedirs(destination, exist_ok=True)
    root = os.path.realpath(destination)
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            for name in zf.namelist():
                if not os.path.realpath(os.path.join(root, name)).startswith(root + os.sep):
                    raise ValueError("Archive %s has a member outside its folder: %r" % (archive, name))
            zf.extractall(root)
        return
    with tarfile.open(archive) as tf:
        for member in tf.getmembers():
            if not (member.isfile() or member.isdir()) or \
                    not os.path.realpath(os.path.join(root, member.name)).startswith(root + os.sep):
                raise ValueError("Archive %s has an unsafe member: %r" % (archive, member.name))
        tf.extractall(root)


def fetch(fname, origin, expected_hash, path=None, system_dirs=()):
    """A data set file: ``path`` (absolute, relative to the cache, or relative to the working directory),
    the same name in ``system_dirs``, else the cache, downloading it there when missing."""
    path = os.path.expanduser(os.fspath(path)) if path else fname
    if os.path.isabs(path) or os.path.isfile(path):
        if not os.path.isfile(path):
            raise FileNotFoundError("No such data set file: %s" % path)
        return path
    for d in system_dirs:
        if os.path.isfile(os.path.join(d, path)):
            return os.path.join(d, path)
    return get_file(path, origin=origin, file_hash=expected_hash)


# ----------------------------------------------------------------- safe reading of pickled arrays
class _ArrayUnpickler(pickle.Unpickler):
    """Unpickles only plain data: NumPy arrays and dtypes, lists, dicts, strings and numbers. A data file
    can hold no code that runs on loading."""

    _ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
                ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "scalar"),
                ("numpy._core.multiarray", "scalar"), ("builtins", "list"), ("builtins", "dict"),
                ("_codecs", "encode")}  # Python 3 pickles of bytes (protocol 2) go through _codecs.encode

    def find_class(self, module, name):
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError("Refusing to load %s.%s from a data file: only arrays and plain data are "
                                     "allowed" % (module, name))


def safe_unpickle(data, encoding="ASCII"):
    return _ArrayUnpickler(io.BytesIO(data), encoding=encoding).load()


def load_npz(filename):
    """The arrays of an .npz file as a dict; object arrays (ragged sequences) go through the restricted
    unpickler instead of ``allow_pickle=True``."""
    out = {}
    try:
        with zipfile.ZipFile(filename) as zf:
            for member in zf.namelist():
                with zf.open(member) as f:
                    data = f.read()
                stream = io.BytesIO(data)
                version = np.lib.format.read_magic(stream)
                reader = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
                    np.lib.format.read_array_header_2_0
                shape, fortran, dtype = reader(stream)
                if dtype.hasobject:
                    array = safe_unpickle(data[stream.tell():], encoding="latin1")
                else:
                    stream.seek(0)
                    array = np.lib.format.read_array(stream, allow_pickle=False)
                out[member[:-4] if member.endswith(".npy") else member] = array
    except (zipfile.BadZipFile, ValueError, EOFError, OSError, pickle.UnpicklingError) as e:
        raise ValueError("Could not read %s as an .npz archive (truncated or not the published file?): %s"
                         % (filename, e)) from None
    return out
