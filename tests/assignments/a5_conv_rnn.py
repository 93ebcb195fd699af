"""Assignment 5, convolution and recurrence: its mistake bank and alternative solutions.

COURSE.md's list, where it applies here: #1 (a bias gradient not summed over the batch and the
positions, or averaged), #2 (`=` instead of `+=` for a pixel under overlapping windows, and
for a recurrent weight used at every step), #7 (a transposed weight gradient), #8 (tanh'
computed from the pre-activation), #9 (an input changed in place), #11 (dx, checked in its own
cell); plus the slips of this assignment (a flipped kernel, an uncropped dx, max pooling's
gradient sent to the wrong elements, the gradient from the next time step forgotten) and two
attempts to pass by calling the package.

Part 5's solution uses part 4's functions, as the notebook asks, so a mistake in part 4 also
costs part 5's matching cell (forward or backward).
"""

from assignments.bank import Alternative, Mistake

P1 = "a5-p1-tests"
P2_WEIGHTS, P2_DX = "a5-p2-weights-tests", "a5-p2-dx-tests"
P3_FORWARD, P3_BACKWARD = "a5-p3-forward-tests", "a5-p3-backward-tests"
P4_FORWARD, P4_BACKWARD = "a5-p4-forward-tests", "a5-p4-backward-tests"
P5_FORWARD, P5_BACKWARD = "a5-p5-forward-tests", "a5-p5-backward-tests"

