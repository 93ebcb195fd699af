"""Assignment 3, layers by hand and the source's listing fixed: its mistake bank and alternatives.

COURSE.md's list, where it applies here: #1 (bias gradient averaged, or not summed), #5
(sigmoid overflow), #6 (1/N missing, or applied twice), #7 (transposed weight gradient), #8
(σ' from the pre-activation), #9 (an input changed in place), #10 (an upstream gradient
ignored, which an all-ones test would hide), #11 (a wrong dx), #12 (mean over every element
instead of over the batch); plus the source listing's own bugs kept in part 5 (no 1/N, a
fix for 1-D x that only works for one example, `=` for `-=`, broadcasting targets) and
attempts to pass by calling the package.

Parts 4 and 5 are graded with correct versions of parts 1–3, so mistakes in parts 1–3 lose
points in their own cells only.
"""

from assignments.bank import Alternative, Mistake

P1F, P1B = "a3-p1-forward-tests", "a3-p1-backward-tests"
P2S, P2R = "a3-p2-sigmoid-tests", "a3-p2-relu-tests"
P3F, P3B = "a3-p3-forward-tests", "a3-p3-backward-tests"
P4, P5 = "a3-p4-tests", "a3-p5-tests"

MISTAKES = [
    # Part 1: the linear layer
    Mistake("linear forward forgets the bias", "a3-p1-linear-forward", {P1F},
            edits=[("z = x @ W + b", "z = x @ W")]),
    Mistake("bias gradient averaged over the batch instead of summed",
            "a3-p1-linear-backward", {P1B},
            edits=[("db = dz.sum(axis=0)", "db = dz.mean(axis=0)")]),
    Mistake("bias gradient not summed over the batch (db = dz)", "a3-p1-linear-backward", {P1B},
            edits=[("db = dz.sum(axis=0)", "db = dz")]),
    Mistake("transposed weight gradient dz.T @ x", "a3-p1-linear-backward", {P1B},
            edits=[("dW = x.T @ dz", "dW = dz.T @ x")]),
    Mistake("dx transposed, W @ dz.T (dx never checked)", "a3-p1-linear-backward", {P1B},
            edits=[("dx = dz @ W.T", "dx = W @ dz.T")]),
    Mistake("calls backprop_ref's Linear in linear_backward", "a3-p1-linear-backward", {P1B},
            body="""
                from backprop_ref.layers import Linear
                dx, grads = Linear(*cache[1].shape).backward(dz, cache)
                return dx, grads["W"], grads["b"]
            """),
    # Part 2: sigmoid and ReLU
    Mistake("sigma' from the pre-activation: z(1 - z)", "a3-p2-sigmoid-backward", {P2S},
            body="""
                z, a = cache
                return dout * z * (1 - z)
            """),
    Mistake("sigmoid as e^z / (1 + e^z): nan at z = 1000", "a3-p2-sigmoid-forward", {P2S},
            body="""
                e = np.exp(z)
                a = e / (1 + e)
                return a, (z, a)
            """),
    Mistake("ReLU forward changes its input in place: z[z < 0] = 0", "a3-p2-relu-forward",
            {P2R}, body="""
                z[z < 0] = 0
                return z, z
            """),
    Mistake("ReLU slope 1 at the kink (z >= 0)", "a3-p2-relu-backward", {P2R},
            edits=[("np.where(z > 0, dout, 0.0)", "np.where(z >= 0, dout, 0.0)")]),
    # Part 3: the loss
    Mistake("loss summed over the batch: the 1/N is missing", "a3-p3-mse-forward", {P3F},
            edits=[("/ (2 * n)", "/ 2")]),
    Mistake("loss averaged over every element (np.mean, PyTorch's convention)",
            "a3-p3-mse-forward", {P3F},
            edits=[("loss = float(np.sum(diff ** 2)) / (2 * n)",
                    "loss = float(np.mean(diff ** 2)) / 2")]),
    Mistake("loss without a shape check: y_true of shape (N,) is broadcast",
            "a3-p3-mse-forward", {P3F},
            edits=[("    if y_pred.shape != y_true.shape:\n"
                    "        raise ValueError(f\"mse_forward: y_true has shape {y_true.shape}, "
                    "but y_pred has \"\n"
                    "                         f\"shape {y_pred.shape}; they must be equal\")\n",
                    "")]),
    Mistake("loss gradient without the 1/N", "a3-p3-mse-backward", {P3B},
            edits=[("return dloss * diff / n", "return dloss * diff")]),
    Mistake("1/N applied twice in the loss gradient", "a3-p3-mse-backward", {P3B},
            edits=[("return dloss * diff / n", "return dloss * diff / n / n")]),
    Mistake("loss gradient ignores the upstream dloss", "a3-p3-mse-backward", {P3B},
            edits=[("return dloss * diff / n", "return diff / n")]),
    # Part 4: the two-layer network
    Mistake("network backward skips the output sigmoid's backward",
            "a3-p4-two-layer-gradients", {P4},
            edits=[("dz2 = sigmoid_backward(mse_backward(error), output)",
                    "dz2 = mse_backward(error)")]),
    Mistake("network backward writes dL/dy_pred by hand, without the 1/N",
            "a3-p4-two-layer-gradients", {P4},
            edits=[("sigmoid_backward(mse_backward(error), output)",
                    "sigmoid_backward(y_pred - y_true, output)")]),
    # Part 5: the source's listing, fixed
    Mistake("train_step keeps the listing's gradient without 1/N", "a3-p5-train-step", {P5},
            edits=[("d_out = (residual / n) * out * (1 - out)",
                    "d_out = residual * out * (1 - out)")]),
    Mistake("train_step fixes the 1-D x with np.outer: right for one example only",
            "a3-p5-train-step", {P5},
            edits=[("x.T @ d_hidden", "np.outer(x, d_hidden)"),
                   ("hidden.T @ d_out", "np.outer(hidden, d_out)")]),
    Mistake("train_step updates with = instead of -=: a local name is rebound",
            "a3-p5-train-step", {P5},
            edits=[("    for key, grad in grads.items():\n        params[key] -= lr * grad\n",
                    "    W1 = W1 - lr * grads[\"W1\"]\n    b1 = b1 - lr * grads[\"b1\"]\n"
                    "    W2 = W2 - lr * grads[\"W2\"]\n    b2 = b2 - lr * grads[\"b2\"]\n")]),
    Mistake("train_step reports the loss after the update", "a3-p5-train-step", {P5},
            edits=[("    return params, loss",
                    "    out = sigmoid(sigmoid(x @ W1 + b1) @ W2 + b2)\n"
                    "    loss = float(np.sum((out - y_true) ** 2)) / (2 * n)\n"
                    "    return params, loss")]),
    Mistake("train_step without a target shape check: y_true (N,) broadcasts",
            "a3-p5-train-step", {P5},
            edits=[("    if y_true.shape != (x.shape[0], W2.shape[1]):\n"
                    "        raise ValueError(f\"train_step: expected y_true of shape "
                    "{(x.shape[0], W2.shape[1])} \"\n"
                    "                         f\"(one row per example of x), got {y_true.shape}\")\n",
                    "")]),
    Mistake("train_step calls backprop_ref's layers and loss", "a3-p5-train-step", {P5},
            body="""
                from backprop_ref.layers import Linear, Sequential, Sigmoid
                from backprop_ref.losses import MSELoss
                net = Sequential(Linear(*params["W1"].shape), Sigmoid(),
                                 Linear(*params["W2"].shape), Sigmoid())
                keys = (("W1", "0.W"), ("b1", "0.b"), ("W2", "2.W"), ("b2", "2.b"))
                for ours, theirs in keys:
                    net.params[theirs] = params[ours]
                out, caches = net.forward(x)
                loss, cache = MSELoss().forward(out, y_true)
                _, grads = net.backward(MSELoss().backward(cache), caches)
                for ours, theirs in keys:
                    params[ours] -= lr * grads[theirs]
                return params, loss
            """),
]

