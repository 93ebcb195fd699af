"""What the released notebook shows a student, read once per release.

The scan compares the student's code with the release: the code it gives (cells copied
unchanged are not the student's), the names its cells import and define, the package objects
its tests allow (`graded(allow=[...], replace={...})`), and the numbers and shapes of its
visible tests, which a hard-coded answer copies.
"""

from __future__ import annotations

import ast
import builtins
import functools
import json
import math
from dataclasses import dataclass, field

from . import cells
from .literals import array_shape, evaluate, int_tuple, is_round, number, numbers_in, tuples_in
from .names import dotted, module_definitions, module_imports
from .rules import HELPERS, RELIED_ON, canonical


@dataclass
class Release:
    sources: set[str] = field(default_factory=set)          # every released code cell
    tests: dict[str, dict] = field(default_factory=dict)    # grade_id -> released test cell
    aliases: dict[str, str] = field(default_factory=dict)   # name -> dotted, from its imports
    own: set[str] = field(default_factory=set)              # defined by given code, stubs
    imported: set[str] = field(default_factory=set)         # canonical keys it imports
    modules: set[str] = field(default_factory=set)          # modules the tests rely on
    allowed: dict[str, set[str]] = field(default_factory=dict)  # solution id -> allowed keys
    numbers: set[float] = field(default_factory=set)        # distinctive visible-test numbers
    shapes: set[tuple[int, ...]] = field(default_factory=set)  # shapes in the visible tests
    helpers: set[str] = field(default_factory=lambda: set(HELPERS))
    builtins_used: set[str] = field(default_factory=set)
    solution_names: set[str] = field(default_factory=set)   # the graded functions and classes

    @staticmethod
    def of(released) -> Release:
        """The release's analysis, computed once per distinct released notebook."""
        return _read(json.dumps([{"cell_type": c.get("cell_type"), "source": cells.source(c),
                                  "metadata": {"nbgrader": cells.meta(c)}}
                                 for c in released.get("cells", [])], sort_keys=True, default=str))

    def allowed_for(self, gid: str | None) -> set[str]:
        """The package objects the tests of solution cell `gid` let its code call."""
        return self.allowed.get(gid, set())

    def copied(self, node: ast.AST, *, numbers: bool = True) -> str | None:
        """Why a literal looks copied from the visible tests, or None. A shape always counts;
        a number only if `numbers` (compared with an input, or returned)."""
        for shape in tuples_in(node):
            if shape in self.shapes:
                return f"the shape {shape} of an input of the visible tests"
        for v in numbers_in(node) if numbers else []:
            if v in self.numbers:
                return f"{v!r}, a number from the visible tests"
        return None

    def _read_test(self, tree: ast.Module, visible: set[float]) -> set[str]:
        """Reads one test cell; returns the package objects it allows."""
        nodes = list(ast.walk(tree))
        bound = {n.id for n in nodes if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        local = dict(module_imports(tree))

        def resolve(node: ast.AST) -> str | None:  # through the test's and the release's imports
            name = dotted(node)
            head = name.split(".")[0] if name else None
            base = local.get(head) or self.aliases.get(head)
            return base + name[len(head):] if base else None

        allowed: set[str] = set()
        for node in nodes:
            if (v := evaluate(node)) is not None:  # 0.9, and 3 * 2.0 ** 2 + 1e-6, np.cos(0.5)
                visible.add(v)
            if (shape := int_tuple(node)) is not None and len(shape) >= 2:
                self.shapes.add(shape)
            if isinstance(node, ast.Call) and resolve(node.func) == "numpy.array" and node.args:
                shape = array_shape(node.args[0])
                if shape and math.prod(shape) >= 2:
                    self.shapes.add(shape)
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) \
                    and node.id in vars(builtins) and node.id not in bound:
                self.builtins_used.add(node.id)
            if isinstance(node, ast.ImportFrom) and node.module == "backprop_ref.grading":
                self.helpers |= {a.asname or a.name for a in node.names}
            if isinstance(node, ast.Call) and resolve(node.func) == "backprop_ref.grading.graded":
                for keyword in node.keywords:  # graded(allow=[...], replace={...})
                    values = (keyword.value.elts if isinstance(keyword.value, (ast.List, ast.Tuple))
                              else keyword.value.values if isinstance(keyword.value, ast.Dict)
                              else [])
                    allowed |= {canonical(key) for key in map(resolve, values) if key}
        return allowed


@functools.lru_cache(maxsize=32)
def _read(key: str) -> Release:
    """The Release of a notebook's cells, given as JSON (the key of the cache)."""
    release = Release()
    trees, tested = [], {}  # tested: test grade_id -> the solution cell above it
    solution = None
    for cell in json.loads(key):
        if cell["cell_type"] != "code":
            continue
        source, gid = cells.source(cell), cells.grade_id(cell)
        release.sources.add(source)
        if gid and cells.is_solution(cell):
            solution = gid
        elif gid and cells.is_test(cell):
            release.tests[gid] = cell
            tested[gid] = solution
        tree = cells.parse(source)
        if tree is not None:
            trees.append((cell, tree))
    for cell, tree in trees:
        for name, target in module_imports(tree):
            release.aliases[name] = target
            release.imported.add(canonical(target))
        if not cells.is_test(cell):
            release.own |= module_definitions(tree) - set(release.aliases)
    release.modules = RELIED_ON | {target.split(".")[0] for target in release.aliases.values()}
    visible: set[float] = set()
    given: set[float] = set()  # numbers the given code and the stubs show
    for cell, tree in trees:
        if cells.is_test(cell):
            allowed = release._read_test(tree, visible)
            part = tested.get(cells.grade_id(cell))
            if part is not None:  # a test's allowances are its part's (the solution above it)
                release.allowed.setdefault(part, set()).update(allowed)
        else:
            given |= {v for n in ast.walk(tree) if (v := number(n)) is not None}
            if cells.is_solution(cell):
                release.solution_names |= module_definitions(tree)
    release.numbers = {v for v in visible if not is_round(v) and v not in given}
    return release
