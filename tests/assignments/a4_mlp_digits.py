"""Assignment 4, training an MLP on the digits: its mistake bank and alternative solutions.

COURSE.md's list, where it applies here: #1 (a bias gradient averaged instead of summed),
#3 (gradients piling up when they are never reset), #5 (softmax overflow, and its cousin,
the log of a probability that rounded to 0), #6 (1/N missing, or applied twice), #7 (a
transposed weight gradient, silent for the 64 × 64 first layer), #9 (the caller's logits
changed in place), #10 (zero initialisation); plus the slips of this assignment: one-hot
subtraction done wrong, momentum that is lost between steps, updates that never reach the
caller's arrays, batches that are never shuffled or whose labels no longer match, a learning
rate too small to train in time, and a call to the package's layers.

Parts 4 and 5 are graded with the package's versions of the earlier parts (`replace=`), so a
mistake in parts 1–3 costs points in its own part only. Part 5 calls the student's part 4
(the package has no function with its signature), so a part-4 mistake that ruins training
costs both (the transposed dW1 below); one that only slows it down costs part 4 alone.
"""

from assignments.bank import Alternative, Mistake

P1, P2, P3, P4, P5 = (f"a4-p{i}-tests" for i in range(1, 6))
SOFTMAX, BACKWARD, SGD, MLP, TRAIN = (
    "a4-p1-softmax-cross-entropy", "a4-p2-softmax-cross-entropy-backward", "a4-p3-momentum-sgd",
    "a4-p4-mlp-loss-and-grads", "a4-p5-train")

MISTAKES = [
    # Part 1: softmax_cross_entropy
    Mistake("softmax without the max shift: e^1000 overflows", SOFTMAX, {P1},
            edits=[("t = z - np.max(z, axis=1, keepdims=True)", "t = z")]),
    Mistake("shifts by the largest logit of the whole batch, not of each row", SOFTMAX, {P1},
            edits=[("np.max(z, axis=1, keepdims=True)", "np.max(z)")]),
    Mistake("stable softmax, but the loss is log(p), and log 0 = -inf", SOFTMAX, {P1}, body="""
                t = z - np.max(z, axis=1, keepdims=True)
                e = np.exp(t)
                p = e / e.sum(axis=1, keepdims=True)
                return float(-np.mean(np.log(p[np.arange(len(y)), y]))), p
            """),
    Mistake("shifts the caller's logits in place (z -= max)", SOFTMAX, {P1}, body="""
                z -= np.max(z, axis=1, keepdims=True)
                log_p = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
                return float(-np.mean(log_p[np.arange(len(y)), y])), np.exp(log_p)
            """),
    # Part 2: softmax_cross_entropy_backward
    Mistake("gradient of the logits without the 1/N", BACKWARD, {P2},
            edits=[("return dz / n", "return dz")]),
    Mistake("subtracts the label as a number (p - y) instead of a one-hot row", BACKWARD, {P2},
            body="""
                _, p = softmax_cross_entropy(z, y)
                return (p - y[:, np.newaxis]) / len(y)
            """),
    # Part 3: MomentumSGD.step
    Mistake("update with = instead of -=: the caller's arrays never change", SGD, {P3},
            edits=[("theta -= self.lr * v", "theta = theta - self.lr * v")]),
    Mistake("velocity computed into a new array and never stored: momentum is lost", SGD, {P3},
            body="""
                for name, theta in self.params.items():
                    v = self.momentum * self.velocity[name] + grads[name]
                    theta -= self.lr * v
            """),
    # Part 4: mlp_loss_and_grads
    Mistake("bias gradients averaged over the batch: the 1/N applied twice", MLP, {P4},
            edits=[('"b1": delta1.sum(axis=0)', '"b1": delta1.mean(axis=0)'),
                   ('"b2": delta2.sum(axis=0)', '"b2": delta2.mean(axis=0)')]),
    Mistake("transposed dW1 (delta1.T @ X): silent for the square 64 x 64 layer", MLP, {P4, P5},
            edits=[('"W1": X.T @ delta1', '"W1": (delta1.T @ X)')]),
    Mistake("calls backprop_ref's Linear and ReLU layers (allowed in part 5 only)", MLP, {P4},
            body="""
                from backprop_ref.layers import Linear, ReLU, Sequential
                (d, h), k = params["W1"].shape, params["W2"].shape[1]
                first, last = Linear(d, h), Linear(h, k)
                first.params.update(W=params["W1"], b=params["b1"])
                last.params.update(W=params["W2"], b=params["b2"])
                net = Sequential(first, ReLU(), last)
                z2, caches = net.forward(X)
                loss, _ = softmax_cross_entropy(z2, y)
                _, g = net.backward(softmax_cross_entropy_backward(z2, y), caches)
                return loss, {"W1": g["0.W"], "b1": g["0.b"], "W2": g["2.W"], "b2": g["2.b"]}
            """),
    # Part 5: train
    Mistake("never shuffles: on data sorted by label every batch is one digit", TRAIN, {P5},
            edits=[("order = rng.permutation(n)", "order = np.arange(n)")]),
    Mistake("shuffles X and y with two different permutations", TRAIN, {P5},
            edits=[("_, grads = mlp_loss_and_grads(params, X[batch], y[batch])",
                    "labels = rng.permutation(n)[start:start + batch_size]\n"
                    "            _, grads = mlp_loss_and_grads(params, X[batch], y[labels])")]),
    Mistake("weights initialised to zero: the hidden units never differ", TRAIN, {P5},
            edits=[("rng.standard_normal((d, hidden)) * np.sqrt(2.0 / d)", "np.zeros((d, hidden))"),
                   ("rng.standard_normal((hidden, 10)) * np.sqrt(2.0 / hidden)",
                    "np.zeros((hidden, 10))")]),
    Mistake("learning rate 0.001: far too small to train in 20 epochs", TRAIN, {P5},
            edits=[("= 20, 32, 0.2, 0.9", "= 20, 32, 0.001, 0.9")]),
    Mistake("gradients added up over all steps and never reset", TRAIN, {P5}, body="""
                epochs, batch_size, lr, momentum = 20, 32, 0.2, 0.9
                n, d = X.shape
                params = {"W1": rng.standard_normal((d, hidden)) * np.sqrt(2.0 / d),
                          "b1": np.zeros(hidden),
                          "W2": rng.standard_normal((hidden, 10)) * np.sqrt(2.0 / hidden),
                          "b2": np.zeros(10)}
                optimizer = MomentumSGD(params, lr, momentum)
                total = {name: np.zeros_like(theta) for name, theta in params.items()}
                for _ in range(epochs):
                    order = rng.permutation(n)
                    for start in range(0, n, batch_size):
                        batch = order[start:start + batch_size]
                        _, grads = mlp_loss_and_grads(params, X[batch], y[batch])
                        for name in total:
                            total[name] += grads[name]
                        optimizer.step(total)
                return params
            """),
]

