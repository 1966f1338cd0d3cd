"""One training epoch of a small CNN (Conv2D 32 -> MaxPool -> Conv2D 64 -> MaxPool -> Flatten -> Dense 10,
Adam, batch 64) on 12 000 Fashion-MNIST images: tapeflow in this process, PyTorch and tf.keras each in
their own interpreter (their own virtual environments), all in one run, printed as ratios.

    python benchmarks/python/bench_cnn.py [--torch-python venv-torch/bin/python]
                                          [--tf-python venv-tf/bin/python] [--threads 2]

Each framework runs four one-epoch trainings; the table shows the first (graph tracing and allocator warm-up)
and the fastest of the other three (see harness.py). Wall clock, time.perf_counter.
"""
import numpy as np

import harness

N, BATCH = 12000, 64


def load():
    """The first 12 000 Fashion-MNIST training images."""
    x, y, source = harness.fashion_mnist("train")
    return x[:N, :, :, None], y[:N], source


def keras_model(keras):
    return keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(32, 3, activation="relu"),
                             keras.layers.MaxPooling2D(), keras.layers.Conv2D(64, 3, activation="relu"),
                             keras.layers.MaxPooling2D(), keras.layers.Flatten(),
                             keras.layers.Dense(10, activation="softmax")])


def run_keras(keras, x, y):
    m = keras_model(keras)
    m.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return harness.fit_epochs(keras, m, x, y, BATCH)


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
    return harness.torch_epochs(model, opt, loss_fn, xt, yt, BATCH, lambda out: out.argmax(1))


def worker(name, threads):
    return harness.run(name, threads, load, run_keras, run_torch)


if __name__ == "__main__":
    harness.main(__doc__, worker, "CNN, one epoch of %d images, batch %d" % (N, BATCH))
