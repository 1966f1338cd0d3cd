"""Where data set files are looked for: an explicit path, the Keras cache
(``$KERAS_HOME/datasets/<name>``, default ``~/.keras/datasets/<name>``), and any
system locations the data set names."""
import os


def keras_cache_dir(subdir):
    base = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return os.path.join(base, "datasets", subdir)


def find_files(name, filenames, path=None, system_dirs=()):
    """The directory among the candidates that holds all ``filenames``; a clear error otherwise."""
    candidates = []
    if path is not None:
        candidates.append(os.path.expanduser(str(path)))
    candidates.append(keras_cache_dir(name))
    candidates.extend(system_dirs)
    for d in candidates:
        if all(os.path.isfile(os.path.join(d, f)) for f in filenames):
            return d
    raise FileNotFoundError(
        "The %s data set was not found. tapeflow looked for the files %s in: %s. Put the published files in one of "
        "these directories (for example the Keras cache directory %s), or pass `path=` to load_data()."
        % (name, ", ".join(filenames), ", ".join(candidates), keras_cache_dir(name)))
