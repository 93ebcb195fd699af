"""Reading a notebook's cells: their code, lines and syntax tree (their roles: autograder.cells)."""

from __future__ import annotations

import ast
import re
import warnings

from ..cells import grade_id, is_solution, is_test, meta  # noqa: F401 (used as cells.*)


def label(cell, index: int) -> str:
    """How a finding names a cell: its grade_id, or "cell 7" (1-based, among all cells)."""
    return grade_id(cell) or f"cell {index + 1}"


def source(cell) -> str:
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else str(text)


def lines(text: str) -> list[str]:
    return re.split(r"\r\n|\r|\n", text)


def parse(text: str) -> ast.Module | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning for odd escapes in student strings
            return ast.parse(text)
    except (SyntaxError, ValueError):
        return None
