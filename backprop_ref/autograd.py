"""A scalar reverse-mode autograd engine: every number remembers how it was made.

    dL/dx = Σ over the uses u of x:  dL/du · du/dx     (the chain rule, summed over paths)

Each operation builds its output `Value` and, right beside it, a closure `_backward` holding
its local chain rule. The closure ACCUMULATES (`+=`) into its inputs' `grad`, because an input
used twice (`a + a`, `x * x`, a diamond) receives one contribution per use. `backward()` runs
the closures from the output back to the inputs, in reverse topological order.

Gradients of leaves (inputs and parameters, the nodes no operation made) accumulate across
calls of `backward()`, as PyTorch's `.grad` does: two calls without `zero_grad()` in between
give twice the gradient. Interior nodes hold the gradient of the latest call only.

Every Value holds a finite number: nan or inf as data raises ValueError, and an operation
whose result overflows float64 raises OverflowError naming the operation and its inputs.
"""

from __future__ import annotations

import math
from typing import Callable, Union

import numpy as np

Number = Union[int, float, np.floating]


def _is_number(x: object) -> bool:
    # bool is an int to Python, but `x + True` is almost always a bug: refuse it.
    return isinstance(x, (int, float, np.floating)) and not isinstance(x, bool)


class Value:
    """One scalar of a computation, its gradient dL/d(self), and how it was computed.

    Shapes: `data` and `grad` are Python floats. Values compare and hash by identity.
    """

    __slots__ = ("data", "grad", "label", "_prev", "_op", "_backward")
    __array_ufunc__ = None  # `np.float32(2) * x` defers to Value.__rmul__ (no object arrays)

    def __init__(self, data: Number, label: str = "", *, _children: tuple[Value, ...] = (),
                 _op: str = "") -> None:
        if not _is_number(data):
            raise TypeError(f"Value: expected data to be an int or float, "
                            f"got {type(data).__name__}")
        data = float(data)
        if not math.isfinite(data):
            if not _op:
                raise ValueError(f"Value: expected data to be a finite number, got {data}")
            inputs = ", ".join(repr(c.data) for c in _children)
            if all(math.isfinite(c.data) for c in _children):  # a result too large for float64
                raise OverflowError(f"Value {_op}: the result of {_op} on {inputs} overflows "
                                    f"float64 (it would be {data})")
            raise ValueError(f"Value {_op}: an input is not finite ({inputs}); was a Value's "
                             f".data set to nan or inf?")
        if not isinstance(label, str):
            raise TypeError(f"Value: expected label to be a str, got {type(label).__name__}")
        self.data = data
        self.grad = 0.0
        self.label = label
        self._prev = _children
        self._op = _op
        self._backward: Callable[[], None] = lambda: None  # a leaf passes nothing on

    def _lift(self, other: object, op: str) -> Value:
        if isinstance(other, Value):
            return other
        if _is_number(other):
            if not math.isfinite(other):
                raise ValueError(f"Value {op}: expected a finite operand, got {other}")
            return Value(other)
        raise TypeError(f"Value {op}: expected a Value, int or float operand, "
                        f"got {type(other).__name__}")

    # ---- primitives: each has its own local derivative -----------------------------------
    def __add__(self, other: Value | Number) -> Value:
        other = self._lift(other, "+")
        out = Value(self.data + other.data, _children=(self, other), _op="+")

        def _backward() -> None:  # d(a + b)/da = 1, d(a + b)/db = 1
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other: Value | Number) -> Value:
        other = self._lift(other, "*")
        out = Value(self.data * other.data, _children=(self, other), _op="*")

        def _backward() -> None:  # d(a b)/da = b, d(a b)/db = a
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def __pow__(self, k: Number) -> Value:
        if not _is_number(k):
            raise TypeError(f"Value **: expected the exponent to be an int or float, got "
                            f"{type(k).__name__} (a Value exponent is not supported)")
        k = float(k)
        if not math.isfinite(k):
            raise ValueError(f"Value **: expected a finite exponent, got {k}")
        if self.data == 0.0 and k < 0:
            raise ZeroDivisionError(f"Value **: {self!r} raised to the negative power {k:g}")
        if self.data < 0.0 and not k.is_integer():
            raise ValueError(f"Value **: {self!r} raised to the non-integer power {k:g} "
                             f"is not real")
        try:
            out = Value(self.data ** k, _children=(self,), _op=f"**{k:g}")
        except OverflowError:
            raise OverflowError(f"Value **: {self!r} ** {k:g} overflows float64") from None
        # d(x^k)/dx = k x^(k-1); k = 0 is a constant; 0 < k < 1 at x = 0 has slope +inf
        if k == 0.0:
            dlocal = 0.0
        elif self.data == 0.0 and k < 1.0:
            dlocal = math.inf
        else:
            try:
                dlocal = k * self.data ** (k - 1.0)
            except OverflowError:  # x^(k-1) = x^k / x, which rounds to ±inf instead
                dlocal = k * out.data / self.data

        def _backward() -> None:
            self.grad += dlocal * out.grad
        out._backward = _backward
        return out

    def exp(self) -> Value:
        try:
            e = math.exp(self.data)
        except OverflowError:
            raise OverflowError(f"exp: exp of {self!r} overflows float64") from None
        out = Value(e, _children=(self,), _op="exp")

        def _backward() -> None:  # d(e^x)/dx = e^x
            self.grad += out.data * out.grad
        out._backward = _backward
        return out

    def log(self) -> Value:
        if not self.data > 0.0:
            raise ValueError(f"log: expected a positive value, got {self!r}")
        out = Value(math.log(self.data), _children=(self,), _op="log")

        def _backward() -> None:  # d(ln x)/dx = 1/x
            self.grad += out.grad / self.data
        out._backward = _backward
        return out

    def tanh(self) -> Value:
        t = math.tanh(self.data)
        out = Value(t, _children=(self,), _op="tanh")

        def _backward() -> None:  # d(tanh x)/dx = 1 - tanh(x)^2
            self.grad += (1.0 - t * t) * out.grad
        out._backward = _backward
        return out

    def sigmoid(self) -> Value:
        # σ(x) = 1/(1 + e^-x) = e^x/(1 + e^x); exponentiate only -|x| so nothing overflows
        if self.data >= 0.0:
            s = 1.0 / (1.0 + math.exp(-self.data))
        else:
            e = math.exp(self.data)
            s = e / (1.0 + e)
        out = Value(s, _children=(self,), _op="sigmoid")

        def _backward() -> None:  # dσ/dx = σ(x)(1 - σ(x)), σ of the input, not the input
            self.grad += s * (1.0 - s) * out.grad
        out._backward = _backward
        return out

    def relu(self) -> Value:
        out = Value(0.0 if self.data <= 0.0 else self.data, _children=(self,), _op="relu")

        def _backward() -> None:  # d relu(x)/dx = 1 if x > 0 else 0 (0 at the kink)
            self.grad += (1.0 if self.data > 0.0 else 0.0) * out.grad
        out._backward = _backward
        return out

    # ---- derived operations: no backward of their own ------------------------------------
    def __neg__(self) -> Value:  # -a = a · (-1)
        return self * -1

    def __sub__(self, other: Value | Number) -> Value:  # a - b = a + (-b)
        return self + (-self._lift(other, "-"))

    def __truediv__(self, other: Value | Number) -> Value:  # a / b = a · b^-1
        return self * self._lift(other, "/") ** -1

    def __radd__(self, other: Number) -> Value:  # 2 + x
        return self + other

    def __rmul__(self, other: Number) -> Value:  # 2 * x
        return self * other

    def __rsub__(self, other: Number) -> Value:  # 2 - x = 2 + (-x)
        return self._lift(other, "-") + (-self)

    def __rtruediv__(self, other: Number) -> Value:  # 2 / x = 2 · x^-1
        return self._lift(other, "/") * self ** -1

    # ---- the backward pass ---------------------------------------------------------------
    def backward(self) -> None:
        """dself/dnode for every node this one depends on, added to the leaves' grad.

        Sets self.grad to 1, resets the other interior nodes to 0 (their grad is this pass's
        upstream gradient), then runs each node's closure after every node that uses it.
        Leaves keep what they had: call `zero_grad()` between independent passes.
        """
        order = topological_order(self)
        for node in order:
            if node._prev:
                node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            node._backward()

    def zero_grad(self) -> None:
        """Set grad to 0 on this node and every node it depends on."""
        for node in topological_order(self):
            node.grad = 0.0

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"


def topological_order(root: Value) -> list[Value]:
    """Every node `root` depends on, each after all of its inputs; `root` comes last.

    An iterative depth-first search with an explicit stack, so a chain of 100,000 nodes
    works (a recursive one stops at Python's recursion limit, about 1,000). Each node is
    pushed at most once per parent and listed once, however often it is reused.
    """
    order: list[Value] = []
    visited: set[Value] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:  # everything below it on the graph is already listed
            order.append(node)
        elif node not in visited:
            visited.add(node)
            stack.append((node, True))
            for child in reversed(node._prev):  # first input on top: visited first
                if child not in visited:
                    stack.append((child, False))
    return order
