"""Repairs to a submitted notebook's structure, before nbgrader restores its locked cells.

Students copy, move and retype cells. nbgrader restores a test cell that was edited, retyped
(to Markdown) or deleted, but two other changes defeat it:

- a copied nbgrader cell has the same grade id twice: nbgrader's DeduplicateIds empties the
  copy's metadata, and OverwriteCells then fails the whole notebook on it (KeyError
  'grade_id', nbgrader #1083). Here the last copy keeps the metadata, as in nbgrader, and the
  others become ordinary cells, so the submission is graded;
- a test cell moved above the cell it tests fails for a reason that has nothing to do with the
  answer. Here it goes back to just after that cell.

`RepairStructure` takes the place of DeduplicateIds in `Autograde.sanitize_preprocessors`.
Every repair is logged with the words "structure repaired", which the grading report shows.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import nbformat
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor

from autograder.cells import grade_id, is_test, is_tracked


class RepairStructure(NbGraderPreprocessor):
    """Unique grade ids and cell ids, and test cells back below the cells they test."""

    def preprocess(self, nb, resources):
        self._deduplicate(nb)
        source = self._source_notebook(resources)
        if source is not None:
            self._restore_test_order(nb, source)
        return nb, resources

    def _deduplicate(self, nb) -> None:
        last = {grade_id(cell): index for index, cell in enumerate(nb.cells) if is_tracked(cell)}
        for index, cell in enumerate(nb.cells):
            if is_tracked(cell) and last[grade_id(cell)] != index:
                self.log.warning("structure repaired: cell %d is a copy of %s; the copy is graded "
                                 "as an ordinary cell", index + 1, grade_id(cell))
                del cell.metadata["nbgrader"]
        seen = set()
        for cell in nb.cells:
            if cell.get("id") in seen:
                cell.id = uuid.uuid4().hex[:8]
            seen.add(cell.get("id"))

    def _source_notebook(self, resources):
        info = resources.get("nbgrader", {})
        coursedir = CourseDirectory(config=self.config)
        path = Path(coursedir.format_path(coursedir.source_directory, ".", info.get("assignment", "")),
                    f"{info.get('notebook', '')}.ipynb")
        return nbformat.read(path, as_version=4) if path.is_file() else None

    def _restore_test_order(self, nb, source) -> None:
        """Each test cell found above the tracked cell that precedes it in the source notebook
        moves to just after that cell (after any test cells already there)."""
        tracked = [cell for cell in source.cells if is_tracked(cell)]
        before = {}
        for previous, cell in zip(tracked, tracked[1:]):
            if is_test(cell):
                before[grade_id(cell)] = before.get(grade_id(previous), grade_id(previous)) \
                    if is_test(previous) else grade_id(previous)
        for test, anchor in before.items():
            ids = [grade_id(cell) for cell in nb.cells]
            if test not in ids or anchor not in ids or ids.index(test) > ids.index(anchor):
                continue
            cell = nb.cells.pop(ids.index(test))
            position = ids.index(anchor)  # the anchor moved up by one when the test was removed
            while position < len(nb.cells) and grade_id(nb.cells[position]) in before \
                    and before[grade_id(nb.cells[position])] == anchor:
                position += 1
            nb.cells.insert(position, cell)
            self.log.warning("structure repaired: test cell %s was above %s, the cell it tests; "
                             "it was moved back below it", test, anchor)
