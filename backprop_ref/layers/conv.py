"""2-D convolution by im2col: every receptive field becomes a column, then one matrix product.

Like every deep-learning framework, "convolution" here is cross-correlation (the kernel is
not flipped). Forward copies the receptive fields into `cols` (C·kh·kw, N·H_out·W_out) and
computes z = W_mat @ cols; backward is the same product read the other way round:
dW_mat = dz @ colsᵀ, and dcols = W_matᵀ @ dz, whose columns are added back onto the input
positions they were copied from (col2im), one kernel offset at a time.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from backprop_ref._validate import (IntPair, as_float_dtype, as_pair, as_positive_int, as_rng,
                                   check_array, check_same_shape)
from backprop_ref.layers.base import Grads, Layer

def offset_slices(i: int, j: int, stride: tuple[int, int],
                  out_hw: tuple[int, int]) -> tuple[slice, slice]:
    """The input rows and columns that kernel offset (i, j) sees across all output positions."""
    (sh, sw), (h_out, w_out) = stride, out_hw
    return slice(i, i + sh * (h_out - 1) + 1, sh), slice(j, j + sw * (w_out - 1) + 1, sw)


class Conv2d(Layer):
    """z[n, f, p, q] = b[f] + Σ_{c,i,j} W[f, c, i, j] · x_pad[n, c, p·sh + i, q·sw + j].

    Shapes: x (N, C, H, W), W (F, C, kh, kw), b (F,), z (N, F, H_out, W_out) with
    H_out = (H + 2·ph − kh) // sh + 1 and W_out likewise. He init: W ~ N(0, 2 / (C·kh·kw)).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntPair,
                 stride: IntPair = 1, padding: IntPair = 0, *,
                 rng: np.random.Generator | None = None, dtype: type = np.float64) -> None:
        super().__init__()
        self.in_channels = as_positive_int("Conv2d", "in_channels", in_channels)
        self.out_channels = as_positive_int("Conv2d", "out_channels", out_channels)
        self.kernel_size = as_pair("Conv2d", "kernel_size", kernel_size, minimum=1)
        self.stride = as_pair("Conv2d", "stride", stride, minimum=1)
        self.padding = as_pair("Conv2d", "padding", padding, minimum=0)
        self.dtype = as_float_dtype("Conv2d", dtype)
        rng = as_rng("Conv2d", rng)
        kh, kw = self.kernel_size
        shape = (self.out_channels, self.in_channels, kh, kw)
        std = np.sqrt(2.0 / (self.in_channels * kh * kw))
        self.params["W"] = (std * rng.standard_normal(shape)).astype(self.dtype)
        self.params["b"] = np.zeros(self.out_channels, dtype=self.dtype)

    def forward(self, x: np.ndarray, train: bool = False) -> tuple[np.ndarray, tuple]:
        check_array("Conv2d.forward", "x", x, ("N", self.in_channels, "H", "W"), self.dtype)
        W, b = self.params["W"], self.params["b"]
        (F, C, kh, kw), (sh, sw), (ph, pw) = W.shape, self.stride, self.padding
        N, _, H, W_in = x.shape
        if H + 2 * ph < kh or W_in + 2 * pw < kw:
            padded = (H + 2 * ph, W_in + 2 * pw)
            raise ValueError(f"Conv2d.forward: padded input of size {padded} is smaller than "
                             f"the kernel {(kh, kw)} (x of shape {x.shape}, padding {(ph, pw)})")
        x_pad = x
        if ph or pw:
            x_pad = np.zeros((N, C, H + 2 * ph, W_in + 2 * pw), dtype=x.dtype)
            x_pad[:, :, ph:ph + H, pw:pw + W_in] = x
        # (N, C, H_out, W_out, kh, kw) view of every receptive field, then one copy into cols.
        fields = sliding_window_view(x_pad, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]
        h_out, w_out = fields.shape[2:4]
        cols = fields.transpose(1, 4, 5, 0, 2, 3).reshape(C * kh * kw, N * h_out * w_out)
        z_mat = W.reshape(F, -1) @ cols                             # (F, N·H_out·W_out)
        z = np.empty((N, F, h_out, w_out), dtype=z_mat.dtype)
        np.add(z_mat.reshape(F, N, h_out, w_out).transpose(1, 0, 2, 3), b[:, None, None], out=z)
        return z, (cols, W, x.shape, z.shape)

    def backward(self, dz: np.ndarray, cache: tuple) -> tuple[np.ndarray, Grads]:
        """dW = dz ⋆ x (as dz_mat @ colsᵀ),  db = Σ_{n,p,q} dz,  dx = col2im(W_matᵀ @ dz_mat).

        Overlapping receptive fields (stride < kernel) add their contributions in col2im.
        """
        cols, W, x_shape, z_shape = cache
        check_same_shape("Conv2d.backward", "dz", dz, z_shape)
        (F, C, kh, kw), (ph, pw) = W.shape, self.padding
        N, _, H, W_in = x_shape
        h_out, w_out = z_shape[2:]
        dz_mat = dz.transpose(1, 0, 2, 3).reshape(F, N * h_out * w_out)   # (F, N·H_out·W_out)
        db = dz_mat.sum(axis=1)
        dW = (cols @ dz_mat.T).T.reshape(W.shape)     # = dz_mat colsᵀ; BLAS is faster this way
        dcols = (W.reshape(F, -1).T @ dz_mat).reshape(C, kh, kw, N, h_out, w_out)
        # col2im, channel-major to match dcols: add each kernel offset's slab where it came from.
        dx_pad = np.zeros((C, N, H + 2 * ph, W_in + 2 * pw), dtype=dcols.dtype)
        for i in range(kh):
            for j in range(kw):
                rows, columns = offset_slices(i, j, self.stride, (h_out, w_out))
                dx_pad[:, :, rows, columns] += dcols[:, i, j]
        dx = np.ascontiguousarray(dx_pad[:, :, ph:ph + H, pw:pw + W_in].transpose(1, 0, 2, 3))
        return dx, {"W": dW, "b": db}

    def __repr__(self) -> str:
        return (f"Conv2d({self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding})")
