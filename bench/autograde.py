"""Autograding speed: a class of simulated submissions per assignment, graded in one batch.

    python -m bench.autograde [--students 30] [--assignments a1_numerical_gradients ...]

Each simulated student submits a copy of the solution notebook (every test runs to the end,
the slowest case). All students of all assignments are graded in one process through
nbgrader's Python API, as `make autograde` does. Prints, per assignment, the median and
interquartile range of seconds per notebook, and the time a class of 100 would take.
Targets: a median of at most 2 s per notebook; a class of 100 in at most 4 minutes.

The baseline, graded in the same run: the same submissions through nbgrader's own
preprocessors (Execute, DeduplicateIds), without the defences of autograder/ (the limited
kernel, the integrity check around every test cell, structure repair). The ratio is what the
defences cost.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.assignments.course import Course, assignment_names  # noqa: E402

TARGET_MEDIAN_S, TARGET_CLASS_S = 2.0, 240.0


def stock_nbgrader() -> dict:
    """Config overrides that put nbgrader's own autograde steps back."""
    from nbconvert.preprocessors import ClearMetadataPreprocessor
    from nbgrader.preprocessors import (
        AssignLatePenalties, CheckCellMetadata, ClearOutput, DeduplicateIds, Execute,
        IgnorePattern, LimitOutput, OverwriteCells, OverwriteKernelspec, SaveAutoGrades,
    )
    return {"Autograde.sanitize_preprocessors": [ClearOutput, DeduplicateIds, OverwriteKernelspec,
                                                 OverwriteCells, CheckCellMetadata],
            "Autograde.autograde_preprocessors": [Execute, IgnorePattern, ClearMetadataPreprocessor,
                                                  LimitOutput, SaveAutoGrades, AssignLatePenalties,
                                                  CheckCellMetadata],
            "Execute.timeout": 60}


def grade_class(course: Course, assignment: str, students: int) -> tuple[list[float], float]:
    """Seconds per notebook for each student, and the wall time of the whole batch."""
    course.generate(assignment)
    source = course.path("source", assignment)
    notebooks = {p.name: nbformat.read(str(p), as_version=4) for p in source.glob("*.ipynb")}
    for k in range(students):
        course.submit(f"student{k:03d}", assignment, notebooks)
    start = time.perf_counter()
    seconds = [course.autograde(assignment, f"student{k:03d}") / len(notebooks)
               for k in range(students)]
    return seconds, time.perf_counter() - start


def quartiles(values: list[float]) -> tuple[float, float, float]:
    q1, q2, q3 = statistics.quantiles(values, n=4) if len(values) > 1 else (values * 3)
    return q1, statistics.median(values), q3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--assignments", nargs="*", default=None)
    args = parser.parse_args(argv)
    # nbgrader runs `alembic` to create the gradebook: this interpreter's bin/ goes first.
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"]
    names = args.assignments or assignment_names()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        course = Course(Path(tmp) / "course")
        baseline = Course(Path(tmp) / "baseline", settings=stock_nbgrader())
        for assignment in names:
            seconds, wall = grade_class(course, assignment, args.students)
            stock, _ = grade_class(baseline, assignment, args.students)
            rows.append((assignment, seconds, wall, stock))
            print(f"{assignment}: {args.students} students graded in {wall:.0f} s", file=sys.stderr)
    print("| assignment | notebooks | median s/notebook (IQR) | stock nbgrader | ÷ stock | "
          "class of 100 | targets |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for assignment, seconds, wall, stock in rows:
        q1, med, q3 = quartiles(seconds)
        per_100 = wall / len(seconds) * 100
        ok = "PASS" if med <= TARGET_MEDIAN_S and per_100 <= TARGET_CLASS_S else "MISS"
        print(f"| {assignment} | {len(seconds)} | {med:.2f} ({q1:.2f}–{q3:.2f}) | "
              f"{statistics.median(stock):.2f} | {med / statistics.median(stock):.2f} | "
              f"{per_100 / 60:.1f} min | {ok} (≤ {TARGET_MEDIAN_S:.0f} s, ≤ "
              f"{TARGET_CLASS_S / 60:.0f} min) |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