ALTERNATIVES = [
    Alternative("written differently: log-sum-exp, np.eye one-hots, einsum, a negative "
                "velocity, array_split batches", bodies={
                    SOFTMAX: """
                        m = z.max(axis=1)
                        lse = m + np.log(np.exp(z - m[:, None]).sum(axis=1))
                        onehot = np.eye(z.shape[1])[y]
                        loss = np.mean(lse - np.einsum("nk,nk->n", onehot, z))
                        return float(loss), np.exp(z - lse[:, None])
                    """,
                    BACKWARD: """
                        onehot = np.eye(z.shape[1])[y]
                        return (softmax_cross_entropy(z, y)[1] - onehot) / z.shape[0]
                    """,
                    SGD: """
                        for name in self.params:  # u = −η v: u ← μ u − η g, θ ← θ + u
                            u = self.velocity[name]
                            np.multiply(u, self.momentum, out=u)
                            u -= self.lr * grads[name]
                            self.params[name] += u
                    """,
                    MLP: """
                        z1 = np.einsum("nd,dh->nh", X, params["W1"]) + params["b1"]
                        on = z1 > 0
                        a1 = z1 * on
                        z2 = np.einsum("nh,hk->nk", a1, params["W2"]) + params["b2"]
                        dz2 = softmax_cross_entropy_backward(z2, y)
                        dz1 = np.where(on, np.einsum("nk,hk->nh", dz2, params["W2"]), 0.0)
                        grads = {"W1": np.einsum("nd,nh->dh", X, dz1), "b1": np.einsum("nh->h", dz1),
                                 "W2": np.einsum("nh,nk->hk", a1, dz2), "b2": np.einsum("nk->k", dz2)}
                        return softmax_cross_entropy(z2, y)[0], grads
                    """,
                    TRAIN: """
                        d = X.shape[1]
                        sizes = [(d, hidden), (hidden, 10)]
                        params = {}
                        for i, (fan_in, fan_out) in enumerate(sizes, start=1):
                            limit = np.sqrt(6.0 / fan_in)  # He's scale, uniform
                            params[f"W{i}"] = rng.uniform(-limit, limit, size=(fan_in, fan_out))
                            params[f"b{i}"] = np.zeros(fan_out)
                        optimizer = MomentumSGD(params, lr=0.1, momentum=0.9)
                        for epoch in range(20):
                            batches = np.array_split(rng.permutation(len(X)), len(X) // 32)
                            for batch in batches:
                                optimizer.step(mlp_loss_and_grads(params, X[batch], y[batch])[1])
                        return params
                    """,
                }),
    Alternative("correct, but noisy, and part 5 built on the package's layers (allowed there)",
                bodies={
                    SOFTMAX: """
                        import warnings
                        warnings.warn("softmax_cross_entropy: computing in float64")
                        n = z.shape[0]
                        t = z - np.max(z, axis=1, keepdims=True)
                        log_p = t - np.log(np.sum(np.exp(t), axis=1))[:, np.newaxis]
                        return float(-np.mean(log_p[np.arange(n), y])), np.exp(log_p)
                    """,
                    SGD: """
                        import sys
                        print(f"step with lr={self.lr}", file=sys.stderr)
                        for name, theta in self.params.items():
                            v = self.velocity[name]
                            v *= self.momentum
                            v += grads[name]
                            theta -= self.lr * v
                    """,
                    TRAIN: """
                        import warnings
                        from backprop_ref.layers import Linear, ReLU, Sequential
                        net = Sequential(Linear(X.shape[1], hidden, rng=rng), ReLU(),
                                         Linear(hidden, 10, rng=rng))
                        ours = {"W1": "0.W", "b1": "0.b", "W2": "2.W", "b2": "2.b"}
                        params = {key: net.params[ours[key]] for key in ours}
                        optimizer = MomentumSGD(params, 0.2, 0.9)
                        for epoch in range(20):
                            order = rng.permutation(len(X))
                            for start in range(0, len(X), 32):
                                batch = order[start:start + 32]
                                z, caches = net.forward(X[batch], train=True)
                                _, g = net.backward(softmax_cross_entropy_backward(z, y[batch]), caches)
                                optimizer.step({key: g[ours[key]] for key in ours})
                            print(f"epoch {epoch + 1}: done")
                        warnings.warn("training finished", RuntimeWarning)
                        return params
                    """,
                }),
]
