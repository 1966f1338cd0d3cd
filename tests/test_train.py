"""tf.Module variable tracking and tf.train.Checkpoint / CheckpointManager: save, restore (optimizer slots
included), numbered files, the state file, and a restored run equal to an uninterrupted one."""
import os

import numpy as np
import pytest

import tapeflow as tf
from tapeflow import keras


class Dense(tf.Module):
    def __init__(self, in_features, out_features, name=None):
        super().__init__(name=name)
        self.w = tf.Variable(tf.random.normal([in_features, out_features], seed=1), name="w")
        self.b = tf.Variable(tf.zeros([out_features]), name="b")

    def __call__(self, x):
        return tf.nn.relu(x @ self.w + self.b)


class Stack(tf.Module):
    def __init__(self):
        super().__init__()
        self.layers = [Dense(3, 4), Dense(4, 2)]
        self.scale = tf.Variable(2.0, trainable=False)


def test_module_tracks_variables_through_attributes():
    stack = Stack()
    assert stack.name == "stack"
    assert len(stack.variables) == 5 and len(stack.trainable_variables) == 4
    assert stack.non_trainable_variables == (stack.scale,)
    assert len(stack.submodules) == 2 and all(isinstance(m, Dense) for m in stack.submodules)
    with pytest.raises(ValueError, match="valid module name"):
        tf.Module(name="1bad name")


def test_checkpoint_save_restore_and_manager(tmp_path):
    stack = Stack()
    ckpt = tf.train.Checkpoint(model=stack, step=tf.Variable(7))
    prefix = str(tmp_path / "ckpt")
    first = ckpt.save(prefix)
    assert first.endswith("ckpt-1") and tf.train.latest_checkpoint(str(tmp_path)) == first
    saved = [v.numpy().copy() for v in stack.variables]
    for v in stack.variables:
        v.assign(v * 0 + 9)
    status = ckpt.restore(first)
    status.assert_consumed()
    for v, s in zip(stack.variables, saved):
        np.testing.assert_array_equal(v.numpy(), s)
    other = tf.train.Checkpoint(model=Stack())  # a fresh object of the same structure
    other.restore(first).expect_partial()
    np.testing.assert_array_equal(other.model.layers[1].w.numpy(), stack.layers[1].w.numpy())
    with pytest.raises(AssertionError):
        tf.train.Checkpoint(model=Stack(), extra=tf.Variable(1.0)).restore(first).assert_consumed()
    manager = tf.train.CheckpointManager(ckpt, str(tmp_path / "managed"), max_to_keep=2)
    paths = [manager.save() for _ in range(4)]
    assert manager.checkpoints == paths[-2:] and manager.latest_checkpoint == paths[-1]
    assert not os.path.exists(paths[0] + ".ckpt.h5") and os.path.exists(paths[-1] + ".ckpt.h5")
    assert tf.train.latest_checkpoint(str(tmp_path / "managed")) == paths[-1]
    again = tf.train.CheckpointManager(ckpt, str(tmp_path / "managed"), max_to_keep=2)
    assert again.checkpoints == paths[-2:]
    assert tf.train.latest_checkpoint(str(tmp_path / "empty")) is None
    with pytest.raises(ValueError, match="failed to find"):
        ckpt.restore(str(tmp_path / "nothing-3"))


def test_training_resumed_from_a_checkpoint_equals_an_uninterrupted_run(tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.random((64, 5)).astype("float32"), rng.random((64, 1)).astype("float32")

    def setup():
        keras.utils.set_random_seed(3)
        model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)])
        return model, keras.optimizers.Adam(0.01)

    def step(model, optimizer, i):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(x[i * 16:(i + 1) * 16]) - y[i * 16:(i + 1) * 16]))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))

    model, optimizer = setup()
    for i in range(4):
        step(model, optimizer, i)
    want = model.get_weights()

    model, optimizer = setup()
    ckpt = tf.train.Checkpoint(model=model, optimizer=optimizer)
    for i in range(2):
        step(model, optimizer, i)
    path = ckpt.save(str(tmp_path / "run"))
    model, optimizer = setup()  # a fresh process: new weights, an optimizer without slots
    tf.train.Checkpoint(model=model, optimizer=optimizer).restore(path).assert_consumed()
    for i in range(2, 4):
        step(model, optimizer, i)
    for a, b in zip(model.get_weights(), want):
        np.testing.assert_allclose(a, b, rtol=1e-6)
