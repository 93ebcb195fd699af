"""The affine layer z = x W + b."""

from __future__ import annotations

import numpy as np

from backprop_ref._validate import (as_float_dtype, as_positive_int, as_real, as_rng, check_array,
                                   check_same_shape)
from backprop_ref.layers.base import Grads, Layer


class Linear(Layer):
    """z = x W + b.

    Shapes: x (N, in_features), W (in_features, out_features), b (out_features,),
    z (N, out_features). `init` is "he" (std √(2/in), for ReLU), "xavier" (std √(1/in),
    for tanh and sigmoid) or a float standard deviation.
    """

    def __init__(self, in_features: int, out_features: int, *,
                 rng: np.random.Generator | None = None, init: str | float = "he",
                 dtype: type = np.float64) -> None:
        super().__init__()
        in_features = as_positive_int("Linear", "in_features", in_features)
        out_features = as_positive_int("Linear", "out_features", out_features)
        self.dtype = as_float_dtype("Linear", dtype)
        rng = as_rng("Linear", rng)
        if isinstance(init, str) and init in ("he", "xavier"):
            std = np.sqrt((2.0 if init == "he" else 1.0) / in_features)
        elif isinstance(init, (int, float, np.floating)) and not isinstance(init, bool):
            std = as_real("Linear", "init (a standard deviation)", init, low=0)
        else:
            raise ValueError(f"Linear: init must be 'he', 'xavier' or a number, got {init!r}")
        self.in_features, self.out_features = in_features, out_features
        W = std * rng.standard_normal((in_features, out_features))
        self.params["W"] = W.astype(self.dtype)
        self.params["b"] = np.zeros(out_features, dtype=self.dtype)

    def forward(self, x: np.ndarray, train: bool = False) -> tuple[np.ndarray, tuple]:
        check_array("Linear.forward", "x", x, ("N", self.in_features), self.dtype)
        z = x @ self.params["W"] + self.params["b"]
        return z, (x, self.params["W"])

    def backward(self, dz: np.ndarray, cache: tuple) -> tuple[np.ndarray, Grads]:
        """dx = dz Wᵀ,  dW = xᵀ dz,  db = Σ_n dz  (summed over the batch, not averaged)."""
        x, W = cache
        check_same_shape("Linear.backward", "dz", dz, (x.shape[0], W.shape[1]))
        return dz @ W.T, {"W": x.T @ dz, "b": dz.sum(axis=0)}

    def param_grads(self, dz: np.ndarray, cache: tuple) -> Grads:
        """dW and db without dx, which saves one matrix product in a network's first layer."""
        x, W = cache
        check_same_shape("Linear.param_grads", "dz", dz, (x.shape[0], W.shape[1]))
        return {"W": x.T @ dz, "b": dz.sum(axis=0)}

    def __repr__(self) -> str:
        return f"Linear({self.in_features}, {self.out_features})"
