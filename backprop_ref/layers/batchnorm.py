"""Batch normalisation over the batch axis of (N, D) activations."""

from __future__ import annotations

import numpy as np

from backprop_ref._validate import (as_float_dtype, as_positive_int, as_real, check_array,
                                   check_same_shape)
from backprop_ref.layers.base import Grads, Layer


class BatchNorm1d(Layer):
    """y = γ · (x − μ_B) / √(σ²_B + ε) + β, with μ_B, σ²_B the batch mean and variance.

    Training normalises with the *biased* batch variance (divide by N) and updates the
    running statistics r ← (1 − momentum)·r + momentum·batch, using the *unbiased* variance
    (divide by N − 1) for `running_var`, as PyTorch does. Evaluation uses the running
    statistics, so a single sample can be normalised.
    Shapes: x (N, D), γ and β (D,), y (N, D). Training needs N ≥ 2.
    """

    def __init__(self, num_features: int, *, eps: float = 1e-5, momentum: float = 0.1,
                 dtype: type = np.float64) -> None:
        super().__init__()
        num_features = as_positive_int("BatchNorm1d", "num_features", num_features)
        self.num_features = num_features
        self.eps = as_real("BatchNorm1d", "eps", eps, low=0, low_open=True)
        self.momentum = as_real("BatchNorm1d", "momentum", momentum, low=0, high=1)
        self.dtype = as_float_dtype("BatchNorm1d", dtype)
        self.params["gamma"] = np.ones(num_features, dtype=self.dtype)
        self.params["beta"] = np.zeros(num_features, dtype=self.dtype)
        self.running_mean = np.zeros(num_features, dtype=self.dtype)
        self.running_var = np.ones(num_features, dtype=self.dtype)

    def forward(self, x: np.ndarray, train: bool = False) -> tuple[np.ndarray, tuple]:
        check_array("BatchNorm1d.forward", "x", x, ("N", self.num_features), self.dtype)
        if train:
            n = x.shape[0]
            if n < 2:
                raise ValueError(f"BatchNorm1d.forward: training needs a batch of at least 2 "
                                 f"samples to estimate a variance, got x of shape {x.shape}")
            mean, var = x.mean(axis=0), x.var(axis=0)
            self.running_mean = (1 - self.momentum) * self.running_mean + self.momentum * mean
            self.running_var = ((1 - self.momentum) * self.running_var
                                + self.momentum * var * n / (n - 1))
        else:
            mean, var = self.running_mean, self.running_var
        inv_std = 1.0 / np.sqrt(var + self.eps)
        x_hat = (x - mean) * inv_std
        gamma = self.params["gamma"]
        return gamma * x_hat + self.params["beta"], (x_hat, inv_std, gamma, train)

    def backward(self, dy: np.ndarray, cache: tuple) -> tuple[np.ndarray, Grads]:
        """dx = (γ/σ)/N · (N·dx̂ − Σ dx̂ − x̂ Σ(dx̂ · x̂)) in training, with dx̂ = dy·γ."""
        x_hat, inv_std, gamma, train = cache
        check_same_shape("BatchNorm1d.backward", "dy", dy, x_hat.shape)
        grads = {"gamma": (dy * x_hat).sum(axis=0), "beta": dy.sum(axis=0)}
        dx_hat = dy * gamma
        if not train:  # the statistics are constants
            return dx_hat * inv_std, grads
        n = dy.shape[0]
        dx = (inv_std / n) * (n * dx_hat - dx_hat.sum(axis=0)
                              - x_hat * (dx_hat * x_hat).sum(axis=0))
        return dx, grads

    def __repr__(self) -> str:
        return f"BatchNorm1d({self.num_features})"
