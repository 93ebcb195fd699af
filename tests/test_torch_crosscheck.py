"""An independent second opinion: every layer and loss against PyTorch autograd.

The finite-difference checks in test_gradients.py prove that each backward is the
derivative of its own forward; they cannot notice a forward that computes the wrong
function. Here one table of cases builds each layer twice, ours and PyTorch's, with the same
random parameters, and compares in float64 the forward output, dx and every parameter
gradient for a random upstream gradient, at batch sizes 1 and 5. PyTorch is optional:
without it this module is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pytest

torch = pytest.importorskip(
    "torch", reason="PyTorch is not installed: run `make torch` to enable the cross-check "
                    "against PyTorch autograd")
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from backprop_ref import layers as L  # noqa: E402
from backprop_ref.losses import (  # noqa: E402
    BCEWithLogitsLoss, MSELoss, SoftmaxCrossEntropyLoss)

pytestmark = pytest.mark.torch

# Both sides compute the same float64 expressions in a different order, so they agree to a
# few ulps of the largest term (~1e-15 relative); the worst case here uses under 1% of
# rtol 1e-10 / atol 1e-12, and a wrong formula misses it by many orders of magnitude.
RTOL, ATOL = 1e-10, 1e-12
# float32 (eps 1.2e-7): a conv or RNN output sums up to ~50 products of O(1) numbers, so each
# side may be off by up to ~50 eps ≈ 6e-6 in absolute terms (2.4e-6 seen); outputs near 0
# need that atol, since their relative error is unbounded.
RTOL32, ATOL32 = 1e-5, 1e-5
BATCH_SIZES = (1, 5)
TORCH_DTYPE = {np.float64: torch.float64, np.float32: torch.float32}

Layout = Callable[[np.ndarray], np.ndarray]  # our array -> the torch parameter's layout


def _same(a: np.ndarray) -> np.ndarray:
    return a


def _transposed(a: np.ndarray) -> np.ndarray:
    """Our W is (in, out) since z = x W; torch stores (out, in) since z = x Wᵀ."""
    return a.T


# ---------------------------------------------------------------------------------------
# Twins: one layer built twice, and how our parameters map onto torch's
# ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Twin:
    ours: Callable[[np.random.Generator, type], L.Layer]   # (rng, dtype) -> our layer
    theirs: Callable[[torch.dtype], nn.Module]              # torch dtype -> the torch module
    params: dict[str, tuple[str, Layout]] = field(default_factory=dict)  # our key -> torch name
    zeroed: tuple[str, ...] = ()  # torch parameters we have no counterpart for: held at 0
    copy_state: Callable[[L.Layer, nn.Module], None] | None = None  # buffers, e.g. running stats


def linear(i: int, o: int) -> Twin:
    return Twin(lambda r, d: L.Linear(i, o, rng=r, dtype=d),
                lambda d: nn.Linear(i, o, dtype=d),
                {"W": ("weight", _transposed), "b": ("bias", _same)})


def activation(ours: Callable[[], L.Layer], theirs: Callable[[], nn.Module]) -> Twin:
    return Twin(lambda r, d: ours(), lambda d: theirs())


def dropout(p: float) -> Twin:
    return Twin(lambda r, d: L.Dropout(p, rng=r), lambda d: nn.Dropout(p))


def _random_running_stats(bn: L.BatchNorm1d, rng: np.random.Generator) -> L.BatchNorm1d:
    """Eval mode with the initial statistics (0, 1) would hide a swapped mean and variance."""
    bn.running_mean = rng.standard_normal(bn.num_features).astype(bn.dtype)
    bn.running_var = rng.uniform(0.5, 2.0, bn.num_features).astype(bn.dtype)
    return bn


def _copy_running_stats(bn: L.BatchNorm1d, module: nn.BatchNorm1d) -> None:
    with torch.no_grad():
        module.running_mean.copy_(torch.tensor(bn.running_mean))
        module.running_var.copy_(torch.tensor(bn.running_var))


def batchnorm(num_features: int, momentum: float = 0.1) -> Twin:
    return Twin(lambda r, d: _random_running_stats(
                    L.BatchNorm1d(num_features, momentum=momentum, dtype=d), r),
                lambda d: nn.BatchNorm1d(num_features, eps=1e-5, momentum=momentum, dtype=d),
                {"gamma": ("weight", _same), "beta": ("bias", _same)},
                copy_state=_copy_running_stats)


def conv(c: int, f: int, k: int | tuple[int, int], stride: int | tuple[int, int] = 1,
         padding: int | tuple[int, int] = 0) -> Twin:
    # Same layout on both sides: W (F, C, kh, kw), b (F,); both compute cross-correlation.
    return Twin(lambda r, d: L.Conv2d(c, f, k, stride=stride, padding=padding, rng=r, dtype=d),
                lambda d: nn.Conv2d(c, f, k, stride=stride, padding=padding, dtype=d),
                {"W": ("weight", _same), "b": ("bias", _same)})


def maxpool(k: int, stride: int | None = None) -> Twin:
    return Twin(lambda r, d: L.MaxPool2d(k, stride=stride), lambda d: nn.MaxPool2d(k, stride))


def flatten() -> Twin:
    return Twin(lambda r, d: L.Flatten(), lambda d: nn.Flatten())


class TorchRNN(nn.Module):
    """torch.nn.RNN (tanh, batch_first) returning all hidden states (N, T, H) or the last (N, H).

    Ours has one bias: h_t = tanh(x_t Wx + h_{t−1} Wh + b); torch has two (b_ih + b_hh), so
    b_hh is held at zero and b_ih = b. weight_ih = Wxᵀ, weight_hh = Whᵀ; h_0 = 0 on both sides.
    """

    def __init__(self, input_size: int, hidden_size: int, return_sequences: bool,
                 dtype: torch.dtype) -> None:
        super().__init__()
        self.rnn = nn.RNN(input_size, hidden_size, nonlinearity="tanh", batch_first=True,
                          dtype=dtype)
        self.return_sequences = return_sequences

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, h_n = self.rnn(x)
        return out if self.return_sequences else h_n[0]


def rnn(d_in: int, hidden: int, return_sequences: bool) -> Twin:
    return Twin(lambda r, d: L.RNN(d_in, hidden, return_sequences=return_sequences, rng=r,
                                   dtype=d),
                lambda d: TorchRNN(d_in, hidden, return_sequences, d),
                {"Wx": ("rnn.weight_ih_l0", _transposed), "Wh": ("rnn.weight_hh_l0", _transposed),
                 "b": ("rnn.bias_ih_l0", _same)},
                zeroed=("rnn.bias_hh_l0",))


def sequential(*twins: Twin) -> Twin:
    """Our keys "i.W" map to torch's "i.weight": both number the layers from 0."""
    def copy_state(ours: L.Sequential, theirs: nn.Sequential) -> None:
        for i, t in enumerate(twins):
            if t.copy_state is not None:
                t.copy_state(ours[i], theirs[i])

    return Twin(lambda r, d: L.Sequential(*(t.ours(r, d) for t in twins)),
                lambda d: nn.Sequential(*(t.theirs(d) for t in twins)),
                {f"{i}.{k}": (f"{i}.{name}", layout) for i, t in enumerate(twins)
                 for k, (name, layout) in t.params.items()},
                zeroed=tuple(f"{i}.{name}" for i, t in enumerate(twins) for name in t.zeroed),
                copy_state=copy_state)


