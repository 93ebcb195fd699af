"""Round-robin timing: the contenders take turns, so machine noise hits all of them alike.

    results = round_robin([Contender("a", step_a, reset_a), ...], budget_s=2.0)
    results["a"].median, results["a"].q1, results["a"].q3     # seconds per step

Each step is timed alone (`time.perf_counter` around one call); `reset` runs untimed just
before each step, so that every timed step starts from the same state (the same parameters).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass
class Contender:
    """One implementation of the step being measured; `reset` (untimed) restores its state."""

    name: str
    step: Callable[[], object]
    reset: Callable[[], None] = lambda: None


@dataclass
class Measurement:
    """Per-step times in seconds, in the order they were taken."""

    times: np.ndarray

    @property
    def median(self) -> float:
        return float(np.median(self.times))

    @property
    def q1(self) -> float:
        return float(np.percentile(self.times, 25))

    @property
    def q3(self) -> float:
        return float(np.percentile(self.times, 75))

    @property
    def repeats(self) -> int:
        return len(self.times)


# The clock of timed steps: wall time by default; `use_cpu_clock()` switches to this thread's
# CPU time (time.thread_time), which a busy machine does not inflate, valid with 1 thread only.
_clock = time.perf_counter


def use_cpu_clock() -> None:
    global _clock
    _clock = time.thread_time


def _timed(contender: Contender) -> float:
    contender.reset()
    t0 = _clock()
    contender.step()
    return _clock() - t0


def round_robin(contenders: list[Contender], *, budget_s: float = 2.0, max_repeats: int = 2000,
                rounds: int = 10, settle_s: float = 0.02, warmup_s: float = 0.2,
                min_repeats: int = 5) -> dict[str, Measurement]:
    """Time each contender in `rounds` blocks of steps, the contenders' blocks alternating.

    Each contender gets repeats = min(max_repeats, budget_s / its step time) timed steps,
    split evenly over the rounds; the order of contenders rotates from round to round.
    Blocks rather than single steps because the libraries' worker threads keep spinning for
    a while after a call (libgomp, OpenBLAS) and would slow down whichever library runs next
    on 2 cores: each block starts with `settle_s` of untimed steps (at least one).
    Warm-up: about `warmup_s` of untimed steps per contender (at least 3).
    Deadline: on a busy machine, stops after 2 × budget_s × len(contenders) seconds of
    rounds once each contender has `min_repeats` steps. The garbage collector is off while
    timing.
    """
    typical = []
    for c in contenders:
        start, warm = time.perf_counter(), []
        while len(warm) < 3 or time.perf_counter() - start < warmup_s:
            warm.append(_timed(c))
        typical.append(float(np.median(warm)))
    totals = [int(max(min_repeats, min(max_repeats, budget_s / max(t, 1e-9)))) for t in typical]
    n_rounds = max(1, min(rounds, min(totals)))
    per_block = [-(-total // n_rounds) for total in totals]  # ceil

    times: list[list[float]] = [[] for _ in contenders]
    deadline = time.perf_counter() + 2.0 * budget_s * len(contenders)
    gc.collect()
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        k = len(contenders)
        for r in range(n_rounds):
            for j in range(k):
                i = (r + j) % k
                c = contenders[i]
                settled = time.perf_counter() + settle_s
                while True:
                    _timed(c)
                    if time.perf_counter() >= settled:
                        break
                times[i].extend(_timed(c) for _ in range(per_block[i]))
            if time.perf_counter() > deadline and min(map(len, times)) >= min_repeats:
                break
    finally:
        if gc_was_enabled:
            gc.enable()
    return {c.name: Measurement(np.array(times[i])) for i, c in enumerate(contenders)}


def _num(v: float) -> str:
    """3 significant digits without exponent: 0.281, 71.3, 1010."""
    return f"{v:.0f}" if v >= 100 else f"{v:.3g}"


def format_measurement(m: Measurement) -> str:
    """Median and interquartile range in the median's unit, e.g. '71.3 µs (70.2–73.0)'."""
    if m.median < 1e-3:
        scale, unit = 1e6, "µs"
    elif m.median < 1.0:
        scale, unit = 1e3, "ms"
    else:
        scale, unit = 1.0, "s"
    return f"{_num(m.median * scale)} {unit} ({_num(m.q1 * scale)}–{_num(m.q3 * scale)})"
