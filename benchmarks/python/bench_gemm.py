"""float32 GEMM side by side: tapeflow, PyTorch and TensorFlow (each in its own interpreter, from its own
virtual environment) on the same shapes in one run, printed as GFLOP/s and tapeflow / peer ratios.

    python benchmarks/python/bench_gemm.py [--torch-python P] [--tf-python P] [--threads 2] [--quick]

Shapes: squares 64 ... 4096; the layer shapes of a 784-input MLP at batch 32 and 128: the forward product
x @ W, and the two gradient products x^T @ dy (the weight gradient) and dy @ W^T (the input gradient); and
batched products of many small matrices (B x M x K @ B x K x N), as in attention.

Method: every framework runs as a worker process that stays up for the whole run. For each shape the driver
asks each worker in turn for one timing, ROUNDS times; a worker's timing is the best of repeated calls for at
least MIN_TIME seconds after a warm-up call. The figure for a shape is each framework's best round. Interleaving
the frameworks shape by shape, rather than running one after the other, keeps a slow spell of this shared
machine from falling on one framework only.
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np

from harness import best_time

SQUARES = [64, 128, 256, 512, 1024, 2048, 4096]
# (label, M, K, N, transpose_a, transpose_b)
MODEL = [
    ("fwd b32 784->128", 32, 784, 128, False, False),
    ("dW  b32 784->128", 784, 32, 128, True, False),
    ("dx  b32 784->128", 32, 128, 784, False, True),
    ("fwd b128 784->512", 128, 784, 512, False, False),
    ("dW  b128 784->512", 784, 128, 512, True, False),
    ("dx  b128 784->512", 128, 512, 784, False, True),
]
# (batch, M, K, N)
BATCHED = [(1000, 8, 8, 8), (512, 32, 32, 32), (64, 128, 64, 128), (32, 128, 128, 128), (16, 256, 256, 256)]
ROUNDS = 3
MIN_TIME = 0.2


def worker(framework, threads):
    """Reads one shape per line from stdin, answers its GFLOP/s on stdout."""
    if framework == "tapeflow":
        import tapeflow as tf
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        const, sync = tf.constant, lambda r: r
        mm = lambda a, b, ta, tb: tf.matmul(a, b, transpose_a=ta, transpose_b=tb)
    elif framework == "torch":
        import torch
        torch.set_num_threads(threads)
        const, sync = torch.from_numpy, lambda r: r
        mm = lambda a, b, ta, tb: torch.matmul(a.mT if ta else a, b.mT if tb else b)
    else:
        import tensorflow as tf
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
        const, sync = tf.constant, lambda r: r.numpy()  # TF runs ops asynchronously: wait for the result
        mm = lambda a, b, ta, tb: tf.matmul(a, b, transpose_a=ta, transpose_b=tb)
    rng = np.random.default_rng(0)
    cache = {}
    print(json.dumps({"ready": framework}), flush=True)
    for line in sys.stdin:
        batch, m, k, n, ta, tb, min_time = json.loads(line)
        key = (batch, m, k, n, ta, tb)
        if key not in cache:
            cache.clear()
            lead = (batch,) if batch > 1 else ()
            a = rng.uniform(-1, 1, lead + ((k, m) if ta else (m, k))).astype(np.float32)
            b = rng.uniform(-1, 1, lead + ((n, k) if tb else (k, n))).astype(np.float32)
            cache[key] = (const(a), const(b))
        a, b = cache[key]
        t = best_time(lambda: sync(mm(a, b, ta, tb)), min_time)
        print(json.dumps(2.0 * batch * m * k * n / t / 1e9), flush=True)


class Worker:
    def __init__(self, python, framework, threads):
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
        self.p = subprocess.Popen([python, os.path.abspath(__file__), "--worker", framework, "--threads",
                                   str(threads)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        json.loads(self.p.stdout.readline())

    def time(self, shape, min_time):
        self.p.stdin.write(json.dumps(list(shape) + [min_time]) + "\n")
        self.p.stdin.flush()
        return json.loads(self.p.stdout.readline())

    def close(self):
        self.p.stdin.close()
        self.p.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--torch-python", default=os.environ.get("TORCH_PYTHON", "venv-torch/bin/python"))
    ap.add_argument("--tf-python", default=os.environ.get("TF_PYTHON", "venv-tf/bin/python"))
    ap.add_argument("--quick", action="store_true", help="one round, squares up to 2048")
    ap.add_argument("--worker", choices=["tapeflow", "torch", "tensorflow"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker, args.threads)
        return
    workers = {"tapeflow": Worker(sys.executable, "tapeflow", args.threads)}
    for name, python in (("torch", args.torch_python), ("tensorflow", args.tf_python)):
        if os.path.exists(python):
            workers[name] = Worker(python, name, args.threads)
        else:
            print("(%s not found at %s: pass --%s-python)" % (name, python, "torch" if name == "torch" else "tf"))
    rounds = 1 if args.quick else ROUNDS
    shapes = ([("%d^2" % n, 1, n, n, n, False, False) for n in SQUARES if not (args.quick and n > 2048)] +
              [(label, 1, m, k, n, ta, tb) for label, m, k, n, ta, tb in MODEL] +
              [("batch %d" % b, b, m, k, n, False, False) for b, m, k, n in BATCHED])
    peers = [p for p in workers if p != "tapeflow"]
    print("float32 GEMM, GFLOP/s, %d threads, best of %d interleaved rounds (ratio = tapeflow / peer)"
          % (args.threads, rounds))
    print("%-32s %9s" % ("shape (M x K x N)", "tapeflow") + "".join("%11s %6s" % (p, "ratio") for p in peers))
    for label, batch, m, k, n, ta, tb in shapes:
        best = {p: 0.0 for p in workers}
        min_time = MIN_TIME if batch * m * k * n < 1e9 else 2 * MIN_TIME
        for _ in range(rounds):
            for p, w in workers.items():
                best[p] = max(best[p], w.time((batch, m, k, n, ta, tb), min_time))
        row = "%-32s %9.1f" % ("%s (%dx%dx%d)" % (label, m, k, n) if "^2" not in label else label, best["tapeflow"])
        for p in peers:
            row += "%11.1f %6.2f" % (best[p], best["tapeflow"] / best[p])
        print(row, flush=True)
    for w in workers.values():
        w.close()


if __name__ == "__main__":
    main()
