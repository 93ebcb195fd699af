"""The autograder, tested: every assignment in solutions/ goes through the whole nbgrader
pipeline in a temporary course (tests/assignments/course.py).

- the committed release in exercises/ is exactly what `nbgrader generate_assignment` makes;
- the solution scores full marks; the released notebook scores zero, unchanged and also with
  its test cells deleted (nbgrader adds them back) or edited (nbgrader restores them);
- each mistake of the assignment's bank (tests/assignments/<assignment>.py) loses points on
  the grade cells it names, and keeps full marks on every other one;
- each alternative correct solution, written differently, scores full marks;
- the feedback files show none of the hidden tests.

Adding an assignment needs no new test code: its notebook in solutions/, its release in
exercises/, and its bank. Run one assignment's tests with `-k <assignment>`; `-rP` also
prints the timings.
"""

from __future__ import annotations

import ast
import copy
import importlib
import importlib.util
import os
import sys
from functools import cache
from pathlib import Path

import nbformat
import pytest

from assignments.bank import Alternative, Mistake, is_graded, student_notebook
from assignments.course import (
    EXERCISES, ROOT, SOLUTIONS, Course, Scores, assignment_names, files_under, hidden_lines,
    html_text,
)

ASSIGNMENTS = assignment_names()
MIN_MISTAKES = 5


def pipeline(test):
    """Runs nbgrader: slow, and in one xdist worker so the course is made and graded once."""
    return pytest.mark.slow(pytest.mark.xdist_group("nbgrader")(test))


def bank(assignment: str):
    try:
        return importlib.import_module(f"assignments.{assignment}")
    except ModuleNotFoundError as error:
        if error.name != f"assignments.{assignment}":
            raise
        return None


def variants(assignment: str) -> list[Mistake | Alternative]:
    module = bank(assignment)
    return [] if module is None else list(module.MISTAKES) + list(module.ALTERNATIVES)


def slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())[:60]


def student_id(variant: Mistake | Alternative) -> str:
    kind = "mistake" if isinstance(variant, Mistake) else "alternative"
    return f"{kind}-{slug(variant.name)}"


def source_notebook(assignment: str) -> tuple[str, nbformat.NotebookNode]:
    (path,) = sorted((SOLUTIONS / assignment).glob("*.ipynb"))  # one notebook per assignment
    return path.name, nbformat.read(path, as_version=4)


def grade_cells(assignment: str) -> set[str]:
    return {c.metadata["nbgrader"]["grade_id"] for c in source_notebook(assignment)[1].cells
            if is_graded(c)}


