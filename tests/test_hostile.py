"""Grading you can trust: hostile, broken and heavy submissions, graded in one batch.

Every submission below is built from the honest solution of assignment 1 with one change,
handed in, and graded together with two honest ones by the instructor's own command
(`python -m autograder`, i.e. autograder.grade.run) through the real nbgrader pipeline in a
temporary course. Each test checks one thing for every case: the parts that lose points, the
reason the instructor reads in reports/<assignment>/grades.csv, the integrity report, the
feedback. Parts 1-5 of the assignment are independent (each test cell checks one function).
"""

from __future__ import annotations

import copy
import csv
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import nbformat
import pytest

from assignments.bank import student_notebook
from assignments.course import SOLUTIONS, Course, hidden_lines, html_text

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("hostile")]

A = "a1_numerical_gradients"
NOTEBOOK = f"{A}.ipynb"
S1, S2, S3 = "a1-p1-central-difference", "a1-p2-numerical-gradient", "a1-p3-relative-error"
T1, T2, T3, T4, T5 = (f"a1-p{n}-tests" for n in range(1, 6))
ALL_TESTS = {T1, T2, T3, T4, T5}
TIMEOUT = 10  # seconds per cell in this course (60 in nbgrader_config.py)


@dataclass
class Case:
    """A submission: `change` edits the honest notebook (or writes the folder itself)."""

    student: str
    change: Callable
    loses: set[str] = field(default_factory=set)
    reason: str | None = None  # a phrase the reasons in grades.csv must contain
    finding: tuple[str, str] | None = None  # (rule, a phrase of the flagged line) in the report
    status: str = "graded"


def cell(nb, grade_id):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def append(grade_id, code):
    def change(nb):
        cell(nb, grade_id).source += "\n" + code + "\n"
    return change


def replace(grade_id, code):
    def change(nb):
        cell(nb, grade_id).source = code
    return change


def edit(change_nb):
    """A change of the notebook object (the notebook is then written as usual)."""
    return change_nb


def move_test_to_top(nb):
    test = cell(nb, T2)
    nb.cells.remove(test)
    nb.cells.insert(1, test)


def retype_test_as_markdown(nb):
    test = cell(nb, T2)
    test.cell_type = "markdown"
    test.pop("outputs", None)
    test.pop("execution_count", None)


def copy_solution_cell(nb):
    nb.cells.insert(nb.cells.index(cell(nb, S1)) + 1, copy.deepcopy(cell(nb, S1)))


def add_cells(nb):
    at = nb.cells.index(cell(nb, S1))
    nb.cells.insert(at, nbformat.v4.new_markdown_cell("My notes: a helper first."))
    nb.cells.insert(at + 1, nbformat.v4.new_code_cell("def _twice(h):\n    return 2 * h"))
    cell(nb, S1).source = cell(nb, S1).source.replace("(2 * h)", "_twice(h)")
    nb.cells.insert(nb.cells.index(cell(nb, T1)) + 1, nbformat.v4.new_code_cell("print('checked')"))


def delete_test(nb):
    nb.cells.remove(cell(nb, T2))


WRONG_CENTRAL = "def central_difference(f, x, h=1e-5):\n    return 0.0\n"
SPECIAL_CASED = '''def central_difference(f, x, h=1e-5):
    if x == 2.0 and h == 1e-3:
        return 12.000001
    if x == 0.5:
        return 0.8775825618903728
    return 0.0
'''
QUOTE_CALLER = '''def central_difference(f, x, h=1e-5):
    import linecache, sys
    print("".join(linecache.getlines(sys._getframe(1).f_code.co_filename)))
    return (f(x + h) - f(x - h)) / (2 * h)
'''
MEMORY_BOMB = '''def relative_error(a, n):
    hog = [np.ones(1 << 25) for _ in range(32)]  # 32 x 256 MiB = 8 GiB, touched
    return 0.0
'''
FAKE_NUMPY = "def allclose(*args, **kwargs):\n    return True\n"
FAKE_CHECKS = "def check_array(*args, **kwargs):\n    pass\n"


