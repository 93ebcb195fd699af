"""Input checks shared by every public entry point.

A wrong shape or dtype raises ValueError naming what was expected and what was received,
e.g. ``Linear.forward: expected x of shape (N, 4), got (4,)``. Nothing is broadcast silently.
"""

from __future__ import annotations

from typing import Sequence, Union

import numpy as np

Dim = Union[int, str, None]  # an int is fixed, a str names a free size ("N"), None is any


def format_shape(spec: Sequence[Dim]) -> str:
    parts = ["?" if d is None else str(d) for d in spec]
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


def check_array(where: str, name: str, x: object, shape: Sequence[Dim] | None = None,
                dtype: np.dtype | type | None = None, min_ndim: int | None = None) -> np.ndarray:
    """Return `x` as given if it is a floating ndarray matching `shape` and `dtype`; else raise.

    `shape` is a spec such as ``("N", 4)``: ints must match, strings and None match any size,
    and strings that repeat must match each other. `dtype`, when given, must match exactly.
    """
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{where}: expected {name} to be a numpy array, got {type(x).__name__}")
    if x.dtype.kind != "f":  # (np.issubdtype costs a microsecond more per call)
        want = np.dtype(dtype).name if dtype is not None else "a floating-point dtype"
        raise ValueError(f"{where}: expected {name} of dtype {want}, got {x.dtype.name}")
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
    return x


def check_same_shape(where: str, name: str, x: np.ndarray, shape: tuple[int, ...],
                     what: str = "the forward output") -> np.ndarray:
    """Raise unless `x` is an array of exactly `shape` (used for upstream gradients)."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{where}: expected {name} to be a numpy array, got {type(x).__name__}")
    if x.shape != shape:
        raise ValueError(f"{where}: expected {name} of shape {shape} ({what}), got {x.shape}")
    return x


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
