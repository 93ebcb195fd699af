"""Write and check assignment notebooks: solutions/<aN_name>/<aN_name>.ipynb.

The notebook in solutions/ is the only source of an assignment (nbgrader reads it). This tool
converts it to and from a plain-text form that is easy to write and review, and checks the
course's conventions. Cells in the text form start with a header line:

    #%% markdown a1-intro                 an ordinary Markdown cell
    #%% code a1-setup                     given code, locked (read-only) for the student
    #%% solution a1-p1-central-difference the student's answer: ### BEGIN/END SOLUTION inside
    #%% tests a1-p1-tests points=2        a locked grade cell: visible tests, then
                                          ### BEGIN/END HIDDEN TESTS, all inside graded()

The word after the kind is the cell id, which is also its nbgrader grade_id. Usage, from the
repository root:

    python tools/build_assignment.py text solutions/a1_x/a1_x.ipynb > /tmp/a1.txt   # to text
    python tools/build_assignment.py build /tmp/a1.txt solutions/a1_x/a1_x.ipynb     # back
    python tools/build_assignment.py check                     # every notebook in solutions/
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
KINDS = ("markdown", "code", "solution", "tests")
HEADER = re.compile(r"^#%% (?P<kind>\w+) (?P<id>\S+)(?: points=(?P<points>\d+))?\s*$")
CELL_ID = re.compile(r"^a\d+-[a-z0-9]+(?:-[a-z0-9]+)*$")
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def _nbgrader(cell_id: str, *, grade: bool, solution: bool, locked: bool,
              points: int | None = None) -> dict:
    meta = {"grade": grade, "grade_id": cell_id, "locked": locked, "schema_version": 3,
            "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return meta


def from_text(text: str) -> nbformat.NotebookNode:
    """The notebook described by the text form (no outputs, stable ids, nbgrader metadata)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}}
    chunks: list[tuple[re.Match, list[str]]] = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("#%%"):
            match = HEADER.match(line)
            if not match or match["kind"] not in KINDS:
                raise ValueError(f"line {number}: expected '#%% <{'|'.join(KINDS)}> <id> "
                                 f"[points=N]', got {line!r}")
            chunks.append((match, []))
        elif chunks:
            chunks[-1][1].append(line)
        elif line.strip():
            raise ValueError(f"line {number}: text before the first '#%%' header")
    for match, lines in chunks:
        kind, cell_id, points = match["kind"], match["id"], match["points"]
        if (kind == "tests") != (points is not None):
            raise ValueError(f"cell {cell_id}: points=N is required on tests cells, and only there")
        source = "\n".join(lines).strip("\n")
        if kind == "markdown":
            cell = nbformat.v4.new_markdown_cell(source)
        else:
            cell = nbformat.v4.new_code_cell(source)
            cell.metadata["nbgrader"] = {
                "code": _nbgrader(cell_id, grade=False, solution=False, locked=True),
                "solution": _nbgrader(cell_id, grade=False, solution=True, locked=False),
                "tests": _nbgrader(cell_id, grade=True, solution=False, locked=True,
                                   points=int(points or 0)),
            }[kind]
        cell.id = cell_id
        nb.cells.append(cell)
    return nb


def kind_of(cell: nbformat.NotebookNode) -> str:
    if cell.cell_type == "markdown":
        return "markdown"
    meta = cell.metadata.get("nbgrader", {})
    if meta.get("grade") and not meta.get("solution"):
        return "tests"
    if meta.get("solution") and not meta.get("grade"):
        return "solution"
    if meta.get("locked") and not meta.get("grade") and not meta.get("solution"):
        return "code"
    raise ValueError(f"cell {cell.get('id')}: not one of the course's cell kinds "
                     f"(nbgrader metadata {meta})")


def to_text(nb: nbformat.NotebookNode) -> str:
    parts = []
    for cell in nb.cells:
        kind = kind_of(cell)
        points = cell.metadata["nbgrader"].get("points") if kind == "tests" else None
        header = f"#%% {kind} {cell.id}" + (f" points={points:g}" if points is not None else "")
        parts.append(f"{header}\n{cell.source}\n")
    return "\n".join(parts)


def write(nb: nbformat.NotebookNode, path: Path) -> None:
    nbformat.validate(nb)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")


def normalized(path: Path) -> str:
    """The file's text as `build` would write it."""
    return nbformat.writes(from_text(to_text(nbformat.read(path, as_version=4)))) + "\n"


