"""Feedback without the hidden tests (nbgrader issue #1363 shows them in clear).

nbgrader's ClearHiddenTests removes the ### BEGIN/END HIDDEN TESTS regions from the cells,
but the outputs of a test cell can still quote them: a traceback shows the lines of the test
that failed, and a submission may print its caller's source. `HideHiddenTests` removes the
regions, replaces the traceback frames of those cells by one line, and blanks every line of
any output in the notebook that contains a line of a hidden test. The error's type and
message, written for students by backprop_ref.grading, stay.
"""

from __future__ import annotations

import re

from nbgrader.preprocessors import ClearHiddenTests
from traitlets import List

ANSI = re.compile(r"\x1b\[[0-9;]*m")
BEGIN, END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
MIN_LENGTH = 8  # shorter lines (`else:`, `x = 1`) say nothing about the tests
HIDDEN_FRAME = "(a frame of this test cell: not shown, as it may show hidden tests)"
HIDDEN_LINE = "(a line that quotes a hidden test: not shown)"


def hidden_lines(source: str) -> set[str]:
    """The stripped lines between the hidden-test markers of one cell's source."""
    found, inside = set(), False
    for line in source.split("\n"):
        if BEGIN in line:
            inside = True
        elif END in line:
            inside = False
        elif inside and len(line.strip()) >= MIN_LENGTH:
            found.add(line.strip())
    return found


class HideHiddenTests(ClearHiddenTests):
    """Feedback with no hidden-test text in sources or outputs (see the module)."""

    display_data_priority = List().tag(config=True)  # set by the HTML exporter; unused here

    def preprocess(self, nb, resources):
        self._secret = set().union(*(hidden_lines(cell.source) for cell in nb.cells))
        nb, resources = super().preprocess(nb, resources)
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                self._redact(output)
        return nb, resources

    def preprocess_cell(self, cell, resources, index):
        if not self._remove_hidden_test_region(cell):
            return cell, resources
        count = cell.get("execution_count")
        this_cell = re.compile(rf"(Cell In ?|Input In ?)\[{count}\]|<ipython-input-{count}-")
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                output["traceback"] = [HIDDEN_FRAME if this_cell.match(ANSI.sub("", entry))
                                       else entry for entry in output.get("traceback", [])]
        return cell, resources

    def _redact(self, output) -> None:
        if output.get("output_type") == "stream":
            output["text"] = self._clean(output.get("text", ""))
        elif output.get("output_type") == "error":
            output["traceback"] = [self._clean(entry) for entry in output.get("traceback", [])]
            output["evalue"] = self._clean(output.get("evalue", ""))
        for kind, value in list(output.get("data", {}).items()):
            if kind.startswith("text/"):
                text = value if isinstance(value, str) else "".join(value)
                output["data"][kind] = self._clean(text)

    def _clean(self, text: str) -> str:
        if not self._secret or not any(line in ANSI.sub("", text) for line in self._secret):
            return text
        return "\n".join(HIDDEN_LINE if any(s in ANSI.sub("", line) for s in self._secret)
                         else line for line in text.split("\n"))
