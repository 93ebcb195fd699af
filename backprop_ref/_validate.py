"""Input checks shared by every public entry point.

Bad input raises an exception naming the entry point, the argument and what was wrong, e.g.
``Linear.forward: expected x of shape (N, 4), got (4,)`` or
``Linear.forward: x has 2 non-finite values (inf or nan); the first is x[0, 3] = nan``.
Nothing is broadcast silently, and no nan or inf is passed on as if it were a number.

- `check_array`: a floating-point array of a given shape and dtype, non-empty and finite;
- `check_same_shape`: an upstream gradient, exactly the shape of what forward returned;
- `check_finite`: every value finite, in one cheap pass (see `all_finite`);
- `skip_finite_checks`: the one opt-out, for arrays the package computed from checked ones;
- `as_real`, `as_positive_int`, `as_pair`, `as_rng`, `as_float_dtype`: scalar arguments.
"""

from __future__ import annotations

import math
import numbers
from contextvars import ContextVar
from typing import Sequence, Union

import numpy as np

Dim = Union[int, str, None]  # an int is fixed, a str names a free size ("N"), None is any


class NonFiniteError(ValueError):
    """An array or number that must be finite holds nan or ±inf."""


NonFiniteError.__module__ = "backprop_ref"  # tracebacks show backprop_ref.NonFiniteError


def format_shape(spec: Sequence[Dim]) -> str:
    parts = ["?" if d is None else str(d) for d in spec]
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


def check_array(where: str, name: str, x: object, shape: Sequence[Dim] | None = None,
                dtype: np.dtype | type | None = None, min_ndim: int | None = None) -> np.ndarray:
    """Return `x` as given if it is a non-empty floating ndarray matching `shape` and `dtype`,
    with finite values only; else raise.

    `shape` is a spec such as ``("N", 4)``: ints must match, strings and None match any size,
    and strings that repeat must match each other. `dtype`, when given, must match exactly.
    A non-array raises TypeError; a wrong dtype, shape or size ValueError; nan or inf
    NonFiniteError (a ValueError).
    """
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{where}: expected {name} to be a numpy array, got {type(x).__name__}")
    if x.dtype.kind != "f":  # (np.issubdtype costs a microsecond more per call)
        want = f"dtype {np.dtype(dtype).name}" if dtype is not None else "a floating-point dtype"
        raise ValueError(f"{where}: expected {name} of {want}, got {x.dtype.name}")
    if dtype is not None and x.dtype != dtype:
        raise ValueError(f"{where}: expected {name} of dtype {np.dtype(dtype).name}, "
                         f"got {x.dtype.name}")
    if min_ndim is not None and x.ndim < min_ndim:
        raise ValueError(f"{where}: expected {name} with at least {min_ndim} dimensions "
                         f"(batch first), got shape {x.shape}")
    if shape is not None and not _matches(x.shape, shape):
        raise ValueError(f"{where}: expected {name} of shape {format_shape(shape)}, "
                         f"got {x.shape}")
    if x.size == 0:
        raise ValueError(f"{where}: expected a non-empty {name}, got shape {x.shape}")
    if not _skip_finite.get() and not all_finite(x):
        raise NonFiniteError(nonfinite_message(where, name, x))
    return x


def check_same_shape(where: str, name: str, x: object, shape: tuple[int, ...],
                     what: str = "the forward output") -> np.ndarray:
    """Raise unless `x` is a finite floating array of exactly `shape` (an upstream gradient).

    Any floating dtype is accepted: a float64 gradient may flow into a float32 layer.
    """
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{where}: expected {name} to be a numpy array, got {type(x).__name__}")
    if x.shape != shape:
        raise ValueError(f"{where}: expected {name} of shape {shape} ({what}), got {x.shape}")
    if x.dtype.kind != "f":
        raise ValueError(f"{where}: expected {name} of a floating-point dtype, "
                         f"got {x.dtype.name}")
    if not _skip_finite.get() and not all_finite(x):
        raise NonFiniteError(nonfinite_message(where, name, x))
    return x


def check_finite(where: str, name: str, x: np.ndarray) -> np.ndarray:
    """Raise NonFiniteError unless every value of the numeric array `x` is finite."""
    if x.dtype.kind == "f" and not _skip_finite.get() and not all_finite(x):
        raise NonFiniteError(nonfinite_message(where, name, x))
    return x


_skip_finite: ContextVar[bool] = ContextVar("backprop_ref_skip_finite", default=False)


def finite_checks_on() -> bool:
    """False inside `skip_finite_checks()`, True everywhere else."""
    return not _skip_finite.get()


class skip_finite_checks:
    """`with skip_finite_checks(): ...` turns the finiteness test of the checks above off
    inside the block; shapes and dtypes are still checked.

    For code that hands on arrays it computed itself from inputs already checked:
    `Sequential` around its inner layers (the first layer checks x, the last one dout), and
    `fit` around its steps (it checks X, y and the weights once). A value that overflows in
    there reaches the loss, whose value then is nan or inf. The skip is per thread (a
    ContextVar), so a direct call elsewhere is still checked.
    """

    __slots__ = ("_token",)

    def __enter__(self) -> None:
        self._token = _skip_finite.set(True)

    def __exit__(self, *exc: object) -> None:
        _skip_finite.reset(self._token)


