"""A vanilla (Elman) recurrent layer, trained by backpropagation through time (BPTT).

Forward runs the recurrence step by step; backward walks the same steps in reverse, carrying
dh, the gradient reaching h_t from everything after it. The weights are shared by all steps,
so their gradients are sums over time: they are taken in one matrix product each, after the
loop has produced every step's dz.
"""

from __future__ import annotations

import numpy as np

from backprop_ref._validate import (as_float_dtype, as_positive_int, as_rng, check_array,
                                   check_same_shape)
from backprop_ref.layers.base import Grads, Layer


class RNN(Layer):
    """h_t = tanh(x_t Wx + h_{t−1} Wh + b),  h_0 = 0.

    Shapes: x (N, T, D), Wx (D, H), Wh (H, H), b (H,); output h (N, T, H), or the last state
    h_T (N, H) when return_sequences=False. Init: Wx ~ N(0, 2 / (D + H)) (Xavier/Glorot
    normal); Wh a random orthogonal matrix (QR of a Gaussian, signs fixed so it is uniformly
    distributed), so repeated products by Wh neither grow nor shrink at the start; b = 0.
    """

    def __init__(self, input_size: int, hidden_size: int, *, return_sequences: bool = True,
                 rng: np.random.Generator | None = None, dtype: type = np.float64) -> None:
        super().__init__()
        self.input_size = as_positive_int("RNN", "input_size", input_size)
        self.hidden_size = as_positive_int("RNN", "hidden_size", hidden_size)
        self.return_sequences = bool(return_sequences)
        self.dtype = as_float_dtype("RNN", dtype)
        rng = as_rng("RNN", rng)
        D, H = self.input_size, self.hidden_size
        Wx = np.sqrt(2.0 / (D + H)) * rng.standard_normal((D, H))
        q, r = np.linalg.qr(rng.standard_normal((H, H)))
        Wh = q * np.where(np.diag(r) < 0, -1.0, 1.0)          # sign fix: Haar-distributed
        self.params["Wx"] = Wx.astype(self.dtype)
        self.params["Wh"] = Wh.astype(self.dtype)
        self.params["b"] = np.zeros(H, dtype=self.dtype)

    def forward(self, x: np.ndarray, train: bool = False) -> tuple[np.ndarray, tuple]:
        check_array("RNN.forward", "x", x, ("N", "T", self.input_size), self.dtype)
        Wx, Wh, b = self.params["Wx"], self.params["Wh"], self.params["b"]
        N, T, D = x.shape
        # a (T, N, H): the input's part of every step, in one matrix product
        a = (x.reshape(N * T, D) @ Wx + b).reshape(N, T, -1).transpose(1, 0, 2)
        h = np.zeros((T + 1, N, self.hidden_size), dtype=a.dtype)   # time-major, h[0] = h_0
        for t in range(T):
            h[t + 1] = np.tanh(a[t] + h[t] @ Wh)
        out = h[1:].transpose(1, 0, 2).copy() if self.return_sequences else h[T].copy()
        return out, (x, h, Wx, Wh, out.shape)

    def backward(self, dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, Grads]:
        """BPTT: dz_t = (dout_t + dh_t) ⊙ (1 − h_t²), where dh_t = dz_{t+1} Whᵀ (0 at t = T);
        then dWx = Σ_t x_tᵀ dz_t,  dWh = Σ_t h_{t−1}ᵀ dz_t,  db = Σ_{t,n} dz_t,
        dx_t = dz_t Wxᵀ.
        """
        x, h, Wx, Wh, out_shape = cache
        check_same_shape("RNN.backward", "dout", dout, out_shape)
        N, T, D = x.shape
        if len(out_shape) == 3:                       # return_sequences: every h_t was output
            dh_out = dout.transpose(1, 0, 2)          # (T, N, H) view, not modified
        else:                                         # only h_T was output
            dh_out = np.zeros((T,) + dout.shape, dtype=dout.dtype)
            dh_out[-1] = dout
        dz = np.empty((T,) + h.shape[1:], dtype=np.result_type(dout, h))
        dh = np.zeros(h.shape[1:], dtype=dz.dtype)    # gradient reaching h_t from steps > t
        for t in range(T - 1, -1, -1):
            dz[t] = (dh_out[t] + dh) * (1 - h[t + 1] ** 2)
            dh = dz[t] @ Wh.T
        dz_flat = dz.reshape(T * N, -1)                                # rows ordered (t, n)
        x_flat = x.transpose(1, 0, 2).reshape(T * N, D)
        grads = {"Wx": x_flat.T @ dz_flat,
                 "Wh": h[:-1].reshape(T * N, -1).T @ dz_flat,
                 "b": dz_flat.sum(axis=0)}
        dx = (dz_flat @ Wx.T).reshape(T, N, D).transpose(1, 0, 2)
        return np.ascontiguousarray(dx), grads

    def __repr__(self) -> str:
        return (f"RNN({self.input_size}, {self.hidden_size}, "
                f"return_sequences={self.return_sequences})")
