"""A chain of layers: forward left to right, backward right to left."""

from __future__ import annotations

from typing import Iterator

import numpy as np

from backprop_ref.layers.base import Grads, Layer


class Sequential(Layer):
    """out = f_L(... f_2(f_1(x))); backward applies each layer's backward in reverse order.

    `params` holds every layer's parameter arrays (the arrays themselves, so an optimizer
    updating them in place updates the layers) under keys "<index>.<name>", e.g. "0.W";
    `backward` returns gradients under the same keys.
    Shapes: those of the first layer's input and the last layer's output.
    """

    def __init__(self, *layers: Layer) -> None:
        super().__init__()
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"Sequential: item {i} is {type(layer).__name__}, not a Layer")
        self.layers = list(layers)
        self.params = {f"{i}.{k}": v for i, layer in enumerate(self.layers)
                       for k, v in layer.params.items()}

    def forward(self, x: np.ndarray, train: bool = False) -> tuple[np.ndarray, list]:
        caches = []
        for layer in self.layers:
            x, cache = layer.forward(x, train=train)
            caches.append(cache)
        return x, caches

    def backward(self, dout: np.ndarray, caches: list,
                 need_dx: bool = True) -> tuple[np.ndarray | None, Grads]:
        """Each layer's backward, last to first. With need_dx=False (a training step, which
        discards the input's gradient) the first layer computes its parameter gradients only,
        and dx is None."""
        if len(caches) != len(self.layers):
            raise ValueError(f"Sequential.backward: expected {len(self.layers)} caches (one per "
                             f"layer), got {len(caches)}")
        grads: Grads = {}
        for i in range(len(self.layers) - 1, -1, -1):
            if i == 0 and not need_dx:
                dout, layer_grads = None, self.layers[0].param_grads(dout, caches[0])
            else:
                dout, layer_grads = self.layers[i].backward(dout, caches[i])
            for k, g in layer_grads.items():
                grads[f"{i}.{k}"] = g
        return dout, grads

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
