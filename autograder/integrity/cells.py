"""Reading a notebook: each cell's nbgrader role and code, and why a file is not a notebook."""

from __future__ import annotations

import ast
import re
import warnings



def meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def grade_id(cell) -> str | None:
    return meta(cell).get("grade_id")


def is_solution(cell) -> bool:
    return bool(meta(cell).get("solution"))


def is_test(cell) -> bool:
    return bool(meta(cell).get("grade")) and not is_solution(cell)


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
