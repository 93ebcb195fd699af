"""Loss functions: a scalar L and its gradient with respect to the prediction.

    L, cache = loss.forward(pred, target)
    dpred = loss.backward(cache, dloss=1.0)

Every loss averages over the batch axis (axis 0, size N) and sums over any other axes, so
the gradient carries exactly one factor 1/N. Each is finite for logits of ±1000.
"""

from __future__ import annotations

import math

import numpy as np

from backprop_ref._validate import as_real, check_array, check_finite
from backprop_ref.layers.activations import exp_nonpositive

__all__ = ["BCEWithLogitsLoss", "Loss", "MSELoss", "SoftmaxCrossEntropyLoss", "log_softmax", "softmax"]


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """softmax(z)_k = e^(z_k − max z) / Σ_j e^(z_j − max z): shifting by the max avoids overflow."""
    _check_logits("softmax", z, axis)
    e = exp_nonpositive(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """log softmax(z) = (z − max z) − log Σ_j e^(z_j − max z)."""
    _check_logits("log_softmax", z, axis)
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(exp_nonpositive(shifted).sum(axis=axis, keepdims=True))


def _check_logits(where: str, z: np.ndarray, axis: int) -> None:
    check_array(where, "z", z, min_ndim=1)
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)) \
            or not -z.ndim <= axis < z.ndim:
        raise ValueError(f"{where}: expected axis to be an int in [{-z.ndim}, {z.ndim}) for z "
                         f"of shape {z.shape}, got {axis!r}")


class Loss:
    """Base class; `__call__` returns the loss value alone."""

    def forward(self, pred: np.ndarray, target: np.ndarray) -> tuple[float, tuple]:
        raise NotImplementedError

    def backward(self, cache: tuple, dloss: float = 1.0) -> np.ndarray:
        raise NotImplementedError

    def __call__(self, pred: np.ndarray, target: np.ndarray) -> float:
        return self.forward(pred, target)[0]

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _check_same_shape_target(where: str, pred: np.ndarray, target: object) -> np.ndarray:
    """A real-valued target of exactly pred's shape (ints are exact), as pred's dtype."""
    if not isinstance(target, np.ndarray):
        raise TypeError(f"{where}: expected target to be a numpy array, got {type(target).__name__}")
    if target.shape != pred.shape:
        raise ValueError(f"{where}: expected target of shape {pred.shape} (the prediction's "
                         f"shape), got {target.shape}; reshape one of them, nothing is broadcast")
    if target.dtype.kind not in "iuf":
        raise ValueError(f"{where}: expected target of a floating-point or integer dtype, got "
                         f"{target.dtype.name}")
    return check_finite(where, "target", target).astype(pred.dtype, copy=False)


def _check_dloss(where: str, dloss: float) -> float:
    """The upstream gradient of a scalar loss: a finite number (1.0 unless the loss is scaled)."""
    if type(dloss) is float and math.isfinite(dloss):  # the usual case, fast
        return dloss
    return as_real(where, "dloss", dloss)


class MSELoss(Loss):
    """L = 1/(2N) Σ_n Σ_k (ŷ_nk − y_nk)²: the source's ½(y − ŷ)² per sample, averaged over N.

    The ½ cancels the 2 of the derivative: dL/dŷ = (ŷ − y)/N. (PyTorch's MSELoss has no ½
    and also averages over the outputs.)
    Shapes: pred (N, ...) and target of exactly the same shape.
    """

    def forward(self, pred: np.ndarray, target: np.ndarray) -> tuple[float, tuple]:
        check_array("MSELoss.forward", "pred", pred, min_ndim=1)
        target = _check_same_shape_target("MSELoss.forward", pred, target)
        diff = pred - target
        n = pred.shape[0]
        return 0.5 * float(np.sum(diff * diff)) / n, (diff, n)

    def backward(self, cache: tuple, dloss: float = 1.0) -> np.ndarray:
        dloss = _check_dloss("MSELoss.backward", dloss)
        diff, n = cache
        return diff * (dloss / n)


class BCEWithLogitsLoss(Loss):
    """L = 1/N Σ [max(z, 0) − z·y + log(1 + e^(−|z|))], i.e. binary cross-entropy of σ(z).

    Written in this form it never exponentiates a large positive number; dL/dz = (σ(z) − y)/N.
    Shapes: logits z (N,) or (N, K); target y of the same shape, values in [0, 1].
    """

    def forward(self, z: np.ndarray, target: np.ndarray) -> tuple[float, tuple]:
        check_array("BCEWithLogitsLoss.forward", "z", z, min_ndim=1)
        y = _check_same_shape_target("BCEWithLogitsLoss.forward", z, target)
        if y.min() < 0.0 or y.max() > 1.0:
            raise ValueError(f"BCEWithLogitsLoss.forward: expected targets in [0, 1] "
                             f"(probabilities or 0/1 labels), got values from {y.min():g} to "
                             f"{y.max():g}")
        e = exp_nonpositive(-np.abs(z))
        losses = np.maximum(z, 0) - z * y + np.log1p(e)
        prob = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
        n = z.shape[0]
        return float(np.sum(losses)) / n, (prob, y, n)

    def backward(self, cache: tuple, dloss: float = 1.0) -> np.ndarray:
        dloss = _check_dloss("BCEWithLogitsLoss.backward", dloss)
        prob, y, n = cache
        return (prob - y) * (dloss / n)


class SoftmaxCrossEntropyLoss(Loss):
    """L = −1/N Σ_n log softmax(z_n)[y_n];  dL/dz = (softmax(z) − onehot(y))/N.

    Shapes: logits z (N, K); target y (N,) of integer class labels in [0, K).
    """

    def forward(self, z: np.ndarray, target: np.ndarray) -> tuple[float, tuple]:
        where = "SoftmaxCrossEntropyLoss.forward"
        check_array(where, "z", z, ("N", "K"))
        n, k = z.shape
        if not isinstance(target, np.ndarray):
            raise TypeError(f"{where}: expected target to be a numpy array, got {type(target).__name__}")
        if target.shape != (n,):
            raise ValueError(f"{where}: expected target of shape ({n},) (one label per row "
                             f"of z), got {target.shape}")
        if target.dtype.kind not in "iu":
            raise ValueError(f"{where}: expected target of integer class labels, got dtype "
                             f"{target.dtype.name}")
        lo, hi = int(target.min()), int(target.max())
        if lo < 0 or hi >= k:
            raise ValueError(f"{where}: expected labels in [0, {k}), got values from {lo} to {hi}")
        shifted = z - z.max(axis=1, keepdims=True)
        e = exp_nonpositive(shifted)
        total = e.sum(axis=1, keepdims=True)
        rows = np.arange(n)
        loss = float(np.sum(np.log(total[:, 0]) - shifted[rows, target])) / n
        return loss, (e / total, target, rows)

    def backward(self, cache: tuple, dloss: float = 1.0) -> np.ndarray:
        dloss = _check_dloss("SoftmaxCrossEntropyLoss.backward", dloss)
        probs, target, rows = cache
        dz = probs.copy()
        dz[rows, target] -= 1.0
        dz *= dloss / probs.shape[0]
        return dz
