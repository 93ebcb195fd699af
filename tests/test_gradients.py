"""One catalogue of layers and losses drives one float64 gradient check.

Adding a layer to the package adds one line to LAYER_CASES. Every case is checked at batch
sizes 1, 2 and 7, with random parameters and a random upstream gradient, for `dx` and every
parameter gradient, to a relative error of 1e-7 (the measure is defined in
backprop_ref.gradcheck: worst element over the largest gradient magnitude).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pytest

from backprop_ref import layers as L
from backprop_ref.gradcheck import GradcheckError, check_layer, gradcheck, numerical_gradient
from backprop_ref.losses import BCEWithLogitsLoss, MSELoss, SoftmaxCrossEntropyLoss

BATCH_SIZES = (1, 2, 7)


def _dropout_forward(layer):
    """Dropout is checked with a fixed mask: reseed before every forward pass."""
    def forward(x):
        layer.rng = np.random.default_rng(123)
        return layer.forward(x, train=True)
    return forward


def _eval_forward(layer):
    return lambda x: layer.forward(x, train=False)


@dataclass(frozen=True)
class LayerCase:
    name: str
    make: Callable[[np.random.Generator], L.Layer]
    input_shape: Callable[[int], tuple[int, ...]]
    forward: Callable | None = None      # layer -> forward(x) returning (out, cache)
    batch_sizes: tuple[int, ...] = BATCH_SIZES
    tol: float = 1e-7
    why: str = field(default="", compare=False)


LAYER_CASES = [
    LayerCase("Linear", lambda r: L.Linear(4, 3, rng=r), lambda n: (n, 4)),
    LayerCase("Sigmoid", lambda r: L.Sigmoid(), lambda n: (n, 5)),
    LayerCase("Tanh", lambda r: L.Tanh(), lambda n: (n, 5)),
    LayerCase("ReLU", lambda r: L.ReLU(), lambda n: (n, 5)),
    LayerCase("LeakyReLU", lambda r: L.LeakyReLU(0.1), lambda n: (n, 5)),
    LayerCase("Dropout", lambda r: L.Dropout(0.3), lambda n: (n, 6), forward=_dropout_forward),
    LayerCase("BatchNorm1d-train", lambda r: L.BatchNorm1d(4), lambda n: (n, 4),
              batch_sizes=(3, 7),
              why="training needs N >= 2, and at N = 2 the normalised output is ±1 whatever x "
                  "is, so dx is O(eps) and the check would compare rounding noise"),
    LayerCase("BatchNorm1d-eval", lambda r: L.BatchNorm1d(4), lambda n: (n, 4),
              forward=_eval_forward),
    LayerCase("Flatten", lambda r: L.Flatten(), lambda n: (n, 2, 3, 2)),
    LayerCase("Conv2d", lambda r: L.Conv2d(2, 3, 3, rng=r), lambda n: (n, 2, 5, 5)),
    LayerCase("Conv2d-stride2-pad1", lambda r: L.Conv2d(2, 3, 3, stride=2, padding=1, rng=r),
              lambda n: (n, 2, 6, 5)),
    LayerCase("Conv2d-1x2-kernel", lambda r: L.Conv2d(1, 2, (1, 2), rng=r), lambda n: (n, 1, 3, 4)),
    LayerCase("MaxPool2d", lambda r: L.MaxPool2d(2), lambda n: (n, 2, 4, 4)),
    LayerCase("MaxPool2d-overlapping", lambda r: L.MaxPool2d(3, stride=1), lambda n: (n, 1, 5, 5)),
    LayerCase("RNN-sequences", lambda r: L.RNN(3, 4, rng=r), lambda n: (n, 5, 3)),
    LayerCase("RNN-last-state", lambda r: L.RNN(3, 4, return_sequences=False, rng=r),
              lambda n: (n, 5, 3)),
    LayerCase("Sequential-MLP",
              lambda r: L.Sequential(L.Linear(4, 6, rng=r), L.Tanh(), L.Linear(6, 3, rng=r),
                                     L.Sigmoid()),
              lambda n: (n, 4)),
    LayerCase("Sequential-CNN",
              lambda r: L.Sequential(L.Conv2d(1, 2, 3, padding=1, rng=r), L.ReLU(),
                                     L.MaxPool2d(2), L.Flatten(), L.Linear(8, 3, rng=r)),
              lambda n: (n, 1, 4, 4)),
]

LAYER_PARAMS = [pytest.param(case, n, id=f"{case.name}-N{n}")
                for case in LAYER_CASES for n in case.batch_sizes]


def _randomise(layer: L.Layer, rng: np.random.Generator) -> None:
    """Random parameters: zero biases or unit scales would hide bugs."""
    for p in layer.params.values():
        p[...] = rng.standard_normal(p.shape)


def _build(case: LayerCase, n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    layer = case.make(rng)
    _randomise(layer, rng)
    x = rng.standard_normal(case.input_shape(n))
    forward = case.forward(layer) if case.forward else (lambda v: layer.forward(v, train=True))
    return layer, x, forward, rng


@pytest.mark.parametrize(("case", "n"), LAYER_PARAMS)
def test_layer_dx_and_every_param_gradient_match_finite_differences(case, n):
    layer, x, forward, rng = _build(case, n)
    results = check_layer(layer, x, rng=rng, forward=forward, tol=case.tol)
    assert set(results) == {"x", *layer.params}
    assert all(r.passed for r in results.values())


@pytest.mark.parametrize("case", LAYER_CASES, ids=lambda c: c.name)
def test_layer_gradients_have_their_parameters_shapes_and_dtype(case):
    layer, x, forward, rng = _build(case, 2)
    out, cache = forward(x)
    dx, grads = layer.backward(rng.standard_normal(out.shape), cache)
    assert dx.shape == x.shape and dx.dtype == x.dtype
    assert set(grads) == set(layer.params)
    for k, g in grads.items():
        assert g.shape == layer.params[k].shape, k
        assert g.dtype == layer.params[k].dtype, k


@pytest.mark.parametrize("case", LAYER_CASES, ids=lambda c: c.name)
def test_layer_backward_leaves_upstream_gradient_input_and_cache_unchanged(case):
    layer, x, forward, rng = _build(case, 3)
    x_before = x.copy()
    out, cache = forward(x)
    dout = rng.standard_normal(out.shape)
    dout_before, cache_before = dout.copy(), copy.deepcopy(cache)
    first = layer.backward(dout, cache)
    np.testing.assert_array_equal(dout, dout_before)
    np.testing.assert_array_equal(x, x_before)
    _assert_same_structure(cache, cache_before)
    second = layer.backward(dout, cache)  # same answer again: nothing accumulated on self
    np.testing.assert_array_equal(first[0], second[0])
    for k in first[1]:
        np.testing.assert_array_equal(first[1][k], second[1][k])


def _assert_same_structure(a, b):
    if isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, (tuple, list)):
        assert len(a) == len(b)
        for u, v in zip(a, b):
            _assert_same_structure(u, v)
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            _assert_same_structure(a[k], b[k])
    else:
        assert a == b


@dataclass(frozen=True)
class LossCase:
    name: str
    loss: object
    make: Callable[[np.random.Generator, int], tuple[np.ndarray, np.ndarray]]


LOSS_CASES = [
    LossCase("MSELoss", MSELoss(),
             lambda r, n: (r.standard_normal((n, 3)), r.standard_normal((n, 3)))),
    LossCase("MSELoss-1d", MSELoss(),
             lambda r, n: (r.standard_normal(n), r.standard_normal(n))),
    LossCase("BCEWithLogitsLoss", BCEWithLogitsLoss(),
             lambda r, n: (3 * r.standard_normal((n, 2)), r.integers(0, 2, (n, 2)).astype(float))),
    LossCase("BCEWithLogitsLoss-soft-targets", BCEWithLogitsLoss(),
             lambda r, n: (3 * r.standard_normal(n), r.random(n))),
    LossCase("SoftmaxCrossEntropyLoss", SoftmaxCrossEntropyLoss(),
             lambda r, n: (3 * r.standard_normal((n, 4)), r.integers(0, 4, n))),
]


@pytest.mark.parametrize("n", BATCH_SIZES)
@pytest.mark.parametrize("case", LOSS_CASES, ids=lambda c: c.name)
def test_loss_gradient_matches_finite_differences(case, n):
    rng = np.random.default_rng(n)
    pred, target = case.make(rng, n)
    dloss = float(rng.uniform(0.5, 2.0))  # a random upstream scalar, not 1
    _, cache = case.loss.forward(pred, target)
    analytic = case.loss.backward(cache, dloss)
    numeric = numerical_gradient(lambda p: dloss * case.loss(p, target), pred)
    assert gradcheck(analytic, numeric, name=f"{case.name} dpred").passed


def test_losses_average_over_the_batch_so_duplicating_the_batch_keeps_the_loss():
    rng = np.random.default_rng(0)
    for case in LOSS_CASES:
        pred, target = case.make(rng, 3)
        twice = case.loss(np.concatenate([pred, pred]), np.concatenate([target, target]))
        assert twice == pytest.approx(case.loss(pred, target), rel=1e-12), case.name


def test_mse_uses_the_half_squared_error_convention():
    # ½((3 − 1)² + (0 − 2)²) / 2 samples = ½(4 + 4) / 2 = 2.0
    assert MSELoss()(np.array([[3.0], [0.0]]), np.array([[1.0], [2.0]])) == 2.0


@pytest.mark.parametrize("z", [1000.0, -1000.0])
def test_softmax_cross_entropy_and_bce_are_finite_at_logits_of_1000(z):
    logits = np.array([[z, 0.0, -z], [0.0, z, 0.0]])
    labels = np.array([2, 1])
    with np.errstate(all="raise"):
        ce, cache = SoftmaxCrossEntropyLoss().forward(logits, labels)
        dce = SoftmaxCrossEntropyLoss().backward(cache)
        bce, bcache = BCEWithLogitsLoss().forward(np.array([z, -z]), np.array([0.0, 0.0]))
        dbce = BCEWithLogitsLoss().backward(bcache)
        a = L.Sigmoid()(np.array([[z, -z]]))
    # By hand, loss_n = log Σ_j e^(z_j − max z) − (z_label − max z):
    # z = +1000: row 0 → log(1 + e^−1000 + e^−2000) + 2000 = 2000; row 1 → ≈ 0.  Mean 1000.
    # z = −1000: row 0 → ≈ 0; row 1 (logits 0, −1000, 0, label 1) → log 2 + 1000.
    expected = 1000.0 if z > 0 else (np.log(2.0) + 1000.0) / 2
    assert ce == pytest.approx(expected, rel=1e-12)
    assert np.isfinite(ce) and np.all(np.isfinite(dce))
    # BCE of a logit t against target 0 is max(t, 0) + log(1 + e^−|t|); the logits are z and
    # −z, so one sample costs 1000 (+ e^−1000) and the other ≈ 0: the mean is 500.
    assert bce == pytest.approx(500.0, rel=1e-12)
    assert np.all(np.isfinite(dbce)) and np.all((a >= 0) & (a <= 1))


def test_gradcheck_catches_a_planted_wrong_bias_gradient():
    class AveragedBias(L.Linear):  # the classic mistake: db averaged instead of summed
        def backward(self, dz, cache):
            dx, grads = super().backward(dz, cache)
            return dx, {**grads, "b": dz.mean(axis=0)}

    rng = np.random.default_rng(0)
    layer = AveragedBias(4, 3, rng=rng)
    with pytest.raises(GradcheckError, match=r"db: FAILED, relative error .* worst element \(\d+,\)"):
        check_layer(layer, rng.standard_normal((5, 4)), rng=rng)


def test_gradcheck_catches_sigmoid_derivative_taken_from_the_pre_activation():
    class WrongSigmoid(L.Sigmoid):  # σ'(z) computed as z(1 − z) instead of a(1 − a)
        def forward(self, z, train=False):
            return super().forward(z)[0], z

        def backward(self, da, z):
            return da * z * (1 - z), {}

    rng = np.random.default_rng(0)
    result = check_layer(WrongSigmoid(), rng.standard_normal((3, 4)), rng=rng,
                         raise_on_fail=False)
    assert not result["x"].passed and result["x"].rel_error > 0.1


def test_gradcheck_report_names_worst_element_both_values_and_relative_error():
    analytic = np.array([1.0, 2.0, 3.0])
    numeric = np.array([1.0, 2.5, 3.0])
    with pytest.raises(GradcheckError) as info:
        gradcheck(analytic, numeric, name="dW")
    message = str(info.value)
    # |2 − 2.5| / max|·| = 0.5 / 3
    assert "worst element (1,)" in message and "analytic 2" in message
    assert "numerical 2.5" in message and f"{0.5 / 3:.2e}" in message


def test_numerical_gradient_restores_its_input():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    before = x.copy()
    grad = numerical_gradient(lambda v: float(np.sum(v ** 3)), x)
    np.testing.assert_array_equal(x, before)
    np.testing.assert_allclose(grad, 3 * before ** 2, rtol=1e-8)


@pytest.mark.parametrize("case", LAYER_CASES, ids=lambda c: c.name)
def test_param_grads_equal_the_parameter_gradients_of_backward(case):
    layer, x, forward, rng = _build(case, 3)
    out, cache = forward(x)
    dout = rng.standard_normal(out.shape)
    _, grads = layer.backward(dout, cache)
    fast = layer.param_grads(dout, cache)
    assert fast.keys() == grads.keys()
    for key in grads:
        np.testing.assert_array_equal(fast[key], grads[key])


def test_sequential_backward_without_dx_returns_none_and_the_same_gradients():
    rng = np.random.default_rng(0)
    model = L.Sequential(L.Linear(4, 5, rng=rng), L.ReLU(), L.Linear(5, 2, rng=rng))
    out, caches = model.forward(rng.standard_normal((3, 4)))
    dout = rng.standard_normal(out.shape)
    dx, grads = model.backward(dout, caches, need_dx=False)
    assert dx is None
    for key, g in model.backward(dout, caches)[1].items():
        np.testing.assert_array_equal(grads[key], g)
