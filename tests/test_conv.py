"""tf.nn.conv2d / conv1d / max_pool / avg_pool: forward against NumPy float64 loops and gradients against
finite differences, through the shared op checker; strides, dilations, "SAME" with odd sizes, groups, batch 1."""
import numpy as np
import pytest

import tapeflow as tf
from tapeflow import _core
from opcheck import check_op, rand


def same_pads(size, k, s, d):
    """TF's "SAME" rule: output ceil(size / stride), the extra padding split with the larger half after."""
    span = (k - 1) * d + 1
    total = max((-(-size // s) - 1) * s + span - size, 0)
    return total // 2, total - total // 2


def np_conv2d(x, f, strides, pads, dil, groups=1):
    xp = np.pad(x, [(0, 0), tuple(pads[:2]), tuple(pads[2:]), (0, 0)])
    n, h, w, c = xp.shape
    kh, kw, cg, fo = f.shape
    oh = (h - (kh - 1) * dil[0] - 1) // strides[0] + 1
    ow = (w - (kw - 1) * dil[1] - 1) // strides[1] + 1
    out = np.zeros((n, oh, ow, fo))
    fg = fo // groups
    for g in range(groups):
        for i in range(kh):
            for j in range(kw):
                patch = xp[:, i * dil[0]: i * dil[0] + (oh - 1) * strides[0] + 1: strides[0],
                           j * dil[1]: j * dil[1] + (ow - 1) * strides[1] + 1: strides[1], g * cg:(g + 1) * cg]
                out[..., g * fg:(g + 1) * fg] += patch @ f[i, j, :, g * fg:(g + 1) * fg]
    return out


def np_pool(x, k, strides, pads, mode):
    fill = -np.inf if mode == "max" else np.nan
    xp = np.pad(x, [(0, 0), tuple(pads[:2]), tuple(pads[2:]), (0, 0)], constant_values=fill)
    n, h, w, c = xp.shape
    oh, ow = (h - k[0]) // strides[0] + 1, (w - k[1]) // strides[1] + 1
    out = np.zeros((n, oh, ow, c))
    for a in range(oh):
        for b in range(ow):
            win = xp[:, a * strides[0]: a * strides[0] + k[0], b * strides[1]: b * strides[1] + k[1]]
            out[:, a, b] = win.max(axis=(1, 2)) if mode == "max" else np.nanmean(win, axis=(1, 2))
    return out


CONV_CASES = [  # input shape, filter shape, strides, dilations, padding, groups
    ((2, 5, 6, 3), (3, 3, 3, 4), (1, 1), (1, 1), "VALID", 1),
    ((2, 5, 6, 3), (3, 3, 3, 4), (1, 1), (1, 1), "SAME", 1),
    ((1, 7, 6, 2), (3, 2, 2, 3), (2, 3), (1, 1), "SAME", 1),  # batch 1, odd size, uneven strides
    ((2, 7, 7, 2), (3, 3, 2, 2), (1, 1), (2, 2), "SAME", 1),  # dilation
    ((2, 4, 5, 4), (2, 2, 2, 6), (1, 2), (1, 1), "VALID", 2),  # groups
    ((2, 4, 4, 3), (1, 1, 3, 5), (1, 1), (1, 1), "VALID", 1),  # pointwise: no im2col
]


@pytest.mark.parametrize("xs,fs,strides,dil,padding,groups", CONV_CASES)
def test_conv2d(xs, fs, strides, dil, padding, groups):
    if padding == "SAME":
        pads = same_pads(xs[1], fs[0], strides[0], dil[0]) + same_pads(xs[2], fs[1], strides[1], dil[1])
    else:
        pads = (0, 0, 0, 0)
    check_op(lambda x, f: tf.nn.conv2d(x, f, strides, padding, dilations=dil),
             lambda x, f: np_conv2d(x, f, strides, pads, dil, groups), rand(*xs), rand(*fs), zero_size=True,
             rtol32=1e-4, atol32=1e-4)


def test_conv2d_explicit_padding_and_nchw():
    x, f = rand(2, 4, 5, 3), rand(3, 2, 3, 2)
    pads = [[0, 0], [1, 2], [0, 1], [0, 0]]
    check_op(lambda x, f: tf.nn.conv2d(x, f, 1, pads), lambda x, f: np_conv2d(x, f, (1, 1), (1, 2, 0, 1), (1, 1)),
             x, f)
    got = tf.nn.conv2d(np.transpose(x, (0, 3, 1, 2)), f, 1, "VALID", data_format="NCHW").numpy()
    np.testing.assert_allclose(got, np.transpose(np_conv2d(x, f, (1, 1), (0,) * 4, (1, 1)), (0, 3, 1, 2)))


def test_conv1d():
    x, f = rand(2, 9, 3), rand(3, 3, 4)
    pads = same_pads(9, 3, 2, 1)

    def ref(x, f):
        return np_conv2d(x[:, None], f[None], (1, 2), (0, 0) + pads, (1, 1))[:, 0]
    check_op(lambda x, f: tf.nn.conv1d(x, f, 2, "SAME"), ref, x, f)


POOL_CASES = [((2, 5, 6, 3), (2, 2), (2, 2), "VALID"), ((1, 5, 7, 2), (3, 3), (2, 2), "SAME"),
              ((2, 4, 4, 1), (3, 2), (1, 1), "SAME")]


@pytest.mark.parametrize("xs,k,strides,padding", POOL_CASES)
@pytest.mark.parametrize("mode", ["max", "avg"])
def test_pooling(xs, k, strides, padding, mode):
    pads = (same_pads(xs[1], k[0], strides[0], 1) + same_pads(xs[2], k[1], strides[1], 1)) if padding == "SAME" \
        else (0, 0, 0, 0)
    # Distinct values so max pooling has no ties (its gradient is not differentiable there).
    x = (np.random.default_rng(3).permutation(int(np.prod(xs))).reshape(xs) / 7.0)
    fn = tf.nn.max_pool2d if mode == "max" else tf.nn.avg_pool2d
    check_op(lambda x: fn(x, k, strides, padding), lambda x: np_pool(x, k, strides, pads, mode), x,
             zero_size=True, eps=1e-4)


def test_pool1d_and_generic_names():
    x = rand(2, 7, 3)
    np.testing.assert_allclose(tf.nn.max_pool1d(x, 2, 2, "VALID").numpy(),
                               np_pool(x[:, None], (1, 2), (1, 2), (0,) * 4, "max")[:, 0])
    np.testing.assert_allclose(tf.nn.avg_pool(x, 3, 1, "SAME").numpy(),
                               np_pool(x[:, None], (1, 3), (1, 1), (0, 0, 1, 1), "avg")[:, 0])
    np.testing.assert_allclose(tf.nn.max_pool(rand(1, 4, 4, 2) * 0 + 1, 2, 2, "VALID").numpy(), np.ones((1, 2, 2, 2)))


def test_nan_wins_max_pool_and_bad_arguments_raise():
    x = np.ones((1, 2, 2, 1))
    x[0, 1, 0, 0] = np.nan
    assert np.isnan(tf.nn.max_pool2d(x, 2, 2, "VALID").numpy()).all()
    with pytest.raises(ValueError, match="rank-4"):
        tf.nn.conv2d(rand(3, 3, 3), rand(1, 1, 3, 1), 1, "VALID")
    with pytest.raises(ValueError, match="multiple"):
        tf.nn.conv2d(rand(1, 3, 3, 3), rand(1, 1, 2, 1), 1, "VALID")
    with pytest.raises(ValueError, match="larger than the padded input"):
        tf.nn.conv2d(rand(1, 2, 2, 1), rand(3, 3, 1, 1), 1, "VALID")
    with pytest.raises(ValueError, match=r"strides. must be in \[1, "):
        tf.nn.max_pool2d(rand(1, 4, 4, 1), 2, 0, "VALID")
    with pytest.raises(ValueError, match="padding"):
        tf.nn.avg_pool2d(rand(1, 4, 4, 1), 2, 1, "FULL")
    with pytest.raises(TypeError):
        tf.nn.conv2d(np.ones((1, 3, 3, 1), "int32"), np.ones((1, 1, 1, 1), "int32"), 1, "VALID")


def np_conv2d_transpose(x, f, out_hw, strides, pads):
    """The adjoint of np_conv2d: each input pixel scatters its filter-weighted window into the output."""
    n, h, w, cin = x.shape
    kh, kw, cout, _ = f.shape
    full = np.zeros((n, out_hw[0] + pads[0] + pads[1], out_hw[1] + pads[2] + pads[3], cout))
    for i in range(h):
        for j in range(w):
            contrib = np.einsum("nc,abdc->nabd", x[:, i, j], f)
            full[:, i * strides[0]: i * strides[0] + kh, j * strides[1]: j * strides[1] + kw] += contrib
    return full[:, pads[0]: pads[0] + out_hw[0], pads[2]: pads[2] + out_hw[1]]


@pytest.mark.parametrize("xs,fs,out_hw,strides,padding", [
    ((2, 3, 4, 3), (3, 3, 2, 3), (7, 9), (2, 2), "VALID"),
    ((1, 3, 3, 2), (3, 3, 4, 2), (6, 6), (2, 2), "SAME"),
    ((2, 4, 3, 2), (2, 3, 3, 2), (5, 5), (1, 1), "VALID"),
])
def test_conv2d_transpose(xs, fs, out_hw, strides, padding):
    pads = (same_pads(out_hw[0], fs[0], strides[0], 1) + same_pads(out_hw[1], fs[1], strides[1], 1)) \
        if padding == "SAME" else (0, 0, 0, 0)
    check_op(lambda x, f: tf.nn.conv2d_transpose(x, f, (x.shape[0],) + out_hw + (fs[2],), strides, padding),
             lambda x, f: np_conv2d_transpose(x, f, out_hw, strides, pads), rand(*xs), rand(*fs))
    # It is the input gradient of conv2d.
    y = rand(xs[0], *out_hw, fs[2])
    f = tf.constant(rand(*fs))
    yt = tf.constant(y)
    with tf.GradientTape() as tape:
        tape.watch(yt)
        out = tf.nn.conv2d(yt, f, strides, padding)
    g = rand(*out.shape)
    np.testing.assert_allclose(tape.gradient(out, yt, output_gradients=tf.constant(g)).numpy(),
                               tf.nn.conv2d_transpose(g, f, y.shape, strides, padding).numpy(), rtol=1e-10)
    with pytest.raises(ValueError, match="does not map back"):
        tf.nn.conv2d_transpose(rand(*xs), rand(*fs), (xs[0], 40, 40, fs[2]), strides, padding)


def np_batch_norm(x, gamma, beta, axis, eps):
    axes = tuple(i for i in range(x.ndim) if i != axis % x.ndim)
    shape = [-1 if i == axis % x.ndim else 1 for i in range(x.ndim)]
    mean, var = x.mean(axes), x.var(axes)
    y = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) * gamma.reshape(shape) + beta.reshape(shape)
    return [y, mean, var]


@pytest.mark.parametrize("shape,axis", [((6, 3), -1), ((2, 4, 3, 5), 3), ((3, 4, 2, 2), 1), ((1, 3), -1)])
def test_fused_batch_norm(shape, axis):
    c = shape[axis]
    check_op(lambda x, g, b: _core._batch_norm(x, g, b, axis, 1e-3),
             lambda x, g, b: np_batch_norm(x, g, b, axis, 1e-3),
             rand(*shape), rand(c) + 1.5, rand(c), rtol32=1e-4, atol32=1e-5)


def test_fused_batch_norm_without_gamma_beta_and_errors():
    x = rand(5, 3)
    y, mean, var = _core._batch_norm(x, None, None, -1, 0.0)
    np.testing.assert_allclose(y.numpy(), (x - x.mean(0)) / x.std(0), rtol=1e-9)
    with pytest.raises(ValueError, match="gamma and beta"):
        _core._batch_norm(x, np.ones(4), None, -1, 1e-3)
    with pytest.raises(ValueError, match="axis"):
        _core._batch_norm(x, None, None, 2, 1e-3)
    # the fused op has first derivatives only
    xt = tf.constant(x)
    with tf.GradientTape() as outer:
        outer.watch(xt)
        with tf.GradientTape() as inner:
            inner.watch(xt)
            out = tf.reduce_sum(_core._batch_norm(xt, None, None, -1, 1e-3)[0] ** 3)
        g = inner.gradient(out, xt)
        with pytest.raises(NotImplementedError, match="second derivatives"):
            outer.gradient(tf.reduce_sum(g), xt)
