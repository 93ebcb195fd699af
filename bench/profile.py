"""Where backprop_ref's MLP step spends its time, stage by stage, beside the hand-written one.

    python -m bench.profile [--shape 64,128,10,64] [--dtype float32] [--threads N] [--cpu-time]
                            [--cprofile]

Each stage is timed inside one step (perf_counter between stages; median over the repeats;
every step starts from the same init). The backprop_ref stages call the layers directly;
the whole step through Sequential is timed too, and the difference is Sequential's own cost.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import time

import numpy as np

from bench import env, mlp_step

clock = time.perf_counter


class Laps:
    """Durations of named stages, one row per step."""

    def __init__(self) -> None:
        self.rows: list[list[float]] = []

    def start(self) -> None:
        self.row: list[float] = []
        self.t = clock()

    def lap(self) -> None:
        now = clock()
        self.row.append(now - self.t)
        self.t = now

    def stop(self) -> None:
        self.rows.append(self.row)

    def medians(self) -> np.ndarray:
        return np.median(np.array(self.rows), axis=0)


BP_STAGES = ["Linear 0 forward", "ReLU forward", "Linear 2 forward", "loss forward",
             "loss backward", "Linear 2 backward", "ReLU backward", "Linear 0 backward",
             "SGD.step"]
NP_STAGES = ["z1 = x W1 + b1", "a1 = max(z1, 0)", "z2 = a1 W2 + b2", "softmax, loss",
             "dz2", "dW2, db2, da1", "dz1 = da1 [z1 > 0]", "dW1, db1 (no dx)",
             "4 in-place updates"]


def bp_laps(case: mlp_step.MLPCase, x, y, init, laps: Laps):
    from backprop_ref.layers import Linear, ReLU, Sequential
    from backprop_ref.losses import SoftmaxCrossEntropyLoss
    from backprop_ref.optim import SGD

    net = Sequential(Linear(case.d_in, case.hidden, dtype=case.dtype), ReLU(),
                     Linear(case.hidden, case.d_out, dtype=case.dtype))
    loss_fn, opt = SoftmaxCrossEntropyLoss(), SGD(net.params, lr=mlp_step.LR)
    l0, relu, l2 = net.layers

    def reset() -> None:
        for k in mlp_step.PARAM_NAMES:
            np.copyto(net.params[k], init[k])

    def step() -> None:
        laps.start()
        z1, c0 = l0.forward(x, train=True)
        laps.lap()
        a1, c1 = relu.forward(z1, train=True)
        laps.lap()
        z2, c2 = l2.forward(a1, train=True)
        laps.lap()
        _, lc = loss_fn.forward(z2, y)
        laps.lap()
        dz2 = loss_fn.backward(lc)
        laps.lap()
        da1, g2 = l2.backward(dz2, c2)
        laps.lap()
        dz1, _ = relu.backward(da1, c1)
        laps.lap()
        _, g0 = l0.backward(dz1, c0)
        laps.lap()
        opt.step({"0.W": g0["W"], "0.b": g0["b"], "2.W": g2["W"], "2.b": g2["b"]})
        laps.lap()
        laps.stop()

    return reset, step


def np_laps(case: mlp_step.MLPCase, x, y, init, laps: Laps):
    W1, b1, W2, b2 = (init[k].copy() for k in mlp_step.PARAM_NAMES)
    n, rows, lr = x.shape[0], np.arange(x.shape[0]), mlp_step.LR

    def reset() -> None:
        for p, k in zip((W1, b1, W2, b2), mlp_step.PARAM_NAMES, strict=True):
            np.copyto(p, init[k])

    def step() -> None:
        laps.start()
        z1 = x @ W1
        z1 += b1
        laps.lap()
        a1 = np.maximum(z1, 0)
        laps.lap()
        z2 = a1 @ W2
        z2 += b2
        laps.lap()
        z2 -= z2.max(axis=1, keepdims=True)
        p = np.exp(z2)
        total = p.sum(axis=1, keepdims=True)
        float((np.log(total[:, 0]) - z2[rows, y]).sum()) / n
        laps.lap()
        p /= total
        p[rows, y] -= 1.0
        p *= 1.0 / n
        laps.lap()
        dW2 = a1.T @ p
        db2 = p.sum(axis=0)
        da1 = p @ W2.T
        laps.lap()
        da1 *= z1 > 0
        laps.lap()
        dW1 = x.T @ da1
        db1 = da1.sum(axis=0)
        laps.lap()
        for param, grad in ((W1, dW1), (b1, db1), (W2, dW2), (b2, db2)):
            grad *= lr
            param -= grad
        laps.lap()
        laps.stop()

    return reset, step


def _run(reset, step, repeats: int) -> None:
    for _ in range(repeats):
        reset()
        step()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--shape", default="64,128,10,64", help="D,H,K,N (default 64,128,10,64)")
    parser.add_argument("--dtype", default="float32", choices=("float32", "float64"))
    parser.add_argument("--repeats", type=int, default=0, help="default: about 2 s worth")
    parser.add_argument("--threads", type=int, default=None,
                        help="NumPy BLAS threads (default: NumPy's default)")
    parser.add_argument("--cpu-time", action="store_true",
                        help="this thread's CPU time on 1 thread (steadier on a busy machine)")
    parser.add_argument("--cprofile", action="store_true",
                        help="also print cProfile's top functions of the backprop_ref step")
    args = parser.parse_args(argv)

    global clock
    if args.cpu_time:
        args.threads = 1
        clock = time.thread_time
    if args.threads is not None:
        env.limit_blas_threads(args.threads)
    case = mlp_step.MLPCase(*map(int, args.shape.split(",")), getattr(np, args.dtype))
    built = mlp_step.build(case)
    whole = {c.name: c for c in built.contenders}
    x, y, init = mlp_step.make_problem(case)
    bp, base = Laps(), Laps()
    bp_reset, bp_step = bp_laps(case, x, y, init, bp)
    np_reset, np_step = np_laps(case, x, y, init, base)

    t0 = clock()
    _run(bp_reset, bp_step, 5)
    per_step = (clock() - t0) / 5
    repeats = args.repeats or int(min(2000, max(20, 1.0 / per_step)))
    whole_times = {"backprop_ref": [], "numpy": []}
    gc.disable()
    for _ in range(repeats):  # round-robin, as in the benchmark
        for reset, step in ((bp_reset, bp_step), (np_reset, np_step)):
            reset()
            step()
        for name, c in whole.items():
            c.reset()
            t0 = clock()
            c.step()
            whole_times[name].append(clock() - t0)
    gc.enable()

    us = 1e6
    print(f"{case.label}, {args.dtype}: median of {repeats} steps, µs\n")
    print("| stage | backprop_ref | hand-written NumPy | difference |")
    print("|---|---:|---:|---:|")
    for name, other, a, b in zip(BP_STAGES, NP_STAGES, bp.medians(), base.medians(), strict=True):
        print(f"| {name} / {other} | {a * us:.1f} | {b * us:.1f} | {(a - b) * us:+.1f} |")
    a, b = bp.medians().sum(), base.medians().sum()
    print(f"| sum of stages | {a * us:.1f} | {b * us:.1f} | {(a - b) * us:+.1f} |")
    wa, wb = (float(np.median(whole_times[k])) for k in ("backprop_ref", "numpy"))
    print(f"| whole step as benchmarked (Sequential) | {wa * us:.1f} | {wb * us:.1f} | "
          f"{(wa - wb) * us:+.1f} |")
    print(f"\nSequential's own cost ≈ whole step − sum of stages = {(wa - a) * us:.1f} µs; "
          f"ratio backprop_ref / NumPy = {wa / wb:.3f}")

    if args.cprofile:
        c = whole["backprop_ref"]
        profiler = cProfile.Profile()
        profiler.enable()
        _run(c.reset, c.step, repeats)
        profiler.disable()
        print(f"\ncProfile of {repeats} backprop_ref steps (tottime, top 20):")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(20)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