MISTAKES = [
    # Part 1: conv2d_forward
    Mistake("kernel flipped in the forward pass (a true convolution, not the package's "
            "cross-correlation)", "a5-p1-conv2d-forward", {P1},
            edits=[("W[:, :, i, j])", "W[:, :, kh - 1 - i, kw - 1 - j])")]),
    Mistake("bias added along the last axis (z + b) instead of once per filter",
            "a5-p1-conv2d-forward", {P1},
            edits=[("return z + b.reshape(1, F, 1, 1)", "return z + b")]),
    # Part 2: conv2d_backward
    Mistake("conv db summed over the batch only, not over the output positions",
            "a5-p2-conv2d-backward", {P2_WEIGHTS},
            edits=[("np.sum(dz, axis=(0, 2, 3))", "np.sum(dz, axis=0)")]),
    Mistake("conv dW with the filter and channel axes swapped, shape (C, F, kh, kw)",
            "a5-p2-conv2d-backward", {P2_WEIGHTS},
            edits=[("dW = np.zeros(W.shape)", "dW = np.zeros((W.shape[1], W.shape[0], kh, kw))"),
                   ('"nfhw,nchw->fc"', '"nfhw,nchw->cf"')]),
    Mistake("conv dx overwritten instead of added where windows overlap (= for +=)",
            "a5-p2-conv2d-backward", {P2_DX},
            edits=[("dx_pad[:, :, rows, cols] += ", "dx_pad[:, :, rows, cols] = ")]),
    Mistake("conv dx returned with the padding still on (not cropped)",
            "a5-p2-conv2d-backward", {P2_DX},
            edits=[("dx = dx_pad[:, :, pad:pad + H, pad:pad + W_in]", "dx = dx_pad")]),
    Mistake("calls backprop_ref's Conv2d for the backward pass", "a5-p2-conv2d-backward",
            {P2_WEIGHTS, P2_DX}, body="""
                from backprop_ref import Conv2d
                F, C, kh, kw = W.shape
                layer = Conv2d(C, F, (kh, kw), stride=stride, padding=padding)
                layer.params["W"][...] = W
                _, cache = layer.forward(x)
                dx, grads = layer.backward(dz, cache)
                return dx, grads["W"], grads["b"]
            """),
    # Part 3: max pooling
    Mistake("max pool's running maximum starts at 0, so all-negative windows give 0",
            "a5-p3-maxpool-forward", {P3_FORWARD},
            edits=[("np.full(x.shape[:2] + (H_out, W_out), -np.inf)",
                    "np.zeros(x.shape[:2] + (H_out, W_out))")]),
    Mistake("max pool gradient passed to every element of the window",
            "a5-p3-maxpool-backward", {P3_BACKWARD}, body="""
                s = size if stride is None else stride
                H_out, W_out = dz.shape[2:]
                dx = np.zeros(x.shape)
                for i in range(size):
                    for j in range(size):
                        dx[:, :, i:i + s * H_out:s, j:j + s * W_out:s] += dz
                return dx
            """),
    Mistake("max pool gradient passed to every element equal to the maximum (ties get it "
            "several times)", "a5-p3-maxpool-backward", {P3_BACKWARD},
            edits=[("first = (x[:, :, rows, cols] == best) & ~done",
                    "first = x[:, :, rows, cols] == best")]),
    Mistake("max pool argmax unravelled with row and column swapped (the wrong element)",
            "a5-p3-maxpool-backward", {P3_BACKWARD}, body="""
                s = size if stride is None else stride
                N, C = x.shape[:2]
                H_out, W_out = dz.shape[2:]
                n, c = np.indices((N, C))
                dx = np.zeros(x.shape)
                for p in range(H_out):
                    for q in range(W_out):
                        window = x[:, :, p * s:p * s + size, q * s:q * s + size]
                        k = window.reshape(N, C, size * size).argmax(axis=2)
                        i, j = k % size, k // size          # should be k // size, k % size
                        dx[n, c, p * s + i, q * s + j] += dz[:, :, p, q]
                return dx
            """),
    # Part 4: one recurrent step (part 5 uses it)
    Mistake("recurrent weights applied transposed: h_prev @ Wh.T", "a5-p4-rnn-step-forward",
            {P4_FORWARD, P5_FORWARD},
            edits=[("z = x @ Wx + h_prev @ Wh + b", "z = x @ Wx + h_prev @ Wh.T + b")]),
    Mistake("tanh' computed from the pre-activation: 1 - z² instead of 1 - h²",
            "a5-p4-rnn-step-backward", {P4_BACKWARD, P5_BACKWARD},
            edits=[("dz = dh * (1.0 - h * h)", "dz = dh * (1.0 - z * z)")]),
    Mistake("dWh from the step's output h instead of the state h_prev that went in",
            "a5-p4-rnn-step-backward", {P4_BACKWARD, P5_BACKWARD},
            edits=[("h_prev.T @ dz", "h.T @ dz")]),
    Mistake("rnn step db averaged over the batch instead of summed",
            "a5-p4-rnn-step-backward", {P4_BACKWARD, P5_BACKWARD},
            edits=[("dz.sum(axis=0)", "dz.mean(axis=0)")]),
    # Part 5: the sequence
    Mistake("rnn_forward feeds h0 to every step instead of the previous state",
            "a5-p5-rnn-forward", {P5_FORWARD},
            edits=[("rnn_step_forward(x[:, t], h, Wx, Wh, b)",
                    "rnn_step_forward(x[:, t], h0, Wx, Wh, b)")]),
    Mistake("BPTT overwrites the Wh gradient at each step (= instead of +=)",
            "a5-p5-rnn-backward", {P5_BACKWARD},
            edits=[("dWh += dWh_t", "dWh = dWh_t")]),
    Mistake("BPTT forgets the gradient flowing into h_t from the next time step",
            "a5-p5-rnn-backward", {P5_BACKWARD},
            edits=[("rnn_step_backward(dhs[:, t] + dh_from_later, cache[t])",
                    "rnn_step_backward(dhs[:, t], cache[t])")]),
    Mistake("BPTT adds the carried gradient into dhs in place (through a view)",
            "a5-p5-rnn-backward", {P5_BACKWARD},
            edits=[("step = rnn_step_backward(dhs[:, t] + dh_from_later, cache[t])",
                    "dh = dhs[:, t]\n        dh += dh_from_later\n"
                    "        step = rnn_step_backward(dh, cache[t])")]),
    Mistake("calls backprop_ref's RNN for backprop through time", "a5-p5-rnn-backward",
            {P5_BACKWARD}, body="""
                from backprop_ref import RNN
                x = np.stack([step[0] for step in cache], axis=1)
                Wx, Wh = cache[0][2], cache[0][3]
                layer = RNN(Wx.shape[0], Wh.shape[0])
                layer.params["Wx"][...] = Wx
                layer.params["Wh"][...] = Wh
                _, layer_cache = layer.forward(x)
                dx, grads = layer.backward(dhs, layer_cache)
                return dx, np.zeros(dhs[:, 0].shape), grads["Wx"], grads["Wh"], grads["b"]
            """),
]