def all_finite(x: np.ndarray) -> bool:
    """Whether every element of the floating array `x` is finite: one pass, no temporary.

    x·x, the sum of squares, is nan or inf whenever an element is (nan and ±inf survive every
    product and sum, and squares cannot cancel to a finite value), so a finite x·x proves all
    elements finite, at half the cost of np.isfinite(x).all(). The converse fails only when
    finite values overflow (|x| > 1e154 in float64): then the exact element-wise test decides,
    as it does for arrays that are not C-contiguous (np.vdot would copy them). np.vdot, unlike
    np.dot, emits no overflow warning.
    """
    if x.flags.c_contiguous and _isfinite(_vdot(x, x)):
        return True
    return bool(np.isfinite(x).all())


# Bound once, as this runs on every forward and backward; np.vdot's C function is called
# directly, without the __array_function__ dispatch (a third of the cost for small arrays).
_isfinite, _vdot = math.isfinite, getattr(np.vdot, "_implementation", np.vdot)


def nonfinite_message(where: str, name: str, x: np.ndarray) -> str:
    """'<where>: <name> has 3 non-finite values (inf or nan); the first is <name>[0, 2] = nan'."""
    finite = np.isfinite(x)
    count = x.size - int(np.count_nonzero(finite))
    first = tuple(int(i) for i in np.unravel_index(int(np.argmin(finite)), x.shape))
    element = name if x.ndim == 0 else f"{name}[{', '.join(map(str, first))}]"
    plural = "" if count == 1 else "s"
    return (f"{where}: {name} has {count} non-finite value{plural} (inf or nan); "
            f"the first is {element} = {x[first]}")


def _matches(actual: tuple[int, ...], spec: Sequence[Dim]) -> bool:
    if len(actual) != len(spec):
        return False
    named: dict[str, int] = {}
    for size, want in zip(actual, spec):
        if isinstance(want, int) and size != want:
            return False
        if isinstance(want, str) and named.setdefault(want, size) != size:
            return False
    return True


# ---- scalar arguments ----------------------------------------------------------------------

def as_real(where: str, name: str, value: object, *, low: float | None = None,
            high: float | None = None, low_open: bool = False,
            high_open: bool = False) -> float:
    """`value` as a float; raise ValueError unless it is a finite real number in the interval.

    The interval is [low, high] with either end open on request, or unbounded where None:
    ``as_real(w, "lr", x, low=0)`` requires 0 ≤ x < ∞, and says "expected lr >= 0".
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{where}: expected {name} to be a real number, "
                         f"got {type(value).__name__}")
    x = float(value)
    if low is not None and high is not None:
        want = f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    elif low is not None:
        want = f"{'>' if low_open else '>='} {low:g}"
    elif high is not None:
        want = f"{'<' if high_open else '<='} {high:g}"
    else:
        want = "to be a finite number"
    if not math.isfinite(x):
        extra = "" if want.startswith("to be") else " and finite"
        raise ValueError(f"{where}: expected {name} {want}{extra}, got {value!r}")
    if ((low is not None and (x < low or (low_open and x == low)))
            or (high is not None and (x > high or (high_open and x == high)))):
        raise ValueError(f"{where}: expected {name} {want}, got {value!r}")
    return x


IntPair = int | tuple[int, int]


def as_pair(where: str, name: str, value: IntPair, minimum: int) -> tuple[int, int]:
    """`3` -> (3, 3); `(1, 2)` -> (1, 2); raise ValueError unless both are ints >= minimum."""
    pair = (value, value) if isinstance(value, (int, np.integer)) else value
    ok = (isinstance(pair, (tuple, list)) and len(pair) == 2
          and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                  and v >= minimum for v in pair))
    if not ok:
        raise ValueError(f"{where}: expected {name} to be an int >= {minimum} or a pair of "
                         f"them, got {value!r}")
    return int(pair[0]), int(pair[1])


def as_positive_int(where: str, name: str, value: int) -> int:
    """Return `value` as an int, or raise ValueError unless it is an int >= 1."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{where}: expected {name} to be an int >= 1, got {value!r}")
    return int(value)


def as_rng(where: str, rng: np.random.Generator | None) -> np.random.Generator:
    """`rng`, or `np.random.default_rng(0)` for None; raise TypeError for anything else."""
    if rng is None:
        return np.random.default_rng(0)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"{where}: expected rng to be a numpy Generator "
                        f"(np.random.default_rng(seed)) or None, got {type(rng).__name__}")
    return rng


def as_float_dtype(where: str, dtype: object) -> np.dtype:
    """`dtype` as a numpy dtype; raise ValueError unless it is a floating-point one."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt is None or dt.kind != "f":
        raise ValueError(f"{where}: expected a floating-point dtype (np.float64 or "
                         f"np.float32), got {dtype!r}")
    return dt