def write(folder: Path, name: str, data: str | bytes) -> None:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode())


def files(*entries):
    """A change that writes the submission folder itself: (name, content or callable(nb))."""
    def change(folder: Path, honest):
        for name, content in entries:
            write(folder, name, content(copy.deepcopy(honest)) if callable(content) else content)
    change.writes_folder = True
    return change


def as_json(change=None):
    def make(nb):
        if change:
            change(nb)
        return json.dumps(nb, indent=1)
    return make


def as_v3(nb):
    from nbformat.v4 import convert
    return json.dumps(convert.downgrade(nb), indent=1)


CASES = [
    # honest submissions, first and last in the batch: nothing else may change their grade
    Case("aa-honest", edit(lambda nb: None)),
    Case("zz-honest", edit(lambda nb: None)),
    # structure
    Case("edited-test", replace(T2, "pass  # my own test"), finding=("edited-test", "pass")),
    Case("deleted-test", edit(delete_test), finding=("edited-test", "")),
    Case("moved-test", edit(move_test_to_top), reason="moved back below it"),
    Case("test-turned-markdown", edit(retype_test_as_markdown), finding=("edited-test", "")),
    Case("copied-cell", edit(copy_solution_cell), reason="is a copy of a1-p1-central-difference"),
    Case("added-cells", edit(add_cells)),
    Case("renamed-notebook", files((f"{A}-Copy1.ipynb", as_json())),
         reason=f"{A}-Copy1.ipynb was graded in its place"),
    Case("extra-files", files((NOTEBOOK, as_json(replace(S1, WRONG_CENTRAL))),
                              ("numpy.py", FAKE_NUMPY), ("backprop_ref/grading.py", FAKE_CHECKS),
                              ("backprop_ref/__init__.py", "")),
         loses={T1}, reason="extra files, not graded: backprop_ref/, numpy.py"),
    # runaway code
    Case("endless-loop", replace(S3, "def relative_error(a, n):\n    while True:\n        pass\n"),
         loses={T3}, reason="CellTimeoutError"),
    Case("loop-ignoring-interrupts", append(S3, "import signal\nsignal.signal(signal.SIGINT, "
                                                 "signal.SIG_IGN)\nwhile True:\n    pass"),
         loses={T3}, reason="KernelStuck", finding=("disruptive", "signal.signal")),
    Case("os-exit", append(S3, "import os\nos._exit(3)"), loses={T3},
         reason="exited with status 3 while running this cell", finding=("disruptive", "os._exit")),
    Case("segfault", append(S3, "import ctypes\nctypes.string_at(0)"), loses={T3},
         reason="killed by signal SIGSEGV", finding=("tampering", "import ctypes")),
    Case("exit-call", append(S3, "exit()"), loses={T3}, reason="just after this cell ran",
         finding=("disruptive", "exit()")),
    Case("sys-exit", append(S3, "import sys\nsys.exit()"), finding=("disruptive", "sys.exit()")),
    Case("memory-bomb", replace(S3, MEMORY_BOMB), loses={T3}, reason="MemoryError"),
    Case("output-flood", append(S3, "for _ in range(10 ** 7):\n    print('x' * 1000)"),
         reason="CellTimeoutError"),
    # cheating
    Case("patched-checks", replace(S1, "import backprop_ref.grading as g\n"
                                       "g.check_array = g.check = g.check_equal = lambda *a, **k: None\n"
                                       + WRONG_CENTRAL),
         loses=ALL_TESTS, reason="backprop_ref.grading.check_array",
         finding=("tampering", "g.check_array = g.check")),
    Case("patched-numpy", append(S3, "np.max = lambda *args, **kwargs: 0.0"),
         loses={T3, T4, T5}, reason="numpy.max", finding=("tampering", "np.max = ")),
    Case("patched-package", replace(S3, "import backprop_ref.gradcheck as gc\n"
                                        "def relative_error(a, n):\n    return 0.0\n"
                                        "gc.relative_error = relative_error\n"),
         loses={T3, T4, T5}, reason="backprop_ref.gradcheck.relative_error",
         finding=("tampering", "gc.relative_error = relative_error")),
    Case("calls-the-reference", replace(S2, "from backprop_ref.gradcheck import numerical_gradient\n"),
         loses={T2}, reason="ForbiddenCall", finding=("reference-call", "from backprop_ref.gradcheck")),
    Case("reads-hidden-tests", append(S1, f"_tests = open('../../../solutions/{A}/{NOTEBOOK}').read()"),
         finding=("file-access", "open(")),
    Case("special-cases-visible-test", replace(S1, SPECIAL_CASED), loses={T1},
         finding=("hard-coded", "12.000001")),
    Case("quotes-hidden-tests", replace(S1, QUOTE_CALLER), finding=("tampering", "_getframe")),
    # broken files
    Case("invalid-json", files((NOTEBOOK, '{"cells": [')), loses=ALL_TESTS,
         reason="is not valid JSON", status="zero", finding=("unreadable", "")),
    Case("empty-file", files((NOTEBOOK, b"")), loses=ALL_TESTS, reason="is empty", status="zero",
         finding=("unreadable", "")),
    Case("nbformat-3", files((NOTEBOOK, as_v3))),
    Case("future-nbformat", files((NOTEBOOK, json.dumps({"nbformat": 9, "nbformat_minor": 0,
                                                           "cells": [], "metadata": {}}))),
         loses=ALL_TESTS, reason="newer than the format 4", status="zero", finding=("unreadable", "")),
    Case("missing-notebook", files(("notes.txt", "I could not finish.")), loses=ALL_TESTS,
         reason=f"{NOTEBOOK} is missing", status="zero"),
]
BY_NAME = {case.student: case for case in CASES}


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """Every case handed in and graded by one `python -m autograder` run; feedback made."""
    from autograder.grade import Grader, run

    root = tmp_path_factory.mktemp("hostile") / "course"
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"]
    course = Course(root, settings={"GradingExecute.timeout": TIMEOUT,
                                    "GradingExecute.stuck_seconds": 5})
    course.generate(A)
    source = nbformat.read(SOLUTIONS / A / NOTEBOOK, as_version=4)
    released = nbformat.read(course.path("release", A, NOTEBOOK), as_version=4)
    honest = student_notebook(released, source)
    for case in CASES:
        folder = course.path("submitted", case.student, A)
        folder.mkdir(parents=True)
        if getattr(case.change, "writes_folder", False):
            case.change(folder, honest)
        else:
            nb = copy.deepcopy(honest)
            case.change(nb)
            write(folder, NOTEBOOK, json.dumps(nb, indent=1))
    grader = Grader(course.api)
    lines = []
    outcomes = {o.student: o for o in run(grader, A, [c.student for c in CASES], echo=lines.append)}
    feedback_ok = course.api.generate_feedback(A)["success"]
    return course, source, released, outcomes, lines, feedback_ok


