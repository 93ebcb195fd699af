"""2-D max pooling: each window passes on its largest value, and backward routes the gradient
back to that one element (the others did not affect the output, so their gradient is 0).

Forward loops over the kh·kw kernel offsets, never over pixels or samples: offset (i, j) of
every window at once is the strided view x[:, :, i::sh, j::sw] (cropped to the output size),
so each step is one vectorised NumPy operation. It records which offset each maximum came
from; backward turns that into a position in x and adds dz there, in one np.add.at.
"""

from __future__ import annotations

import numpy as np

from backprop_ref._validate import IntPair, as_pair, check_array, check_same_shape
from backprop_ref.layers.base import Grads, Layer
from backprop_ref.layers.conv import offset_slices


class MaxPool2d(Layer):
    """z[n, c, p, q] = max_{i,j} x[n, c, p·sh + i, q·sw + j].

    Shapes: x (N, C, H, W), z (N, C, H_out, W_out) with H_out = (H − kh) // sh + 1 and
    W_out likewise (no padding; a partial window at the edge is dropped); stride defaults to
    kernel_size. On a tie the gradient goes to one element
    only: the first maximum in row-major order within the window (top-most, then left-most),
    as np.argmax would pick. Overlapping windows (stride < kernel) add up their gradients.
    """

    def __init__(self, kernel_size: IntPair, stride: IntPair | None = None) -> None:
        super().__init__()
        self.kernel_size = as_pair("MaxPool2d", "kernel_size", kernel_size, minimum=1)
        self.stride = (self.kernel_size if stride is None
                       else as_pair("MaxPool2d", "stride", stride, minimum=1))

    def forward(self, x: np.ndarray, train: bool = False) -> tuple[np.ndarray, tuple]:
        check_array("MaxPool2d.forward", "x", x, ("N", "C", "H", "W"))
        (kh, kw), (sh, sw) = self.kernel_size, self.stride
        H, W = x.shape[2:]
        if H < kh or W < kw:
            raise ValueError(f"MaxPool2d.forward: input of size {(H, W)} is smaller than the "
                             f"kernel {(kh, kw)} (x of shape {x.shape})")
        out_hw = ((H - kh) // sh + 1, (W - kw) // sw + 1)
        views = []                              # views[k]: offset k = i·kw + j of every window
        for k in range(kh * kw):
            rows, columns = offset_slices(k // kw, k % kw, self.stride, out_hw)
            views.append(x[:, :, rows, columns])
        # Running max over the offsets, and k_best, the offset it came from. Only a strictly
        # larger value takes over, so on a tie the first maximum (row-major) is kept.
        z = views[0].copy()
        k_best = np.zeros(z.shape, dtype=np.uint8 if kh * kw <= 256 else np.intp)
        for k in range(1, kh * kw):
            better = views[k] > z
            np.maximum(z, views[k], out=z)
            k_best += better * (k - k_best)     # = where(better, k, k_best), many times faster
        return z, (k_best, x.shape)

    def backward(self, dz: np.ndarray, cache: tuple) -> tuple[np.ndarray, Grads]:
        """dx[where each output's maximum came from] += dz; every other dx entry is 0."""
        k_best, x_shape = cache
        check_same_shape("MaxPool2d.backward", "dz", dz, k_best.shape)
        (kh, kw), (sh, sw) = self.kernel_size, self.stride
        N, C, H, W = x_shape
        h_out, w_out = k_best.shape[2:]
        # Flat index into x of each maximum: the window's top-left corner plus offset i·W + j.
        corner = ((np.arange(N * C).reshape(N, C, 1, 1) * H
                   + sh * np.arange(h_out).reshape(-1, 1)) * W + sw * np.arange(w_out))
        offset = (W * np.arange(kh).reshape(-1, 1) + np.arange(kw)).ravel()   # k -> i·W + j
        source = corner + offset[k_best]
        dx = np.zeros(N * C * H * W, dtype=dz.dtype)
        np.add.at(dx, source.ravel(), dz.ravel())   # an x that wins several windows gets all
        return dx.reshape(x_shape), {}

    def __repr__(self) -> str:
        return f"MaxPool2d(kernel_size={self.kernel_size}, stride={self.stride})"
