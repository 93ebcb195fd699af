"""The scan of a notebook: which cells are the student's, their findings, and the test cells
they changed."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat

from . import cells
from .magics import read_cell
from .names import Names, module_definitions, module_imports
from .release import Release
from .rules import Finding
from .scanner import Cell, Scanner
from ..intake import read_notebook


def scan(submitted: nbformat.NotebookNode, released: nbformat.NotebookNode) -> list[Finding]:
    """Findings in the code the student wrote: solution cells and added cells (any code cell
    whose source is not identical to a released cell), plus test cells whose source differs
    from the released one ("edited-test")."""
    release = Release.of(released)
    read = []
    for cell in _student_cells(submitted, release):
        lines = cells.lines(cell.source)
        tree, found = read_cell(cell.label, cell.source, lines)
        read.append((cell, lines, tree, found))
    aliases, own = _global_names(release, [tree for _, _, tree, _ in read if tree is not None])
    findings: list[Finding] = []
    for cell, lines, tree, found in read:
        findings += found
        if tree is not None:
            scanner = Scanner(cell, lines, release, Names(aliases, own))
            scanner.visit(tree)
            findings += sorted(scanner.findings, key=lambda f: f.line_number)
    findings += _edited_tests(submitted, release)
    once = {}  # one finding per rule and line: the first
    for f in findings:
        once.setdefault((f.rule, f.cell, f.line_number), f)
    return list(once.values())


def scan_file(path: Path, released: nbformat.NotebookNode) -> list[Finding]:
    """scan() for a file on disk; a file that is not a readable notebook (invalid JSON,
    empty, unknown nbformat) gives one Finding(rule="unreadable", ...) saying why, never an
    exception. Older formats are converted as nbformat (and nbgrader) read them. It does
    not modify the file."""
    try:
        problem, nb = read_notebook(Path(path).read_bytes())
    except OSError as error:
        problem = f"the file cannot be read ({error.strerror or error})"
    if problem:
        return [Finding("unreadable", "notebook", 0, "", problem)]
    return scan(nb, released)


def _student_cells(submitted, release: Release) -> list[Cell]:
    every = submitted.get("cells", [])
    found = []
    for index, cell in enumerate(every):
        if cell.get("cell_type") != "code" or cells.is_test(cell):
            continue
        source, label = cells.source(cell), cells.label(cell, index)
        if cells.is_solution(cell):
            found.append(Cell(label, "solution", source, release.allowed_for(cells.grade_id(cell))))
        elif source not in release.sources and source.strip():
            # the package objects both neighbouring parts allow (a helper may serve either)
            around = [next((cells.grade_id(c) for c in side if cells.is_solution(c)), None)
                      for side in (reversed(every[:index]), every[index + 1:])]
            allowed = [release.allowed_for(gid) for gid in around if gid is not None]
            found.append(Cell(label, "added", source, set.intersection(*allowed) if allowed
                              else set()))
    return found


def _global_names(release: Release, trees: list[ast.Module]) -> tuple[dict[str, str], set[str]]:
    """Names bound at the notebook's top level, to a module or an object (aliases: imports,
    and assignments such as t = np.testing), or to a value of the notebook's own (own)."""
    aliases, own = dict(release.aliases), set(release.own)
    imported = {name: target for tree in trees for name, target in module_imports(tree)}
    aliases.update(imported)
    assigned: set[str] = set()
    names = Names(aliases, own)
    for _ in range(3):  # g = importlib.import_module("backprop_ref.grading"); c = g.check
        for node in (n for tree in trees for n in tree.body):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                    and isinstance(node.targets[0], ast.Name) \
                    and (target := names.resolve(node.value)):
                aliases[node.targets[0].id] = target
                assigned.add(node.targets[0].id)
    for name in set().union(*map(module_definitions, trees)) - set(imported) - assigned:
        aliases.pop(name, None)  # the student's own value, even if a test imports that name
        own.add(name)
    return aliases, own


def _edited_tests(submitted, release: Release) -> list[Finding]:
    copies: dict[str, list] = {}
    for cell in submitted.get("cells", []):
        if cells.grade_id(cell) in release.tests and cells.is_test(cell):
            copies.setdefault(cells.grade_id(cell), []).append(cell)
    findings = []

    def found(gid: str, why: str, number: int = 0, line: str = "") -> None:
        findings.append(Finding("edited-test", gid, number, line, why))

    for gid, original in release.tests.items():
        if gid not in copies:
            found(gid, "this test cell was deleted (or lost its nbgrader metadata); nbgrader "
                  "adds it back")
            continue
        if len(copies[gid]) > 1:
            found(gid, f"this test cell appears {len(copies[gid])} times (copied): one copy is "
                  "graded, restored from the release")
        cell = copies[gid][-1]
        if cell.get("cell_type") != original.get("cell_type"):
            found(gid, f"this test cell was turned into a {cell.get('cell_type')} cell; "
                  "nbgrader restores it")
            continue
        mine, theirs = cells.lines(cells.source(cell)), cells.lines(cells.source(original))
        if mine != theirs:
            i = next((i for i, (a, b) in enumerate(zip(mine, theirs)) if a != b),
                     min(len(mine), len(theirs)))
            if i < len(mine):
                found(gid, "this test cell was edited from this line on; nbgrader restores the "
                      "released test when grading", i + 1, mine[i].strip())
            else:
                found(gid, f"this test cell lost its lines from line {i + 1} on; nbgrader "
                      "restores the released test when grading", i + 1)
    return findings
