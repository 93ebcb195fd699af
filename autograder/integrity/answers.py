"""Hard-coded answers: literals that special-case the visible tests or write in a result.

A literal is a number, a tuple or list of numbers, or `np.array(...)` / `float(...)` of one.
It looks copied when it is a shape or a distinctive number of the visible tests
(`Release.copied`), and written in when a solution returns a specific number or holds a table
of them. Each function says why (the `why` of a "hard-coded" finding), or returns None.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from .literals import array_shape, is_round, number, numbers_in
from .names import mentions
from .release import Release
from .rules import ARRAY_COMPARISONS

Resolve = Callable[[ast.AST], "str | None"]  # Names.resolve: an expression -> its dotted name


def is_literal(node: ast.AST, resolve: Resolve) -> bool:
    """A number, a tuple or list of numbers, or np.array(...) / float(...) of one."""
    if number(node) is not None or array_shape(node) is not None:
        return True
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)) and node.elts:
        return all(is_literal(e, resolve) for e in node.elts)
    if isinstance(node, ast.Call) and len(node.args) == 1 and not node.keywords:
        return (resolve(node.func) in ("numpy.array", "numpy.asarray", "numpy.float64",
                                       "builtins.float", "builtins.int", "builtins.tuple")
                and is_literal(node.args[0], resolve))
    return False


def is_distinctive(node: ast.AST, resolve: Resolve) -> bool:
    """A literal an honest comparison would hardly use: a specific number, several numbers
    (not a shape), or a long bytes string."""
    if isinstance(node, ast.Constant) and isinstance(node.value, bytes) and len(node.value) >= 8:
        return True
    if not is_literal(node, resolve):
        return False
    numbers = numbers_in(node)
    return any(not is_round(v) for v in numbers) or (
        len(numbers) >= 2 and not isinstance(node, ast.Tuple))


def compared(node: ast.Compare, release: Release, resolve: Resolve,
             arguments: set[str]) -> str | None:
    """A comparison with a literal copied from the visible tests (a number counts only where
    an argument is compared: `if x.shape == (2, 3)`, `if a[0] == 10.0`)."""
    operands = [node.left] + node.comparators
    literals = [o for o in operands if is_literal(o, resolve)]
    if not literals or len(literals) == len(operands):
        return None
    on_input = any(mentions(o, arguments) for o in operands)
    for literal in literals:
        if copied := release.copied(literal, numbers=on_input):
            return (f"compares with {copied}: special-casing the visible tests instead of "
                    "computing the answer")
    return None


def returned(value: ast.expr, release: Release, resolve: Resolve, *,
             solution: bool) -> str | None:
    """A returned literal (or a literal in a returned tuple) copied from the visible tests,
    or, in a solution, with a specific number."""
    for v in [*value.elts, value] if isinstance(value, ast.Tuple) else [value]:
        if not is_literal(v, resolve):
            continue
        why = release.copied(v)
        if why is None and solution:
            specific = [n for n in numbers_in(v) if not is_round(n)]
            why = f"the written-in number {specific[0]!r}" if specific else None
        if why:
            return f"returns {why}: an answer written in, not computed"
    return None


def chosen(test: ast.expr, resolve: Resolve, arguments: set[str]) -> tuple[ast.AST, str] | None:
    """The part of a condition that chooses the answer by comparing an argument with
    written-in values (`if n[0] == 0.123456`, `np.allclose(a, [1.0, -4.0])`), and why."""
    if not arguments:
        return None
    for child in ast.walk(test):
        if isinstance(child, ast.Call) and resolve(child.func) in ARRAY_COMPARISONS:
            operands = child.args
            how = f"{resolve(child.func)} compares an argument with written-in values"
        elif isinstance(child, ast.Compare):
            operands = [child.left] + child.comparators
            how = "compares an argument with a specific value"
        else:
            continue
        if any(mentions(o, arguments) for o in operands) \
                and any(is_distinctive(o, resolve) for o in operands):
            return child, f"{how} to choose what to return: special-casing particular inputs"
    return None


def table(node: ast.List | ast.Tuple) -> str | None:
    """A list literal of four or more specific numbers (in a solution: a table of answers)."""
    if array_shape(node) is None:
        return None
    floats = [v for v in numbers_in(node) if isinstance(v, float) and not is_round(v)]
    if len(floats) < 4:
        return None
    return (f"a literal with {len(floats)} specific numbers in a solution: answers written in "
            "rather than computed?")