ALTERNATIVES = [
    Alternative("written differently: einsum, tanh, masks on copies, inline and per-example",
                bodies={
                    "a3-p1-linear-forward": """
                        return np.einsum("ni,io->no", x, W) + b[np.newaxis, :], (x, W)
                    """,
                    "a3-p1-linear-backward": """
                        x, W = cache
                        dW = np.einsum("ni,no->io", x, dz)
                        db = np.einsum("no->o", dz)
                        dx = np.einsum("no,io->ni", dz, W)
                        return dx, dW, db
                    """,
                    "a3-p2-sigmoid-forward": """
                        a = 0.5 * (1.0 + np.tanh(0.5 * z))    # σ(z) = (1 + tanh(z/2)) / 2
                        return a, (z, a)
                    """,
                    "a3-p2-sigmoid-backward": """
                        a = cache[1]
                        return dout * (a - a * a)
                    """,
                    "a3-p2-relu-forward": """
                        return z * (z > 0), z
                    """,
                    "a3-p2-relu-backward": """
                        dz = np.array(dout, dtype=float, copy=True)
                        dz[~(cache > 0)] = 0.0
                        return dz
                    """,
                    "a3-p3-mse-forward": """
                        if np.shape(y_pred) != np.shape(y_true):
                            raise ValueError(f"shapes {np.shape(y_pred)} and {np.shape(y_true)} differ")
                        diff = np.subtract(y_pred, y_true)
                        n = len(y_pred)
                        return 0.5 * float(np.vdot(diff, diff)) / n, (diff, n)
                    """,
                    "a3-p3-mse-backward": """
                        diff, n = cache
                        return np.multiply(diff, dloss / n)
                    """,
                    "a3-p4-two-layer-gradients": """
                        W1, b1, W2, b2 = (params[k] for k in ("W1", "b1", "W2", "b2"))
                        z1 = x @ W1 + b1
                        h = np.where(z1 > 0, z1, 0.0)
                        y_hat = 1 / (1 + np.exp(-(h @ W2 + b2)))
                        n = len(x)
                        loss = 0.5 * np.sum((y_hat - y_true) ** 2) / n
                        g2 = (y_hat - y_true) * y_hat * (1 - y_hat) / n
                        g1 = (g2 @ W2.T) * (z1 > 0)
                        return float(loss), {"W2": h.T @ g2, "b2": g2.sum(0),
                                             "W1": x.T @ g1, "b1": g1.sum(0)}
                    """,
                    "a3-p5-train-step": """
                        W1, b1, W2, b2 = (params[k] for k in ("W1", "b1", "W2", "b2"))
                        if (np.ndim(x) != 2 or np.shape(x)[1] != W1.shape[0]
                                or np.shape(y_true) != (len(x), W2.shape[1])):
                            raise ValueError(f"x {np.shape(x)} and y_true {np.shape(y_true)} "
                                             f"do not fit W1 {W1.shape} and W2 {W2.shape}")
                        n = len(x)
                        grads = {k: np.zeros_like(v) for k, v in params.items()}
                        loss = 0.0
                        for xn, yn in zip(x, y_true):      # one example at a time, summed
                            a1 = sigmoid(xn @ W1 + b1)
                            yh = sigmoid(a1 @ W2 + b2)
                            loss += 0.5 * np.sum((yh - yn) ** 2) / n
                            d2 = (yh - yn) * yh * (1 - yh) / n
                            d1 = (W2 @ d2) * a1 * (1 - a1)
                            grads["W2"] += np.outer(a1, d2)
                            grads["b2"] += d2
                            grads["W1"] += np.outer(xn, d1)
                            grads["b1"] += d1
                        for k in params:
                            params[k] -= lr * grads[k]
                        return params, float(loss)
                    """,
                }),
    Alternative("correct, but noisy: overflow warnings, a warning, stderr", bodies={
        "a3-p2-sigmoid-forward": """
            import sys
            print("sigmoid_forward: the naive formula, which overflows for z < -709",
                  file=sys.stderr)
            a = 1 / (1 + np.exp(-z))
            return a, (z, a)
        """,
        "a3-p2-relu-forward": """
            import warnings
            warnings.warn("relu_forward makes a new array")
            return np.maximum(z, 0.0), z
        """,
    }),
]
