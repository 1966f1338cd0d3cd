"""An input pipeline against arrays: one epoch of ``fit`` on
``from_tensor_slices((x, y)).shuffle(60000).batch(32).prefetch(AUTOTUNE)`` and on the same arrays
(``fit(x, y, batch_size=32, shuffle=True)``), for tapeflow and tf.keras, and PyTorch's hand-written loop over a
``DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)``, each framework in its own interpreter, all in
one run.

    python benchmarks/python/bench_data.py [--torch-python venv-torch/bin/python]
                                           [--tf-python venv-tf/bin/python] [--threads 2]

Workload: 784->128 relu->10 softmax, Adam(1e-3), batch 32, the 60 000 Fashion-MNIST training images. Each figure
is the fastest of three epochs after a warm-up epoch, in seconds. Ratios are peer / tapeflow's pipeline: above 1
means tapeflow's pipeline is faster.
"""
import time

import harness

BATCH, EPOCHS = 32, 3


def best_epoch(run):
    run()
    best = float("inf")
    for _ in range(EPOCHS):
        t = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - t)
    return best


def keras_worker(name, threads):
    keras = harness.import_framework(name, threads)
    if name == "tapeflow":
        import tapeflow as tf
    else:
        import tensorflow as tf
    x, y, source = harness.fashion_mnist("train")
    x = x.reshape(-1, 784)

    def model():
        keras.utils.set_random_seed(0)
        m = keras.Sequential([keras.Input((784,)), keras.layers.Dense(128, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
        m.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
        return m
    ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x)).batch(BATCH).prefetch(tf.data.AUTOTUNE)
    on_dataset, on_arrays = model(), model()
    return {"dataset": best_epoch(lambda: on_dataset.fit(ds, epochs=1, verbose=0)),
            "arrays": best_epoch(lambda: on_arrays.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)),
            "data": source}


def torch_worker(threads):
    import torch
    from torch import nn
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    x, y, source = harness.fashion_mnist("train")
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.from_numpy(x.reshape(-1, 784)),
                                                                        torch.from_numpy(y)),
                                         batch_size=BATCH, shuffle=True)
    net = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()

    def epoch():
        for xb, yb in loader:
            loss = loss_fn(net(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
    return {"dataset": best_epoch(epoch), "arrays": float("nan"), "data": source}


def worker(name, threads):
    return torch_worker(threads) if name == "torch" else keras_worker(name, threads)


def main():
    ran = harness.side_by_side(__doc__, worker)
    if ran is None:
        return
    results, args = ran
    base = results["tapeflow"]["dataset"]
    print("Input pipeline vs arrays, s/epoch, %d threads, %s" % (args.threads, results["tapeflow"]["data"]))
    print("%-12s%12s%12s%18s%26s" % ("", "pipeline", "arrays", "pipeline/arrays", "pipeline: peer/tapeflow"))
    for name, r in results.items():
        print("%-12s%12.3f%12.3f%18.2f%25.1fx" % (name, r["dataset"], r["arrays"], r["dataset"] / r["arrays"],
                                                   r["dataset"] / base))
    print("(PyTorch: a DataLoader over a TensorDataset with shuffle=True, and the hand-written loop)")


if __name__ == "__main__":
    main()
