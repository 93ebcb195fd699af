"""One SGD training step of a ReLU MLP with softmax cross-entropy, three ways.

    z1 = x W1 + b1,  a1 = max(z1, 0),  z2 = a1 W2 + b2,  L = −1/N Σ_n log softmax(z2_n)[y_n]
    dz2 = (softmax(z2) − onehot(y))/N,  dW2 = a1ᵀ dz2,  da1 = dz2 W2ᵀ,  dz1 = da1 [z1 > 0], ...
    W ← W − lr dW  for W1, b1, W2, b2

Contenders, all starting from the same parameters: backprop_ref (Sequential + loss + SGD),
the same step hand-written in plain NumPy, and PyTorch on the CPU (when installed).
Shapes: x (N, D), y (N,) int labels, W1 (D, H), W2 (H, K).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

import numpy as np

from bench import Disagreement
from bench.timing import Contender

LR = 0.1
PARAM_NAMES = ("0.W", "0.b", "2.W", "2.b")
Params = dict[str, np.ndarray]


@dataclass(frozen=True)
class MLPCase:
    d_in: int
    hidden: int
    d_out: int
    batch: int
    dtype: type

    @property
    def label(self) -> str:
        return f"MLP {self.d_in}-{self.hidden}-{self.d_out}, batch {self.batch}"


def make_problem(case: MLPCase, seed: int = 0) -> tuple[np.ndarray, np.ndarray, Params]:
    """Data x ~ N(0, 1), random labels, and initial parameters (He-scaled W, small random b)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((case.batch, case.d_in)).astype(case.dtype)
    y = rng.integers(0, case.d_out, case.batch)
    init = {
        "0.W": rng.standard_normal((case.d_in, case.hidden)) * np.sqrt(2.0 / case.d_in),
        "0.b": 0.1 * rng.standard_normal(case.hidden),
        "2.W": rng.standard_normal((case.hidden, case.d_out)) * np.sqrt(2.0 / case.hidden),
        "2.b": 0.1 * rng.standard_normal(case.d_out),
    }
    return x, y, {k: v.astype(case.dtype) for k, v in init.items()}


def accepts_need_dx(model) -> bool:
    """Whether `model.backward` takes `need_dx=` (skip the gradient of the input)."""
    try:
        return "need_dx" in inspect.signature(model.backward).parameters
    except (TypeError, ValueError):
        return False


def backprop_ref_call() -> str:
    """How the backprop_ref contender calls backward, for the table's header."""
    from backprop_ref.layers import Linear, Sequential

    if accepts_need_dx(Sequential(Linear(1, 1))):
        return "`model.backward(dz, caches, need_dx=False)` (the input's gradient is skipped)"
    return ("`model.backward(dz, caches)`; it also computes the gradient of the input x, "
            "which a training step discards (NumPy and PyTorch skip it)")


# --- (a) backprop_ref --------------------------------------------------------------------

def backprop_ref_contender(case: MLPCase, x: np.ndarray, y: np.ndarray,
                           init: Params) -> tuple[Contender, Params]:
    """The package as a student uses it; returns the contender and its live parameter arrays."""
    from backprop_ref.layers import Linear, ReLU, Sequential
    from backprop_ref.losses import SoftmaxCrossEntropyLoss
    from backprop_ref.optim import SGD

    model = Sequential(Linear(case.d_in, case.hidden, dtype=case.dtype), ReLU(),
                       Linear(case.hidden, case.d_out, dtype=case.dtype))
    loss_fn = SoftmaxCrossEntropyLoss()
    opt = SGD(model.params, lr=LR)
    params = model.params
    # The input needs no gradient: if Sequential.backward can skip the first layer's dx (a
    # whole matrix product for Linear), use it, as a training loop would.
    skip_dx = {"need_dx": False} if accepts_need_dx(model) else {}

    def reset() -> None:
        for k in PARAM_NAMES:
            np.copyto(params[k], init[k])

    def step() -> float:
        out, caches = model.forward(x, train=True)
        loss, loss_cache = loss_fn.forward(out, y)
        _, grads = model.backward(loss_fn.backward(loss_cache), caches, **skip_dx)
        opt.step(grads)
        return loss

    return Contender("backprop_ref", step, reset), params


# --- (b) hand-written NumPy --------------------------------------------------------------

def numpy_contender(case: MLPCase, x: np.ndarray, y: np.ndarray,
                    init: Params) -> tuple[Contender, Params]:
    """The baseline: the same math in the tightest straightforward NumPy, updated in place."""
    W1, b1, W2, b2 = (init[k].copy() for k in PARAM_NAMES)
    params = dict(zip(PARAM_NAMES, (W1, b1, W2, b2), strict=True))
    n = x.shape[0]
    rows = np.arange(n)

    def reset() -> None:
        for k in PARAM_NAMES:
            np.copyto(params[k], init[k])

    def step() -> float:
        z1 = x @ W1
        z1 += b1
        a1 = np.maximum(z1, 0)
        z2 = a1 @ W2
        z2 += b2
        z2 -= z2.max(axis=1, keepdims=True)           # shifted logits: e^z2 cannot overflow
        p = np.exp(z2)
        total = p.sum(axis=1, keepdims=True)
        loss = float((np.log(total[:, 0]) - z2[rows, y]).sum()) / n
        p /= total                                     # softmax
        p[rows, y] -= 1.0
        p *= 1.0 / n                                   # dz2
        dW2 = a1.T @ p
        db2 = p.sum(axis=0)
        da1 = p @ W2.T
        da1 *= z1 > 0                                  # dz1
        dW1 = x.T @ da1
        db1 = da1.sum(axis=0)
        for param, grad in ((W1, dW1), (b1, db1), (W2, dW2), (b2, db2)):
            grad *= LR
            param -= grad
        return loss

    return Contender("numpy", step, reset), params


