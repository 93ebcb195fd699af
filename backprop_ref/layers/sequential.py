"""A chain of layers: forward left to right, backward right to left."""

from __future__ import annotations

from typing import Iterator

import numpy as np

from backprop_ref._validate import skip_finite_checks
from backprop_ref.layers.base import Grads, Layer


class Sequential(Layer):
    """out = f_L(... f_2(f_1(x))); backward applies each layer's backward in reverse order.

    `params` holds every layer's parameter arrays (the arrays themselves, so an optimizer
    updating them in place updates the layers) under keys "<index>.<name>", e.g. "0.W";
    `backward` returns gradients under the same keys. The first layer checks x and the last
    one dout, nan and inf included; the layers in between get arrays computed here from
    those, and check only their shapes (an overflow in between shows up in the loss).
    Shapes: those of the first layer's input and the last layer's output.
    """

    def __init__(self, *layers: Layer) -> None:
        super().__init__()
        if not layers:
            raise ValueError("Sequential: expected at least one layer, got none")
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"Sequential: item {i} is {type(layer).__name__}, not a Layer")
        self.layers = list(layers)
        self.params = {f"{i}.{k}": v for i, layer in enumerate(self.layers)
                       for k, v in layer.params.items()}

    def forward(self, x: np.ndarray, train: bool = False) -> tuple[np.ndarray, list]:
        caches: list = []
        try:
            x, cache = self.layers[0].forward(x, train=train)
            caches.append(cache)
            with skip_finite_checks():  # x was checked; the rest is computed from it
                for layer in self.layers[1:]:
                    x, cache = layer.forward(x, train=train)
                    caches.append(cache)
        except Exception as err:  # say which layer, e.g. one whose input size is wrong
            self._note(err, "forward", len(caches))
            raise
        return x, caches

    def backward(self, dout: np.ndarray, caches: list,
                 need_dx: bool = True) -> tuple[np.ndarray | None, Grads]:
        """Each layer's backward, last to first. With need_dx=False (a training step, which
        discards the input's gradient) the first layer computes its parameter gradients only,
        and dx is None."""
        if not isinstance(caches, (list, tuple)) or len(caches) != len(self.layers):
            got = len(caches) if isinstance(caches, (list, tuple)) else type(caches).__name__
            raise ValueError(f"Sequential.backward: expected {len(self.layers)} caches (one per "
                             f"layer, the list forward returned), got {got}")
        grads: Grads = {}
        i = len(self.layers) - 1
        try:
            dout = self._backward_layer(i, dout, caches[i], need_dx, grads)
            with skip_finite_checks():  # dout was checked; the rest is computed from it
                for i in range(i - 1, -1, -1):
                    dout = self._backward_layer(i, dout, caches[i], need_dx, grads)
        except Exception as err:
            self._note(err, "backward", i)
            raise
        return dout, grads

    def _backward_layer(self, i: int, dout: np.ndarray, cache: object, need_dx: bool,
                        grads: Grads) -> np.ndarray | None:
        """Layer i's backward; its parameter gradients go into `grads` as "<i>.<name>"."""
        if i == 0 and not need_dx:
            dout, layer_grads = None, self.layers[0].param_grads(dout, cache)
        else:
            dout, layer_grads = self.layers[i].backward(dout, cache)
        for k, g in layer_grads.items():
            grads[f"{i}.{k}"] = g
        return dout

    def _note(self, err: Exception, method: str, i: int) -> None:
        """Add a note to `err` naming the layer it came from (shown below the message)."""
        name = repr(self.layers[i])
        name = name if "\n" not in name else type(self.layers[i]).__name__
        err.add_note(f"(raised in Sequential.{method} by layer {i}, {name})")

    def param_grads(self, dout: np.ndarray, caches: list) -> Grads:
        return self.backward(dout, caches, need_dx=False)[1]

    def __getitem__(self, i: int) -> Layer:
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Layer]:
        return iter(self.layers)

    def __repr__(self) -> str:
        inner = ",\n".join(f"  ({i}) {layer!r}" for i, layer in enumerate(self.layers))
        return f"Sequential(\n{inner}\n)"
