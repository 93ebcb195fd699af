"""Numbers written in code: literals, their shapes, and the value of constant expressions.

`evaluate` works out the values the visible tests compute (`3 * 2.0 ** 2 + 1e-6`,
`np.cos(0.5)`), `size` the number of elements a call asks for (`10 ** 9`, `(1000, 1000)`);
`is_round` numbers (0, 1, 0.5, 1e-6) are too common to be an answer copied from a test.
"""

from __future__ import annotations

import ast
import math

from .names import dotted


def number(node: ast.AST) -> float | None:
    """The value of a number literal, signed: 0.5, -2, +1e-6."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        inner = number(node.operand)
        return None if inner is None else (-inner if isinstance(node.op, ast.USub) else inner)
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    return None


def int_tuple(node: ast.AST) -> tuple[int, ...] | None:
    """(2, 3) for a tuple literal of integers: a shape."""
    if isinstance(node, ast.Tuple) and node.elts:
        values = [number(e) for e in node.elts]
        if all(type(v) is int for v in values):
            return tuple(values)
    return None


def array_shape(node: ast.AST) -> tuple[int, ...] | None:
    """The shape of a nested list literal of numbers, [[1.0, 2.0], [3.0, 4.0]] -> (2, 2)."""
    if number(node) is not None:
        return ()
    if isinstance(node, (ast.List, ast.Tuple)) and node.elts:
        shapes = {array_shape(e) for e in node.elts}
        if len(shapes) == 1 and None not in shapes:
            return (len(node.elts),) + shapes.pop()
    return None


def is_round(v: float) -> bool:
    """0, ±1, ±2, ±0.5, small integers, powers of ten and tolerance-sized numbers."""
    a = abs(v)
    if a < 1e-4 or a in (0.5, 1.5, 2.5) or (float(v).is_integer() and a <= 10):
        return True
    exponent = math.log10(a)
    return abs(exponent - round(exponent)) < 1e-9


def numbers_in(node: ast.AST) -> list[float]:
    """Every number literal in an expression, a signed one once (-0.5, not also 0.5)."""
    signed = {id(n.operand) for n in ast.walk(node) if isinstance(n, ast.UnaryOp)}
    return [v for child in ast.walk(node) if (v := number(child)) is not None
            and not (isinstance(child, ast.Constant) and id(child) in signed)]


def tuples_in(node: ast.AST) -> list[tuple[int, ...]]:
    return [t for n in ast.walk(node) if (t := int_tuple(n)) is not None]


def size(node: ast.AST) -> float | None:
    """The value of a constant size expression: 10**9, int(1e9), 1 << 30, (1000, 1000, 1000)
    (a shape: its number of elements); math.inf when it overflows."""
    try:
        if (v := number(node)) is not None:
            return v
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Pow, ast.Mult, ast.Add,
                                                                ast.LShift)):
            left, right = size(node.left), size(node.right)
            if left is None or right is None:
                return None
            if isinstance(node.op, ast.Pow):
                return float(left) ** min(float(right), 400.0)
            if isinstance(node.op, ast.LShift):
                return float(left) * 2.0 ** min(float(right), 400.0)
            return left * right if isinstance(node.op, ast.Mult) else left + right
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id in ("int", "float") and len(node.args) == 1:
            return size(node.args[0])
        if isinstance(node, (ast.Tuple, ast.List)) and node.elts:
            values = [size(e) for e in node.elts]
            return None if None in values else math.prod(values)
    except (OverflowError, ValueError):
        return math.inf
    return None


MATH = {name: getattr(math, name) for name in (
    "sin", "cos", "tan", "exp", "log", "sqrt", "tanh", "sinh", "cosh", "atan", "log1p", "expm1")}
MATH.update(arctan=math.atan, arcsin=math.asin, arccos=math.acos)
ARITHMETIC = {ast.Add: float.__add__, ast.Sub: float.__sub__, ast.Mult: float.__mul__,
              ast.Div: float.__truediv__, ast.Pow: float.__pow__}


def evaluate(node: ast.AST) -> float | None:
    """The value of a constant expression of the visible tests: 3 * 2.0 ** 2 + 1e-6, np.cos(0.5)
    (an int if both sides are ints and it is whole, except after a division)."""
    try:
        if (v := number(node)) is not None:
            return v
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            inner = evaluate(node.operand)
            return None if inner is None else -inner
        if isinstance(node, ast.BinOp) and type(node.op) in ARITHMETIC:
            left, right = evaluate(node.left), evaluate(node.right)
            if left is None or right is None or (isinstance(node.op, ast.Pow) and abs(right) > 64):
                return None
            value = ARITHMETIC[type(node.op)](float(left), float(right))
            both_int = type(left) is int and type(right) is int and not isinstance(node.op, ast.Div)
            return int(value) if both_int and value.is_integer() else value
        if isinstance(node, ast.Call) and len(node.args) == 1 and not node.keywords:
            module, _, name = (dotted(node.func) or "").rpartition(".")
            argument = evaluate(node.args[0])
            if module in ("np", "numpy", "math") and name in MATH and argument is not None:
                return MATH[name](argument)
    except (ArithmeticError, ValueError, TypeError):
        return None
    return None