def lint(path: Path) -> list[str]:
    """Every way the notebook at `path` breaks the course's conventions (empty if none)."""
    problems: list[str] = []
    folder = path.parent.name
    tag = folder.split("_", 1)[0]
    if not re.fullmatch(r"a\d+_[a-z0-9_]+", folder) or path.name != f"{folder}.ipynb":
        problems.append(f"expected solutions/aN_name/aN_name.ipynb, got {path}")
    try:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        kinds = [kind_of(cell) for cell in nb.cells]
    except Exception as error:  # noqa: BLE001 (reported, not raised)
        return problems + [f"{path}: {error}"]
    ids = [cell.get("id", "") for cell in nb.cells]
    for cell_id in sorted({i for i in ids if ids.count(i) > 1}):
        problems.append(f"cell id {cell_id!r} is used twice")
    if not kinds or kinds[0] != "markdown":
        problems.append("the first cell must be the introduction (Markdown)")
    if "solution" not in kinds or "tests" not in kinds:
        problems.append("an assignment needs solution cells and tests cells")
    for cell, kind in zip(nb.cells, kinds):
        where = f"cell {cell.get('id')}"
        if not CELL_ID.match(cell.get("id", "")) or not cell.id.startswith(f"{tag}-"):
            problems.append(f"{where}: ids are lowercase words joined by '-', starting "
                            f"with '{tag}-'")
        if kind == "markdown":
            continue
        if cell.metadata["nbgrader"].get("grade_id") != cell.id:
            problems.append(f"{where}: grade_id must equal the cell id")
        if cell.outputs or cell.execution_count is not None:
            problems.append(f"{where}: commit notebooks without outputs")
        source = cell.source
        try:
            tree = ast.parse(source)
        except SyntaxError as error:
            problems.append(f"{where}: {error}")
            continue
        if kind == "solution" and (source.count("### BEGIN SOLUTION") != 1
                                   or source.count("### END SOLUTION") != 1):
            problems.append(f"{where}: needs exactly one ### BEGIN SOLUTION / ### END SOLUTION")
        if kind == "tests":
            problems += _lint_tests(where, source, tree, cell.metadata["nbgrader"])
    if not problems and path.read_text(encoding="utf-8") != normalized(path):
        problems.append(f"not in normal form: run python tools/build_assignment.py "
                        f"normalize {path}")
    return problems


def _lint_tests(where: str, source: str, tree: ast.Module, meta: dict) -> list[str]:
    problems = []
    if not meta.get("points", 0) > 0:
        problems.append(f"{where}: a tests cell needs points > 0")
    if source.count("### BEGIN HIDDEN TESTS") != 1 or source.count("### END HIDDEN TESTS") != 1:
        problems.append(f"{where}: needs one ### BEGIN HIDDEN TESTS / ### END HIDDEN TESTS region")
    for node in tree.body:
        is_graded = (isinstance(node, ast.With) and len(node.items) == 1
                     and isinstance(node.items[0].context_expr, ast.Call)
                     and getattr(node.items[0].context_expr.func, "id", "") == "graded")
        if not (is_graded or isinstance(node, (ast.Import, ast.ImportFrom))):
            problems.append(f"{where}: line {node.lineno}: a tests cell holds imports and one "
                            f"`with graded():` block, nothing else (a bare expression "
                            f"would even be read as a partial score)")
    visible = re.sub(r"(?ms)^[ \t]*### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS[ \t]*$\n?",
                     "", source)
    try:
        ast.parse(visible)
    except SyntaxError as error:
        problems.append(f"{where}: without its hidden tests the cell is not valid Python "
                        f"({error}); keep the hidden region inside the with block, after "
                        f"the visible tests")
    return problems


def main(argv: list[str]) -> int:
    if argv[:1] == ["text"] and len(argv) == 2:
        sys.stdout.write(to_text(nbformat.read(argv[1], as_version=4)))
        return 0
    if argv[:1] == ["build"] and len(argv) == 3:
        write(from_text(Path(argv[1]).read_text(encoding="utf-8")), Path(argv[2]))
        return 0
    if argv[:1] == ["normalize"] and len(argv) >= 2:
        for name in argv[1:]:
            Path(name).write_text(normalized(Path(name)), encoding="utf-8")
        return 0
    if argv[:1] == ["check"]:
        paths = [Path(a) for a in argv[1:]] or sorted((ROOT / "solutions").glob("*/*.ipynb"))
        failed = 0
        for path in paths:
            for problem in lint(path):
                print(f"{path}: {problem}")
                failed = 1
        return failed
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
