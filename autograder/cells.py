"""A notebook cell's role for nbgrader, read from its metadata (dict cells work too)."""

from __future__ import annotations


def meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def grade_id(cell) -> str | None:
    return meta(cell).get("grade_id")


def is_solution(cell) -> bool:
    return bool(meta(cell).get("solution"))


def is_test(cell) -> bool:
    """A grade cell that is not a solution: the tests of a part."""
    return bool(meta(cell).get("grade")) and not is_solution(cell)


def is_tracked(cell) -> bool:
    """A cell nbgrader knows by its grade id: a solution, a grade cell or a locked cell."""
    m = meta(cell)
    return bool(m.get("grade_id")) and bool(m.get("grade") or m.get("solution") or m.get("locked"))
