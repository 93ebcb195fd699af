"""Grade every submission of one assignment, and say why each grade is what it is.

    python -m autograder <assignment> [student ...] [--force]

Run it from the repository root (it uses ./nbgrader_config.py). For each student, in turn:

1. intake (autograder/intake.py): a renamed notebook is graded under its released name; a
   missing, empty or unreadable one scores zero in the gradebook, with the reason as its
   comment, and nbgrader is not run on it;
2. the integrity scan (autograder/integrity/) of the code the student wrote;
3. `nbgrader autograde` through its Python API, with the defences of nbgrader_config.py;
4. the reasons: every KernelDied, KernelStuck, timeout, IntegrityError or MemoryError in the
   autograded notebook, and every structure repair, is listed against the student.

One broken submission never stops the batch. The results go to reports/<assignment>/:
grades.csv (one row per student: total, each part, status and reasons) and integrity.md /
integrity.csv (the suspicious submissions, with the lines that triggered each finding).
Exit status 1 if a submission could not be graded at all.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import statistics
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autograder import integrity
from autograder.cells import grade_id
from autograder.intake import inspect

# Errors in the autograded notebook that an instructor should hear about, not only see as 0.
NOTABLE = ("KernelDied", "KernelStuck", "NotRun", "IntegrityError", "CellTimeoutError",
           "MemoryError", "ForbiddenCall")


@dataclass
class Outcome:
    """One student's grade for one assignment, and the reasons behind it."""

    student: str
    status: str = "graded"  # graded | zero (nothing gradable) | failed (nbgrader error)
    cells: dict[str, tuple[float | None, float]] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    findings: dict[str, list[integrity.Finding]] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def score(self) -> float:
        return sum(score or 0.0 for score, _ in self.cells.values())

    @property
    def max_score(self) -> float:
        return sum(top for _, top in self.cells.values())


class Grader:
    """nbgrader's API for one course, with intake, the integrity scan and the reasons."""

    def __init__(self, api) -> None:
        self.api = api
        self.course = api.coursedir

    def folder(self, step: str, *parts: str) -> Path:
        return Path(self.course.root, getattr(self.course, f"{step}_directory"), *parts)

    def released(self, assignment: str) -> dict[str, nbformat.NotebookNode]:
        return {p.name: nbformat.read(p, as_version=4)
                for p in sorted(self.folder("release", assignment).glob("*.ipynb"))}

    def students(self, assignment: str) -> list[str]:
        return sorted(p.parent.name for p in self.folder("submitted").glob(f"*/{assignment}")
                      if p.is_dir())

    def grade(self, assignment: str, student: str) -> Outcome:
        outcome = Outcome(student)
        released = self.released(assignment)
        folder = self.folder("submitted", student, assignment)
        intake = inspect(folder, list(released))
        outcome.reasons += list(intake.reasons.values()) + intake.notes
        scanned = set()  # a renamed notebook and its copy under the released name: scan once
        for path in sorted(folder.glob("*.ipynb"), key=lambda p: (p.name not in released, p.name)):
            content = path.read_bytes()
            if content in scanned:
                continue
            scanned.add(content)
            model = released.get(path.name) or next(iter(released.values()))
            found = integrity.scan_file(path, model)
            if found:
                outcome.findings[path.name] = found
        start = time.perf_counter()
        if not intake.gradable:
            outcome.status = "zero"
            self._record_zero(assignment, student, intake.reasons)
        elif intake.ungradable and any(s == "unreadable" for s in intake.status.values()):
            outcome.status = "failed"
            outcome.reasons.append("not graded: remove or fix the unreadable notebook, then "
                                   "grade again with --force")
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # SQLAlchemy's SAWarnings on a failed submission
                result = self.api.autograde(assignment, student, force=True, create=True)
            log = result.get("log", "") + "\n" + result.get("error", "")
            if not result["success"]:
                outcome.status = "failed"
                outcome.reasons.append("not graded: " + _cause(log))
            outcome.reasons += sorted({line.split("structure repaired: ", 1)[1].strip()
                                       for line in log.splitlines() if "structure repaired: " in line})
            self._read_autograded(assignment, student, outcome)
        outcome.seconds = time.perf_counter() - start
        if outcome.status != "failed":
            outcome.cells = self._scores(assignment, student)
        return outcome

    def _read_autograded(self, assignment: str, student: str, outcome: Outcome) -> None:
        for path in sorted(self.folder("autograded", student, assignment).glob("*.ipynb")):
            nb = nbformat.read(path, as_version=4)
            for number, cell in enumerate(nb.cells, 1):
                cell_id = grade_id(cell) or f"cell {number}"
                for output in cell.get("outputs", []):
                    if output.get("output_type") == "error" and output.get("ename") in NOTABLE:
                        outcome.reasons.append(f"{cell_id}: {output['ename']}: {output['evalue']}")
                        if output["ename"] == "IntegrityError":
                            outcome.findings.setdefault(path.name, []).append(integrity.Finding(
                                "tampering", cell_id, 0, "", "at grading time: " + output["evalue"]))

    def _scores(self, assignment: str, student: str) -> dict[str, tuple[float | None, float]]:
        from nbgrader.api import Gradebook, MissingEntry

        with Gradebook(self.course.db_url) as gradebook:
            try:
                submission = gradebook.find_submission(assignment, student)
            except MissingEntry:
                return {}
            return {g.name: (g.score, g.max_score) for nb in submission.notebooks
                    for g in sorted(nb.grades, key=lambda g: g.name)}

    def _record_zero(self, assignment: str, student: str, reasons: dict[str, str]) -> None:
        """Zero for every part, with the reason as the comment: what nbgrader itself records
        for a missing notebook, for a submission it cannot read at all."""
        from nbgrader.api import Gradebook, MissingEntry

        with Gradebook(self.course.db_url) as gradebook, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SQLAlchemy's SAWarnings, as in autograde
            gradebook.update_or_create_student(student)
            try:
                submission = gradebook.find_submission(assignment, student)
            except MissingEntry:
                submission = gradebook.add_submission(assignment, student)
            for notebook in submission.notebooks:
                reason = reasons.get(f"{notebook.name}.ipynb", "not graded")
                for grade in notebook.grades:
                    grade.auto_score, grade.needs_manual_grade = 0.0, False
                for comment in notebook.comments:
                    comment.auto_comment = f"Not graded, scored zero: {reason}."
            gradebook.db.commit()


