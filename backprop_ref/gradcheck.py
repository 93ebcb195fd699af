"""Gradient checking: compare an analytic gradient with central differences.

Central difference:  df/dx_i ≈ (f(x + h e_i) − f(x − h e_i)) / (2h),  error O(h²).
Always check in float64: in float32 the rounding error of f (≈1e-7·|f|) divided by h swamps
the answer. The relative error reported is that of the worst element, measured against the
largest gradient magnitude of the pair, so tiny entries do not turn rounding noise into a
false alarm:

    rel_error = max_i |a_i − n_i| / max(max_i |a_i|, max_i |n_i|)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from backprop_ref.layers.base import Layer


class GradcheckError(AssertionError):
    """An analytic gradient disagrees with its numerical estimate."""


@dataclass(frozen=True)
class GradcheckResult:
    name: str
    rel_error: float
    worst_index: tuple[int, ...]
    analytic: float
    numerical: float
    tol: float

    @property
    def passed(self) -> bool:
        return self.rel_error <= self.tol

    def __str__(self) -> str:
        verdict = "ok" if self.passed else "FAILED"
        return (f"{self.name}: {verdict}, relative error {self.rel_error:.2e} (tolerance "
                f"{self.tol:.0e}); worst element {self.worst_index}: analytic "
                f"{self.analytic:.10g}, numerical {self.numerical:.10g}")


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray,
                       h: float = 1e-5) -> np.ndarray:
    """Central-difference gradient of the scalar f(x) with respect to x.

    `x` is perturbed in place, one element at a time, and restored, so `f` may also read it
    through a closure (a layer's parameter, say). Shapes: returns an array shaped like x.
    """
    grad = np.zeros_like(x, dtype=np.float64)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        f_plus = float(f(x))
        x[i] = old - h
        f_minus = float(f(x))
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


def numerical_gradient_array(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray,
                             dout: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Gradient of sum(f(x) * dout) with respect to x: a vector–Jacobian product, no Jacobian.

    This is what a layer's backward computes when `dout` is the upstream gradient.
    """
    return numerical_gradient(lambda v: float(np.sum(f(v) * dout)), x, h)


def relative_error(analytic: np.ndarray, numerical: np.ndarray) -> float:
    """max |a − n| over max(max |a|, max |n|); 0 when both are exactly zero."""
    return _compare(np.asarray(analytic, np.float64), np.asarray(numerical, np.float64))[0]


def gradcheck(analytic: np.ndarray, numerical: np.ndarray, *, name: str = "gradient",
              tol: float = 1e-7, raise_on_fail: bool = True) -> GradcheckResult:
    """Compare two gradients; return the result, or raise GradcheckError if it fails.

    The message names the worst element, both values and the relative error.
    """
    a = np.asarray(analytic, np.float64)
    n = np.asarray(numerical, np.float64)
    if a.shape != n.shape:
        raise ValueError(f"gradcheck {name}: analytic gradient has shape {a.shape}, "
                         f"numerical gradient has shape {n.shape}")
    err, worst = _compare(a, n)
    result = GradcheckResult(name, err, worst, float(a[worst]), float(n[worst]), tol)
    if raise_on_fail and not result.passed:
        raise GradcheckError(str(result))
    return result


def check_layer(layer: Layer, x: np.ndarray, *, rng: np.random.Generator,
                forward: Callable[[np.ndarray], tuple[np.ndarray, object]] | None = None,
                tol: float = 1e-7, h: float = 1e-5,
                raise_on_fail: bool = True) -> dict[str, GradcheckResult]:
    """Check `dx` and every parameter gradient of `layer` at `x` with a random upstream gradient.

    `forward(x)` returns `(out, cache)` in the mode to check (default: training mode); pass
    one that fixes the randomness of a stochastic layer such as Dropout.
    Returns one result per checked quantity, keyed "x" and by parameter name.
    """
    forward = forward or (lambda v: layer.forward(v, train=True))
    out, cache = forward(x)
    dout = rng.standard_normal(out.shape)
    dx, grads = layer.backward(dout, cache)
    run = lambda v: forward(v)[0]  # noqa: E731
    results = {"x": gradcheck(dx, numerical_gradient_array(run, x, dout, h), name="dx",
                              tol=tol, raise_on_fail=raise_on_fail)}
    for key, param in layer.params.items():
        numeric = numerical_gradient_array(lambda _: run(x), param, dout, h)
        results[key] = gradcheck(grads[key], numeric, name=f"d{key}", tol=tol,
                                 raise_on_fail=raise_on_fail)
    return results


def _compare(a: np.ndarray, n: np.ndarray) -> tuple[float, tuple[int, ...]]:
    if a.size == 0:
        return 0.0, ()
    diff = np.abs(a - n)
    worst = np.unravel_index(int(np.argmax(diff)), diff.shape)
    scale = max(float(np.max(np.abs(a))), float(np.max(np.abs(n))))
    if scale == 0.0:
        return 0.0, tuple(int(i) for i in worst)
    return float(diff[worst]) / scale, tuple(int(i) for i in worst)
