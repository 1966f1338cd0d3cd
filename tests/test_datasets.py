"""keras.datasets and keras.utils.get_file, on small files made here in the published formats."""
import hashlib
import io
import json
import os
import pickle
import tarfile

import numpy as np
import pytest

from tapeflow import keras
from tapeflow.keras.utils import file_utils


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    return tmp_path / "keras_home" / "datasets"


def _cifar_archive(filename, folder, members, label_keys, n=4, seed=0):
    rng = np.random.default_rng(seed)
    batches = {}
    with tarfile.open(filename, "w:gz") as tf:
        for m in members:
            batch = {b"data": rng.integers(0, 256, size=(n, 3072)).astype(np.uint8), b"batch_label": b"x"}
            for key in label_keys:
                batch[key] = [int(v) for v in rng.integers(0, 100, size=n)]
            data = pickle.dumps(batch, protocol=2)
            info = tarfile.TarInfo("%s/%s" % (folder, m))
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
            batches[m] = batch
    return batches


def test_cifar10_from_the_archive_and_the_extracted_folder(cache, tmp_path):
    members = ["data_batch_%d" % i for i in range(1, 6)] + ["test_batch"]
    archive = str(tmp_path / "cifar-10-python.tar.gz")
    batches = _cifar_archive(archive, "cifar-10-batches-py", members, [b"labels"])
    (x, y), (xt, yt) = keras.datasets.cifar10.load_data(path=archive)
    assert x.shape == (20, 32, 32, 3) and y.shape == (20, 1) and xt.shape == (4, 32, 32, 3) and yt.shape == (4, 1)
    assert x.dtype == y.dtype == np.uint8
    first = batches["data_batch_1"][b"data"][0]
    np.testing.assert_array_equal(x[0, :, :, 0].reshape(-1), first[:1024])  # red plane first, channels last
    np.testing.assert_array_equal(x[0, :, :, 2].reshape(-1), first[2048:])
    np.testing.assert_array_equal(yt[:, 0], batches["test_batch"][b"labels"])
    with tarfile.open(archive) as tf:  # the extracted folder in the Keras cache is found without path=
        tf.extractall(str(cache))
    (x2, _), _ = keras.datasets.cifar10.load_data()
    np.testing.assert_array_equal(x2, x)
    # A cached archive that does not match the published checksum is downloaded again; offline, that fails, and
    # the error says the file there has the wrong checksum (not that it could not be found)
    os.replace(archive, str(cache / "cifar-10-python.tar.gz"))
    os.rename(str(cache / "cifar-10-batches-py"), str(cache / "elsewhere"))
    with pytest.raises(ValueError, match="is there, but its sha256 checksum differs from the published"):
        keras.datasets.cifar10.load_data()


def test_cifar100_label_modes(tmp_path):
    archive = str(tmp_path / "c100.tar.gz")
    batches = _cifar_archive(archive, "cifar-100-python", ["train", "test"], [b"fine_labels", b"coarse_labels"])
    (x, y), _ = keras.datasets.cifar100.load_data(path=archive)
    np.testing.assert_array_equal(y[:, 0], batches["train"][b"fine_labels"])
    _, (_, yc) = keras.datasets.cifar100.load_data("coarse", path=archive)
    np.testing.assert_array_equal(yc[:, 0], batches["test"][b"coarse_labels"])
    with pytest.raises(ValueError, match="label_mode"):
        keras.datasets.cifar100.load_data("medium", path=archive)
    with open(archive, "r+b") as f:
        f.truncate(100)
    with pytest.raises(ValueError, match="truncated"):
        keras.datasets.cifar100.load_data(path=archive)


def _ragged(seqs):
    out = np.empty(len(seqs), dtype=object)
    out[:] = [list(s) for s in seqs]
    return out


