"""One training epoch of a small CNN (Conv2D 32 -> MaxPool -> Conv2D 64 -> MaxPool -> Flatten -> Dense 10,
Adam, batch 64) on 12 000 Fashion-MNIST images: tapeflow in this process, PyTorch and tf.keras each in
their own interpreter (their own virtual environments), all in one run, printed as ratios.

    python benchmarks/python/bench_cnn.py [--torch-python venv-torch/bin/python]
                                          [--tf-python venv-tf/bin/python] [--threads 2]

Each framework runs two epochs; the table shows the second (steady state: graph tracing and
allocator warm-up are in the first, also printed). Wall clock, time.perf_counter.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

N, BATCH = 12000, 64


def load():
    """The first 12 000 Fashion-MNIST training images (IDX files, as tapeflow's loader reads them)."""
    import gzip
    d = "/usr/share/datasets/fashion-mnist"
    home = os.path.join(os.environ.get("KERAS_HOME", os.path.expanduser("~/.keras")), "datasets", "fashion-mnist")
    for folder in (d, home):
        img = os.path.join(folder, "train-images-idx3-ubyte.gz")
        lab = os.path.join(folder, "train-labels-idx1-ubyte.gz")
        if os.path.exists(img) and os.path.exists(lab):
            with gzip.open(img) as f:
                x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)[:N]
            with gzip.open(lab) as f:
                y = np.frombuffer(f.read(), np.uint8, offset=8)[:N]
            return (x / 255.0).astype("float32")[..., None], y.astype("int64"), "Fashion-MNIST"
    rng = np.random.default_rng(0)
    return rng.random((N, 28, 28, 1), dtype=np.float32), rng.integers(0, 10, N), "random data (Fashion-MNIST absent)"


def keras_model(keras):
    return keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(32, 3, activation="relu"),
                             keras.layers.MaxPooling2D(), keras.layers.Conv2D(64, 3, activation="relu"),
                             keras.layers.MaxPooling2D(), keras.layers.Flatten(),
                             keras.layers.Dense(10, activation="softmax")])


def run_keras(keras, x, y):
    m = keras_model(keras)
    m.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    times, acc = [], None
    for _ in range(2):
        t = time.perf_counter()
        h = m.fit(x, y, batch_size=BATCH, epochs=1, verbose=0, shuffle=True)
        times.append(time.perf_counter() - t)
        acc = float(h.history["accuracy"][-1])
    return times, acc


def run_torch(threads, x, y):
    import torch
    from torch import nn
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64 * 5 * 5, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    xt = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
    yt = torch.from_numpy(y)
    loss_fn = nn.CrossEntropyLoss()
    times, acc = [], None
    for _ in range(2):
        t = time.perf_counter()
        perm = torch.randperm(N)
        correct = 0
        for i in range(0, N, BATCH):
            idx = perm[i:i + BATCH]
            out = model(xt[idx])
            loss = loss_fn(out, yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            correct += int((out.argmax(1) == yt[idx]).sum())
        times.append(time.perf_counter() - t)
        acc = correct / N
    return times, acc


def worker(name, threads):
    x, y, source = load()
    if name == "tapeflow":
        import tapeflow as tf
        from tapeflow import keras
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        keras.utils.set_random_seed(0)
        times, acc = run_keras(keras, x, y)
    elif name == "tensorflow":
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import tensorflow as tf
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
        import keras
        keras.utils.set_random_seed(0)
        times, acc = run_keras(keras, x, y)
    else:
        times, acc = run_torch(threads, x, y)
    return {"times": times, "accuracy": acc, "data": source}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--torch-python", default=os.environ.get("TORCH_PYTHON", "venv-torch/bin/python"))
    ap.add_argument("--tf-python", default=os.environ.get("TF_PYTHON", "venv-tf/bin/python"))
    ap.add_argument("--worker", choices=["tapeflow", "torch", "tensorflow"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.threads)))
        return
    results = {"tapeflow": worker("tapeflow", args.threads)}
    for name, python in (("torch", args.torch_python), ("tensorflow", args.tf_python)):
        if os.path.exists(python):
            out = subprocess.check_output([python, __file__, "--worker", name, "--threads", str(args.threads)])
            results[name] = json.loads(out.decode().strip().splitlines()[-1])
        else:
            print("(%s not found at %s)" % (name, python))
    print("CNN, one epoch of %d images, batch %d, %d threads, %s" % (N, BATCH, args.threads,
                                                                     results["tapeflow"]["data"]))
    print("%-11s %10s %10s %9s %12s" % ("", "epoch 1 s", "epoch 2 s", "accuracy", "tapeflow is"))
    base = results["tapeflow"]["times"][1]
    for name, r in results.items():
        ratio = "" if name == "tapeflow" else "%.2fx" % (r["times"][1] / base)
        print("%-11s %10.2f %10.2f %9.3f %12s" % (name, r["times"][0], r["times"][1], r["accuracy"], ratio))
    print("(ratio = peer epoch-2 time / tapeflow epoch-2 time; > 1 means tapeflow is faster)")


if __name__ == "__main__":
    main()