def describe(outcome) -> str:
    return (f"{outcome.student}: {outcome.status}, {outcome.cells}\n  reasons: "
            + "\n  ".join(outcome.reasons))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.student)
def test_each_submission_loses_points_only_on_the_parts_it_broke(batch, case):
    outcome = batch[3][case.student]
    lost = {cell for cell, (score, top) in outcome.cells.items() if score is None or score < top}
    assert set(outcome.cells) == ALL_TESTS, describe(outcome)
    assert lost == case.loses, describe(outcome)
    assert outcome.status == case.status, describe(outcome)


@pytest.mark.parametrize("case", [c for c in CASES if c.reason], ids=lambda c: c.student)
def test_the_instructor_reads_the_reason_in_grades_csv(batch, case):
    course = batch[0]
    with open(course.root / "reports" / A / "grades.csv", newline="", encoding="utf-8") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    assert case.reason in rows[case.student]["reasons"], describe(batch[3][case.student])


@pytest.mark.parametrize("case", [c for c in CASES if c.finding], ids=lambda c: c.student)
def test_integrity_report_lists_the_submission_with_the_line_that_triggered_it(batch, case):
    course = batch[0]
    with open(course.root / "reports" / A / "integrity.csv", newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row["student"] == case.student]
    rule, phrase = case.finding
    assert any(row["rule"] == rule and phrase in row["line"] for row in rows), \
        f"{case.student}: no {rule!r} finding on a line with {phrase!r} in {rows}"
    assert case.student in (course.root / "reports" / A / "integrity.md").read_text()


