"""Conv2d, MaxPool2d and RNN: forward values against naive loops written here, gradients
against central differences (float64, tolerance 1e-7), ties, overlapping windows, float32,
and the error messages. The shared gradient catalogue lives in test_gradients.py.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from backprop_ref.gradcheck import check_layer
from backprop_ref.layers.conv import Conv2d
from backprop_ref.layers.pool import MaxPool2d
from backprop_ref.layers.rnn import RNN


# ----------------------------------------------------------------------------- naive loops
def naive_conv2d(x, W, b, stride, padding):
    """One output element at a time: sum of the window times the kernel, plus the bias."""
    (sh, sw), (ph, pw) = stride, padding
    N, C, H, Wd = x.shape
    F, _, kh, kw = W.shape
    xp = np.zeros((N, C, H + 2 * ph, Wd + 2 * pw))
    xp[:, :, ph:ph + H, pw:pw + Wd] = x
    Ho, Wo = (H + 2 * ph - kh) // sh + 1, (Wd + 2 * pw - kw) // sw + 1
    out = np.zeros((N, F, Ho, Wo))
    for n in range(N):
        for f in range(F):
            for p in range(Ho):
                for q in range(Wo):
                    window = xp[n, :, p * sh:p * sh + kh, q * sw:q * sw + kw]
                    out[n, f, p, q] = np.sum(window * W[f]) + b[f]
    return out


def naive_maxpool(x, kernel, stride, dout=None):
    """Max of each window; with dout, also dx routed to the first maximum of each window."""
    (kh, kw), (sh, sw) = kernel, stride
    N, C, H, Wd = x.shape
    Ho, Wo = (H - kh) // sh + 1, (Wd - kw) // sw + 1
    out, dx = np.zeros((N, C, Ho, Wo)), np.zeros(x.shape)
    for n in range(N):
        for c in range(C):
            for p in range(Ho):
                for q in range(Wo):
                    window = x[n, c, p * sh:p * sh + kh, q * sw:q * sw + kw]
                    out[n, c, p, q] = window.max()
                    i, j = np.unravel_index(np.argmax(window), window.shape)  # first maximum
                    if dout is not None:
                        dx[n, c, p * sh + i, q * sw + j] += dout[n, c, p, q]
    return out, dx


def naive_rnn(x, Wx, Wh, b):
    """Every sample and every step on its own: h = tanh(x_t Wx + h Wh + b)."""
    N, T, _ = x.shape
    hs = np.zeros((N, T, Wh.shape[0]))
    for n in range(N):
        h = np.zeros(Wh.shape[0])
        for t in range(T):
            h = np.tanh(x[n, t] @ Wx + h @ Wh + b)
            hs[n, t] = h
    return hs


def randomize_params(layer, rng, scale=0.5):
    """Random parameters, biases included (zero init hides bias bugs)."""
    for p in layer.params.values():
        p[...] = scale * rng.standard_normal(p.shape)
    return layer


def snapshot(*arrays):
    return [np.array(a, copy=True) for a in arrays]


# (in_channels, out_channels, kernel, stride, padding, (H, W))
CONV_CASES = [
    (2, 3, 3, 1, 0, (5, 5)),
    (2, 3, 3, 2, 1, (6, 5)),              # stride 2, odd width: the last column is dropped
    (1, 2, (1, 2), 1, 0, (3, 4)),         # non-square kernel
    (3, 2, (3, 2), (2, 1), (1, 2), (7, 6)),  # non-square kernel, stride and padding
    (2, 2, (2, 3), (1, 2), (0, 1), (5, 7)),
    (1, 1, 3, 2, 0, (6, 6)),              # stride 2, the last row and column unused
    (2, 2, 2, 3, 0, (7, 7)),              # stride > kernel: gaps between windows
]


def _conv_id(case):
    C, F, k, s, p, hw = case
    return f"C{C}-F{F}-k{k}-s{s}-p{p}-{hw[0]}x{hw[1]}"


# ----------------------------------------------------------------------------- Conv2d
@pytest.mark.parametrize("case", CONV_CASES, ids=_conv_id)
def test_conv2d_forward_matches_naive_loop(case):
    C, F, k, s, p, (H, Wd) = case
    rng = np.random.default_rng(0)
    layer = randomize_params(Conv2d(C, F, k, stride=s, padding=p, rng=rng), rng)
    x = rng.standard_normal((2, C, H, Wd))
    out, _ = layer.forward(x)
    expected = naive_conv2d(x, layer.params["W"], layer.params["b"], layer.stride, layer.padding)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


def test_conv2d_forward_by_hand():
    # x = [[1, 2, 3], [4, 5, 6], [7, 8, 9]], kernel [[1, 0], [0, -1]], b = 0.5:
    # each output is x[p, q] - x[p+1, q+1] + 0.5 = 1 - 5 + 0.5 = -3.5 everywhere.
    layer = Conv2d(1, 1, 2)
    layer.params["W"][...] = np.array([[1.0, 0.0], [0.0, -1.0]])
    layer.params["b"][...] = 0.5
    out, _ = layer.forward(np.arange(1.0, 10.0).reshape(1, 1, 3, 3))
    np.testing.assert_array_equal(out, np.full((1, 1, 2, 2), -3.5))


@pytest.mark.parametrize("case", CONV_CASES, ids=_conv_id)
def test_conv2d_dx_dW_db_match_numerical_gradient(case):
    C, F, k, s, p, (H, Wd) = case
    rng = np.random.default_rng(1)
    layer = randomize_params(Conv2d(C, F, k, stride=s, padding=p, rng=rng), rng)
    results = check_layer(layer, rng.standard_normal((2, C, H, Wd)), rng=rng, tol=1e-7)
    assert set(results) == {"x", "W", "b"}


def test_conv2d_he_init_is_seeded_and_scaled():
    W = Conv2d(8, 64, 3, rng=np.random.default_rng(5)).params["W"]
    again = Conv2d(8, 64, 3, rng=np.random.default_rng(5)).params["W"]
    np.testing.assert_array_equal(W, again)
    assert W.shape == (64, 8, 3, 3)
    assert abs(W.std() / np.sqrt(2 / 72) - 1) < 0.05       # 4608 draws: ~1% sampling error
    np.testing.assert_array_equal(Conv2d(8, 64, 3).params["b"], np.zeros(64))


def assert_float32_layer_matches_float64(layer64, layer32, x, atol):
    """Same parameters in both dtypes: the float32 output agrees, and backward stays float32."""
    for key, p in layer64.params.items():
        layer32.params[key][...] = p
    out32, cache = layer32.forward(x.astype(np.float32))
    assert out32.dtype == np.float32
    assert all(p.dtype == np.float32 for p in layer32.params.values())
    np.testing.assert_allclose(out32, layer64.forward(x)[0], rtol=1e-5, atol=atol)
    dx, grads = layer32.backward(np.ones_like(out32), cache)
    assert dx.dtype == np.float32 and all(g.dtype == np.float32 for g in grads.values())


def test_conv2d_float32_forward_and_backward_stay_float32():
    rng = np.random.default_rng(2)
    layer64 = randomize_params(Conv2d(2, 3, 3, stride=2, padding=1, rng=rng), rng)
    assert_float32_layer_matches_float64(
        layer64, Conv2d(2, 3, 3, stride=2, padding=1, dtype=np.float32),
        rng.standard_normal((2, 2, 7, 7)), atol=1e-5)


def test_conv2d_wrong_channel_count_raises_naming_both_shapes():
    with pytest.raises(ValueError, match=re.escape(
            "Conv2d.forward: expected x of shape (N, 3, H, W), got (2, 4, 8, 8)")):
        Conv2d(3, 5, 3).forward(np.zeros((2, 4, 8, 8)))


def test_conv2d_wrong_ndim_raises_naming_both_shapes():
    with pytest.raises(ValueError,
                       match=re.escape("expected x of shape (N, 3, H, W), got (3, 8, 8)")):
        Conv2d(3, 5, 3).forward(np.zeros((3, 8, 8)))


def test_conv2d_wrong_dtype_raises():
    with pytest.raises(ValueError, match="expected x of dtype float64, got float32"):
        Conv2d(1, 1, 3).forward(np.zeros((1, 1, 4, 4), np.float32))


def test_conv2d_input_smaller_than_kernel_raises():
    with pytest.raises(ValueError, match=re.escape(
            "padded input of size (4, 4) is smaller than the kernel (5, 5)")):
        Conv2d(1, 1, 5, padding=1).forward(np.zeros((1, 1, 2, 2)))


def test_conv2d_backward_wrong_dz_shape_raises_naming_both_shapes():
    layer = Conv2d(1, 2, 3)
    out, cache = layer.forward(np.zeros((2, 1, 5, 5)))
    with pytest.raises(ValueError, match=re.escape(
            "Conv2d.backward: expected dz of shape (2, 2, 3, 3) (the forward output), "
            "got (2, 2, 3, 4)")):
        layer.backward(np.zeros((2, 2, 3, 4)), cache)


@pytest.mark.parametrize("kwargs", [dict(kernel_size=0), dict(kernel_size=(3,)),
                                    dict(kernel_size=3, stride=0),
                                    dict(kernel_size=3, padding=-1),
                                    dict(kernel_size=2.0)])
def test_conv2d_rejects_bad_hyperparameters(kwargs):
    with pytest.raises(ValueError, match="Conv2d: expected"):
        Conv2d(1, 1, **kwargs)


def test_conv2d_backward_mutates_neither_dz_nor_cache_and_repeats_exactly():
    rng = np.random.default_rng(3)
    layer = randomize_params(Conv2d(2, 3, 3, stride=1, padding=1, rng=rng), rng)
    out, cache = layer.forward(rng.standard_normal((2, 2, 4, 4)))
    dz = rng.standard_normal(out.shape)
    before = snapshot(dz, cache[0], cache[1])
    dx1, g1 = layer.backward(dz, cache)
    dx2, g2 = layer.backward(dz, cache)
    for a, b in zip(before, (dz, cache[0], cache[1])):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(dx1, dx2)
    np.testing.assert_array_equal(g1["W"], g2["W"])


def test_conv2d_and_maxpool_give_the_same_result_on_a_non_contiguous_input():
    rng = np.random.default_rng(14)
    x = rng.standard_normal((5, 6, 3, 2)).transpose(3, 2, 1, 0)       # (2, 3, 6, 5), strided
    conv = randomize_params(Conv2d(3, 2, 3, stride=2, padding=1, rng=rng), rng)
    np.testing.assert_array_equal(conv.forward(x)[0], conv.forward(x.copy())[0])
    pool = MaxPool2d(2, stride=1)
    np.testing.assert_array_equal(pool.forward(x)[0], pool.forward(x.copy())[0])


# ----------------------------------------------------------------------------- MaxPool2d
# (kernel, stride, (H, W)); stride None means stride = kernel
POOL_CASES = [
    (2, None, (4, 4)),
    (3, 1, (5, 5)),                 # overlapping: every interior element is in 9 windows
    ((2, 3), (1, 2), (5, 7)),       # non-square, overlapping in rows
    (3, 2, (7, 6)),                 # overlapping, last column dropped
    (2, 3, (7, 8)),                 # stride > kernel: some elements in no window
]


def _pool_id(case):
    k, s, hw = case
    return f"k{k}-s{s}-{hw[0]}x{hw[1]}"


def distinct_values(rng, shape):
    """A shuffled grid 0.1 apart: no ties and no near-ties for finite differences to cross."""
    return 0.1 * rng.permutation(int(np.prod(shape))).reshape(shape).astype(np.float64)


@pytest.mark.parametrize("data", ["normal", "many-ties"])
@pytest.mark.parametrize("case", POOL_CASES, ids=_pool_id)
def test_maxpool_forward_and_backward_match_naive_loop(case, data):
    k, s, (H, Wd) = case
    rng = np.random.default_rng(4)
    layer = MaxPool2d(k, s)
    x = (rng.standard_normal((2, 3, H, Wd)) if data == "normal"
         else rng.integers(0, 3, (2, 3, H, Wd)).astype(np.float64))
    out, cache = layer.forward(x)
    dout = rng.standard_normal(out.shape)
    expected_out, expected_dx = naive_maxpool(x, layer.kernel_size, layer.stride, dout)
    np.testing.assert_array_equal(out, expected_out)
    dx, grads = layer.backward(dout, cache)
    np.testing.assert_allclose(dx, expected_dx, rtol=1e-13, atol=1e-15)
    assert grads == {}


@pytest.mark.parametrize("case", POOL_CASES, ids=_pool_id)
def test_maxpool_dx_matches_numerical_gradient(case):
    k, s, (H, Wd) = case
    rng = np.random.default_rng(5)
    check_layer(MaxPool2d(k, s), distinct_values(rng, (2, 2, H, Wd)), rng=rng, tol=1e-7)


def test_maxpool_overlapping_windows_accumulate_gradient_by_hand():
    # 9 sits in all four 2x2 windows (stride 1), so it receives 1 + 2 + 3 + 4 = 10.
    x = np.array([[1.0, 2, 3], [4, 9, 5], [6, 7, 8]]).reshape(1, 1, 3, 3)
    out, cache = MaxPool2d(2, stride=1).forward(x)
    np.testing.assert_array_equal(out, np.full((1, 1, 2, 2), 9.0))
    dx, _ = MaxPool2d(2, stride=1).backward(np.array([[[[1.0, 2], [3, 4]]]]), cache)
    np.testing.assert_array_equal(dx, [[[[0, 0, 0], [0, 10, 0], [0, 0, 0]]]])


def test_maxpool_tie_routes_gradient_to_first_maximum_only():
    # Left window: all equal -> top-left. Right window: 5 twice -> the top one (row-major first).
    x = np.array([[2.0, 2, 1, 5], [2, 2, 5, 0]]).reshape(1, 1, 2, 4)
    layer = MaxPool2d(2)
    out, cache = layer.forward(x)
    np.testing.assert_array_equal(out, [[[[2.0, 5.0]]]])
    dx, _ = layer.backward(np.array([[[[3.0, 7.0]]]]), cache)
    np.testing.assert_array_equal(dx, [[[[3, 0, 0, 7], [0, 0, 0, 0]]]])


def test_maxpool_float32_stays_float32():
    x = np.random.default_rng(6).standard_normal((2, 3, 6, 6)).astype(np.float32)
    out, cache = MaxPool2d(2).forward(x)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, naive_maxpool(x.astype(np.float64), (2, 2), (2, 2))[0])
    assert MaxPool2d(2).backward(np.ones_like(out), cache)[0].dtype == np.float32


def test_maxpool_wrong_ndim_raises_naming_both_shapes():
    with pytest.raises(ValueError, match=re.escape(
            "MaxPool2d.forward: expected x of shape (N, C, H, W), got (4, 4, 4)")):
        MaxPool2d(2).forward(np.zeros((4, 4, 4)))


def test_maxpool_input_smaller_than_kernel_raises():
    with pytest.raises(ValueError, match=re.escape("input of size (2, 5) is smaller than the "
                                                   "kernel (3, 3)")):
        MaxPool2d(3).forward(np.zeros((1, 1, 2, 5)))


def test_maxpool_backward_wrong_dz_shape_raises_naming_both_shapes():
    layer = MaxPool2d(2)
    _, cache = layer.forward(np.zeros((2, 3, 4, 4)))
    with pytest.raises(ValueError, match=re.escape(
            "MaxPool2d.backward: expected dz of shape (2, 3, 2, 2) (the forward output), "
            "got (2, 3, 4, 4)")):
        layer.backward(np.zeros((2, 3, 4, 4)), cache)


def test_maxpool_backward_mutates_neither_dz_nor_cache():
    rng = np.random.default_rng(7)
    layer = MaxPool2d(3, stride=1)
    out, cache = layer.forward(rng.standard_normal((2, 2, 5, 5)))
    dz = rng.standard_normal(out.shape)
    before = snapshot(dz, cache[0])
    layer.backward(dz, cache)
    np.testing.assert_array_equal(before[0], dz)
    np.testing.assert_array_equal(before[1], cache[0])


# ----------------------------------------------------------------------------- RNN
@pytest.mark.parametrize("return_sequences", [True, False])
def test_rnn_forward_matches_naive_loop(return_sequences):
    rng = np.random.default_rng(8)
    layer = randomize_params(RNN(3, 4, return_sequences=return_sequences, rng=rng), rng)
    x = rng.standard_normal((2, 5, 3))
    out, _ = layer.forward(x)
    hs = naive_rnn(x, layer.params["Wx"], layer.params["Wh"], layer.params["b"])
    expected = hs if return_sequences else hs[:, -1]
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-14)


def test_rnn_forward_by_hand():
    # D = H = 1, Wx = 0.5, Wh = -1, b = 0.1, x = (1, 2):
    # h1 = tanh(0.5 + 0.1) = tanh(0.6);  h2 = tanh(1.0 - h1 + 0.1) = tanh(1.1 - tanh(0.6)).
    layer = RNN(1, 1)
    layer.params["Wx"][...], layer.params["Wh"][...], layer.params["b"][...] = 0.5, -1.0, 0.1
    out, _ = layer.forward(np.array([[[1.0], [2.0]]]))
    h1 = np.tanh(0.6)
    np.testing.assert_allclose(out.ravel(), [h1, np.tanh(1.1 - h1)], rtol=1e-15)


@pytest.mark.parametrize("return_sequences", [True, False])
@pytest.mark.parametrize("N, T", [(1, 1), (2, 5), (3, 4)])
def test_rnn_bptt_gradients_match_numerical_gradient(return_sequences, N, T):
    rng = np.random.default_rng(9)
    layer = randomize_params(RNN(3, 4, return_sequences=return_sequences, rng=rng), rng)
    results = check_layer(layer, rng.standard_normal((N, T, 3)), rng=rng, tol=1e-7)
    assert set(results) == {"x", "Wx", "Wh", "b"}


def test_rnn_last_state_is_last_step_of_sequence():
    rng = np.random.default_rng(10)
    seq, last = RNN(3, 4, rng=np.random.default_rng(1)), RNN(3, 4, return_sequences=False,
                                                             rng=np.random.default_rng(1))
    x = rng.standard_normal((2, 6, 3))
    np.testing.assert_array_equal(last.forward(x)[0], seq.forward(x)[0][:, -1])


def test_rnn_init_xavier_input_weights_orthogonal_recurrent_weights():
    layer = RNN(50, 40, rng=np.random.default_rng(11))
    Wx, Wh = layer.params["Wx"], layer.params["Wh"]
    np.testing.assert_allclose(Wh.T @ Wh, np.eye(40), atol=1e-12)
    assert abs(Wx.std() / np.sqrt(2 / 90) - 1) < 0.05     # 2000 draws: ~1.6% sampling error
    np.testing.assert_array_equal(layer.params["b"], np.zeros(40))
    np.testing.assert_array_equal(Wh, RNN(50, 40, rng=np.random.default_rng(11)).params["Wh"])


def test_rnn_float32_forward_and_backward_stay_float32():
    rng = np.random.default_rng(12)
    layer64 = randomize_params(RNN(3, 4, rng=rng), rng)
    assert_float32_layer_matches_float64(layer64, RNN(3, 4, dtype=np.float32),
                                         rng.standard_normal((2, 5, 3)), atol=1e-6)


def test_rnn_wrong_input_size_raises_naming_both_shapes():
    with pytest.raises(ValueError, match=re.escape(
            "RNN.forward: expected x of shape (N, T, 3), got (2, 5, 4)")):
        RNN(3, 4).forward(np.zeros((2, 5, 4)))


def test_rnn_2d_input_raises_naming_both_shapes():
    with pytest.raises(ValueError, match=re.escape("expected x of shape (N, T, 3), got (5, 3)")):
        RNN(3, 4).forward(np.zeros((5, 3)))


def test_rnn_backward_wrong_dout_shape_raises_naming_both_shapes():
    layer = RNN(3, 4, return_sequences=False)
    _, cache = layer.forward(np.zeros((2, 5, 3)))
    with pytest.raises(ValueError, match=re.escape(
            "RNN.backward: expected dout of shape (2, 4) (the forward output), got (2, 5, 4)")):
        layer.backward(np.zeros((2, 5, 4)), cache)


@pytest.mark.parametrize("return_sequences", [True, False])
def test_rnn_backward_mutates_neither_dout_nor_cache(return_sequences):
    rng = np.random.default_rng(13)
    layer = randomize_params(RNN(3, 4, return_sequences=return_sequences, rng=rng), rng)
    out, cache = layer.forward(rng.standard_normal((2, 5, 3)))
    dout = rng.standard_normal(out.shape)
    arrays = (dout,) + tuple(a for a in cache if isinstance(a, np.ndarray))
    before = snapshot(*arrays)
    layer.backward(dout, cache)
    for a, b in zip(before, arrays):
        np.testing.assert_array_equal(a, b)
