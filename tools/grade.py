"""Autograde every submission of one assignment, with progress and a per-student summary.

    python tools/grade.py <assignment> [student ...] [--force]

`nbgrader autograde <assignment>` shows no progress, prints no summary, and stops at the
first submission it cannot read (later students are not graded). This script grades the
students one at a time through nbgrader's Python API, in one process (importing nbgrader
once is most of the cost of a separate process): a broken submission is reported and the
rest are still graded. Submissions already graded are skipped unless --force is given.
It uses ./nbgrader_config.py, so run it from the repository root. Exit status 1 if any
submission failed.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("assignment")
    parser.add_argument("students", nargs="*", help="only these students (default: all)")
    parser.add_argument("--force", action="store_true", help="grade again what is graded")
    args = parser.parse_args(argv)

    # nbgrader runs `alembic` to create the gradebook: this interpreter's bin/ goes first.
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
    from nbgrader.api import Gradebook, MissingEntry
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    course = api.coursedir
    submitted = Path(course.root, course.submitted_directory)
    students = args.students or sorted(p.parent.name for p in submitted.glob(f"*/{args.assignment}")
                                       if p.is_dir())
    if not students:
        print(f"no submissions of {args.assignment} in {submitted}/<student>/{args.assignment}/")
        return 1

    done, failed, seconds = [], {}, []
    width = max(len(s) for s in students)
    for number, student in enumerate(students, 1):
        graded = Path(course.root, course.autograded_directory, student, args.assignment)
        prefix = f"[{number:>{len(str(len(students)))}}/{len(students)}] {student:<{width}}"
        if graded.is_dir() and not args.force:
            print(f"{prefix}  already graded (use --force to grade again)", flush=True)
            done.append(student)
            continue
        print(f"{prefix}  ", end="", flush=True)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SQLAlchemy's SAWarnings on a failed submission
            result = api.autograde(args.assignment, student, force=True, create=True)
        seconds.append(time.perf_counter() - start)
        if result["success"]:
            done.append(student)
            print(f"graded in {seconds[-1]:.1f} s", flush=True)
        else:
            failed[student] = _cause(result.get("log", "") + "\n" + result.get("error", ""))
            print(f"FAILED: {failed[student]}", flush=True)

    print(f"\n{args.assignment}: {len(done)} graded, {len(failed)} failed"
          + (f"; {statistics.median(seconds):.1f} s per notebook (median)" if seconds else ""))
    with Gradebook(course.db_url) as gradebook:
        assignment = gradebook.find_assignment(args.assignment)
        cells = [c.name for nb in assignment.notebooks for c in nb.grade_cells]
        header = f"{'student':<{width}}  {'total':>11}  " + "  ".join(cells)
        print(header)
        for student in done:
            try:
                submission = gradebook.find_submission(args.assignment, student)
            except MissingEntry:
                continue
            scores = {g.name: g for nb in submission.notebooks for g in nb.grades}
            row = "  ".join(f"{_score(scores.get(c)):>{len(c)}}" for c in cells)
            total = f"{submission.score:g}/{submission.max_score:g}"
            print(f"{student:<{width}}  {total:>11}  {row}")
    for student, error in failed.items():
        print(f"{student}: not graded: {error}\n    full log: nbgrader autograde "
              f"{args.assignment} --student {student} --force")
    return 1 if failed else 0


def _cause(log: str) -> str:
    """The most specific error line of nbgrader's log (its last line is always generic)."""
    errors = [line.strip() for line in log.splitlines()
              if re.match(r"\s*[\w.]*(Error|Exception|Timeout)\w*: ", line)
              and "NbGraderException" not in line]
    cause = errors[-1] if errors else "see the log"
    if "grade_id" in cause or "Duplicate" in cause or "duplicate" in cause:
        cause += " (a copied, deleted or edited nbgrader cell: see nbgrader issue #1083)"
    return cause


def _score(grade) -> str:
    if grade is None:
        return "-"
    if grade.score is None:
        return "manual"
    return f"{grade.score:g}/{grade.max_score:g}"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
