"""Assignment 6, regularisation and normalisation: its mistake bank and alternative solutions.

COURSE.md's list, where it applies here: #12 above all (the conventions: dropout's p as the
keep probability, 1/(1 − p) missing or applied at evaluation, BatchNorm's variance divided by
N − 1 to normalise or by N for the running variance, PyTorch's vs Keras's momentum); #1 (a
parameter gradient averaged over the batch instead of summed); #9 (arrays the student was
given changed in place); plus the mistakes specific to this assignment: a new dropout mask
in backward, BatchNorm's statistics treated as constants in backward, batch statistics at
evaluation time, the L2 gradient λ/2·θ or missing, biases decayed, per-array clipping; and
calls into the package.
"""

from assignments.bank import Alternative, Mistake

P1F, P1B = "a6-p1-forward-tests", "a6-p1-backward-tests"
P2T, P2R = "a6-p2-train-tests", "a6-p2-running-tests"
P3P, P3X = "a6-p3-params-tests", "a6-p3-dx-tests"
P4P, P4G = "a6-p4-penalty-tests", "a6-p4-gradient-tests"
P5 = "a6-p5-tests"

DROPOUT_F, DROPOUT_B = "a6-p1-dropout-forward", "a6-p1-dropout-backward"
BN_F, BN_B = "a6-p2-batchnorm-forward", "a6-p3-batchnorm-backward"
DECAY, CLIP = "a6-p4-l2-weight-decay", "a6-p5-clip-grad-norm"

MISTAKES = [
    # Part 1: dropout (COURSE #12: keep vs drop; the scaling of inverted dropout)
    Mistake("dropout: p used as the keep probability", DROPOUT_F, {P1F},
            edits=[("keep = rng.random(x.shape) >= p", "keep = rng.random(x.shape) < p")]),
    Mistake("dropout: survivors not scaled by 1/(1 - p) in training", DROPOUT_F, {P1F},
            edits=[("return x * keep / (1.0 - p), (keep, p)", "return x * keep, (keep, p)")]),
    Mistake("dropout: scales by (1 - p) at evaluation time as well", DROPOUT_F, {P1F},
            edits=[("return x, None", "return x * (1.0 - p), None")]),
    Mistake("dropout: calls backprop_ref's Dropout layer", DROPOUT_F, {P1F}, body="""
                from backprop_ref.layers import Dropout
                if not train:
                    return x, None
                out, scaled = Dropout(p, rng=rng).forward(x, train=True)
                return out, (scaled != 0, p)
            """),
    Mistake("dropout backward: draws a new mask instead of the cached one", DROPOUT_B, {P1B},
            edits=[("keep, p = cache", "_, p = cache\n    keep = np.random.default_rng().random(dout.shape) >= p")]),
    Mistake("dropout backward: forgets the 1/(1 - p) of the forward pass", DROPOUT_B, {P1B},
            edits=[("dout / (1.0 - p)", "dout")]),
    # Part 2: batch normalisation, forward (COURSE #12: N vs N - 1; momentum; #9 in place)
    Mistake("batchnorm: normalises with the unbiased variance (N - 1)", BN_F, {P2T},
            edits=[("y = gamma * (x - mu) / np.sqrt(var + eps) + beta",
                    "y = gamma * (x - mu) / np.sqrt(var * n / (n - 1) + eps) + beta")]),
    Mistake("batchnorm: running variance from the biased variance (N)", BN_F, {P2R},
            edits=[("momentum * var * n / (n - 1)", "momentum * var")]),
    Mistake("batchnorm: momentum weights the old value (Keras convention)", BN_F, {P2R},
            edits=[("new_mean = (1 - momentum) * running_mean + momentum * mu",
                    "new_mean = momentum * running_mean + (1 - momentum) * mu"),
                   ("new_var = (1 - momentum) * running_var + momentum * var * n / (n - 1)",
                    "new_var = momentum * running_var + (1 - momentum) * var * n / (n - 1)")]),
    Mistake("batchnorm: evaluation mode uses the batch statistics", BN_F, {P2R},
            edits=[("    if not train:\n", "    if not train:\n"
                    "        running_mean, running_var = x.mean(axis=0), x.var(axis=0)\n")]),
    Mistake("batchnorm: updates the running statistics in place", BN_F, {P2R},
            edits=[("new_mean = (1 - momentum) * running_mean + momentum * mu",
                    "running_mean *= 1 - momentum\n    running_mean += momentum * mu\n"
                    "    new_mean = running_mean"),
                   ("new_var = (1 - momentum) * running_var + momentum * var * n / (n - 1)",
                    "running_var *= 1 - momentum\n    running_var += momentum * var * n / (n - 1)\n"
                    "    new_var = running_var")]),
    # Part 3: batch normalisation, backward
    Mistake("batchnorm backward: treats the batch mean and variance as constants", BN_B, {P3X},
            edits=[("dx = (dx_hat - dx_hat.mean(axis=0) - x_hat * (dx_hat * x_hat).mean(axis=0)) / sigma",
                    "dx = dx_hat / sigma")]),
    Mistake("batchnorm backward: forgets the path through the variance", BN_B, {P3X},
            edits=[("dx = (dx_hat - dx_hat.mean(axis=0) - x_hat * (dx_hat * x_hat).mean(axis=0)) / sigma",
                    "dx = (dx_hat - dx_hat.mean(axis=0)) / sigma")]),
    Mistake("batchnorm backward: dbeta averaged over the batch instead of summed", BN_B, {P3P},
            edits=[("dy.sum(axis=0)\n", "dy.mean(axis=0)\n")]),
    Mistake("batchnorm backward: calls backprop_ref's BatchNorm1d", BN_B, {P3P, P3X}, body="""
                from backprop_ref.layers import BatchNorm1d
                bn = BatchNorm1d(x.shape[1], eps=eps)
                bn.params["gamma"][...] = gamma
                _, saved = bn.forward(x, train=True)
                dx, grads = bn.backward(dy, saved)
                return dx, grads["gamma"], grads["beta"]
            """),
    # Part 4: L2 weight decay
    Mistake("weight decay: gradient lambda/2 * theta instead of lambda * theta", DECAY, {P4G},
            edits=[("new_grads[name] = g + lam * theta", "new_grads[name] = g + lam / 2 * theta")]),
    Mistake("weight decay: penalty lambda * ||W||^2, without the 1/2", DECAY, {P4P},
            edits=[("penalty += 0.5 * lam * np.sum(theta ** 2)",
                    "penalty += lam * np.sum(theta ** 2)")]),
    Mistake("weight decay: penalty added to the loss, gradients left unchanged", DECAY, {P4G},
            edits=[("new_grads[name] = g + lam * theta", "new_grads[name] = g")]),
    Mistake("weight decay: biases and other 1-D parameters decayed too", DECAY, {P4P, P4G},
            edits=[("if theta.ndim >= 2:", "if theta.ndim >= 1:")]),
    Mistake("weight decay: adds lambda * theta to grads in place", DECAY, {P4G},
            edits=[("new_grads[name] = g + lam * theta",
                    "g += lam * theta\n            new_grads[name] = g")]),
    # Part 5: clipping by the global norm
    Mistake("clipping: each gradient clipped by its own norm", CLIP, {P5}, body="""
                total_norm = float(np.sqrt(sum(np.sum(g * g) for g in grads.values())))
                clipped = {}
                for name, g in grads.items():
                    own = np.sqrt(np.sum(g * g))
                    clipped[name] = g * min(1.0, max_norm / own) if own > 0 else g.copy()
                return clipped, total_norm
            """),
    Mistake("clipping: always rescales to max_norm, even when below it", CLIP, {P5},
            edits=[("min(1.0, max_norm / total_norm)", "max_norm / total_norm")]),
]

