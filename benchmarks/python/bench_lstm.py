"""One training epoch of Embedding(1000, 32) -> LSTM(64) -> Dense(1, sigmoid), Adam, binary cross-entropy,
sequence length 80, batch 64, on 2048 sequences: tapeflow in this process, PyTorch and tf.keras each in their
own interpreter (their own virtual environments), all in one run, printed as samples/s and ratios.

    python benchmarks/python/bench_lstm.py [--torch-python venv-torch/bin/python]
                                           [--tf-python venv-tf/bin/python] [--threads 2]

The data are seeded random token ids whose label is whether token 1 occurs more often than token 2 (the same
arrays for every framework). Each framework runs four one-epoch trainings; the ratio uses the fastest of the
last three (see harness.py).
"""

import numpy as np

import harness

N, STEPS, BATCH, VOCAB = 2048, 80, 64, 1000


def load():
    rng = np.random.default_rng(0)
    x = rng.integers(0, VOCAB, size=(N, STEPS)).astype("int32")
    x[:, ::7] = rng.integers(1, 3, size=(N, len(range(0, STEPS, 7))))
    y = ((x == 1).sum(1) > (x == 2).sum(1)).astype("float32")
    return x, y, "synthetic token sequences"


def run_keras(keras, x, y):
    m = keras.Sequential([keras.Input((STEPS,), dtype="int32"), keras.layers.Embedding(VOCAB, 32),
                          keras.layers.LSTM(64), keras.layers.Dense(1, activation="sigmoid")])
    m.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    return harness.fit_epochs(keras, m, x, y, BATCH)


def run_torch(threads, x, y):
    import torch
    from torch import nn
    torch.set_num_threads(threads)
    torch.manual_seed(0)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(VOCAB, 32)
            self.lstm = nn.LSTM(32, 64, batch_first=True)
            self.out = nn.Linear(64, 1)

        def forward(self, ids):
            _, (h, _) = self.lstm(self.emb(ids))
            return self.out(h[-1]).squeeze(1)

    model = Net()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    xt, yt = torch.from_numpy(x.astype("int64")), torch.from_numpy(y)
    loss_fn = nn.BCEWithLogitsLoss()
    return harness.torch_epochs(model, opt, loss_fn, xt, yt, BATCH, lambda out: (out > 0).float())


def worker(name, threads):
    return harness.run(name, threads, load, run_keras, run_torch)


if __name__ == "__main__":
    harness.main(__doc__, worker, "Embedding -> LSTM(64) -> Dense, %d sequences of %d steps, batch %d"
                 % (N, STEPS, BATCH), unit_count=N)