# --- (c) PyTorch -------------------------------------------------------------------------

def torch_contender(torch, case: MLPCase, x: np.ndarray, y: np.ndarray,
                    init: Params) -> tuple[Contender, Params]:
    """nn.Sequential(Linear, ReLU, Linear) + cross_entropy + optim.SGD, same initial values.

    The returned parameters are NumPy views in backprop_ref's layout (W as (in, out)).
    """
    F = torch.nn.functional
    model = torch.nn.Sequential(torch.nn.Linear(case.d_in, case.hidden), torch.nn.ReLU(),
                                torch.nn.Linear(case.hidden, case.d_out))
    model.to(torch.float32 if np.dtype(case.dtype) == np.float32 else torch.float64)
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    tensors = {"0.W": model[0].weight, "0.b": model[0].bias,
               "2.W": model[2].weight, "2.b": model[2].bias}
    init_t = {k: torch.from_numpy(np.ascontiguousarray(v.T if k.endswith("W") else v))
              for k, v in init.items()}
    x_t, y_t = torch.from_numpy(x), torch.from_numpy(y.astype(np.int64))

    def reset() -> None:
        with torch.no_grad():
            for k in PARAM_NAMES:
                tensors[k].copy_(init_t[k])

    def step() -> object:
        opt.zero_grad()
        loss = F.cross_entropy(model(x_t), y_t)
        loss.backward()
        opt.step()
        return loss

    params = {k: (t.detach().numpy().T if k.endswith("W") else t.detach().numpy())
              for k, t in tensors.items()}
    return Contender("torch", step, reset), params


# --- agreement ---------------------------------------------------------------------------

def check_same_update(name: str, params: Params, ref_name: str,
                      ref: Params, init: Params, dtype: type) -> None:
    """Both parameter sets are allclose, and so are the updates Δ = new − init (relative to
    max |Δ|): the updates are small next to the parameters, so they are checked on their own."""
    rtol = 1e-4 if np.dtype(dtype) == np.float32 else 1e-9
    for k in PARAM_NAMES:
        a, b = params[k], ref[k]
        if a.shape != b.shape or a.dtype != b.dtype:
            raise Disagreement(f"{name} vs {ref_name}: {k} has shape {a.shape} {a.dtype}, "
                               f"expected {b.shape} {b.dtype}")
        da = a.astype(np.float64) - init[k]
        db = b.astype(np.float64) - init[k]
        scale = float(np.max(np.abs(db)))
        err = float(np.max(np.abs(da - db)))
        if not np.allclose(a, b, rtol=rtol, atol=rtol * 1e-2) or err > rtol * scale:
            raise Disagreement(f"{name} vs {ref_name}: after one step from the same init, {k} "
                               f"differs by {err:.3g} (updates up to {scale:.3g}, tolerance "
                               f"{rtol:g} relative); refusing to time code that disagrees")
        if scale == 0.0:
            raise Disagreement(f"{name} vs {ref_name}: {k} did not change in one step")


@dataclass
class Built:
    """The contenders of one case, their live parameters and the shared initial values."""

    contenders: list[Contender]
    params: dict[str, Params]
    init: Params
    case: MLPCase

    def check(self) -> None:
        """Every contender's parameters, one step after the init, match the NumPy baseline's.

        Each timed step starts from the init, so this holds after timing too."""
        for name, params in self.params.items():
            if name != "numpy":
                check_same_update(f"{self.case.label}, {np.dtype(self.case.dtype).name}: {name}",
                                  params, "numpy", self.params["numpy"], self.init,
                                  self.case.dtype)


def build(case: MLPCase, torch=None) -> Built:
    """Build every available contender, run one step of each from the same init, check that
    they agree (raise Disagreement otherwise) and return them."""
    x, y, init = make_problem(case)
    built = [backprop_ref_contender(case, x, y, init), numpy_contender(case, x, y, init)]
    if torch is not None:
        built.append(torch_contender(torch, case, x, y, init))
    for contender, _ in built:
        contender.reset()
        contender.step()
    result = Built([c for c, _ in built], {c.name: p for c, p in built}, init, case)
    result.check()
    return result


CASES_SHAPES = [(64, 128, 10, 64), (784, 512, 10, 256), (784, 1024, 10, 1024)]
DTYPES = [np.float32, np.float64]
# Targets: backprop_ref / NumPy everywhere; backprop_ref / PyTorch on the two smaller MLPs.
TARGET_VS_NUMPY = 1.15
TARGET_VS_TORCH = {(64, 128, 10, 64): 1.0, (784, 512, 10, 256): 1.0}


def cases() -> list[MLPCase]:
    return [MLPCase(*shape, dtype) for shape in CASES_SHAPES for dtype in DTYPES]
