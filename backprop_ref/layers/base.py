"""The contract every layer keeps.

    out, cache = layer.forward(x, train=False)
    dx, grads = layer.backward(dout, cache)

`forward` returns its output and a cache holding exactly what `backward` needs; `backward`
reads the cache (never `self` state set by forward), changes neither it nor `dout`, and
returns the gradient with respect to the input and a dict of parameter gradients keyed like
`layer.params`. Because gradients are returned, not stored, they never pile up between
calls: there is nothing to zero. `forward` checks x and `backward` checks dout
(`_validate.check_array`, `check_same_shape`): a wrong shape or dtype, an empty batch, nan or
inf raise an error naming the layer, the argument and the fault.
"""

from __future__ import annotations

from typing import Any

import numpy as np

Cache = Any
Grads = dict[str, np.ndarray]


class Layer:
    """Base class: a layer with no parameters unless a subclass adds some to `params`."""

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}

    def forward(self, x: np.ndarray, train: bool = False) -> tuple[np.ndarray, Cache]:
        raise NotImplementedError

    def backward(self, dout: np.ndarray, cache: Cache) -> tuple[np.ndarray, Grads]:
        raise NotImplementedError

    def param_grads(self, dout: np.ndarray, cache: Cache) -> Grads:
        """The parameter gradients alone. A layer whose dx costs real work (Linear) overrides
        this to skip it: the first layer of a network has no one to pass dx to."""
        return self.backward(dout, cache)[1]

    def __call__(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        """The forward output alone, for inference."""
        return self.forward(x, train=train)[0]

    def __repr__(self) -> str:
        shapes = ", ".join(f"{k}={v.shape}" for k, v in self.params.items())
        return f"{type(self).__name__}({shapes})"
