"""The main job until the Keras layer lands: a linear classifier trained from
scratch with GradientTape on two Gaussian clouds (1000 points each, means (0, 3)
and (3, 0), covariance [[1, .5], [.5, 1]]), 40 full-batch gradient steps.

    python examples/linear_classifier.py [--steps 40] [--lr 0.1] [--seed 0]
"""
import argparse
import time

import numpy as np

import tapeflow as tf


def make_data(n_per_class=1000, seed=0):
    rng = np.random.default_rng(seed)
    cov = [[1.0, 0.5], [0.5, 1.0]]
    neg = rng.multivariate_normal([0.0, 3.0], cov, size=n_per_class)
    pos = rng.multivariate_normal([3.0, 0.0], cov, size=n_per_class)
    x = np.vstack([neg, pos]).astype(np.float32)
    y = np.concatenate([np.zeros(n_per_class), np.ones(n_per_class)]).astype(np.float32)[:, None]
    return x, y


def train(steps=40, lr=0.1, seed=0, verbose=True):
    """Returns (losses, accuracy) after `steps` full-batch steps of gradient descent on MSE."""
    tf.random.set_seed(seed)
    x_np, y_np = make_data(seed=seed)
    x, y = tf.constant(x_np), tf.constant(y_np)
    W = tf.Variable(tf.random.uniform((2, 1)))
    b = tf.Variable(tf.zeros((1,)))
    losses = []
    for step in range(steps):
        with tf.GradientTape() as tape:
            p = tf.matmul(x, W) + b
            loss = tf.reduce_mean(tf.square(y - p))
        grad_w, grad_b = tape.gradient(loss, [W, b])
        W.assign_sub(grad_w * lr)
        b.assign_sub(grad_b * lr)
        losses.append(float(loss))
        if verbose and (step % 5 == 0 or step == steps - 1):
            print("step %2d  loss %.4f" % (step, losses[-1]))
    predictions = tf.cast(tf.matmul(x, W) + b > 0.5, tf.float32)
    accuracy = float(tf.reduce_mean(tf.cast(tf.equal(predictions, y), tf.float32)))
    return losses, accuracy


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    t0 = time.perf_counter()
    losses, acc = train(args.steps, args.lr, args.seed)
    print("final loss %.4f  accuracy %.2f%%  (%.1f ms)" % (losses[-1], 100 * acc, 1e3 * (time.perf_counter() - t0)))


if __name__ == "__main__":
    main()
