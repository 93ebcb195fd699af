"""Conv2d forward + backward: backprop_ref's Conv2d against torch.nn.functional.conv2d.

    z[n, f] = Σ_c W[f, c] ⋆ x[n, c] + b[f]   (cross-correlation, zero padding p, stride 1)
    one step = forward, then backward of a fixed upstream gradient dz: dx, dW, db

Shapes: x (N, C, H, W), W (F, C, kh, kw), b (F,), z and dz (N, F, H', W').
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bench import Disagreement
from bench.timing import Contender


@dataclass(frozen=True)
class ConvCase:
    batch: int
    c_in: int
    c_out: int
    size: int
    kernel: int
    padding: int
    dtype: type

    @property
    def label(self) -> str:
        return (f"Conv2d {self.c_in}→{self.c_out}, {self.kernel}x{self.kernel} pad "
                f"{self.padding}, x ({self.batch}, {self.c_in}, {self.size}, {self.size})")


CASES_SHAPES = [(64, 1, 8, 8, 3, 1), (64, 8, 16, 28, 3, 1)]
DTYPES = [np.float32, np.float64]


def cases() -> list[ConvCase]:
    return [ConvCase(*shape, dtype) for shape in CASES_SHAPES for dtype in DTYPES]


def make_problem(case: ConvCase, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    out = case.size + 2 * case.padding - case.kernel + 1
    fan_in = case.c_in * case.kernel * case.kernel
    arrays = {
        "x": rng.standard_normal((case.batch, case.c_in, case.size, case.size)),
        "W": rng.standard_normal((case.c_out, case.c_in, case.kernel, case.kernel))
        * np.sqrt(2.0 / fan_in),
        "b": 0.1 * rng.standard_normal(case.c_out),
        "dz": rng.standard_normal((case.batch, case.c_out, out, out)),
    }
    return {k: v.astype(case.dtype) for k, v in arrays.items()}


def backprop_ref_contender(case: ConvCase, data: dict[str, np.ndarray]):
    """Returns the contender and a function giving (z, dx, dW, db) of one step."""
    from backprop_ref.layers.conv import Conv2d

    conv = Conv2d(case.c_in, case.c_out, case.kernel, padding=case.padding, dtype=case.dtype)
    np.copyto(conv.params["W"], data["W"])
    np.copyto(conv.params["b"], data["b"])
    x, dz = data["x"], data["dz"]

    def step() -> tuple:
        z, cache = conv.forward(x, train=True)
        dx, grads = conv.backward(dz, cache)
        return z, dx, grads

    def outputs() -> dict[str, np.ndarray]:
        z, dx, grads = step()
        return {"z": z, "dx": dx, "dW": grads["W"], "db": grads["b"]}

    return Contender("backprop_ref", step), outputs


def torch_contender(torch, case: ConvCase, data: dict[str, np.ndarray]):
    """F.conv2d and autograd; gradients are cleared (set to None) at the start of each step."""
    F = torch.nn.functional
    x = torch.from_numpy(data["x"]).requires_grad_(True)
    W = torch.from_numpy(data["W"].copy()).requires_grad_(True)
    b = torch.from_numpy(data["b"].copy()).requires_grad_(True)
    dz = torch.from_numpy(data["dz"])
    padding = case.padding

    def step() -> object:
        x.grad = W.grad = b.grad = None
        z = F.conv2d(x, W, b, padding=padding)
        z.backward(dz)
        return z

    def outputs() -> dict[str, np.ndarray]:
        z = step()
        return {"z": z.detach().numpy(), "dx": x.grad.numpy(), "dW": W.grad.numpy(),
                "db": b.grad.numpy()}

    return Contender("torch", step), outputs


def check_same(case: ConvCase, ours: dict[str, np.ndarray], theirs: dict[str, np.ndarray]) -> None:
    """z, dx, dW and db agree to a tolerance relative to each array's largest value."""
    rtol = 1e-4 if np.dtype(case.dtype) == np.float32 else 1e-9
    for k in ("z", "dx", "dW", "db"):
        a, b = ours[k], theirs[k]
        if a.shape != b.shape or a.dtype != b.dtype:
            raise Disagreement(f"{case.label}: backprop_ref's {k} is {a.shape} {a.dtype}, "
                               f"PyTorch's {b.shape} {b.dtype}")
        err = float(np.max(np.abs(a.astype(np.float64) - b)))
        scale = float(np.max(np.abs(b)))
        if err > rtol * scale:
            raise Disagreement(f"{case.label} {np.dtype(case.dtype).name}: {k} differs from "
                               f"PyTorch's by {err:.3g} (values up to {scale:.3g}); refusing "
                               f"to time code that disagrees")


def build(case: ConvCase, torch=None) -> list[Contender]:
    """The contenders of one case, checked against each other when PyTorch is there."""
    data = make_problem(case)
    ours, our_outputs = backprop_ref_contender(case, data)
    if torch is None:
        our_outputs()
        return [ours]
    theirs, their_outputs = torch_contender(torch, case, data)
    check_same(case, our_outputs(), their_outputs())
    return [ours, theirs]
