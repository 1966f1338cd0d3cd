"""tapeflow on the GPU against PyTorch on the same GPU, in one run, printed as one table (ratios are
PyTorch time / tapeflow time: above 1 means tapeflow is faster).

    python benchmarks/python/bench_gpu.py [--quick]

Workloads:
  matmul N   float32 N x N x N products, with TF32 off and on (PyTorch: torch.backends.cuda.matmul.allow_tf32),
             timed with CUDA events around 20 products after warm-up, median of 5 such runs, in TFLOP/s.
  mlp1       784->128 relu->10, Adam, sparse categorical cross-entropy, batch 32, one epoch of 60 000 rows of
             Fashion-MNIST's shape (random data: the device machine has no data set): the wall clock of model.fit
             after a warm-up epoch, against PyTorch eager, the hand-written loop PyTorch users write.
Run both peers in one process; each synchronizes its device before reading a clock.
"""
import argparse
import statistics
import time

import numpy as np


def tapeflow_matmul(n, tf32, reps=20):
    import tapeflow as tf
    tf.config.experimental.enable_tensor_float32_execution(tf32)
    rng = np.random.default_rng(0)
    a = tf.constant(rng.normal(size=(n, n)).astype(np.float32))
    b = tf.constant(rng.normal(size=(n, n)).astype(np.float32))
    for _ in range(3):
        tf.matmul(a, b)
    tf._core.cuda_synchronize(0)
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(reps):
            c = tf.matmul(a, b)
        tf._core.cuda_synchronize(0)
        times.append((time.perf_counter() - t0) / reps)
        del c
    return 2 * n ** 3 / statistics.median(times) / 1e12


def torch_matmul(n, tf32, reps=20):
    import torch
    torch.backends.cuda.matmul.allow_tf32 = tf32
    g = torch.Generator(device="cuda").manual_seed(0)
    a = torch.randn(n, n, device="cuda", generator=g)
    b = torch.randn(n, n, device="cuda", generator=g)
    for _ in range(3):
        a @ b
    torch.cuda.synchronize()
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(reps):
            c = a @ b
        torch.cuda.synchronize()
        times.append((time.perf_counter() - t0) / reps)
        del c
    return 2 * n ** 3 / statistics.median(times) / 1e12


def mlp_data(rows=60000):
    rng = np.random.default_rng(0)
    return rng.uniform(size=(rows, 784)).astype(np.float32), rng.integers(0, 10, rows).astype(np.int64)


def tapeflow_mlp(x, y):
    import tapeflow as tf
    from tapeflow import keras
    tf.config.experimental.enable_tensor_float32_execution(True)
    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(128, activation="relu"),
                              keras.layers.Dense(10)])
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x[:3200], y[:3200], batch_size=32, epochs=1, verbose=0)
    tf._core.cuda_synchronize(0)
    t0 = time.perf_counter()
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    tf._core.cuda_synchronize(0)
    return time.perf_counter() - t0


def torch_mlp(x, y):
    import torch
    torch.backends.cuda.matmul.allow_tf32 = True
    net = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10)).cuda()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(x).cuda(), torch.from_numpy(y).cuda()

    def epoch(n):
        perm = torch.randperm(n, device="cuda")
        for i in range(0, n - 31, 32):
            idx = perm[i:i + 32]
            opt.zero_grad()
            loss = loss_fn(net(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
    epoch(3200)
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    epoch(len(x))
    torch.cuda.synchronize()
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="matmul sizes 1024 and 4096 only")
    args = ap.parse_args()
    import tapeflow as tf
    import torch
    print("GPU: %s; torch %s" % (tf._core.cuda_device_name(0), torch.__version__))
    rows = []
    for n in ((1024, 4096) if args.quick else (1024, 2048, 4096, 8192)):
        for tf32 in (False, True):
            a, b = tapeflow_matmul(n, tf32), torch_matmul(n, tf32)
            rows.append(("matmul %d %s" % (n, "tf32" if tf32 else "fp32"), "%.1f TFLOP/s" % a, "%.1f TFLOP/s" % b,
                         a / b))
    x, y = mlp_data()
    a, b = tapeflow_mlp(x, y), torch_mlp(x, y)
    rows.append(("mlp1 epoch (60k, batch 32)", "%.2f s" % a, "%.2f s" % b, b / a))
    print("%-28s %16s %16s %8s" % ("workload", "tapeflow", "torch", "ratio"))
    for r in rows:
        print("%-28s %16s %16s %7.2fx" % r)


if __name__ == "__main__":
    main()