ALTERNATIVES = [
    Alternative("written differently: binomial masks, einsum statistics, a staged graph, "
                "comprehensions, one flat vector", bodies={
                    DROPOUT_F: """
                        if train:
                            keep = rng.binomial(1, 1.0 - p, size=x.shape).astype(bool)
                            scale = 1.0 / (1.0 - p)
                            return np.where(keep, x * scale, 0.0), (keep, p)
                        return x, None
                    """,
                    DROPOUT_B: """
                        return dout if cache is None else dout * cache[0] * (1.0 / (1.0 - cache[1]))
                    """,
                    BN_F: """
                        n = len(x)
                        if train:
                            mu = np.einsum("nd->d", x) / n
                            centred = x - mu
                            var = np.einsum("nd,nd->d", centred, centred) / n
                            unbiased = np.einsum("nd,nd->d", centred, centred) / (n - 1)
                            running = (running_mean + momentum * (mu - running_mean),
                                       running_var + momentum * (unbiased - running_var))
                        else:
                            mu, var, running = running_mean, running_var, (running_mean.copy(),
                                                                            running_var.copy())
                        y = (x - mu) * (gamma / np.sqrt(var + eps)) + beta
                        return (y,) + running
                    """,
                    BN_B: """
                        # the computational graph, one node at a time, then back
                        n = x.shape[0]
                        mu = np.sum(x, axis=0) / n
                        xc = x - mu
                        var = np.sum(xc * xc, axis=0) / n
                        std = np.sqrt(var + eps)
                        x_hat = xc / std
                        dgamma = np.einsum("nd,nd->d", dy, x_hat)
                        dbeta = np.einsum("nd->d", dy)
                        dx_hat = dy * gamma
                        dxc = dx_hat / std
                        dstd = -np.sum(dx_hat * xc, axis=0) / std ** 2
                        dvar = dstd / (2 * std)
                        dxc = dxc + 2 * xc * dvar / n
                        dmu = -np.sum(dxc, axis=0)
                        return dxc + dmu / n, dgamma, dbeta
                    """,
                    DECAY: """
                        weights = [name for name in grads if len(np.shape(params[name])) > 1]
                        penalty = lam / 2 * sum(float(np.vdot(params[k], params[k])) for k in weights)
                        new_grads = dict(grads)
                        new_grads.update({k: grads[k] + lam * params[k] for k in weights})
                        return penalty, new_grads
                    """,
                    CLIP: """
                        flat = np.concatenate([g.ravel() for g in grads.values()])
                        total_norm = float(np.linalg.norm(flat))
                        if total_norm <= max_norm:
                            return {k: g.copy() for k, g in grads.items()}, total_norm
                        return {k: g * (max_norm / total_norm) for k, g in grads.items()}, total_norm
                    """,
                }),
    Alternative("correct, but noisy (warns, divides by zero); PyTorch's clipping epsilon",
                bodies={
        DROPOUT_F: """
            import warnings
            warnings.warn("dropout_forward: drawing a mask")
            if not train:
                return x, None
            keep = rng.random(x.shape) >= p
            return x * keep / (1.0 - p), (keep, p)
        """,
        CLIP: """
            total_norm = float(np.sqrt(sum(np.sum(g * g) for g in grads.values())))
            with np.errstate(divide="warn"):
                factor = np.float64(max_norm) / np.float64(0.0)  # a RuntimeWarning, unused
            factor = min(1.0, max_norm / (total_norm + 1e-6))  # as torch's clip_grad_norm_
            return {name: g * factor for name, g in grads.items()}, total_norm
        """,
    }),
]
