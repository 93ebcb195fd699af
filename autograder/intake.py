"""What is in a student's submission folder, before nbgrader sees it.

nbgrader grades the notebooks named as in the release and nothing else, and stops on a file
it cannot read. `inspect` looks at one folder and says, for each released notebook, whether
it can be graded, and why not:

    ok            the notebook is there and is a notebook nbformat can read (v3 is converted)
    renamed       it is missing, but exactly one other notebook is there: that one is graded
                  in its place (a copy under the released name is added; nothing is removed)
    missing       no such notebook and no stand-in: it scores zero
    unreadable    empty, not JSON, or of an nbformat version this nbformat cannot read: it
                  scores zero, with the reason; the file is left as it is

Other files are listed as extra (they are copied with the submission, as nbgrader does, but
they cannot shadow numpy or backprop_ref: the grading kernel loads those first).
"""

from __future__ import annotations

import json
import shutil
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

IGNORED = {".ipynb_checkpoints", "__pycache__", "timestamp.txt", ".DS_Store"}


@dataclass
class Intake:
    """One submission folder: each released notebook's status, and notes for the instructor."""

    status: dict[str, str] = field(default_factory=dict)  # notebook name -> ok/renamed/...
    reasons: dict[str, str] = field(default_factory=dict)  # notebook name -> why, if not ok
    notes: list[str] = field(default_factory=list)

    @property
    def gradable(self) -> list[str]:
        return [name for name, status in self.status.items() if status in ("ok", "renamed")]

    @property
    def ungradable(self) -> list[str]:
        return [name for name, status in self.status.items() if status not in ("ok", "renamed")]


def read_notebook(data: bytes) -> tuple[str | None, nbformat.NotebookNode | None]:
    """(None, the notebook) for a notebook nbformat reads (older formats converted, as
    nbgrader reads them), or (why it is not one, None)."""
    if not data.strip():
        return "the file is empty", None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return "the file is not UTF-8 text, so it is not a notebook", None
    try:
        content = json.loads(text)
    except json.JSONDecodeError as error:
        return f"the file is not valid JSON ({error.msg} at line {error.lineno}), so it is " \
               "not a notebook: was it saved or uploaded whole?", None
    version = content.get("nbformat") if isinstance(content, dict) else None
    if not isinstance(version, int) or isinstance(version, bool):
        return "the file is JSON but not a notebook (it has no nbformat version number)", None
    if version > 4:
        return f"the notebook is in format {version}, newer than the format 4 this grader " \
               "knows", None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nb = nbformat.reads(text, as_version=4)
    except Exception as error:  # noqa: BLE001 - any failure means the file cannot be graded
        return f"the notebook (format {version}) cannot be read ({type(error).__name__}: " \
               f"{str(error)[:300]})", None
    cells = nb.get("cells")
    if not isinstance(cells, list) or not all(
            isinstance(c, dict) and c.get("cell_type") in ("code", "markdown", "raw")
            and isinstance(c.get("source", ""), (str, list)) for c in cells):
        return "the notebook's cells are malformed (a cell without a type or source)", None
    return None, nb


def inspect(folder: Path, released: list[str], *, repair: bool = True) -> Intake:
    """The status of each released notebook (file names, `a1.ipynb`) in `folder`.

    With `repair`, a renamed notebook is copied to its released name in `folder`.
    """
    intake = Intake()
    present = sorted(p for p in folder.iterdir() if p.name not in IGNORED) if folder.is_dir() else []
    notebooks = [p for p in present if p.suffix == ".ipynb" and p.is_file()]
    strays = [p for p in notebooks if p.name not in released]
    for name in released:
        path = folder / name
        if not path.is_file():
            readable = [p for p in strays if read_notebook(p.read_bytes())[0] is None]
            if len(readable) == 1 and sum(not (folder / n).is_file() for n in released) == 1:
                stand_in = readable[0]
                if repair:
                    shutil.copy2(stand_in, path)
                intake.status[name] = "renamed"
                intake.reasons[name] = f"{name} is missing; {stand_in.name} was graded in its place"
                strays.remove(stand_in)
            else:
                intake.status[name] = "missing"
                found = ", ".join(p.name for p in notebooks) or "no notebook"
                intake.reasons[name] = f"{name} is missing (the folder has {found})"
            continue
        problem, _ = read_notebook(path.read_bytes())
        intake.status[name] = "ok" if problem is None else "unreadable"
        if problem:
            intake.reasons[name] = f"{name}: {problem}"
    extra = [p.name + ("/" if p.is_dir() else "") for p in present
             if p.name not in released and p not in notebooks] + [p.name for p in strays]
    if extra:
        intake.notes.append("extra files, not graded: " + ", ".join(sorted(extra)))
    return intake
