"""The one helper every op test goes through.

check_op(tf_fn, np_fn, *inputs) checks, for NumPy inputs (float64 / int):
  1. forward in float64 against np_fn on the same float64 inputs (tight tolerance);
  2. forward in float32 against the float64 reference (float32 tolerance) and dtype kept;
  3. forward on non-contiguous views of every float input (strided copies of the data);
  4. the gradient of sum(w * tf_fn(x)) for a random w, from the tape in float64,
     against float64 central finite differences of tf_fn, for every float input, and the same
     gradient computed in float32 (the float-only backward kernels) against the float64 one;
  5. with zero_size=True, the op on a first input whose first axis is 0, against NumPy;
  6. where a GPU is visible (ops then run there by default): the float32 forward and gradients on the GPU against
     the same computed on the CPU (device parity; TF32 is off in the tests, see conftest.py).
"""
import numpy as np

import tapeflow as tf

_rng = np.random.default_rng(1234)
GPU = bool(tf.config.list_physical_devices("GPU"))


def _flat_output(out):
    if isinstance(out, (list, tuple)):
        return np.concatenate([np.asarray(o, dtype=np.float64).ravel() for o in out])
    return np.asarray(out)


def _tf_out(out):
    if isinstance(out, (list, tuple)):
        return tf.concat([tf.reshape(o, [-1]) for o in out], 0)
    return out


def _noncontiguous(a):
    """A tapeflow view with a's values whose last axis has stride 2 (a copy of the data, not of the layout)."""
    if a.ndim == 0:
        return tf.constant(a)
    wide = np.zeros(a.shape[:-1] + (a.shape[-1] * 2,), dtype=a.dtype)
    wide[..., ::2] = a
    view = tf.constant(wide)[..., ::2]
    assert not view._is_contiguous or a.shape[-1] <= 1
    return view


def _tape_gradients(tf_fn, inputs, floats, w, dtype=None):
    """The gradients of sum(w * tf_fn(x)) with respect to the float inputs, all floats cast to ``dtype``."""
    cast = (lambda a: a.astype(dtype) if a.dtype.kind == "f" else a) if dtype else (lambda a: a)
    xs = [tf.constant(cast(a)) for a in inputs]
    w_t = tf.constant(cast(w))
    with tf.GradientTape() as tape:
        for i in floats:
            tape.watch(xs[i])
        loss = tf.reduce_sum(tf.reshape(_tf_out(tf_fn(*xs)), [-1]) * tf.reshape(w_t, [-1]))
    return tape.gradient(loss, [xs[i] for i in floats])


def check_op(tf_fn, np_fn, *inputs, grad=True, rtol32=2e-5, atol32=1e-5, grad_tol=1e-5, eps=1e-6,
             noncontiguous=True, zero_size=False, float32=True):
    inputs = [np.asarray(a) for a in inputs]
    floats = [i for i, a in enumerate(inputs) if a.dtype.kind == "f"]
    ref = _flat_output(np_fn(*inputs))

    out64 = tf_fn(*[tf.constant(a) for a in inputs])
    got64 = _flat_output(out64)
    assert got64.shape == ref.shape, "shape %s != reference %s" % (got64.shape, ref.shape)
    np.testing.assert_allclose(got64, ref, rtol=1e-9, atol=1e-10, err_msg="float64 forward")

    if float32 and floats:
        args32 = [tf.constant(a.astype(np.float32) if a.dtype.kind == "f" else a) for a in inputs]
        out32 = tf_fn(*args32)
        first = out32[0] if isinstance(out32, (list, tuple)) else out32
        if np.asarray(ref).dtype.kind == "f":
            assert first.dtype == tf.float32, "float32 inputs gave %s" % first.dtype
        np.testing.assert_allclose(_flat_output(out32), ref, rtol=rtol32, atol=atol32, err_msg="float32 forward")

    if noncontiguous and floats:
        args = [_noncontiguous(a) if i in floats else tf.constant(a) for i, a in enumerate(inputs)]
        np.testing.assert_allclose(_flat_output(tf_fn(*args)), ref, rtol=1e-9, atol=1e-10, err_msg="non-contiguous")

    if grad and floats:
        w = _rng.uniform(0.5, 1.5, size=ref.shape)
        grads = _tape_gradients(tf_fn, inputs, floats, w)
        if float32:
            for i, g32, g in zip(floats, _tape_gradients(tf_fn, inputs, floats, w, "float32"), grads):
                assert g32 is not None and g32.dtype == tf.float32, "float32 gradient of input %d: %r" % (i, g32)
                np.testing.assert_allclose(g32.numpy(), g.numpy(), rtol=10 * rtol32, atol=10 * atol32,
                                           err_msg="float32 gradient of input %d against float64" % i)
        for i, g in zip(floats, grads):
            num = np.zeros_like(inputs[i])
            x = inputs[i].copy()
            for idx in np.ndindex(x.shape):
                orig = x[idx]
                vals = []
                for delta in (eps, -eps):
                    x[idx] = orig + delta
                    args = [tf.constant(x if j == i else a) for j, a in enumerate(inputs)]
                    vals.append(float(np.sum(_flat_output(tf_fn(*args)) * w)))
                x[idx] = orig
                num[idx] = (vals[0] - vals[1]) / (2 * eps)
            assert g is not None, "no gradient for input %d" % i
            assert tuple(g.shape) == inputs[i].shape, "gradient shape %s != input %s" % (g.shape, inputs[i].shape)
            np.testing.assert_allclose(g.numpy(), num, rtol=grad_tol, atol=grad_tol, err_msg="gradient of input %d" % i)

    if GPU and floats:
        w = _rng.uniform(0.5, 1.5, size=ref.shape)
        runs = []
        for device in ("/GPU:0", "/CPU:0"):
            with tf.device(device):
                args32 = [tf.constant(a.astype(np.float32) if a.dtype.kind == "f" else a) for a in inputs]
                out = _flat_output(tf_fn(*args32))
                grads = _tape_gradients(tf_fn, inputs, floats, w, "float32") if grad else []
                runs.append((out, [None if g is None else g.numpy() for g in grads]))
        (gpu_out, gpu_grads), (cpu_out, cpu_grads) = runs
        np.testing.assert_allclose(gpu_out, cpu_out, rtol=rtol32, atol=atol32, err_msg="GPU forward against CPU")
        for i, (gg, cg) in enumerate(zip(gpu_grads, cpu_grads)):
            assert (gg is None) == (cg is None), "GPU and CPU disagree on whether input %d has a gradient" % i
            if gg is not None:
                np.testing.assert_allclose(gg, cg, rtol=10 * rtol32, atol=10 * atol32,
                                           err_msg="GPU gradient of input %d against CPU" % i)

    if zero_size:
        empties = [np.zeros((0,) + a.shape[1:], a.dtype) if i == 0 else a for i, a in enumerate(inputs)]
        got = _flat_output(tf_fn(*[tf.constant(a) for a in empties]))
        want = _flat_output(np_fn(*empties))
        assert got.shape == want.shape, "zero-size shape %s != %s" % (got.shape, want.shape)
        np.testing.assert_allclose(got, want)


def rand(*shape, low=-2.0, high=2.0):
    return _rng.uniform(low, high, size=shape)


def away_from(values, *shape, margin=0.1, low=-2.0, high=2.0):
    """Random values at least `margin` from each of `values` (kinks of relu-like ops, ties)."""
    x = rand(*shape, low=low, high=high)
    for v in values:
        close = np.abs(x - v) < margin
        x[close] = v + margin * 2 * np.sign(x[close] - v + 1e-12)
    return x