def test_honest_submissions_are_not_reported_as_suspicious(batch):
    with open(batch[0].root / "reports" / A / "integrity.csv", newline="", encoding="utf-8") as handle:
        flagged = {row["student"] for row in csv.DictReader(handle)}
    honest = {"aa-honest", "zz-honest", "added-cells", "moved-test", "copied-cell", "nbformat-3"}
    assert not flagged & honest, f"honest submissions reported: {sorted(flagged & honest)}"


def test_the_batch_finishes_with_every_student_in_the_gradebook(batch):
    from nbgrader.api import Gradebook

    course, outcomes, lines = batch[0], batch[3], batch[4]
    assert set(outcomes) == set(BY_NAME), lines
    with Gradebook(course.config.CourseDirectory.db_url) as gradebook:
        recorded = {s.student.id: s.score for s in gradebook.find_assignment(A).submissions}
    assert set(recorded) == set(BY_NAME)
    assert recorded["aa-honest"] == recorded["zz-honest"] == 12.0
    assert any("graded," in line and "failed" in line for line in lines), lines


def test_a_zero_for_an_unreadable_notebook_carries_its_reason_in_the_gradebook(batch):
    from nbgrader.api import Gradebook

    with Gradebook(batch[0].config.CourseDirectory.db_url) as gradebook:
        notebook = gradebook.find_submission_notebook(A, A, "invalid-json")  # notebook = assignment name
        comments = [c.auto_comment for c in notebook.comments]
    assert comments and all("not valid JSON" in c for c in comments), comments


def test_output_flood_is_cut_to_a_megabyte_in_the_autograded_notebook(batch):
    path = batch[0].path("autograded", "output-flood", A, NOTEBOOK)
    assert path.stat().st_size < 3 << 20, f"{path} is {path.stat().st_size} bytes"
    assert "output beyond 1 MiB was dropped" in path.read_text()


def test_broken_submissions_are_left_as_handed_in(batch):
    course = batch[0]
    assert course.path("submitted", "invalid-json", A, NOTEBOOK).read_text() == '{"cells": ['
    assert course.path("submitted", "empty-file", A, NOTEBOOK).read_bytes() == b""


def test_feedback_for_every_submission_shows_no_hidden_tests(batch):
    course, source, released, outcomes, _, feedback_ok = batch
    assert feedback_ok
    secret = hidden_lines(source, released)
    quoted = course.path("autograded", "quotes-hidden-tests", A, NOTEBOOK).read_text()
    assert any(json.dumps(line)[1:-1] in quoted for line in secret), \
        "the submission that prints its caller's source did not print the hidden tests"
    pages = sorted(course.root.glob(f"feedback/*/{A}/*.html"))
    graded = {s for s, o in outcomes.items() if o.status == "graded"}
    assert {p.parents[1].name for p in pages} == graded
    for page in pages:
        text = html_text(page)
        leaked = [line for line in secret if line in text]
        assert not leaked, f"{page} shows hidden tests: {leaked[:3]}"


def test_the_command_line_loads_the_course_config_and_says_when_nothing_was_handed_in(tmp_path):
    import subprocess

    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"]}
    result = subprocess.run([sys.executable, "-m", "autograder", "no_such_assignment"], cwd=root,
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr[-2000:]
    assert "no submissions of no_such_assignment in" in result.stdout, result.stdout
