"""`python -m bench [--quick]`: check, time and tabulate every contender; see bench/__init__.py."""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from bench import Disagreement, conv, env, mlp_step
from bench.timing import Measurement, format_measurement, round_robin, use_cpu_clock

RESULTS = Path(__file__).resolve().parent / "results" / "latest.md"


def _ratio_cell(ratio: float | None, target: float | None) -> str:
    if ratio is None:
        return "—"
    if target is None:
        return f"{ratio:.2f}"
    return f"{ratio:.2f} {'PASS' if ratio <= target else 'MISS'} (≤ {target:.2f})"


def _time_cell(m: Measurement | None, missing: str) -> str:
    return format_measurement(m) if m is not None else missing


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _machine_cell(busy: bool | None, result: dict[str, Measurement]) -> str:
    """"**busy**" if the GEMM probe found other programs on the cores, "**noisy**" if some
    contender's interquartile range spans more than 1.5×, else "quiet" ("—": no probe)."""
    if busy:
        return "**busy**"
    if any(m.q3 > 1.5 * m.q1 for m in result.values()):
        return "**noisy**"
    return "—" if busy is None else "quiet"


def run_mlp(torch, timing: dict, verdicts: list[bool], probe) -> list[str]:
    rows = ["| MLP training step | dtype | repeats | backprop_ref | NumPy, hand-written | "
            "PyTorch | backprop_ref / NumPy | backprop_ref / PyTorch | machine |",
            "|---|---|---:|---:|---:|---:|---|---|---|"]
    for case in mlp_step.cases():
        dtype = np.dtype(case.dtype).name
        _progress(f"  {case.label}, {dtype}")
        built = mlp_step.build(case, torch)           # raises Disagreement if they differ
        before = probe()
        result = round_robin(built.contenders, **timing)
        busy = None if before is None else before or probe()
        built.check()                                 # the last timed steps agree too
        ours, base, pt = result["backprop_ref"], result["numpy"], result.get("torch")
        vs_numpy = ours.median / base.median
        vs_torch = ours.median / pt.median if pt is not None else None
        shape = (case.d_in, case.hidden, case.d_out, case.batch)
        target_torch = mlp_step.TARGET_VS_TORCH.get(shape)
        verdicts.append(vs_numpy <= mlp_step.TARGET_VS_NUMPY)
        if vs_torch is not None and target_torch is not None:
            verdicts.append(vs_torch <= target_torch)
        rows.append(f"| {case.label} | {dtype} | {ours.repeats} | {format_measurement(ours)} | "
                    f"{format_measurement(base)} | {_time_cell(pt, 'not installed')} | "
                    f"{_ratio_cell(vs_numpy, mlp_step.TARGET_VS_NUMPY)} | "
                    f"{_ratio_cell(vs_torch, target_torch)} | {_machine_cell(busy, result)} |")
    return rows


