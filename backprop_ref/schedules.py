"""Learning-rate schedules: small frozen dataclasses, each a callable t -> lr.

t counts from 0 and is an integer: an epoch or a step, whichever the training loop passes.
A schedule does not touch the optimizer; the loop sets the learning rate itself:

    schedule = LinearWarmup(CosineAnnealing(0.1, total_steps=100), warmup_steps=5)
    for t in range(100):
        opt.lr = schedule(t)
        ...
"""

from __future__ import annotations

import math
import numbers
import operator
from dataclasses import dataclass
from typing import Callable, Union

Schedule = Callable[[int], float]


@dataclass(frozen=True)
class Constant:
    """lr(t) = lr."""

    lr: float

    def __post_init__(self) -> None:
        _rate("Constant", "lr", self.lr)

    def __call__(self, t: int) -> float:
        _step("Constant", t)
        return float(self.lr)


@dataclass(frozen=True)
class StepDecay:
    """lr(t) = lr0 * gamma^floor(t / step_size): multiply by gamma every step_size steps."""

    lr0: float
    step_size: int
    gamma: float

    def __post_init__(self) -> None:
        _rate("StepDecay", "lr0", self.lr0)
        _count("StepDecay", "step_size", self.step_size, low=1)
        _factor("StepDecay", self.gamma)

    def __call__(self, t: int) -> float:
        t = _step("StepDecay", t)
        return float(self.lr0 * self.gamma ** (t // self.step_size))


@dataclass(frozen=True)
class ExponentialDecay:
    """lr(t) = lr0 * gamma^t."""

    lr0: float
    gamma: float

    def __post_init__(self) -> None:
        _rate("ExponentialDecay", "lr0", self.lr0)
        _factor("ExponentialDecay", self.gamma)

    def __call__(self, t: int) -> float:
        t = _step("ExponentialDecay", t)
        return float(self.lr0 * self.gamma ** t)


@dataclass(frozen=True)
class CosineAnnealing:
    """lr(t) = lr_min + (lr0 - lr_min) (1 + cos(pi t / T)) / 2 for t < T, lr_min for t >= T.

    T = total_steps: lr(0) = lr0, lr(T/2) is the midpoint, lr(T) = lr_min (the curve is
    continuous there), as in torch.optim.lr_scheduler.CosineAnnealingLR with T_max = T.
    """

    lr0: float
    total_steps: int
    lr_min: float = 0.0

    def __post_init__(self) -> None:
        _rate("CosineAnnealing", "lr0", self.lr0)
        _count("CosineAnnealing", "total_steps", self.total_steps, low=1)
        _rate("CosineAnnealing", "lr_min", self.lr_min)
        if self.lr_min > self.lr0:
            raise ValueError(f"CosineAnnealing: expected lr_min <= lr0, got "
                             f"lr_min={self.lr_min!r} > lr0={self.lr0!r}")

    def __call__(self, t: int) -> float:
        t = _step("CosineAnnealing", t)
        if t >= self.total_steps:
            return float(self.lr_min)
        cos = math.cos(math.pi * t / self.total_steps)
        return float(self.lr_min + (self.lr0 - self.lr_min) * (1.0 + cos) / 2.0)


@dataclass(frozen=True)
class LinearWarmup:
    """lr(t) = schedule(t) * min(1, (t + 1) / W), W = warmup_steps.

    The warm-up scales the first W values of the wrapped schedule, on the same clock:
    lr(0) = schedule(0) / W, rising linearly to lr(W - 1) = schedule(W - 1); from then on
    lr(t) = schedule(t). `schedule` may be a float (a constant rate); W = 0 means no warm-up.
    """

    schedule: Union[Schedule, float]
    warmup_steps: int

    def __post_init__(self) -> None:
        if not callable(self.schedule):
            _rate("LinearWarmup", "schedule", self.schedule)
            object.__setattr__(self, "schedule", Constant(self.schedule))
        _count("LinearWarmup", "warmup_steps", self.warmup_steps, low=0)

    def __call__(self, t: int) -> float:
        t = _step("LinearWarmup", t)
        lr = self.schedule(t)
        _rate("LinearWarmup", f"schedule({t})", lr)  # a wrapped callable may return anything
        lr = float(lr)
        if t + 1 < self.warmup_steps:
            lr *= (t + 1) / self.warmup_steps
        return lr


def _step(where: str, t: int) -> int:
    try:
        if isinstance(t, bool):
            raise TypeError
        t = operator.index(t)
    except TypeError:
        raise ValueError(f"{where}: expected an integer step t >= 0, got {t!r}") from None
    if t < 0:
        raise ValueError(f"{where}: expected a step t >= 0, got {t}")
    return t


def _rate(where: str, name: str, value: float) -> None:
    """Raise unless `value` is a finite real number >= 0 (so nan and inf are refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) \
            or not 0.0 <= value < math.inf:
        raise ValueError(f"{where}: expected {name} to be a learning rate >= 0, got {value!r}")


def _count(where: str, name: str, value: int, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(f"{where}: expected {name} to be an integer >= {low}, got {value!r}")


def _factor(where: str, gamma: float) -> None:
    if isinstance(gamma, bool) or not isinstance(gamma, numbers.Real) or not 0.0 < gamma <= 1.0:
        raise ValueError(f"{where}: expected a decay factor gamma in (0, 1], got {gamma!r}")
