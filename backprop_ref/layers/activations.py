"""Element-wise activations: a = f(z), and backward dz = da * f'(z)."""

from __future__ import annotations

import numpy as np

from backprop_ref._validate import as_real, check_array, check_same_shape
from backprop_ref.layers.base import Grads, Layer


_LOG_TINY = {np.dtype(t).char: float(np.log(np.finfo(t).tiny))
             for t in (np.float16, np.float32, np.float64, np.longdouble)}


def exp_nonpositive(t: np.ndarray) -> np.ndarray:
    """e^t for t ≤ 0, with t clamped at log(smallest normal number) so that nothing overflows
    or underflows: the result differs from the exact one by less than 1e-307 (1e-37 in float32),
    and code can run under np.errstate(all="raise")."""
    return np.exp(np.maximum(t, _LOG_TINY[t.dtype.char]))


def sigmoid(z: np.ndarray) -> np.ndarray:
    """σ(z) = 1 / (1 + e^(−z)), computed without overflow for any z (|z| = 1000 included).

    Shapes: any (a 0-d array too); the result has the shape of z.
    """
    check_array("sigmoid", "z", z)
    return _sigmoid(z)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    """`sigmoid` without the input check, for callers that made it already."""
    e = exp_nonpositive(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


class Sigmoid(Layer):
    """a = σ(z);  σ'(z) = σ(z)(1 − σ(z)) = a(1 − a): the derivative uses the *output* a.

    Shapes: any; a has the shape of z.
    """

    def forward(self, z: np.ndarray, train: bool = False) -> tuple[np.ndarray, np.ndarray]:
        check_array("Sigmoid.forward", "z", z, min_ndim=1)
        a = _sigmoid(z)
        return a, a

    def backward(self, da: np.ndarray, a: np.ndarray) -> tuple[np.ndarray, Grads]:
        check_same_shape("Sigmoid.backward", "da", da, a.shape)
        return da * a * (1.0 - a), {}


class Tanh(Layer):
    """a = tanh(z);  tanh'(z) = 1 − a².

    Shapes: any; a has the shape of z.
    """

    def forward(self, z: np.ndarray, train: bool = False) -> tuple[np.ndarray, np.ndarray]:
        check_array("Tanh.forward", "z", z, min_ndim=1)
        a = np.tanh(z)
        return a, a

    def backward(self, da: np.ndarray, a: np.ndarray) -> tuple[np.ndarray, Grads]:
        check_same_shape("Tanh.backward", "da", da, a.shape)
        return da * (1.0 - a * a), {}


class ReLU(Layer):
    """a = max(z, 0);  ReLU'(z) = 1 where z > 0, else 0 (the kink at 0 gets 0).

    Shapes: any; a has the shape of z.
    """

    def forward(self, z: np.ndarray, train: bool = False) -> tuple[np.ndarray, np.ndarray]:
        check_array("ReLU.forward", "z", z, min_ndim=1)
        return np.maximum(z, 0), z

    def backward(self, da: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, Grads]:
        check_same_shape("ReLU.backward", "da", da, z.shape)
        return da * (z > 0), {}


class LeakyReLU(Layer):
    """a = z if z > 0 else αz;  derivative 1 or α.

    Shapes: any; a has the shape of z.
    """

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = as_real("LeakyReLU", "negative_slope", negative_slope)

    def forward(self, z: np.ndarray, train: bool = False) -> tuple[np.ndarray, np.ndarray]:
        check_array("LeakyReLU.forward", "z", z, min_ndim=1)
        return np.where(z > 0, z, self.negative_slope * z), z

    def backward(self, da: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, Grads]:
        check_same_shape("LeakyReLU.backward", "da", da, z.shape)
        return da * np.where(z > 0, 1.0, self.negative_slope).astype(da.dtype), {}

    def __repr__(self) -> str:
        return f"LeakyReLU({self.negative_slope})"
