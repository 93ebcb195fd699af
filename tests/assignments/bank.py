"""Mistakes and alternative solutions, as data: changes applied to a copy of the solution.

A change names a solution cell by its id (= its nbgrader grade_id) and says how to change it:

    body="..."            new code for the region between ### BEGIN SOLUTION and
                          ### END SOLUTION (written unindented; indented like the region)
    edits=[(old, new)]    replacements in the cell's code; each `old` must occur exactly once

A `Mistake` changes one solution cell and lists the grade cells that must lose points: every
other grade cell must keep full marks. An `Alternative` is a correct solution written
differently, possibly over several cells, and must score full marks.
"""

from __future__ import annotations

import copy
import re
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import nbformat

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"


@dataclass(frozen=True)
class Change:
    body: str | None = None
    edits: Sequence[tuple[str, str]] = ()

    def apply(self, cell_id: str, source: str) -> str:
        if (self.body is None) == (not self.edits):
            raise ValueError(f"cell {cell_id}: give either body= or edits=, not both or neither")
        if self.body is not None:
            return replace_solution_region(cell_id, source, self.body)
        for old, new in self.edits:
            if source.count(old) != 1:
                raise ValueError(f"cell {cell_id}: expected {old!r} exactly once in the solution "
                                 f"cell, found it {source.count(old)} times; update the bank")
            source = source.replace(old, new)
        return source


@dataclass(frozen=True)
class Mistake:
    """A common mistake in the solution cell `cell`; it must cost points on `breaks` only."""

    name: str
    cell: str
    breaks: frozenset[str] | set[str]
    body: str | None = None
    edits: Sequence[tuple[str, str]] = ()

    @property
    def changes(self) -> dict[str, Change]:
        return {self.cell: Change(self.body, tuple(self.edits))}


@dataclass(frozen=True)
class Alternative:
    """A correct solution written differently: new bodies for some solution cells."""

    name: str
    bodies: Mapping[str, str] = field(default_factory=dict)
    breaks: frozenset[str] = frozenset()

    @property
    def changes(self) -> dict[str, Change]:
        return {cell: Change(body=body) for cell, body in self.bodies.items()}


def replace_solution_region(cell_id: str, source: str, body: str) -> str:
    lines = source.split("\n")
    starts = [i for i, line in enumerate(lines) if line.strip() == BEGIN]
    ends = [i for i, line in enumerate(lines) if line.strip() == END]
    if len(starts) != 1 or len(ends) != 1 or ends[0] < starts[0]:
        raise ValueError(f"cell {cell_id}: expected one {BEGIN} ... {END} region")
    indent = re.match(r"\s*", lines[starts[0]]).group(0)
    new = [indent + line if line.strip() else "" for line in
           textwrap.dedent(body).strip("\n").split("\n")]
    return "\n".join(lines[:starts[0] + 1] + new + lines[ends[0]:])


def strip_markers(source: str) -> str:
    """What a student would hand in: the solution without nbgrader's markers."""
    return "\n".join(line for line in source.split("\n") if line.strip() not in (BEGIN, END))


def grade_id(cell: nbformat.NotebookNode) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def is_solution(cell: nbformat.NotebookNode) -> bool:
    meta = cell.metadata.get("nbgrader", {})
    return bool(meta.get("solution")) and not meta.get("grade")


def is_graded(cell: nbformat.NotebookNode) -> bool:
    return bool(cell.metadata.get("nbgrader", {}).get("grade"))


def student_notebook(released: nbformat.NotebookNode, source: nbformat.NotebookNode,
                     changes: Mapping[str, Change] | None = None) -> nbformat.NotebookNode:
    """The released notebook with every solution cell filled in from `source`, then changed."""
    changes = dict(changes or {})
    solutions = {grade_id(c): c.source for c in source.cells if is_solution(c)}
    unknown = set(changes) - set(solutions)
    if unknown:
        raise ValueError(f"no solution cell with id {sorted(unknown)}; solution cells are "
                         f"{sorted(solutions)}")
    nb = copy.deepcopy(released)
    for cell in nb.cells:
        if is_solution(cell):
            cell_id = grade_id(cell)
            text = solutions[cell_id]
            if cell_id in changes:
                text = changes[cell_id].apply(cell_id, text)
            cell.source = strip_markers(text)
    return nb
