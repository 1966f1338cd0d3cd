"""Side-by-side timings of elementwise calls (per-call overhead and a large add):
tapeflow and NumPy in this process, PyTorch in its own interpreter (it lives in a
separate virtual environment), all in one run, printed as ratios. The GEMM has its
own benchmark, bench_gemm.py.

    python benchmarks/python/bench_ops.py [--torch-python venv-torch/bin/python] [--threads 2]

Timing: best of several repetitions after a warm-up, wall clock (time.perf_counter).
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

from harness import best_time

def per_call(fn, calls=20000):
    fn()
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - t) / calls)
    return best


def run(framework, threads):
    if framework == "tapeflow":
        import tapeflow as tf
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        const, add = tf.constant, tf.add
    elif framework == "torch":
        import torch
        torch.set_num_threads(threads)
        const, add = torch.from_numpy, torch.add
    else:  # OpenBLAS threads are set by the parent through OPENBLAS_NUM_THREADS
        const, add = (lambda a: a), np.add
    out = {}
    x, y = const(np.ones(4, np.float32)), const(np.ones(4, np.float32))
    out["add_call_us"] = per_call(lambda: add(x, y)) * 1e6
    x, y = const(np.ones(1 << 20, np.float32)), const(np.ones(1 << 20, np.float32))
    out["add_1m_us"] = best_time(lambda: add(x, y), max_reps=200) * 1e6
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--torch-python", default=os.environ.get("TORCH_PYTHON", "venv-torch/bin/python"))
    ap.add_argument("--worker", choices=["tapeflow", "torch", "numpy"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(run(args.worker, args.threads)))
        return
    results = {"tapeflow": run("tapeflow", args.threads)}
    results["numpy"] = json.loads(subprocess.check_output(
        [sys.executable, __file__, "--worker", "numpy", "--threads", str(args.threads)],
        env=dict(os.environ, OPENBLAS_NUM_THREADS=str(args.threads))))
    if os.path.exists(args.torch_python):
        results["torch"] = json.loads(subprocess.check_output(
            [args.torch_python, __file__, "--worker", "torch", "--threads", str(args.threads)]))
    else:
        print("(PyTorch not found at %s: pass --torch-python)" % args.torch_python)
    peers = [p for p in ("torch", "numpy") if p in results]
    print("elementwise add, %d threads (ratio = peer time / tapeflow time; > 1 means tapeflow is faster)"
          % args.threads)
    for key, label in (("add_call_us", "call on 4 elements, us"), ("add_1m_us", "1M elements, us")):
        tfv = results["tapeflow"][key]
        print("%-24s tapeflow %8.2f" % (label, tfv) +
              "".join("   %s %8.2f (%.2fx)" % (p, results[p][key], results[p][key] / tfv) for p in peers))


if __name__ == "__main__":
    main()