def test_imdb_encoding_options(tmp_path):
    train = [[1, 2, 3], [4, 5], [6, 7, 8, 9], [2]]
    test = [[9, 9], [1, 5, 7]]
    path = str(tmp_path / "imdb.npz")
    np.savez(path, x_train=_ragged(train), y_train=np.array([0, 1, 0, 1]), x_test=_ragged(test),
             y_test=np.array([1, 0]))
    (x, y), (xt, yt) = keras.datasets.imdb.load_data(path=path)
    order = np.arange(4)
    rng = np.random.RandomState(113)
    rng.shuffle(order)
    test_order = np.arange(2)
    rng.shuffle(test_order)
    assert x.dtype == object and y.dtype == np.int64

    def encoded(s):  # as tf.keras: num_words defaults to the largest index, which itself becomes oov_char (2)
        return [1] + [w + 3 if w + 3 < 12 else 2 for w in s]
    assert [list(s) for s in x] == [encoded(train[i]) for i in order]
    np.testing.assert_array_equal(y, np.array([0, 1, 0, 1])[order])
    assert [list(s) for s in xt] == [encoded(test[i]) for i in test_order]
    (x, _), _ = keras.datasets.imdb.load_data(path=path, num_words=7, skip_top=1, start_char=None, oov_char=0,
                                              index_from=0, seed=1)
    assert sorted(map(list, x)) == sorted([[w if 1 <= w < 7 else 0 for w in s] for s in train])
    (x, _), (xt, _) = keras.datasets.imdb.load_data(path=path, maxlen=4, oov_char=None, num_words=8)
    assert sorted(map(list, x)) == sorted([[1] + [w + 3 for w in s if w + 3 < 8] for s in train if len(s) + 1 < 4])
    with pytest.raises(ValueError, match="maxlen"):
        keras.datasets.imdb.load_data(path=path, maxlen=1)
    word_index = {"the": 1, "and": 2}
    with open(str(tmp_path / "words.json"), "w") as f:
        json.dump(word_index, f)
    assert keras.datasets.imdb.get_word_index(path=str(tmp_path / "words.json")) == word_index


def test_reuters_split(tmp_path):
    seqs = [[i, i + 1] for i in range(10)]
    path = str(tmp_path / "reuters.npz")
    np.savez(path, x=_ragged(seqs), y=np.arange(10))
    (x, y), (xt, yt) = keras.datasets.reuters.load_data(path=path, test_split=0.3)
    assert len(x) == 7 and len(xt) == 3 and sorted(np.concatenate([y, yt]).tolist()) == list(range(10))
    for s, label in zip(list(x) + list(xt), list(y) + list(yt)):
        assert list(s) == [1, label + 3, label + 4 if label < 9 else 2]  # the largest index becomes oov_char


@pytest.mark.parametrize("module,features", [("boston_housing", 13), ("california_housing", 8)])
def test_housing(tmp_path, module, features):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(700, features))
    y = rng.normal(size=(700,))
    path = str(tmp_path / "h.npz")
    np.savez(path, x=x, y=y)
    (xtr, ytr), (xte, yte) = getattr(keras.datasets, module).load_data(path=path, test_split=0.25)
    assert xtr.shape == (525, features) and xte.shape == (175, features) and ytr.shape == (525,)
    order = np.arange(700)
    np.random.RandomState(113).shuffle(order)
    np.testing.assert_array_equal(xtr, x[order][:525])
    np.testing.assert_array_equal(yte, y[order][525:])
    if module == "california_housing":
        (xs, _), (xst, _) = keras.datasets.california_housing.load_data(version="small", path=path)
        assert len(xs) + len(xst) == 600


def test_pickled_code_in_a_data_file_is_refused(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))
    arr = np.empty(1, dtype=object)
    arr[0] = Evil()
    path = str(tmp_path / "imdb.npz")
    np.savez(path, x_train=arr, y_train=np.zeros(1), x_test=arr, y_test=np.zeros(1))
    with pytest.raises(ValueError, match="Refusing to load"):
        keras.datasets.imdb.load_data(path=path)


def test_get_file_downloads_checks_and_caches(tmp_path, cache):
    source = tmp_path / "published.npz"
    np.savez(str(source), x=np.arange(6.0).reshape(3, 2), y=np.arange(3.0))
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    url = source.as_uri()
    path = keras.utils.get_file("h.npz", origin=url, file_hash=digest)
    assert path == str(cache / "h.npz") and open(path, "rb").read() == source.read_bytes()
    md5 = hashlib.md5(source.read_bytes()).hexdigest()
    assert keras.utils.get_file("h.npz", origin="file:///nonexistent", file_hash=md5) == path  # cached and valid
    with pytest.raises(ValueError, match="checksum"):
        keras.utils.get_file("bad.npz", origin=url, file_hash="0" * 64)
    assert sorted(os.listdir(str(cache))) == ["h.npz"]  # nothing half-written left
    with pytest.raises(FileNotFoundError, match="copy the published file there"):
        keras.utils.get_file("other.npz", origin=(tmp_path / "nowhere.npz").as_uri())
    # A data set with a download origin: offline, the error names the cache location.
    with pytest.raises(FileNotFoundError, match=str(cache / "boston_housing.npz").replace("\\", "\\\\")):
        file_utils.get_file("boston_housing.npz", origin=(tmp_path / "nowhere.npz").as_uri())


def test_get_file_extracts_archives(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("hello")
    archive = tmp_path / "pack.tar.gz"
    with tarfile.open(str(archive), "w:gz") as tf:
        tf.add(str(src / "a.txt"), arcname="pack/a.txt")
    folder = keras.utils.get_file("pack.tar.gz", origin=archive.as_uri(), extract=True)
    assert open(os.path.join(folder, "pack", "a.txt")).read() == "hello"