def run_conv(torch, timing: dict, probe) -> list[str]:
    rows = ["| Conv2d forward + backward | dtype | repeats | backprop_ref | PyTorch | "
            "backprop_ref / PyTorch | machine |",
            "|---|---|---:|---:|---:|---|---|"]
    for case in conv.cases():
        dtype = np.dtype(case.dtype).name
        _progress(f"  {case.label}, {dtype}")
        try:
            contenders = conv.build(case, torch)
        except ImportError as error:
            rows.append(f"| {case.label} | {dtype} | — | not available ({error}) | — | — | — |")
            continue
        before = probe()
        result = round_robin(contenders, **timing)
        busy = None if before is None else before or probe()
        ours, pt = result["backprop_ref"], result.get("torch")
        vs_torch = ours.median / pt.median if pt is not None else None
        rows.append(f"| {case.label} | {dtype} | {ours.repeats} | {format_measurement(ours)} | "
                    f"{_time_cell(pt, 'not installed')} | {_ratio_cell(vs_torch, None)} | "
                    f"{_machine_cell(busy, result)} |")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="a short run (about 0.2 s per contender per size); rougher numbers")
    parser.add_argument("--budget", type=float, default=None, metavar="SECONDS",
                        help="time per contender per size (default 2, or 0.2 with --quick)")
    parser.add_argument("--only", choices=("mlp", "conv"), default=None,
                        help="run one of the two tables")
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    parser.add_argument("--threads", type=int, default=None,
                        help="thread count for every contender (default: NumPy's BLAS default)")
    parser.add_argument("--cpu-time", action="store_true",
                        help="time steps by this thread's CPU time, all contenders on 1 thread: "
                             "steadier on a busy machine, but not wall-clock time")
    parser.add_argument("--output", type=Path, default=RESULTS,
                        help=f"where to write the table (default {RESULTS})")
    args = parser.parse_args(argv)

    budget = args.budget if args.budget is not None else (0.2 if args.quick else 2.0)
    timing = {"budget_s": budget, "max_repeats": 200 if args.quick else 2000,
              "warmup_s": 0.03 if args.quick else 0.2,
              "rounds": 5 if args.quick else 10, "settle_s": 0.02}
    torch = None if args.no_torch else env.torch_or_none()
    if args.cpu_time:
        if args.threads not in (None, 1):
            parser.error("--cpu-time measures one thread: it cannot be used with --threads > 1")
        args.threads = 1
        use_cpu_clock()
    if args.threads is not None:
        env.limit_blas_threads(args.threads)
    threads, threads_source = env.numpy_threads()
    if args.threads is not None:
        threads_source = "--cpu-time" if args.cpu_time else "--threads"
    load_before = env.load_average()
    if torch is not None:
        torch.set_num_threads(threads)

    started = time.perf_counter()
    lines = [f"## Benchmarks ({datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC"
             + (", --quick" if args.quick else "") + ")", ""]
    lines += env.header_lines(threads, threads_source, torch)
    lines.append(env.busy_check(threads)[0])
    lines.append(f"- method: the contenders are first checked to compute the same result; every "
                 f"timed step starts from the same parameters. After a warm-up, each contender "
                 f"runs min({timing['max_repeats']}, {budget:g} s / its step time) timed steps in "
                 f"{timing['rounds']} blocks, the contenders' blocks taking turns (round-robin, "
                 f"order rotating), each block after {timing['settle_s'] * 1e3:.0f} ms of untimed "
                 f"steps so that the previous library's spinning worker threads have stopped. "
                 f"Shown: median time per step (interquartile range); ratios are of medians; "
                 f"\"machine\": **busy** if a GEMM probe just before or after the row found "
                 f"other programs on the cores, **noisy** if a contender's interquartile range "
                 f"spans more than 1.5×; either way the row is unreliable (\"—\": one thread, "
                 f"no probe)."
                 + (" Times are CPU time of the timing thread (`--cpu-time`), not wall time."
                    if args.cpu_time else ""))
    if args.only in (None, "mlp"):
        lines.append(f"- backprop_ref step: `Sequential(Linear, ReLU, Linear)`, "
                     f"`SoftmaxCrossEntropyLoss`, `SGD(lr=0.1).step(grads)`; "
                     f"{mlp_step.backprop_ref_call()}")
    lines.append("")
    verdicts: list[bool] = []

    def probe() -> bool | None:
        return env.looks_busy(threads)

    try:
        if args.only in (None, "mlp"):
            _progress("MLP training step (forward, backward, SGD lr 0.1):")
            lines += run_mlp(torch, timing, verdicts, probe)
            lines.append("")
        if args.only in (None, "conv"):
            _progress("Conv2d forward + backward:")
            lines += run_conv(torch, timing, probe)
            lines.append("")
    except Disagreement as error:
        print(f"python -m bench: {error}", file=sys.stderr)
        return 2
    if verdicts:
        lines.append(f"Targets met: {sum(verdicts)} of {len(verdicts)} "
                     f"(backprop_ref ≤ {mlp_step.TARGET_VS_NUMPY}× hand-written NumPy at every "
                     f"MLP size, ≤ 1.00× PyTorch on the two smaller MLPs).")
    elapsed = time.perf_counter() - started
    probe_after = env.busy_check(threads)[0].removeprefix("- machine state: ")
    lines.append(f"Total run time {elapsed:.0f} s; 1-minute load average {load_before} before, "
                 f"{env.load_average()} after ({os.cpu_count()} logical CPUs: a load above "
                 f"about 1 means other programs competed for them). After the run, "
                 f"{probe_after}{'' if probe_after.endswith('**') else '.'}")
    text = "\n".join(lines) + "\n"
    print(text, end="")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    _progress(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
