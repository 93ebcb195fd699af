"""A temporary copy of the course, driven through nbgrader's Python API.

It uses the repository's own nbgrader_config.py, with only the places changed: the course
root, the gradebook and the exchange live in a temporary folder. One process grades every
submission in turn (importing nbgrader once is most of the cost of a separate process).

Under pytest-xdist the course folder is shared by the workers, and `Course.once` makes each
step (generate, grade) run once per test run whichever worker asks first: the others wait
for it and read its result from disk. (`--dist loadgroup` would keep the tests on one
worker, but with pytest 9.2 it silently stops grouping: pytest-xdist issue #1386.)
"""

from __future__ import annotations

import contextlib
import html
import json
import re
import shutil
import sys
import time
import warnings
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path

import nbformat

from autograder.feedback import hidden_lines as hidden_in

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS, EXERCISES = ROOT / "solutions", ROOT / "exercises"
IGNORED = (".ipynb_checkpoints", "__pycache__", "*.pyc")


def assignment_names() -> list[str]:
    """Every assignment: a folder of solutions/ holding a notebook."""
    if not SOLUTIONS.is_dir():
        return []
    return sorted(p.name for p in SOLUTIONS.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


def files_under(folder: Path) -> dict[str, bytes]:
    """Relative path -> content, for every file under `folder` except editor and cache files."""
    if not folder.is_dir():
        return {}
    found = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        ignored = any(fnmatch(part, pattern) for part in relative.parts for pattern in IGNORED)
        if path.is_file() and not ignored:
            found[relative.as_posix()] = path.read_bytes()
    return found


@dataclass
class Scores:
    """The grade of one submission: grade cell id -> (score, max score)."""

    cells: dict[str, tuple[float | None, float]]
    seconds: float
    notebook: Path  # the autograded notebook, for messages

    @property
    def total(self) -> float:
        return sum(score or 0.0 for score, _ in self.cells.values())

    @property
    def max_total(self) -> float:
        return sum(top for _, top in self.cells.values())

    def lost(self) -> set[str]:
        return {cell for cell, (score, top) in self.cells.items() if score is None or score < top}

    def describe(self) -> str:
        """Each grade cell's score, and the error each failing test cell printed."""
        errors = {}
        nb = nbformat.read(self.notebook, as_version=4)
        for cell in nb.cells:
            cell_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    errors[cell_id] = f"{output['ename']}: {output['evalue']}"
                elif output.get("name") == "stderr":
                    errors.setdefault(cell_id, f"wrote to stderr: {output['text'][:300]!r}")
        lines = [f"  {cell}: {score}/{top}" + (f"  <- {errors[cell]}" if cell in errors else "")
                 for cell, (score, top) in self.cells.items()]
        return "\n".join(lines) + f"\n  (autograded notebook: {self.notebook})"


@dataclass(eq=False)
class Course:
    """The course at `root`, made from solutions/ by the first process that opens it."""

    root: Path
    settings: dict = field(default_factory=dict)  # {"GradingExecute.timeout": 10}: config overrides
    api: object = field(init=False)  # nbgrader.apps.NbGraderAPI (imported here: it is slow)

    def __post_init__(self) -> None:
        from nbgrader.apps import NbGraderAPI
        from nbgrader.coursedir import CourseDirectory
        from traitlets.config.loader import PyFileConfigLoader

        with self.lock():
            if not (self.root / "solutions").is_dir():
                shutil.copytree(SOLUTIONS, self.root / "solutions",
                                ignore=shutil.ignore_patterns(*IGNORED))
                (self.root / "exchange").mkdir()
        config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
        config.CourseDirectory.root = str(self.root)
        config.CourseDirectory.db_url = f"sqlite:///{self.root / 'gradebook.db'}"
        config.Exchange.root = str(self.root / "exchange")
        for key, value in self.settings.items():
            section, name = key.split(".")
            config[section][name] = value
        self.config = config
        with _quiet():
            self.api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)

    @contextlib.contextmanager
    def lock(self):
        """Hold the course's lock (processes of one test run share the course folder)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root.parent / f"{self.root.name}.lock", "w") as handle:
            try:
                import fcntl
            except ImportError:  # not POSIX: run without xdist there
                yield
                return
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def once(self, name: str, make):
        """make(), run once for this course whatever the number of processes; its result is
        kept as JSON in the course folder and read back by every later caller."""
        path = self.root / f".{name}.json"
        with self.lock():
            if not path.exists():
                path.write_text(json.dumps(make()))
            return json.loads(path.read_text())

    def path(self, step: str, *parts: str) -> Path:
        folder = {"source": "solutions", "release": "exercises"}.get(step, step)
        return self.root.joinpath(folder, *parts)

    def _run(self, what: str, method, *args) -> float:
        start = time.perf_counter()
        with _quiet():
            result = method(*args)
        if not result["success"]:
            raise RuntimeError(f"nbgrader {what} {' '.join(args)} failed:\n"
                               f"{result.get('error', '')}\n{result.get('log', '')}")
        return time.perf_counter() - start

    def generate(self, assignment: str) -> float:
        return self._run("generate_assignment", self.api.generate_assignment, assignment)

    def submit(self, student: str, assignment: str, notebooks: dict[str, nbformat.NotebookNode]) -> None:
        folder = self.path("submitted", student, assignment)
        folder.mkdir(parents=True, exist_ok=True)
        for name, nb in notebooks.items():
            nbformat.write(nb, str(folder / name))

    def autograde(self, assignment: str, student: str) -> float:
        return self._run("autograde", self.api.autograde, assignment, student)

    def feedback(self, assignment: str) -> float:
        return self._run("generate_feedback", self.api.generate_feedback, assignment)

    def scores(self, assignment: str, student: str, notebook: str) -> dict[str, tuple[float | None, float]]:
        from nbgrader.api import Gradebook

        with Gradebook(self.config.CourseDirectory.db_url) as gradebook:
            submitted = gradebook.find_submission_notebook(notebook, assignment, student)
            return {grade.name: (grade.score, grade.max_score)
                    for grade in sorted(submitted.grades, key=lambda g: g.cell.name)}


def html_text(path: Path) -> str:
    """The text a reader of an HTML file sees: no tags, entities decoded, no ANSI codes."""
    text = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", path.read_text(encoding="utf-8"))
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def hidden_lines(source_nb: nbformat.NotebookNode, released_nb: nbformat.NotebookNode) -> list[str]:
    """Lines of the hidden tests that a student could not have seen or written: found
    neither in the released notebook nor in the solution cells (12 characters or more)."""
    seen = "\n".join([cell.source for cell in released_nb.cells]
                     + [cell.source for cell in source_nb.cells
                        if cell.metadata.get("nbgrader", {}).get("solution")])
    return sorted(line for cell in source_nb.cells for line in hidden_in(cell.source)
                  if len(line) >= 12 and line not in seen)


class _quiet:
    """nbgrader and jupyter_client may warn (deprecations); under `filterwarnings = error`
    a warning would abort a grading run, so warnings are ignored while nbgrader runs."""

    def __enter__(self) -> None:
        self._catch = warnings.catch_warnings()
        self._catch.__enter__()
        warnings.simplefilter("ignore")

    def __exit__(self, *exc: object) -> None:
        self._catch.__exit__(*exc)
        sys.stderr.flush()
