"""Flatten every axis but the batch axis."""

from __future__ import annotations

import numpy as np

from backprop_ref._validate import check_array, check_same_shape
from backprop_ref.layers.base import Grads, Layer


class Flatten(Layer):
    """(N, d1, d2, ...) → (N, d1·d2·...); backward reshapes the gradient back.

    Shapes: x (N, ...) with at least 2 axes, output (N, prod(...)).
    """

    def forward(self, x: np.ndarray, train: bool = False) -> tuple[np.ndarray, tuple[int, ...]]:
        check_array("Flatten.forward", "x", x, min_ndim=2)
        return x.reshape(x.shape[0], -1), x.shape

    def backward(self, dout: np.ndarray, x_shape: tuple[int, ...]) -> tuple[np.ndarray, Grads]:
        check_same_shape("Flatten.backward", "dout", dout,
                         (x_shape[0], int(np.prod(x_shape[1:]))))
        return dout.reshape(x_shape), {}
