"""Files written whole or not at all: a temporary file next to the target, flushed and renamed over it."""
import contextlib
import os
import tempfile


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def _remove_stale_temporaries(directory, prefix):
    """Removes temporaries of the same target left by saves whose process died (killed mid-save: no cleanup ran).
    A temporary's name holds its writer's pid; one whose writer still runs may be a save in progress."""
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        if not (name.startswith(prefix) and name.endswith(".tmp")):
            continue
        pid = name[len(prefix):].split(".", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(directory, name))


@contextlib.contextmanager
def atomic_write(filepath):
    """Yields a temporary path next to ``filepath``; on success it is flushed to disk and renamed over
    ``filepath``, on failure removed (the old ``filepath`` is untouched either way). Temporaries of the same
    target left by killed processes are removed first."""
    filepath = os.fspath(filepath)
    directory = os.path.dirname(os.path.abspath(filepath))
    os.makedirs(directory, exist_ok=True)
    prefix = "." + os.path.basename(filepath) + "."
    _remove_stale_temporaries(directory, prefix)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix="%s%d." % (prefix, os.getpid()), suffix=".tmp")
    os.close(fd)
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, filepath)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