def write_grades(outcomes: list[Outcome], path: Path) -> None:
    """One row per student: total, maximum, each part, status and the reasons."""
    cells = sorted({cell for o in outcomes for cell in o.cells})
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "score", "max_score", *cells, "status", "reasons"])
        for o in outcomes:
            parts = [_score(o.cells.get(cell)) for cell in cells]
            writer.writerow([o.student, f"{o.score:g}", f"{o.max_score:g}", *parts, o.status,
                             " | ".join(o.reasons)])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__.split("\n\n")[0])
    parser.add_argument("assignment")
    parser.add_argument("students", nargs="*", help="only these students (default: all)")
    parser.add_argument("--force", action="store_true", help="grade again what is graded")
    args = parser.parse_args(argv)
    # nbgrader runs `alembic` to create the gradebook: this interpreter's bin/ goes first.
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=os.getcwd()).load_config()
    grader = Grader(NbGraderAPI(coursedir=CourseDirectory(config=config), config=config))
    students = args.students or grader.students(args.assignment)
    if not students:
        print(f"no submissions of {args.assignment} in "
              f"{grader.folder('submitted')}/<student>/{args.assignment}/")
        return 1
    outcomes = run(grader, args.assignment, students, force=args.force)
    return 1 if any(o.status == "failed" for o in outcomes) else 0


def run(grader: Grader, assignment: str, students: list[str], *, force: bool = True,
        echo=print) -> list[Outcome]:
    """Grade `students` in turn (skipping the graded ones unless `force`), write the reports."""
    outcomes, width = [], max(len(s) for s in students)
    for number, student in enumerate(students, 1):
        prefix = f"[{number:>{len(str(len(students)))}}/{len(students)}] {student:<{width}}"
        if grader.folder("autograded", student, assignment).is_dir() and not force:
            echo(f"{prefix}  already graded (use --force to grade again)")
            continue
        outcome = grader.grade(assignment, student)
        outcomes.append(outcome)
        flags = f"; {len(outcome.reasons)} note(s)" if outcome.reasons else ""
        suspicious = f"; {sum(map(len, outcome.findings.values()))} integrity finding(s)" \
            if outcome.findings else ""
        echo(f"{prefix}  {outcome.status} {outcome.score:g}/{outcome.max_score:g} in "
             f"{outcome.seconds:.1f} s{flags}{suspicious}")
    reports = Path(grader.course.root, "reports", assignment)
    write_grades(outcomes, reports / "grades.csv")
    integrity.write_report({o.student: o.findings for o in outcomes if o.findings},
                           reports / "integrity.md")
    times = [o.seconds for o in outcomes]
    echo(f"\n{assignment}: {sum(o.status != 'failed' for o in outcomes)} graded, "
         f"{sum(o.status == 'failed' for o in outcomes)} failed"
         + (f"; {statistics.median(times):.1f} s per notebook (median)" if times else "")
         + f"\nreports: {reports}/grades.csv, integrity.md "
         f"({sum(bool(o.findings) for o in outcomes)} suspicious submission(s))")
    for o in outcomes:
        for reason in o.reasons:
            echo(f"  {o.student}: {reason}")
    return outcomes


def _cause(log: str) -> str:
    """The most specific error line of nbgrader's log (its last line is always generic)."""
    errors = [line.strip() for line in log.splitlines()
              if re.match(r"\s*[\w.]*(Error|Exception|Timeout)\w*: ", line)
              and "NbGraderException" not in line]
    return errors[-1] if errors else "see the log: nbgrader autograde <assignment> --student <id> --force"


def _score(grade: tuple[float | None, float] | None) -> str:
    if grade is None:
        return "-"
    return "manual" if grade[0] is None else f"{grade[0]:g}"
