"""The side-by-side harness of the training benchmarks: tapeflow runs in this process, PyTorch and tf.keras
each in its own interpreter (its own virtual environment) on the same data, all in one run. Each framework
trains EPOCHS one-epoch runs; the table shows the first (tracing and warm-up included) and the fastest of the
others (steady state: on a shared VM the fastest run is the least disturbed one), and the ratio of each
framework's fastest steady-state epoch to tapeflow's."""
import argparse
import json
import os
import subprocess
import sys
import time

EPOCHS = 4


def fashion_mnist(split="train"):
    """Fashion-MNIST images (n, 28, 28) as float32 in [0, 1] and int64 labels, read from the IDX files of
    /usr/share/datasets/fashion-mnist (or ~/.keras/datasets/fashion-mnist); random data of the same shapes, and
    a note saying so, when neither exists. Returns (x, y, source)."""
    import gzip
    import numpy as np
    prefix = "train" if split == "train" else "t10k"
    home = os.path.join(os.environ.get("KERAS_HOME", os.path.expanduser("~/.keras")), "datasets", "fashion-mnist")
    for folder in ("/usr/share/datasets/fashion-mnist", home):
        img = os.path.join(folder, prefix + "-images-idx3-ubyte.gz")
        lab = os.path.join(folder, prefix + "-labels-idx1-ubyte.gz")
        if os.path.exists(img) and os.path.exists(lab):
            with gzip.open(img) as f:
                x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)
            with gzip.open(lab) as f:
                y = np.frombuffer(f.read(), np.uint8, offset=8)
            return (x / 255.0).astype("float32"), y.astype("int64"), "Fashion-MNIST"
    n = 60000 if split == "train" else 10000
    rng = np.random.default_rng(0)
    return rng.random((n, 28, 28), dtype=np.float32), rng.integers(0, 10, n), "random data (Fashion-MNIST absent)"


def best_time(fn, min_time=0.3, max_reps=2000):
    """The fastest of repeated calls of fn (after one warm-up call), for at least min_time seconds and 3 calls."""
    fn()
    reps, best, spent = 0, float("inf"), 0.0
    while (spent < min_time or reps < 3) and reps < max_reps:
        t = time.perf_counter()
        fn()
        dt = time.perf_counter() - t
        best, spent, reps = min(best, dt), spent + dt, reps + 1
    return best


def fit_epochs(keras, model, x, y, batch, epochs=EPOCHS):
    """Wall-clock seconds of each one-epoch ``fit`` and the last epoch's training accuracy."""
    times, acc = [], None
    for _ in range(epochs):
        t = time.perf_counter()
        h = model.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=True)
        times.append(time.perf_counter() - t)
        acc = float(h.history["accuracy"][-1])
    return times, acc


def torch_epochs(model, opt, loss_fn, xt, yt, batch, predicted):
    """The plain PyTorch loop: EPOCHS shuffled epochs; seconds of each and the last epoch's training accuracy
    (``predicted(out)`` gives the predicted labels of a batch)."""
    import torch
    n = len(xt)
    times, acc = [], None
    for _ in range(EPOCHS):
        t = time.perf_counter()
        perm = torch.randperm(n)
        correct = 0
        for i in range(0, n, batch):
            idx = perm[i:i + batch]
            out = model(xt[idx])
            loss = loss_fn(out, yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            correct += int((predicted(out) == yt[idx]).sum())
        times.append(time.perf_counter() - t)
        acc = correct / n
    return times, acc


def run(name, threads, load, run_keras, run_torch):
    """One framework's result for main(): {"times", "accuracy", "data"}."""
    x, y, source = load()
    if name == "torch":
        times, acc = run_torch(threads, x, y)
    else:
        times, acc = run_keras(import_framework(name, threads), x, y)
    return {"times": times, "accuracy": acc, "data": source}


def import_framework(name, threads):
    """tapeflow's or TensorFlow's keras with `threads` intra-op threads and seed 0 (TensorFlow: the TF venv)."""
    if name == "tapeflow":
        import tapeflow as tf
        from tapeflow import keras
    else:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import tensorflow as tf
        tf.config.threading.set_inter_op_parallelism_threads(1)
        import keras
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    keras.utils.set_random_seed(0)
    return keras


def side_by_side(doc, worker):
    """Parses the common arguments (--threads, --torch-python, --tf-python). As a worker process, prints
    ``worker(name, threads)``'s result as JSON and returns None; otherwise runs tapeflow here and each peer in its
    own interpreter, and returns ({framework: result}, args)."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--torch-python", default=os.environ.get("TORCH_PYTHON", "venv-torch/bin/python"))
    ap.add_argument("--tf-python", default=os.environ.get("TF_PYTHON", "venv-tf/bin/python"))
    ap.add_argument("--worker", choices=["tapeflow", "torch", "tensorflow"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.threads)))
        return None
    results = {"tapeflow": worker("tapeflow", args.threads)}
    for name, python in (("torch", args.torch_python), ("tensorflow", args.tf_python)):
        if os.path.exists(python):
            out = subprocess.check_output([python, sys.argv[0], "--worker", name, "--threads", str(args.threads)])
            results[name] = json.loads(out.decode().strip().splitlines()[-1])
        else:
            print("(%s not found at %s)" % (name, python))
    return results, args


def main(doc, worker, title, unit_count=None):
    """Runs every framework (``side_by_side``) and prints the table. ``worker`` returns {"times": [...],
    "accuracy": a, "data": text} (``run`` makes it).
    With ``unit_count``, a throughput column (units per second of the fastest steady-state epoch) is added."""
    ran = side_by_side(doc, worker)
    if ran is None:
        return
    results, args = ran
    print("%s, %d threads, %s" % (title, args.threads, results["tapeflow"]["data"]))
    extra = "%12s" % "samples/s" if unit_count else ""
    print("%-11s %10s %12s %9s%s %12s" % ("", "epoch 1 s", "best 2-%d s" % EPOCHS, "accuracy", extra, "tapeflow is"))
    base = min(results["tapeflow"]["times"][1:])
    for name, r in results.items():
        best = min(r["times"][1:])
        ratio = "" if name == "tapeflow" else "%.2fx" % (best / base)
        rate = "%12.0f" % (unit_count / best) if unit_count else ""
        print("%-11s %10.2f %12.2f %9.3f%s %12s" % (name, r["times"][0], best, r["accuracy"], rate, ratio))
    print("(ratio = peer's best steady-state epoch / tapeflow's; > 1 means tapeflow is faster; accuracy: last epoch)")
