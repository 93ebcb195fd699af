"""Assignment 1, derivatives and numerical gradients: its mistake bank and alternative solutions.

COURSE.md's list, where it applies here: #6 (a missing factor: the 2 of 2h), #9 (an input
changed in place), #10 (trivial inputs that hide bugs: an all-ones upstream gradient, a
check at x = 0); plus the numerical slips of this assignment and two attempts to pass by
calling the package.
"""

from assignments.bank import Alternative, Mistake

P1, P2, P3, P4, P5 = (f"a1-p{i}-tests" for i in range(1, 6))

MISTAKES = [
    # Part 1: central_difference
    Mistake("forward difference", "a1-p1-central-difference", {P1},
            edits=[("(f(x + h) - f(x - h)) / (2 * h)", "(f(x + h) - f(x)) / h")]),
    Mistake("divides by h instead of 2h", "a1-p1-central-difference", {P1},
            edits=[("/ (2 * h)", "/ h")]),
    # Part 2: numerical_gradient
    Mistake("does not restore x after perturbing it", "a1-p2-numerical-gradient", {P2},
            edits=[("        x[idx] = saved                      # restore before moving on\n", "")]),
    Mistake("perturbs a copy of x, so a loss that reads x through a closure never moves",
            "a1-p2-numerical-gradient", {P2}, body="""
                grad = np.zeros(x.shape)
                for i in np.ndindex(x.shape):
                    moved = x.copy()
                    moved[i] = x[i] + h
                    f_plus = f(moved)
                    moved[i] = x[i] - h
                    f_minus = f(moved)
                    grad[i] = (f_plus - f_minus) / (2 * h)
                return grad
            """),
    Mistake("ignores the h it is given", "a1-p2-numerical-gradient", {P2},
            edits=[("def numerical_gradient(f, x, h=1e-5):",
                    "def numerical_gradient(f, x, h=1e-5):\n    h = 1e-5")]),
    Mistake("calls backprop_ref's numerical_gradient", "a1-p2-numerical-gradient", {P2},
            body="""
                from backprop_ref.gradcheck import numerical_gradient as reference
                return reference(f, x, h)
            """),
    # Part 3: relative_error
    Mistake("signed difference: a − n without abs", "a1-p3-relative-error", {P3},
            edits=[("np.max(np.abs(a - n))", "np.max(a - n)")]),
    Mistake("divides by max |n| only", "a1-p3-relative-error", {P3},
            edits=[("max(np.max(np.abs(a)), np.max(np.abs(n)))", "np.max(np.abs(n))")]),
    Mistake("returns nan when both gradients are zero", "a1-p3-relative-error", {P3},
            edits=[("    if scale == 0:\n        return 0.0\n", "")]),
    Mistake("calls backprop_ref's relative_error (imported by name)", "a1-p3-relative-error",
            {P3}, body="""
                from backprop_ref.gradcheck import relative_error as reference
                return reference(a, n)
            """),
    # Part 4: layer_gradcheck
    Mistake("all-ones upstream gradient hides a backward that ignores dout",
            "a1-p4-layer-gradcheck", {P4},
            edits=[("rng.standard_normal(out.shape)", "np.ones(out.shape)")]),
    Mistake("draws dout from the global np.random, not from rng", "a1-p4-layer-gradcheck", {P4},
            edits=[("rng.standard_normal(out.shape)", "np.random.standard_normal(out.shape)")]),
    # Part 5: find_wrong_backward
    Mistake("checks every candidate at x = 0, where some wrong derivatives look right",
            "a1-p5-find-wrong-backward", {P5},
            edits=[("x = rng.standard_normal(shape)", "x = np.zeros(shape)")]),
]

ALTERNATIVES = [
    Alternative("written differently: nditer, an inline vector-Jacobian product, sorted tuples",
                bodies={
                    "a1-p1-central-difference": """
                        forward, backward = f(x + h), f(x - h)
                        return np.subtract(forward, backward) / (h + h)
                    """,
                    "a1-p2-numerical-gradient": """
                        grad = np.empty(x.shape, dtype=np.float64)
                        for i in np.ndindex(x.shape):
                            saved = float(x[i])
                            x[i] = saved + h
                            up = f(x)
                            x[i] = saved - h
                            down = f(x)
                            x[i] = saved
                            grad[i] = 0.5 * (up - down) / h
                        return grad
                    """,
                    "a1-p3-relative-error": """
                        a, n = np.asarray(a, dtype=float), np.asarray(n, dtype=float)
                        worst = np.abs(np.subtract(a, n)).max()
                        biggest = np.maximum(np.abs(a).max(), np.abs(n).max())
                        return 0.0 if biggest == 0 else float(worst / biggest)
                    """,
                    "a1-p4-layer-gradcheck": """
                        out, cache = forward(x)
                        dout = rng.standard_normal(out.shape)
                        dx = backward(dout, cache)
                        numerical = np.zeros_like(x)
                        for i in np.ndindex(*x.shape):
                            old = x[i]
                            x[i] = old + h
                            plus = np.vdot(forward(x)[0], dout)
                            x[i] = old - h
                            minus = np.vdot(forward(x)[0], dout)
                            x[i] = old
                            numerical[i] = (plus - minus) / (2 * h)
                        return relative_error(dx, numerical)
                    """,
                    "a1-p5-find-wrong-backward": """
                        results = [(layer_gradcheck(fwd, bwd, rng.standard_normal(shape), rng), name)
                                   for name, (fwd, bwd) in candidates.items()]
                        return sorted(results)[-1][1]
                    """,
                }),
    Alternative("correct, but noisy: writes to stderr, warns, divides 0 by 0", bodies={
        "a1-p1-central-difference": """
            import os
            import sys
            print(f"central_difference at x={x}", file=sys.stderr)
            os.write(2, b"and straight to file descriptor 2\\n")
            return (f(x + h) - f(x - h)) / (2 * h)
        """,
        "a1-p2-numerical-gradient": """
            import warnings
            warnings.warn("this loop calls f twice per element; it is slow")
            grad = np.zeros(x.shape)
            for i in np.ndindex(x.shape):
                old = x[i]
                x[i] = old + h
                f_plus = f(x)
                x[i] = old - h
                f_minus = f(x)
                x[i] = old
                grad[i] = (f_plus - f_minus) / (2 * h)
            return grad
        """,
        "a1-p3-relative-error": """
            worst = np.max(np.abs(a - n))
            ratio = worst / max(np.max(np.abs(a)), np.max(np.abs(n)))  # 0/0 warns, gives nan
            return 0.0 if np.isnan(ratio) else float(ratio)
        """,
    }),
]
