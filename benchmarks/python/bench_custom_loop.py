"""A custom training loop against fit: microseconds per step of a GradientTape step under ``@tf.function`` and of
``model.fit`` on the same model and batches, for tapeflow and tf.keras, and of the plain hand-written PyTorch loop,
each framework in its own interpreter, all in one run.

    python benchmarks/python/bench_custom_loop.py [--torch-python venv-torch/bin/python]
                                                  [--tf-python venv-tf/bin/python] [--threads 2]

Workload: 784->128 relu->10 logits, Adam(1e-3), sparse categorical cross-entropy from logits, batch 32, over the
first 9 600 Fashion-MNIST training images (300 batches, in order). The loop calls ``train_step(x, y)`` on
pre-made batch tensors; each figure is the fastest of five passes over the 300 batches after a warm-up pass,
divided by 300. Ratios are peer / tapeflow's loop: above 1 means tapeflow's loop is faster.
"""
import time

import harness

STEPS, BATCH, PASSES = 300, 32, 5


def data():
    x, y, source = harness.fashion_mnist("train")
    return x[:STEPS * BATCH].reshape(-1, 784), y[:STEPS * BATCH], source


def best_pass(fn):
    fn()
    best = float("inf")
    for _ in range(PASSES):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best / STEPS * 1e6


def keras_worker(name, threads):
    keras = harness.import_framework(name, threads)
    if name == "tapeflow":
        import tapeflow as tf
    else:
        import tensorflow as tf
    x, y, source = data()

    def model():
        keras.utils.set_random_seed(0)
        return keras.Sequential([keras.Input((784,)), keras.layers.Dense(128, activation="relu"),
                                 keras.layers.Dense(10)])
    net = model()
    optimizer = keras.optimizers.Adam(1e-3)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    @tf.function
    def train_step(xb, yb):
        with tf.GradientTape() as tape:
            loss = loss_fn(yb, net(xb, training=True))
        grads = tape.gradient(loss, net.trainable_variables)
        optimizer.apply_gradients(zip(grads, net.trainable_variables))
        return loss

    batches = [(tf.constant(x[i:i + BATCH]), tf.constant(y[i:i + BATCH])) for i in range(0, len(x), BATCH)]

    def loop():
        for xb, yb in batches:
            train_step(xb, yb)
    res = {"loop": best_pass(loop)}
    fitted = model()
    fitted.compile(keras.optimizers.Adam(1e-3), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    res["fit"] = best_pass(lambda: fitted.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0))
    res["data"] = source
    return res


def torch_worker(threads):
    import torch
    from torch import nn
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    x, y, source = data()
    net = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    batches = [(torch.from_numpy(x[i:i + BATCH]), torch.from_numpy(y[i:i + BATCH])) for i in range(0, len(x), BATCH)]

    def loop():
        for xb, yb in batches:
            loss = loss_fn(net(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
    return {"loop": best_pass(loop), "fit": float("nan"), "data": source}


def worker(name, threads):
    return torch_worker(threads) if name == "torch" else keras_worker(name, threads)


def main():
    ran = harness.side_by_side(__doc__, worker)
    if ran is None:
        return
    results, args = ran
    base = results["tapeflow"]["loop"]
    print("Custom loop vs fit, us/step, %d threads, %s" % (args.threads, results["tapeflow"]["data"]))
    print("%-12s%14s%14s%16s%22s" % ("", "tf.function", "fit", "loop/fit", "loop: peer/tapeflow"))
    for name, r in results.items():
        print("%-12s%14.1f%14.1f%16.2f%21.1fx" % (name, r["loop"], r["fit"], r["loop"] / r["fit"], r["loop"] / base))
    print("(PyTorch: the hand-written loop; it has no fit)")


if __name__ == "__main__":
    main()
