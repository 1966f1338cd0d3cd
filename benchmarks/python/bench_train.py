"""Per-step overhead on small models: tapeflow (captured steps), PyTorch (a plain hand-written loop) and tf.keras
(``model.fit`` / ``model.predict``), each in its own interpreter, all in one run, printed as one table.

    python benchmarks/python/bench_train.py [--torch-python venv-torch/bin/python]
                                            [--tf-python venv-tf/bin/python] [--threads 2] [--quick]

Workloads:
  tiny     Dense 8->16 relu -> Dense 1, SGD, MSE, batch 32, on 16 000 random rows: microseconds per step, from
           the fastest of three one-epoch fits after a warm-up fit (PyTorch: the same loop by hand).
  predict  one sample through a trained-shape 784->128 relu->10 softmax MLP: the median of repeated
           ``model.predict(x, verbose=0)`` calls in microseconds (PyTorch: ``net(x)`` under no_grad).
  mlp1     784->128 relu->10, Adam, batch 32, one epoch of the 60 000 Fashion-MNIST training images.
  mlp2     784->512 relu->512 relu->10, Adam, batch 128, two epochs.
           For both: the wall clock of the whole fit on a fresh model, as a user runs it (tracing, capture and
           warm-up included), and the test accuracy on the 10 000 test images.
Ratios are peer / tapeflow: above 1 means tapeflow is faster.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

import harness

TINY_ROWS, TINY_BATCH = 16000, 32


def tiny_data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(TINY_ROWS, 8)).astype("float32")
    return x, (x @ rng.normal(size=(8, 1))).astype("float32")


def median_us(fn, reps):
    for _ in range(min(reps, 20)):
        fn()
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e6


def keras_worker(keras, quick):
    res = {}
    x, y = tiny_data()
    m = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(1)])
    m.compile(keras.optimizers.SGD(0.01), "mse")
    m.fit(x, y, batch_size=TINY_BATCH, epochs=1, verbose=0)
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        m.fit(x, y, batch_size=TINY_BATCH, epochs=1, verbose=0)
        best = min(best, time.perf_counter() - t)
    res["tiny"] = best / (TINY_ROWS // TINY_BATCH) * 1e6

    p = keras.Sequential([keras.Input((784,)), keras.layers.Dense(128, activation="relu"),
                          keras.layers.Dense(10, activation="softmax")])
    one = np.random.default_rng(1).random((1, 784), dtype=np.float32)
    slow = "tensorflow" in type(p).__module__ or "keras.src" in type(p).__module__
    res["predict"] = median_us(lambda: p.predict(one, verbose=0), 30 if slow else 3000)

    xtr, ytr, source = harness.fashion_mnist("train")
    xte, yte, _ = harness.fashion_mnist("test")
    xtr, xte = xtr.reshape(-1, 784), xte.reshape(-1, 784)
    if quick:
        xtr, ytr = xtr[:12000], ytr[:12000]
    for key, widths, batch, epochs in (("mlp1", (128,), 32, 1), ("mlp2", (512, 512), 128, 2)):
        model = keras.Sequential([keras.Input((784,))] + [keras.layers.Dense(w, activation="relu") for w in widths] +
                                 [keras.layers.Dense(10, activation="softmax")])
        model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
        t = time.perf_counter()
        model.fit(xtr, ytr, batch_size=batch, epochs=epochs, verbose=0)
        res[key] = time.perf_counter() - t
        res[key + "_acc"] = float(model.evaluate(xte, yte, verbose=0)[1])
    res["data"] = source
    return res


def torch_epoch(model, opt, loss_fn, x, y, batch):
    """One shuffled epoch of the plain PyTorch loop."""
    import torch
    perm = torch.randperm(len(x))
    for i in range(0, len(x), batch):
        idx = perm[i:i + batch]
        loss = loss_fn(model(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()


def torch_worker(threads, quick):
    import torch
    from torch import nn
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    res = {}
    x, y = (torch.from_numpy(a) for a in tiny_data())
    net = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1))
    opt = torch.optim.SGD(net.parameters(), lr=0.01)
    loss_fn = nn.MSELoss()
    torch_epoch(net, opt, loss_fn, x, y, TINY_BATCH)
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        torch_epoch(net, opt, loss_fn, x, y, TINY_BATCH)
        best = min(best, time.perf_counter() - t)
    res["tiny"] = best / (TINY_ROWS // TINY_BATCH) * 1e6

    p = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10), nn.Softmax(dim=1))
    one = torch.from_numpy(np.random.default_rng(1).random((1, 784), dtype=np.float32))

    def predict():
        with torch.no_grad():
            return p(one).numpy()
    res["predict"] = median_us(predict, 3000)

    xtr, ytr, source = harness.fashion_mnist("train")
    xte, yte, _ = harness.fashion_mnist("test")
    if quick:
        xtr, ytr = xtr[:12000], ytr[:12000]
    xtr, ytr = torch.from_numpy(xtr.reshape(-1, 784)), torch.from_numpy(ytr)
    xte, yte = torch.from_numpy(xte.reshape(-1, 784)), torch.from_numpy(yte)
    for key, widths, batch, epochs in (("mlp1", (128,), 32, 1), ("mlp2", (512, 512), 128, 2)):
        t = time.perf_counter()
        dims = (784,) + widths
        mods = []
        for a, b in zip(dims[:-1], dims[1:]):
            mods += [nn.Linear(a, b), nn.ReLU()]
        model = nn.Sequential(*mods, nn.Linear(dims[-1], 10))
        opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
        for _ in range(epochs):
            torch_epoch(model, opt, nn.CrossEntropyLoss(), xtr, ytr, batch)
        res[key] = time.perf_counter() - t
        with torch.no_grad():
            res[key + "_acc"] = float((model(xte).argmax(1) == yte).float().mean())
    res["data"] = source
    return res


def worker(name, threads, quick):
    if name == "torch":
        return torch_worker(threads, quick)
    return keras_worker(harness.import_framework(name, threads), quick)


ROWS = (("tiny", "tiny step, us/step"), ("predict", "predict 1 sample, us"), ("mlp1", "MLP 784-128-10, 1 epoch, s"),
        ("mlp2", "MLP 784-512-512-10, 2 epochs, s"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="MLPs on 12 000 training images (a smoke run)")
    ap.add_argument("--torch-python", default=os.environ.get("TORCH_PYTHON", "venv-torch/bin/python"))
    ap.add_argument("--tf-python", default=os.environ.get("TF_PYTHON", "venv-tf/bin/python"))
    ap.add_argument("--worker", choices=["tapeflow", "torch", "tensorflow"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.threads, args.quick)))
        return
    results = {"tapeflow": worker("tapeflow", args.threads, args.quick)}
    for name, python in (("torch", args.torch_python), ("tensorflow", args.tf_python)):
        if os.path.exists(python):
            cmd = [python, sys.argv[0], "--worker", name, "--threads", str(args.threads)] + \
                (["--quick"] if args.quick else [])
            results[name] = json.loads(subprocess.check_output(cmd).decode().strip().splitlines()[-1])
        else:
            print("(%s not found at %s)" % (name, python))
    names = list(results)
    print("Small-model overhead, %d threads, %s%s" % (args.threads, results["tapeflow"]["data"],
                                                      " (quick: 12 000 training images)" if args.quick else ""))
    print("%-34s" % "" + "".join("%12s" % n for n in names) + "".join("%21s" % (n + "/tapeflow") for n in names[1:]))
    for key, label in ROWS:
        vals = [results[n][key] for n in names]
        fmt = "%12.1f" if key in ("tiny", "predict") else "%12.2f"
        print("%-34s" % label + "".join(fmt % v for v in vals) +
              "".join("%20.1fx" % (v / vals[0]) for v in vals[1:]))
    for key in ("mlp1", "mlp2"):
        print("%-34s" % ("  test accuracy " + key) + "".join("%12.4f" % results[n][key + "_acc"] for n in names))
    print("(peer/tapeflow = the peer's figure divided by tapeflow's: above 1 means tapeflow is faster)")


if __name__ == "__main__":
    main()
