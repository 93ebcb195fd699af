"""Inverted dropout."""

from __future__ import annotations

import numpy as np

from backprop_ref._validate import as_real, as_rng, check_array, check_same_shape
from backprop_ref.layers.base import Grads, Layer


class Dropout(Layer):
    """Training: a = z · m / (1 − p) with m ~ Bernoulli(1 − p); evaluation: a = z.

    `p` is the probability of *dropping* a unit (PyTorch's convention, not Keras' old keep
    probability). Scaling by 1/(1 − p) while training keeps E[a] = z, so nothing changes at
    evaluation time. The mask is drawn from `self.rng` and kept in the cache; when nothing
    is dropped (evaluation, or p = 0) the cache is z's shape, to check da against.
    Shapes: any; a has the shape of z.
    """

    def __init__(self, p: float = 0.5, *, rng: np.random.Generator | None = None) -> None:
        super().__init__()
        p = as_real("Dropout", "p (the drop probability)", p)
        if not 0.0 <= p < 1.0:
            raise ValueError(f"Dropout: expected 0 <= p < 1 (the drop probability), got {p}")
        self.p = p
        self.rng = as_rng("Dropout", rng)

    def forward(self, z: np.ndarray,
                train: bool = False) -> tuple[np.ndarray, np.ndarray | tuple[int, ...]]:
        check_array("Dropout.forward", "z", z, min_ndim=1)
        if not train or self.p == 0.0:
            return z, z.shape
        scaled_mask = (self.rng.random(z.shape) >= self.p).astype(z.dtype) / (1.0 - self.p)
        return z * scaled_mask, scaled_mask

    def backward(self, da: np.ndarray,
                 cache: np.ndarray | tuple[int, ...]) -> tuple[np.ndarray, Grads]:
        if isinstance(cache, tuple):  # nothing was dropped: the identity
            return check_same_shape("Dropout.backward", "da", da, cache), {}
        check_same_shape("Dropout.backward", "da", da, cache.shape)
        return da * cache, {}

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"
