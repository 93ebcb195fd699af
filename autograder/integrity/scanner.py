"""The scan of one cell: a syntax-tree visitor that reports the lines an instructor should read.

Names are resolved (`Names`) and checked against the tables of `rules`; assignments are
checked for what they rebind; calls, loops and literals for what they would do to the grading
run or whether they write in an answer. Code that a test may run is judged more strictly than
the exploring an added cell does at its top level (`runs_when_graded`).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass

from . import answers
from .literals import number, size
from .names import Names, argument_names, dotted, import_bindings, is_string, walk_scope
from .release import Release
from .rules import (ALLOCATORS, CORE_BUILTINS, FILE_METHODS, FRAME_ATTRIBUTES,
                    HUGE, MAPPING_WRITES, NAMES, NAMESPACES, PATCHED_ATTRIBUTES, Finding,
                    canonical, is_forbidden, names_material, within)


@dataclass
class Cell:
    label: str
    kind: str                 # "solution" or "added"
    source: str
    allowed: set[str]         # the package objects its tests let it call


class Scanner(ast.NodeVisitor):
    """Finds suspicious lines in one parsed cell."""

    def __init__(self, cell: Cell, lines: list[str], release: Release, names: Names) -> None:
        self.cell, self.lines, self.release, self.names = cell, lines, release, names
        self.resolve = names.resolve
        self.findings: list[Finding] = []
        self.unbounded_loops = 0      # loops without end (or of a million turns) around here
        self.top_assignment = False   # inside an assignment at the cell's top level
        self.docstrings: set[int] = set()

    def report(self, rule: str, node: ast.AST, why: str) -> None:
        lineno = getattr(node, "lineno", 1)
        line = self.lines[lineno - 1].strip() if 0 < lineno <= len(self.lines) else ""
        self.findings.append(Finding(rule, self.cell.label, lineno, line, why))

    @property
    def in_function(self) -> bool:
        return bool(self.names.scopes)

    @property
    def runs_when_graded(self) -> bool:
        """Code a test may run: all of a solution cell; functions and global assignments of
        a cell the student added (its other top-level code only explores)."""
        return self.cell.kind == "solution" or self.in_function or self.top_assignment

    # ---- names: tampering, reference-call, file-access, disruptive -----------------------------

    def check_name(self, key: str, node: ast.AST, *, imported: bool = False) -> bool:
        """Report what a resolved name is, if it is suspicious. True if reported."""
        parts = key.split(".")
        for i in range(len(parts), 0, -1):  # os.path.exists, then os.path, then os
            if (prefix := ".".join(parts[:i])) in NAMES:
                rule, why = NAMES[prefix]
                self.report(rule, node, why.format(name=key))
                return True
        if parts[0] != "backprop_ref":
            return False
        if parts[1:2] == ["grading"] and len(parts) > 2 and parts[2].startswith("_"):
            self.report("tampering", node, f"uses {key}, the inside of the grading machinery "
                        "(the guard that keeps the package out of the tests)")
            return True
        reference = canonical(key)
        if not is_forbidden(reference) or any(within(reference, k) for k in self.cell.allowed):
            return False
        if imported:
            if reference in self.release.imported:
                return False  # the released notebook imports it too (for a test's setup)
            self.report("reference-call", node, f"imports {key}, the course's own "
                        "implementation" + (" (allowed for exploring in an added cell, but the "
                        "graded functions must not use it)" if self.cell.kind == "added" else
                        ", into the code of a part the student must write themselves"))
            return True
        if not self.runs_when_graded:
            return False
        self.report("reference-call", node, f"uses backprop_ref's {reference.split('.', 1)[1]} "
                    "instead of the student's own code for this part")
        return True

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            key = self.names.lookup(node.id)
            if key:
                self.check_name(key, node)
            if key == "builtins.print" and self.unbounded_loops:
                self.report("disruptive", node, "prints inside a loop without end or of a "
                            "million turns: the output can flood the grading run")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if isinstance(node.ctx, ast.Load):
            if node.attr in FRAME_ATTRIBUTES:
                self.report("tampering", node, f"reads .{node.attr}, a way to reach the "
                            "variables of the running test or of other modules")
            key = self.resolve(node)
            if key:
                self.check_name(key, node)
                if dotted(node) is not None:
                    return  # np.testing.x: the whole name was checked, not np alone
        self.visit(node.value)

    def visit_Import(self, node: ast.Import | ast.ImportFrom) -> None:
        for name, target in import_bindings(node):
            self.check_binding(name, node, target)
        if isinstance(node, ast.Import):
            keys = [a.name for a in node.names]
        else:
            keys = [f"{node.module}.{a.name}" for a in node.names if node.module and a.name != "*"]
            if node.module and not node.level and any(a.name == "*" for a in node.names) \
                    and not self.check_name(node.module, node, imported=True) \
                    and node.module.startswith("backprop_ref") \
                    and node.module.split(".")[1:2] != ["grading"]:
                self.report("reference-call", node, f"imports everything from {node.module}, "
                            "the course's implementations included")
        for key in keys:
            self.check_name(key, node, imported=True)

    visit_ImportFrom = visit_Import

    # ---- bindings: tampering, reference-call ---------------------------------------------------

    def check_binding(self, name: str, node: ast.AST, target: str | None) -> None:
        """A global name bound by this statement (to `target`): shadowing what the tests use?"""
        if not self.names.binds_globally(name):
            return
        if (name in self.release.solution_names or name in self.release.own) and target \
                and is_forbidden(canonical(target)):
            self.report("reference-call", node, f"binds {name}, a name the tests use, to "
                        f"backprop_ref's {canonical(target).split('.', 1)[1]}: the tests would "
                        "check the package, not the student's code")
        elif name in self.release.helpers:
            if not target or canonical(target) != canonical(f"backprop_ref.grading.{name}"):
                self.report("tampering", node, f"defines its own {name}, the name of a check "
                            "the tests use")
        elif name in ("np", "numpy"):
            if target != "numpy":
                self.report("tampering", node, f"rebinds {name}, the name the tests use for numpy")
        elif name in CORE_BUILTINS or name in self.release.builtins_used:
            if target != f"builtins.{name}":
                self.report("tampering", node, f"shadows the built-in {name}, which the tests "
                            f"call: they would call this {name} instead")

    def check_targets(self, targets: Iterable[ast.AST], value: ast.AST | None,
                      node: ast.AST, *, deleting: bool = False) -> None:
        for target in targets:
            if isinstance(target, (ast.Tuple, ast.List)):
                self.check_targets(target.elts, None, node, deleting=deleting)
            elif isinstance(target, ast.Starred):
                self.check_targets([target.value], None, node, deleting=deleting)
            elif isinstance(target, ast.Name) and not deleting:
                self.check_binding(target.id, node, self.resolve(value))
            elif isinstance(target, ast.Attribute):
                owner = self.resolve(target.value)
                verb = "deletes" if deleting else "rebinds"
                if self.relied_on(owner):
                    self.report("tampering", node, f"{verb} {owner}.{target.attr}, part of an "
                                "imported module that the tests rely on")
                elif target.attr in PATCHED_ATTRIBUTES:
                    self.report("tampering", node, f"{verb} .{target.attr}, which swaps the code "
                                "or identity of an object behind the tests' backs")
            elif isinstance(target, ast.Subscript):
                self.check_namespace(target.value, node)

    def relied_on(self, target: str | None) -> bool:
        """Whether a name belongs to a module the tests rely on (numpy, backprop_ref, the
        builtins, sys, ..., or one the release imports), not to plotting or the like."""
        return bool(target) and target.split(".")[0] in self.release.modules

    def check_namespace(self, container: ast.AST, node: ast.AST) -> None:
        """Writes into sys.modules, the builtins, globals(), vars(x) or x.__dict__."""
        where = self.resolve(container.func if isinstance(container, ast.Call) else container)
        if where in NAMESPACES or (isinstance(container, ast.Attribute)
                                   and container.attr == "__dict__"):
            self.report("tampering", node, "writes into a namespace (sys.modules, the builtins, "
                        "globals(), vars() or __dict__) where the tests look up what they call")

    def visit_Assign(self, node: ast.Assign | ast.AnnAssign | ast.AugAssign) -> None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        self.check_targets(targets, None if isinstance(node, ast.AugAssign) else node.value, node)
        top = not self.in_function
        self.top_assignment = self.top_assignment or top
        self.generic_visit(node)
        if top:
            self.top_assignment = False

    visit_AnnAssign = visit_AugAssign = visit_Assign

    def visit_Delete(self, node: ast.Delete) -> None:
        self.check_targets(node.targets, None, node, deleting=True)
        self.generic_visit(node)

    # ---- scopes --------------------------------------------------------------------------------

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.skip_docstring(node)
        for decorator in node.decorator_list:
            self.visit(decorator)
        self.visit(node.args)
        if not self.in_function:
            self.check_binding(node.name, node, None)
        self.visit_scope(argument_names(node.args), node.body)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self.visit(node.args)
        self.visit_scope(argument_names(node.args), [node.body])

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.skip_docstring(node)
        for child in node.bases + node.keywords + node.decorator_list:
            self.visit(child)
        if not self.in_function:
            self.check_binding(node.name, node, None)
        self.visit_scope(set(), node.body)

    def visit_scope(self, parameters: set[str], body: list[ast.AST]) -> None:
        self.names.enter(parameters, body)
        for statement in body:
            self.visit(statement)
        self.names.leave()

    def visit_Module(self, node: ast.Module) -> None:
        self.skip_docstring(node)
        self.generic_visit(node)

    def skip_docstring(self, node: ast.Module | ast.FunctionDef | ast.ClassDef) -> None:
        """A docstring is prose: the paths it names are not opened (see visit_Constant)."""
        if node.body and isinstance(node.body[0], ast.Expr) and is_string(node.body[0].value):
            self.docstrings.add(id(node.body[0].value))

    # ---- calls, strings and loops: tampering, file-access, disruptive --------------------------

    def visit_Call(self, node: ast.Call) -> None:
        key = self.resolve(node.func)
        method = node.func.attr if isinstance(node.func, ast.Attribute) else None
        if key in ("builtins.setattr", "builtins.delattr") and node.args:
            owner = self.resolve(node.args[0])
            attribute = (node.args[1].value if len(node.args) > 1
                         and isinstance(node.args[1], ast.Constant) else None)
            if self.relied_on(owner) or attribute in PATCHED_ATTRIBUTES:
                what = f"{owner}.{attribute}" if owner and attribute else owner or attribute
                self.report("tampering", node, f"{key.split('.')[1]} changes {what}, which the "
                            "tests rely on")
        elif key in ("importlib.import_module", "builtins.__import__") and node.args:
            if is_string(node.args[0]):
                self.check_name(node.args[0].value, node, imported=True)
            else:
                self.report("tampering", node, "imports a module whose name is computed at run "
                            "time, which hides it from this scan")
        elif method in ("__setattr__", "__delattr__"):
            owner = self.resolve(node.func.value)
            if (owner and not owner.startswith("builtins.")) or (
                    node.args and self.resolve(node.args[0])):
                self.report("tampering", node, f"calls {method} to change an imported module "
                            "or object that the tests rely on")
        elif method in FILE_METHODS and not (key and key.split(".")[0] in ("numpy", "builtins")):
            self.report("file-access", node, f".{method}() reads or writes a file or a folder, "
                        "which a submission has no reason to do while it is graded")
        elif method in MAPPING_WRITES:
            self.check_namespace(node.func.value, node)
        self.check_cost(key, node)
        self.generic_visit(node)

    def check_cost(self, key: str | None, node: ast.Call) -> None:
        """Calls that ask for more memory or time than the grading kernel has."""
        if key in ALLOCATORS:
            if key == "builtins.range":
                sizes = [size(a) for a in node.args[:2]]
            else:
                sizes = [size(a) for a in node.args[:1]]
                sizes += [size(k.value) for k in node.keywords if k.arg in ("size", "shape")]
            worst = max((s for s in sizes if s is not None), default=0)
            if worst >= HUGE:
                self.report("disruptive", node, f"{key.split('.', 1)[1]} of {worst:.3g} elements: "
                            "more memory or time than the grading kernel has")
        elif key == "time.sleep" and node.args and (size(node.args[0]) or 0) >= 30:
            self.report("disruptive", node, "sleeps for 30 s or more, longer than a cell may run")
        elif key == "sys.setrecursionlimit" and node.args and (size(node.args[0]) or 0) >= 10 ** 6:
            self.report("disruptive", node, "a recursion limit this high lets deep recursion "
                        "crash the kernel instead of raising RecursionError")

    def visit_BinOp(self, node: ast.BinOp) -> None:
        sides = (node.left, node.right)
        if isinstance(node.op, ast.Mult) and any(isinstance(side, (ast.List, ast.Constant))
                                                 and number(side) is None for side in sides):
            count = max((size(side) or 0) for side in sides)
            if count >= HUGE:
                self.report("disruptive", node, f"builds a sequence of {count:.3g} elements: "
                            "more memory than the grading kernel has")
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if is_string(node) and id(node) not in self.docstrings and names_material(node.value):
            self.report("file-access", node, f"the string {node.value[:60]!r} names the course's "
                        "grading material (solutions, tests, gradebook, notebooks)")

    def visit_While(self, node: ast.While) -> None:
        endless = isinstance(node.test, ast.Constant) and bool(node.test.value) \
            and node.test.value is not Ellipsis
        if endless and not node.orelse and not _exits(node.body):
            self.report("disruptive", node, "a while loop with a constant condition and no "
                        "break, return or raise: it never ends, and the cell times out")
        self.visit_loop(node, endless)

    def visit_For(self, node: ast.For) -> None:
        """A loop without end (itertools.count) or of a million turns: no printing inside."""
        function = self.resolve(node.iter.func) if isinstance(node.iter, ast.Call) else None
        arguments = node.iter.args if isinstance(node.iter, ast.Call) else []
        endless = function in ("itertools.count", "itertools.cycle") or (
            function == "itertools.repeat" and len(arguments) < 2) or (
            function == "builtins.range" and max((size(a) or 0 for a in arguments[:2]),
                                                 default=0) >= 10 ** 6)
        self.visit_loop(node, endless)

    def visit_loop(self, node: ast.While | ast.For, endless: bool) -> None:
        self.unbounded_loops += endless
        self.generic_visit(node)
        self.unbounded_loops -= endless

    # ---- hard-coded answers --------------------------------------------------------------------

    def visit_Compare(self, node: ast.Compare) -> None:
        if self.cell.kind == "solution" or self.in_function:
            if why := answers.compared(node, self.release, self.resolve, self.names.params):
                self.report("hard-coded", node, why)
        self.generic_visit(node)

    def visit_Return(self, node: ast.Return) -> None:
        if node.value is not None and self.in_function:
            if why := answers.returned(node.value, self.release, self.resolve,
                                       solution=self.cell.kind == "solution"):
                self.report("hard-coded", node, why)
        self.generic_visit(node)

    def visit_If(self, node: ast.If | ast.IfExp) -> None:
        """An answer chosen by comparing an argument with a literal or an exact array."""
        if isinstance(node, ast.IfExp) or _returns(node.body) or _returns(node.orelse):
            if choice := answers.chosen(node.test, self.resolve, self.names.params):
                self.report("hard-coded", *choice)
        self.generic_visit(node)

    visit_IfExp = visit_If

    def visit_List(self, node: ast.List | ast.Tuple) -> None:
        if self.cell.kind == "solution" and (why := answers.table(node)):
            self.report("hard-coded", node, why)
            return  # the numbers inside are part of this literal
        self.generic_visit(node)

    visit_Tuple = visit_List


def _exits(body: list[ast.AST]) -> bool:
    """Whether a loop body can leave the loop: break (not of an inner loop), return, raise."""
    stack = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Return, ast.Raise, ast.Break)):
            return True
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(node, (ast.For, ast.While, ast.AsyncFor)):
            stack.extend(n for n in ast.walk(node) if isinstance(n, (ast.Return, ast.Raise)))
            continue
        stack.extend(ast.iter_child_nodes(node))
    return False


def _returns(body: list[ast.AST]) -> bool:
    return any(isinstance(n, ast.Return) for n in walk_scope(body))
