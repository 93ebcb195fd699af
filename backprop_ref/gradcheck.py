"""Gradient checking: compare an analytic gradient with central differences.

Central difference:  df/dx_i ≈ (f(x + h e_i) − f(x − h e_i)) / (2h),  error O(h²).
Always check in float64: in float32 the rounding error of f (≈1e-7·|f|) divided by h swamps
the answer. The relative error reported is that of the worst element, measured against the
largest gradient magnitude of the pair, so tiny entries do not turn rounding noise into a
false alarm:

    rel_error = max_i |a_i − n_i| / max(max_i |a_i|, max_i |n_i|)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from backprop_ref._validate import NonFiniteError, as_real, check_array, check_finite
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
    through a closure (a layer's parameter, say). x must be a finite floating-point array
    (float64 for a reliable check); f(x) must return a finite number at every x ± h e_i.
    Shapes: returns a float64 array shaped like x.
    """
    where = "numerical_gradient"
    _check_f_and_x(where, f, x)
    h = as_real(where, "h", h, low=0, low_open=True)
    grad = np.zeros_like(x, dtype=np.float64)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        try:
            f_plus = _value(where, f(x), i, "+")
            x[i] = old - h
            f_minus = _value(where, f(x), i, "-")
        finally:
            x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


def _check_f_and_x(where: str, f: object, x: np.ndarray) -> None:
    if not callable(f):
        raise TypeError(f"{where}: expected f to be a function of x, got {type(f).__name__}")
    check_array(where, "x", x)
    if not x.flags.writeable:
        raise ValueError(f"{where}: x is read-only, but it is perturbed in place (pass a copy)")


def _value(where: str, value: object, i: tuple[int, ...], sign: str) -> float:
    """f's value at x ± h e_i as a float: a finite real number, or an error naming i."""
    at = f"x[{', '.join(map(str, i))}] {sign} h"
    if isinstance(value, (float, int, np.floating, np.integer)) and not isinstance(value, bool):
        number = float(value)
    else:
        kind = (f"an array of shape {value.shape}" if isinstance(value, np.ndarray)
                else type(value).__name__)
        if not (isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "iuf"):
            raise TypeError(f"{where}: expected f to return a number, got {kind} at {at}")
        number = float(value.reshape(()))
    if not math.isfinite(number):
        raise NonFiniteError(f"{where}: f returned {number} at {at}; a central difference needs "
                             f"a finite f near x (is h too large, or f overflowing?)")
    return number


def numerical_gradient_array(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray,
                             dout: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Gradient of sum(f(x) * dout) with respect to x: a vector–Jacobian product, no Jacobian.

    This is what a layer's backward computes when `dout` is the upstream gradient.
    Shapes: dout has the shape of f(x); returns an array shaped like x.
    """
    where = "numerical_gradient_array"
    _check_f_and_x(where, f, x)
    check_array(where, "dout", dout)

    def weighted_sum(v: np.ndarray) -> float:
        out = f(v)
        if not isinstance(out, np.ndarray) or out.shape != dout.shape:
            got = out.shape if isinstance(out, np.ndarray) else type(out).__name__
            raise ValueError(f"{where}: expected f(x) of shape {dout.shape} (the shape of "
                             f"dout), got {got}; nothing is broadcast")
        return float(np.sum(out * dout))

    return numerical_gradient(weighted_sum, x, h)


def relative_error(analytic: np.ndarray, numerical: np.ndarray) -> float:
    """max |a − n| over max(max |a|, max |n|); 0 when both are exactly zero.

    Shapes: analytic and numerical of the same shape (nothing is broadcast), finite floats.
    """
    a, n = _gradients("relative_error", analytic, numerical)
    return _compare(a, n)[0]


def _gradients(where: str, analytic: object, numerical: object) -> tuple[np.ndarray, np.ndarray]:
    """Both gradients as float64 arrays, after checking dtype, shape, size and finiteness."""
    pair = []
    for which, g in (("analytic", analytic), ("numerical", numerical)):
        arr = np.asarray(g) if not isinstance(g, np.ndarray) else g
        if arr.dtype.kind != "f":
            raise ValueError(f"{where}: expected the {which} gradient to hold floating-point "
                             f"numbers, got dtype {arr.dtype.name}")
        pair.append(arr)
    a, n = pair
    if a.shape != n.shape:
        raise ValueError(f"{where}: analytic gradient has shape {a.shape}, "
                         f"numerical gradient has shape {n.shape}")
    if a.size == 0:
        raise ValueError(f"{where}: the gradients are empty (shape {a.shape})")
    check_finite(where, "analytic", a)
    check_finite(where, "numerical", n)
    return a.astype(np.float64, copy=False), n.astype(np.float64, copy=False)


def gradcheck(analytic: np.ndarray, numerical: np.ndarray, *, name: str = "gradient",
              tol: float = 1e-7, raise_on_fail: bool = True) -> GradcheckResult:
    """Compare two gradients; return the result, or raise GradcheckError if it fails.

    The message names the worst element, both values and the relative error. Gradients of
    different shapes, of a non-float dtype, empty or holding nan or inf raise ValueError.
    """
    tol = as_real(f"gradcheck {name}", "tol", tol, low=0)
    a, n = _gradients(f"gradcheck {name}", analytic, numerical)
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
    if not isinstance(layer, Layer):
        raise TypeError(f"check_layer: expected a Layer, got {type(layer).__name__}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"check_layer: expected rng to be a numpy Generator, "
                        f"got {type(rng).__name__}")
    if forward is not None and not callable(forward):
        raise TypeError(f"check_layer: expected forward to be a function of x, "
                        f"got {type(forward).__name__}")
    check_array("check_layer", "x", x)
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
