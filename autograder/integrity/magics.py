"""Cells that are not plain Python: IPython syntax, and code that does not parse at all.

IPython syntax (`%magic`, `!shell`, `files = !ls`, `obj?`) is reported for what it runs and
read as `pass`; a cell that still does not parse is searched line by line (`FALLBACK`).
"""

from __future__ import annotations

import ast
import re

from . import cells
from .rules import Finding

SHELL_CELL_MAGICS = frozenset({"bash", "sh", "script", "system", "writefile", "file", "python",
                               "python2", "python3", "pypy", "perl", "ruby", "sx"})
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug"})
SHELL_LINE_MAGICS = frozenset({"system", "sx", "sc", "run", "load", "cd", "writefile", "pycat",
                               "cat", "ls", "rm", "cp", "mv", "mkdir", "rmdir", "bookmark",
                               "pushd", "popd", "less", "more", "alias", "save", "store",
                               "loadpy", "notebook", "env", "dhist", "bash", "sh"})
RESET_MAGICS = frozenset({"reset", "reset_selective", "xdel", "killbgscripts"})
ASSIGNED_MAGIC = re.compile(r"^(\s*)[\w\s,.\[\]]+=\s*([!%])\s*(\w*)")
HELP = re.compile(r"\??[\w.]+\?{1,2}|\?{1,2}[\w.]+")  # obj?, obj??, ?obj
FALLBACK: list[tuple[str, re.Pattern, str]] = [
    ("tampering", re.compile(r"\b(np|numpy|builtins|__builtins__|backprop_ref[\w.]*)\.[\w.]+"
                             r"\s*=(?!=)|\bsetattr\(|\bdelattr\(|\bsys\.modules\b|__code__|"
                             r"__globals__|\bctypes\b|_getframe|currentframe|\bf_(back|locals|"
                             r"globals)\b|settrace|setprofile|\bmock\b|importlib\.reload|"
                             r"gc\.get_|\bexec\(|\beval\("),
     "this cell is not valid Python, but its text looks like patching what the tests rely on"),
    ("reference-call", re.compile(r"backprop_ref(\.|\s+import\s+)(autograd|gradcheck|layers|"
                                  r"losses|optim|schedules|train)\b"),
     "this cell is not valid Python, but its text uses the course package's implementations"),
    ("file-access", re.compile(r"\bopen\(|read_text|read_bytes|os\.(listdir|scandir|walk|"
                               r"system|popen)|\bglob\b|sqlite3|subprocess|shutil|json\.load\b|"
                               r"nbformat|\.ipynb|gradebook|autograded|solutions/"),
     "this cell is not valid Python, but its text looks like reading files or grading material"),
    ("disruptive", re.compile(r"os\._exit|sys\.exit|\bexit\(|\bquit\(|os\.kill|\bsignal\.|"
                              r"threading|multiprocessing|os\.fork|setrlimit|"
                              r"while\s+(True|1)\s*:"),
     "this cell is not valid Python, but its text looks like stopping or flooding the kernel"),
]


def read_cell(label: str, source: str, lines: list[str]) -> tuple[ast.Module | None,
                                                                  list[Finding]]:
    """The cell's syntax tree (None if it has none), and the findings of its IPython syntax,
    or of its lines if it is not Python."""
    tree = cells.parse(source)
    if tree is not None:
        return tree, []
    python, findings = _without_magics(label, lines)
    if python is None:
        return None, findings
    tree = cells.parse(python)
    if tree is None:
        findings += [Finding(rule, label, i + 1, line.strip(), why)
                     for i, line in enumerate(lines) if not line.lstrip().startswith("#")
                     for rule, pattern, why in FALLBACK if pattern.search(line)]
    return tree, findings


def _without_magics(label: str, lines: list[str]) -> tuple[str | None, list[Finding]]:
    """IPython syntax replaced by `pass`, and the findings of the magics; no source if the
    cell is not Python (%%bash, %%html)."""
    findings: list[Finding] = []

    def found(rule: str, i: int, why: str) -> None:
        findings.append(Finding(rule, label, i + 1, lines[i].strip(), why))

    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and lines[first].lstrip().startswith("%%"):
        magic = lines[first].strip()[2:].split(" ")[0]
        if magic in SHELL_CELL_MAGICS:
            found("file-access", first, f"the cell magic %%{magic} runs the cell outside Python "
                  "(a shell, a script, a file written)")
        if magic not in PYTHON_CELL_MAGICS:
            return None, findings  # %%html, %%javascript ...: not run by the grader's kernel
    out = []
    for i, line in enumerate(lines):
        stripped = line.strip()
        indent = line[:len(line) - len(line.lstrip())]
        assigned = ASSIGNED_MAGIC.match(line)
        if i == first and stripped.startswith("%%"):  # %%time: the rest of the cell is Python
            out.append("")
        elif stripped.startswith(("!", "%")) or assigned:
            sign = assigned.group(2) if assigned else stripped[0]
            magic = assigned.group(3) if assigned else re.split(r"[\s(]", stripped.lstrip("!%"))[0]
            if sign == "!":
                found("file-access", i, "runs a shell command (IPython's !), outside the "
                      "notebook and its tests")
            elif magic in SHELL_LINE_MAGICS:
                found("file-access", i, f"the IPython magic %{magic} runs commands or reads "
                      "files, outside the notebook's own code")
            elif magic in RESET_MAGICS:
                found("disruptive", i, f"%{magic} deletes the notebook's variables, the "
                      "tests' included")
            out.append(indent + "pass")
        elif HELP.fullmatch(stripped):
            out.append(indent + "pass")
        else:
            out.append(line)
    return "\n".join(out), findings