ALTERNATIVES = [
    Alternative("loops over examples and pixels, argmax per window, self-contained BPTT with "
                "the weight gradients in one product after the loop", bodies={
        "a5-p1-conv2d-forward": """
            N, C, H, W_in = x.shape
            F, _, kh, kw = W.shape
            x_pad = np.zeros((N, C, H + 2 * padding, W_in + 2 * padding))
            x_pad[:, :, padding:padding + H, padding:padding + W_in] = x
            H_out = (H + 2 * padding - kh) // stride + 1
            W_out = (W_in + 2 * padding - kw) // stride + 1
            z = np.empty((N, F, H_out, W_out))
            for n in range(N):
                for f in range(F):
                    for p in range(H_out):
                        for q in range(W_out):
                            window = x_pad[n, :, p * stride:p * stride + kh,
                                           q * stride:q * stride + kw]
                            z[n, f, p, q] = np.sum(window * W[f]) + b[f]
            return z
        """,
        "a5-p2-conv2d-backward": """
            N, C, H, W_in = x.shape
            F, _, kh, kw = W.shape
            _, _, H_out, W_out = dz.shape
            x_pad = np.zeros((N, C, H + 2 * padding, W_in + 2 * padding))
            x_pad[:, :, padding:padding + H, padding:padding + W_in] = x
            dx_pad = np.zeros_like(x_pad)
            dW = np.zeros_like(W, dtype=float)
            for n in range(N):
                for p in range(H_out):
                    for q in range(W_out):
                        rows = slice(p * stride, p * stride + kh)
                        cols = slice(q * stride, q * stride + kw)
                        g = dz[n, :, p, q]                                   # (F,)
                        dW += g[:, None, None, None] * x_pad[n, None, :, rows, cols]
                        dx_pad[n, :, rows, cols] += np.tensordot(g, W, axes=(0, 0))
            db = dz.sum(axis=3).sum(axis=2).sum(axis=0)
            return dx_pad[:, :, padding:padding + H, padding:padding + W_in], dW, db
        """,
        "a5-p3-maxpool-forward": """
            s = stride or size
            N, C, H, W = x.shape
            H_out, W_out = (H - size) // s + 1, (W - size) // s + 1
            z = np.empty((N, C, H_out, W_out))
            for p in range(H_out):
                for q in range(W_out):
                    z[:, :, p, q] = x[:, :, p * s:p * s + size, q * s:q * s + size].max(axis=(2, 3))
            return z
        """,
        "a5-p3-maxpool-backward": """
            s = stride or size
            N, C = x.shape[:2]
            H_out, W_out = dz.shape[2:]
            n, c = np.indices((N, C))
            dx = np.zeros(x.shape)
            for p in range(H_out):
                for q in range(W_out):
                    window = x[:, :, p * s:p * s + size, q * s:q * s + size]
                    k = window.reshape(N, C, size * size).argmax(axis=2)
                    i, j = np.divmod(k, size)
                    dx[n, c, p * s + i, q * s + j] += dz[:, :, p, q]
            return dx
        """,
        "a5-p4-rnn-step-forward": """
            z = np.einsum("nd,dh->nh", x, Wx) + np.einsum("nk,kh->nh", h_prev, Wh) + b
            h = np.tanh(z)
            return h, (x, h_prev, Wx, Wh, z, h)
        """,
        "a5-p4-rnn-step-backward": """
            x, h_prev, Wx, Wh, z, h = cache
            dz = dh / np.cosh(z) ** 2                  # tanh'(z) = 1 / cosh²(z)
            dx = np.einsum("nh,dh->nd", dz, Wx)
            dh_prev = np.einsum("nh,kh->nk", dz, Wh)
            dWx = np.einsum("nd,nh->dh", x, dz)
            dWh = np.einsum("nk,nh->kh", h_prev, dz)
            return dx, dh_prev, dWx, dWh, np.einsum("nh->h", dz)
        """,
        "a5-p5-rnn-forward": """
            N, T, D = x.shape
            cache, states = [], []
            h = h0
            for t in range(T):
                z = x[:, t] @ Wx + h @ Wh + b
                cache.append((x[:, t], h, Wx, Wh, z, np.tanh(z)))
                h = np.tanh(z)
                states.append(h)
            return np.stack(states, axis=1), cache
        """,
        "a5-p5-rnn-backward": """
            N, T, H = dhs.shape
            Wx, Wh = cache[0][2], cache[0][3]
            dz = np.empty((T, N, H))
            carried = np.zeros((N, H))
            for t in range(T - 1, -1, -1):
                h_t = cache[t][5]
                dz[t] = (dhs[:, t] + carried) * (1 - h_t ** 2)
                carried = dz[t] @ Wh.T
            xs = np.stack([step[0] for step in cache])          # (T, N, D)
            h_prevs = np.stack([step[1] for step in cache])     # (T, N, H)
            dWx = np.tensordot(xs, dz, axes=([0, 1], [0, 1]))
            dWh = np.tensordot(h_prevs, dz, axes=([0, 1], [0, 1]))
            dx = np.einsum("tnh,dh->ntd", dz, Wx)
            return dx, carried, dWx, dWh, dz.sum(axis=(0, 1))
        """,
    }),
    Alternative("im2col for the convolution (sliding windows, one matrix product each way)",
                bodies={
        "a5-p1-conv2d-forward": """
            from numpy.lib.stride_tricks import sliding_window_view
            F, C, kh, kw = W.shape
            x_pad = np.pad(x, ((0, 0), (0, 0), (padding,) * 2, (padding,) * 2))
            windows = sliding_window_view(x_pad, (kh, kw), axis=(2, 3))[:, :, ::stride, ::stride]
            N, _, H_out, W_out = windows.shape[:4]
            cols = windows.transpose(0, 2, 3, 1, 4, 5).reshape(N * H_out * W_out, C * kh * kw)
            out = cols @ W.reshape(F, -1).T + b                    # (N·H_out·W_out, F)
            return out.reshape(N, H_out, W_out, F).transpose(0, 3, 1, 2)
        """,
        "a5-p2-conv2d-backward": """
            from numpy.lib.stride_tricks import sliding_window_view
            F, C, kh, kw = W.shape
            N, _, H, W_in = x.shape
            x_pad = np.pad(x, ((0, 0), (0, 0), (padding,) * 2, (padding,) * 2))
            windows = sliding_window_view(x_pad, (kh, kw), axis=(2, 3))[:, :, ::stride, ::stride]
            H_out, W_out = windows.shape[2:4]
            cols = windows.transpose(0, 2, 3, 1, 4, 5).reshape(-1, C * kh * kw)
            dz_rows = dz.transpose(0, 2, 3, 1).reshape(-1, F)        # (N·H_out·W_out, F)
            dW = (dz_rows.T @ cols).reshape(W.shape)
            dcols = (dz_rows @ W.reshape(F, -1)).reshape(N, H_out, W_out, C, kh, kw)
            dx_pad = np.zeros(x_pad.shape)
            for p in range(H_out):
                for q in range(W_out):
                    dx_pad[:, :, p * stride:p * stride + kh,
                           q * stride:q * stride + kw] += dcols[:, p, q]
            crop = dx_pad[:, :, padding:padding + H, padding:padding + W_in]
            return crop, dW, dz_rows.sum(axis=0)
        """,
    }),
]