def _builder():
    spec = importlib.util.spec_from_file_location("build_assignment",
                                                  ROOT / "tools" / "build_assignment.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---- fast checks: no nbgrader run ----------------------------------------------------------

def test_there_is_at_least_one_assignment_and_no_release_without_a_source():
    assert ASSIGNMENTS, "no assignment notebook found in solutions/"
    released = sorted(p.name for p in EXERCISES.iterdir() if p.is_dir()) if EXERCISES.is_dir() else []
    assert set(released) <= set(ASSIGNMENTS), \
        f"exercises/ has {sorted(set(released) - set(ASSIGNMENTS))} with no source in solutions/"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_notebook_follows_the_conventions(assignment):
    builder = _builder()
    problems = [p for path in sorted((SOLUTIONS / assignment).glob("*.ipynb"))
                for p in builder.lint(path)]
    assert not problems, "\n".join(problems)


def test_cell_ids_are_unique_across_the_course():
    seen: dict[str, str] = {}
    for assignment in ASSIGNMENTS:
        for cell in source_notebook(assignment)[1].cells:
            assert cell.id not in seen, f"cell id {cell.id} is in {assignment} and {seen[cell.id]}"
            seen[cell.id] = assignment


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_mistake_bank_is_big_enough_and_covers_every_part(assignment):
    module = bank(assignment)
    assert module is not None, f"add tests/assignments/{assignment}.py with MISTAKES and ALTERNATIVES"
    mistakes = list(module.MISTAKES)
    assert len(mistakes) >= MIN_MISTAKES, f"{assignment}: {len(mistakes)} mistakes, need {MIN_MISTAKES}"
    assert module.ALTERNATIVES, f"{assignment}: add at least one alternative correct solution"
    cells = grade_cells(assignment)
    for mistake in mistakes:
        assert mistake.breaks and set(mistake.breaks) <= cells, \
            f"{mistake.name}: breaks {sorted(mistake.breaks)}, but the grade cells are {sorted(cells)}"
    uncovered = cells - {cell for m in mistakes for cell in m.breaks}
    assert not uncovered, f"{assignment}: no mistake in the bank breaks {sorted(uncovered)}"
    ids = [student_id(v) for v in variants(assignment)]
    assert len(ids) == len(set(ids)), f"{assignment}: two variants have the same name"
    _, source = source_notebook(assignment)
    for variant in variants(assignment):  # every change applies cleanly, to valid Python
        nb = student_notebook(source, source, variant.changes)
        for cell in nb.cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id") in variant.changes:
                try:
                    ast.parse(cell.source)
                except SyntaxError as error:
                    pytest.fail(f"{variant.name!r} makes cell {cell.id} invalid Python: {error} "
                                f"(in a bank string, write \\\\n for a backslash-n)")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_contains_no_solution_markers(assignment):
    for name, content in files_under(EXERCISES / assignment).items():
        text = content.decode("utf-8", errors="replace")
        for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
            assert marker not in text, f"exercises/{assignment}/{name} contains {marker!r}"


# ---- the nbgrader pipeline -----------------------------------------------------------------

@pytest.fixture(scope="session")
def course(tmp_path_factory):
    """A temporary course holding a copy of solutions/, shared by the xdist workers of a run;
    assignments are generated and graded on demand, once each."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # every worker's basetemp is a folder of this one
    bin_dir = str(Path(sys.executable).parent)  # nbgrader runs `alembic` from PATH
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATH", bin_dir + os.pathsep + os.environ.get("PATH", ""))
        yield Course(shared / "nbgrader-course")


@cache
def _generated(course: Course, assignment: str) -> float:
    """Generate the release of one assignment; return the seconds it took."""
    return course.once(f"generate-{assignment}", lambda: course.generate(assignment))


@cache
def _graded(course: Course, assignment: str) -> dict[str, Scores]:
    """Every submission of one assignment, autograded, and the feedback made."""
    generate_seconds = _generated(course, assignment)
    found = course.once(f"grade-{assignment}", lambda: _grade(course, assignment, generate_seconds))
    return {student: Scores({cell: tuple(pair) for cell, pair in result["cells"].items()},
                            result["seconds"], Path(result["notebook"]))
            for student, result in found.items()}


def _grade(course: Course, assignment: str, generate_seconds: float) -> dict[str, dict]:
    notebook, source = source_notebook(assignment)
    released = nbformat.read(course.path("release", assignment, notebook), as_version=4)
    submissions = {"solution": student_notebook(released, source), "released": released,
                   "deleted-tests": _without_tests(released), "edited-tests": _tests_edited(released)}
    submissions.update({student_id(v): student_notebook(released, source, v.changes)
                        for v in variants(assignment)})
    results = {}
    for student, nb in submissions.items():
        course.submit(student, assignment, {notebook: nb})
        seconds = course.autograde(assignment, student)
        results[student] = {"cells": course.scores(assignment, student, Path(notebook).stem),
                            "seconds": seconds,
                            "notebook": str(course.path("autograded", student, assignment, notebook))}
    feedback_seconds = course.feedback(assignment)
    times = sorted(r["seconds"] for r in results.values())
    print(f"\n{assignment}: generate {generate_seconds:.1f} s; autograde {len(times)} notebooks "
          f"in {sum(times):.1f} s (median {times[len(times) // 2]:.2f} s, max {times[-1]:.2f} s); "
          f"feedback for all {feedback_seconds:.1f} s")
    return results


def _without_tests(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    nb = copy.deepcopy(nb)
    nb.cells = [cell for cell in nb.cells if not is_graded(cell)]
    return nb


def _tests_edited(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if is_graded(cell):
            cell.source = "pass  # the tests were here"
    return nb


@pytest.fixture
def graded(course):
    return lambda assignment: _graded(course, assignment)


@pipeline
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_is_what_nbgrader_generates(course, assignment):
    _generated(course, assignment)
    made, committed = files_under(course.path("release", assignment)), files_under(EXERCISES / assignment)
    assert made, f"nbgrader made no release for {assignment}"
    differ = sorted(name for name in set(made) | set(committed) if made.get(name) != committed.get(name))
    assert not differ, (f"exercises/{assignment} differs from a fresh `nbgrader generate_assignment "
                        f"{assignment}` in {differ}: run `make release` and commit the result")


@pipeline
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_scores_full_marks(graded, assignment):
    scores = graded(assignment)["solution"]
    assert set(scores.cells) == grade_cells(assignment)
    assert not scores.lost(), f"the solution of {assignment} lost points:\n{scores.describe()}"


@pipeline
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
@pytest.mark.parametrize("student", ["released", "deleted-tests", "edited-tests"])
def test_released_notebook_scores_zero_even_with_its_tests_deleted_or_edited(graded, assignment,
                                                                            student):
    scores = graded(assignment)[student]
    assert set(scores.cells) == grade_cells(assignment) and scores.total == 0 \
        and all(score == 0 for score, _ in scores.cells.values()), \
        f"the release of {assignment} ({student}) scores:\n{scores.describe()}"


def _variant_cases(kind):
    return [pytest.param(a, v, id=f"{a}-{slug(v.name)}") for a in ASSIGNMENTS
            for v in variants(a) if isinstance(v, kind)]


@pipeline
@pytest.mark.parametrize("assignment, mistake", _variant_cases(Mistake))
def test_mistake_loses_points_where_it_should_and_only_there(graded, assignment, mistake):
    scores = graded(assignment)[student_id(mistake)]
    assert scores.lost() == set(mistake.breaks), (
        f"{assignment}, mistake {mistake.name!r}: should lose points on {sorted(mistake.breaks)} "
        f"only, lost them on {sorted(scores.lost())}:\n{scores.describe()}")


@pipeline
@pytest.mark.parametrize("assignment, alternative", _variant_cases(Alternative))
def test_alternative_solution_scores_full_marks(graded, assignment, alternative):
    scores = graded(assignment)[student_id(alternative)]
    assert not scores.lost(), (f"{assignment}, alternative {alternative.name!r} lost points:\n"
                               f"{scores.describe()}")


@pipeline
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_feedback_shows_no_hidden_tests(graded, course, assignment):
    results = graded(assignment)
    notebook, source = source_notebook(assignment)
    released = nbformat.read(course.path("release", assignment, notebook), as_version=4)
    secret = hidden_lines(source, released)
    assert secret, f"{assignment}: no hidden test line to look for"
    # the detector works: the autograded notebook itself does contain the hidden tests
    autograded = nbformat.read(course.path("autograded", "solution", assignment, notebook),
                               as_version=4)
    autograded_text = "\n".join(cell.source for cell in autograded.cells)
    assert all(line in autograded_text for line in secret)
    for student in results:
        page = course.path("feedback", student, assignment, Path(notebook).stem + ".html")
        text = html_text(page)
        assert "Score" in text or "score" in text, f"{page} does not look like feedback"
        leaked = [line for line in secret if line in text]
        assert not leaked, f"the feedback for {student} shows hidden tests: {leaked[:3]}"