def _torch_copy(twin: Twin, layer: L.Layer, dtype: type) -> nn.Module:
    """The torch module with our parameters (and buffers) copied in."""
    module = twin.theirs(TORCH_DTYPE[dtype])
    theirs = dict(module.named_parameters())
    assert set(twin.params) == set(layer.params), "a parameter of ours has no torch twin"
    assert set(theirs) == {name for name, _ in twin.params.values()} | set(twin.zeroed), \
        "a torch parameter has no counterpart of ours"
    with torch.no_grad():
        for key, (name, layout) in twin.params.items():
            value = torch.tensor(layout(layer.params[key]))
            assert theirs[name].shape == value.shape, (key, name)  # copy_ would broadcast
            theirs[name].copy_(value)
        for name in twin.zeroed:
            theirs[name].zero_()
    if twin.copy_state is not None:
        twin.copy_state(layer, module)
    return module


# ---------------------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------------------

def _apply_our_mask(module: nn.Module, x: torch.Tensor, scaled_mask: np.ndarray) -> torch.Tensor:
    """Torch draws its own dropout mask, so apply ours (from the cache) as a product."""
    return x * torch.tensor(scaled_mask)


def _normal(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.standard_normal(shape)


def _with_zeros(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Every third entry exactly 0: ReLU'(0) = 0 and LeakyReLU'(0) = α, as in torch."""
    x = rng.standard_normal(shape)
    x.reshape(-1)[::3] = 0.0
    return x


def _ties(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Values from {0, 1, 2}: most windows hold several maxima. Both pick the first one in
    row-major order, so the gradient goes to the same element."""
    return rng.integers(0, 3, shape).astype(np.float64)


def _huge(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return 1000.0 * rng.standard_normal(shape)


@dataclass(frozen=True)
class Case:
    name: str
    twin: Twin
    input_shape: Callable[[int], tuple[int, ...]]
    train: bool = True
    batch_sizes: tuple[int, ...] = BATCH_SIZES
    torch_call: Callable | None = None  # (module, x, our cache) -> output; default module(x)
    make_x: Callable = _normal
    why: str = field(default="", compare=False)


CASES = [
    Case("Linear", linear(4, 3), lambda n: (n, 4)),
    Case("Sigmoid", activation(L.Sigmoid, nn.Sigmoid), lambda n: (n, 5)),
    Case("Sigmoid-inputs-of-1000", activation(L.Sigmoid, nn.Sigmoid), lambda n: (n, 5),
         make_x=_huge),
    Case("Tanh", activation(L.Tanh, nn.Tanh), lambda n: (n, 5)),
    Case("ReLU", activation(L.ReLU, nn.ReLU), lambda n: (n, 2, 3), make_x=_with_zeros),
    Case("LeakyReLU", activation(lambda: L.LeakyReLU(0.1), lambda: nn.LeakyReLU(0.1)),
         lambda n: (n, 6), make_x=_with_zeros),
    Case("Dropout-train", dropout(0.3), lambda n: (n, 6), torch_call=_apply_our_mask),
    Case("Dropout-eval-is-identity", dropout(0.3), lambda n: (n, 6), train=False),
    Case("BatchNorm1d-train", batchnorm(4), lambda n: (n, 4), batch_sizes=(2, 5),
         why="training needs N >= 2 (torch refuses N = 1 too)"),
    Case("BatchNorm1d-eval", batchnorm(4), lambda n: (n, 4), train=False),
    Case("Conv2d-k3", conv(2, 3, 3), lambda n: (n, 2, 5, 5)),
    Case("Conv2d-k3-stride2-pad1", conv(2, 3, 3, stride=2, padding=1), lambda n: (n, 2, 6, 5)),
    Case("Conv2d-k5-pad2-same", conv(2, 2, 5, padding=2), lambda n: (n, 2, 5, 6)),
    Case("Conv2d-k1x2", conv(1, 2, (1, 2)), lambda n: (n, 1, 3, 4)),
    Case("Conv2d-k3x2-stride2-pad2", conv(2, 2, (3, 2), stride=2, padding=2),
         lambda n: (n, 2, 4, 5)),
    Case("Conv2d-k1", conv(3, 2, 1), lambda n: (n, 3, 2, 3)),
    Case("Conv2d-k2x3-stride2x1-pad1x0", conv(2, 3, (2, 3), stride=(2, 1), padding=(1, 0)),
         lambda n: (n, 2, 5, 4)),
    Case("Conv2d-k2-stride3-leftover", conv(1, 2, 2, stride=3), lambda n: (n, 1, 8, 7),
         why="the stride does not divide H − k: the last rows and columns are never covered"),
    Case("MaxPool2d-k2", maxpool(2), lambda n: (n, 2, 4, 4)),
    Case("MaxPool2d-k2-odd-input", maxpool(2), lambda n: (n, 1, 5, 5)),
    Case("MaxPool2d-k3-stride1-overlapping", maxpool(3, stride=1), lambda n: (n, 1, 5, 5)),
    Case("MaxPool2d-k3-stride2-overlapping", maxpool(3, stride=2), lambda n: (n, 2, 7, 6)),
    Case("MaxPool2d-k2-ties", maxpool(2), lambda n: (n, 2, 4, 6), make_x=_ties),
    Case("MaxPool2d-k3-stride1-overlapping-ties", maxpool(3, stride=1), lambda n: (n, 1, 5, 5),
         make_x=_ties),
    Case("Flatten", flatten(), lambda n: (n, 2, 3, 2)),
    Case("RNN-sequences", rnn(3, 4, True), lambda n: (n, 5, 3)),
    Case("RNN-last-state", rnn(3, 4, False), lambda n: (n, 5, 3)),
    Case("RNN-one-step", rnn(2, 3, True), lambda n: (n, 1, 2)),
    Case("Sequential-MLP",
         sequential(linear(4, 6), activation(L.Tanh, nn.Tanh), linear(6, 5),
                    activation(L.ReLU, nn.ReLU), linear(5, 3), activation(L.Sigmoid, nn.Sigmoid)),
         lambda n: (n, 4)),
    Case("Sequential-MLP-BatchNorm",
         sequential(linear(4, 6), batchnorm(6),
                    activation(lambda: L.LeakyReLU(0.1), lambda: nn.LeakyReLU(0.1)), linear(6, 3)),
         lambda n: (n, 4), batch_sizes=(2, 5)),
    Case("Sequential-CNN",
         sequential(conv(1, 2, 3, padding=1), activation(L.ReLU, nn.ReLU), maxpool(2),
                    flatten(), linear(8, 3)),
         lambda n: (n, 1, 4, 4)),
]

PARAMS = [pytest.param(case, n, id=f"{case.name}-N{n}")
          for case in CASES for n in case.batch_sizes]


@dataclass
class Result:
    out: np.ndarray
    dx: np.ndarray
    grads: dict[str, np.ndarray]  # in torch's layout, keyed by our names


def _run_both(case: Case, n: int, dtype: type, seed: int = 0) -> tuple[Result, Result]:
    """Our forward/backward and torch's, on the same x, parameters and upstream gradient."""
    rng = np.random.default_rng(seed)
    layer = case.twin.ours(rng, dtype)
    for p in layer.params.values():  # random: zero biases or unit scales would hide bugs
        p[...] = rng.standard_normal(p.shape)
    module = _torch_copy(case.twin, layer, dtype)
    x = case.make_x(rng, case.input_shape(n)).astype(dtype)
    out, cache = layer.forward(x, train=case.train)
    dout = rng.standard_normal(out.shape).astype(dtype)
    dx, grads = layer.backward(dout, cache)
    ours = Result(out, dx, {k: case.twin.params[k][1](g) for k, g in grads.items()})

    module.train(case.train)
    x_t = torch.tensor(x, requires_grad=True)
    out_t = case.torch_call(module, x_t, cache) if case.torch_call else module(x_t)
    out_t.backward(torch.tensor(dout))
    named = dict(module.named_parameters())
    theirs = Result(out_t.detach().numpy(), x_t.grad.numpy(),
                    {k: named[name].grad.numpy() for k, (name, _) in case.twin.params.items()})
    return ours, theirs


@pytest.mark.parametrize(("case", "n"), PARAMS)
def test_forward_dx_and_every_param_gradient_match_torch_autograd_in_float64(case, n):
    ours, theirs = _run_both(case, n, np.float64, seed=n)
    np.testing.assert_allclose(ours.out, theirs.out, rtol=RTOL, atol=ATOL, err_msg="forward")
    np.testing.assert_allclose(ours.dx, theirs.dx, rtol=RTOL, atol=ATOL, err_msg="dx")
    assert set(ours.grads) == set(theirs.grads) == set(case.twin.params)
    for k in ours.grads:
        np.testing.assert_allclose(ours.grads[k], theirs.grads[k], rtol=RTOL, atol=ATOL,
                                   err_msg=f"d{k}")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_float32_forward_matches_torch(case):
    ours, theirs = _run_both(case, max(case.batch_sizes), np.float32)
    assert ours.out.dtype == np.float32
    np.testing.assert_allclose(ours.out, theirs.out, rtol=RTOL32, atol=ATOL32)


def test_dropout_drops_with_probability_p_and_scales_the_rest_like_torch():
    # p is the DROP probability on both sides, survivors are scaled by 1/(1 − p).
    p, z = 0.3, np.ones((200, 500))
    ours = L.Dropout(p, rng=np.random.default_rng(0)).forward(z, train=True)[0]
    theirs = F.dropout(torch.tensor(z), p, training=True).numpy()
    for a in (ours, theirs):
        np.testing.assert_allclose(np.unique(a), np.unique(theirs), rtol=1e-15)
        # 1e5 draws: the dropped fraction has standard deviation √(0.3·0.7/1e5) ≈ 0.0014
        assert abs(np.mean(a == 0) - p) < 0.01


@pytest.mark.parametrize("momentum", [0.1, 0.3])
def test_batchnorm_running_statistics_after_training_steps_equal_torch(momentum):
    # Both normalise with the biased batch variance and update
    # running_var ← (1 − m)·running_var + m·(unbiased batch variance).
    rng = np.random.default_rng(0)
    ours = L.BatchNorm1d(3, momentum=momentum)
    theirs = nn.BatchNorm1d(3, momentum=momentum, dtype=torch.float64)
    for n in (5, 2, 7):
        x = rng.normal(3.0, 2.0, (n, 3))  # far from the initial (0, 1) so the stats move
        ours.forward(x, train=True)
        with torch.no_grad():
            theirs(torch.tensor(x))
        np.testing.assert_allclose(ours.running_mean, theirs.running_mean.numpy(),
                                   rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(ours.running_var, theirs.running_var.numpy(),
                                   rtol=RTOL, atol=ATOL)
    x = rng.normal(3.0, 2.0, (4, 3))
    theirs.eval()
    with torch.no_grad():
        expected = theirs(torch.tensor(x)).numpy()
    np.testing.assert_allclose(ours(x, train=False), expected, rtol=RTOL, atol=ATOL)


# ---------------------------------------------------------------------------------------
# Losses
# ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LossCase:
    name: str
    ours: object
    theirs: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    make: Callable[[np.random.Generator, int], tuple[np.ndarray, np.ndarray]]


def _torch_mse(pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    # Ours is L = 1/(2N) Σ (ŷ − y)² (sum over outputs, mean over the batch, the ½ convention);
    # torch's mse_loss has no ½ and by default also averages over the outputs, so
    # ours = ½ · mse_loss(reduction="sum") / N.
    return 0.5 * F.mse_loss(pred, y, reduction="sum") / pred.shape[0]


def _torch_bce(z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    # Ours sums over the outputs and averages over the batch: reduction="sum" / N.
    return F.binary_cross_entropy_with_logits(z, y, reduction="sum") / z.shape[0]


def _torch_cross_entropy(z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(z, y)  # one term per row, mean over the batch: same as ours


def _logits_of_1000(rng: np.random.Generator, shape) -> np.ndarray:
    """Entries −1000, 0 or +1000 plus noise: the naive e^z overflows, the naive log(σ) is −inf."""
    return 1000.0 * rng.integers(-1, 2, shape) + rng.standard_normal(shape)


LOSS_CASES = [
    LossCase("MSELoss", MSELoss(), _torch_mse,
             lambda r, n: (r.standard_normal((n, 3)), r.standard_normal((n, 3)))),
    LossCase("MSELoss-1d", MSELoss(), _torch_mse,
             lambda r, n: (r.standard_normal(n), r.standard_normal(n))),
    LossCase("BCEWithLogitsLoss", BCEWithLogitsLoss(), _torch_bce,
             lambda r, n: (3 * r.standard_normal((n, 2)), r.integers(0, 2, (n, 2)).astype(float))),
    LossCase("BCEWithLogitsLoss-soft-targets-1d", BCEWithLogitsLoss(), _torch_bce,
             lambda r, n: (3 * r.standard_normal(n), r.random(n))),
    LossCase("BCEWithLogitsLoss-logits-of-1000", BCEWithLogitsLoss(), _torch_bce,
             lambda r, n: (_logits_of_1000(r, (n, 3)), r.integers(0, 2, (n, 3)).astype(float))),
    LossCase("SoftmaxCrossEntropyLoss", SoftmaxCrossEntropyLoss(), _torch_cross_entropy,
             lambda r, n: (3 * r.standard_normal((n, 4)), r.integers(0, 4, n))),
    LossCase("SoftmaxCrossEntropyLoss-logits-of-1000", SoftmaxCrossEntropyLoss(),
             _torch_cross_entropy, lambda r, n: (_logits_of_1000(r, (n, 4)), r.integers(0, 4, n))),
]


def _run_loss_both(case: LossCase, n: int, dtype: type):
    rng = np.random.default_rng(n)
    pred, target = case.make(rng, n)
    pred = pred.astype(dtype)
    if np.issubdtype(target.dtype, np.floating):
        target = target.astype(dtype)
    dloss = float(rng.uniform(0.5, 2.0))  # a random upstream scalar, not 1
    loss, cache = case.ours.forward(pred, target)
    dpred = case.ours.backward(cache, dloss)
    pred_t = torch.tensor(pred, requires_grad=True)
    loss_t = case.theirs(pred_t, torch.tensor(target))
    (dloss * loss_t).backward()
    return (loss, dpred), (loss_t.item(), pred_t.grad.numpy())


@pytest.mark.parametrize("n", BATCH_SIZES)
@pytest.mark.parametrize("case", LOSS_CASES, ids=lambda c: c.name)
def test_loss_value_and_gradient_match_torch_in_float64(case, n):
    (loss, dpred), (loss_t, dpred_t) = _run_loss_both(case, n, np.float64)
    assert np.isfinite(loss) and np.all(np.isfinite(dpred))
    np.testing.assert_allclose(loss, loss_t, rtol=RTOL, atol=ATOL, err_msg="loss")
    np.testing.assert_allclose(dpred, dpred_t, rtol=RTOL, atol=ATOL, err_msg="dpred")


@pytest.mark.parametrize("case", LOSS_CASES, ids=lambda c: c.name)
def test_float32_loss_value_matches_torch(case):
    (loss, _), (loss_t, _) = _run_loss_both(case, 5, np.float32)
    np.testing.assert_allclose(loss, loss_t, rtol=RTOL32, atol=ATOL32)
