"""What a name in the student's code refers to, through imports, aliases and scopes.

`Names.resolve(np.testing)` is "numpy.testing", `getattr(np, "max")` "numpy.max",
`importlib.import_module("os")` "os"; a value of the notebook's own, or a local variable,
resolves to None.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterator
from dataclasses import dataclass

from .rules import KNOWN_MODULES

_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def dotted(node: ast.AST) -> str | None:
    """The name as written: np.testing.assert_allclose."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def is_string(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def mentions(node: ast.AST, names: set[str]) -> bool:
    return any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(node))


def argument_names(args: ast.arguments) -> set[str]:
    every = args.posonlyargs + args.args + args.kwonlyargs + [args.vararg, args.kwarg]
    return {a.arg for a in every if a is not None}


def walk_scope(body: list[ast.AST]) -> Iterator[ast.AST]:
    """Every node of a body, without descending into the functions or classes it defines."""
    stack = list(body)
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (*_DEFINITIONS, ast.Lambda)):
            stack.extend(getattr(node, "decorator_list", []))
            continue
        stack.extend(ast.iter_child_nodes(node))


def import_bindings(node: ast.Import | ast.ImportFrom) -> Iterator[tuple[str, str]]:
    """(name bound, dotted name of what it is bound to) for one import statement."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                yield alias.asname, alias.name
            else:
                head = alias.name.split(".")[0]
                yield head, head
    elif node.module and not node.level:
        for alias in node.names:
            if alias.name != "*":
                yield alias.asname or alias.name, f"{node.module}.{alias.name}"


def module_imports(tree: ast.Module) -> Iterator[tuple[str, str]]:
    """The global names a cell's imports bind (in functions: local, left out)."""
    for node in walk_scope(tree.body):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield from import_bindings(node)


def module_definitions(tree: ast.Module) -> set[str]:
    """The global names a cell binds otherwise: def, class, assignment, for, with."""
    return {node.name if isinstance(node, _DEFINITIONS) else node.id
            for node in walk_scope(tree.body) if isinstance(node, _DEFINITIONS)
            or isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}


@dataclass
class Scope:
    names: dict[str, str | None]   # local name -> what it refers to (None: a local value)
    params: set[str]
    declared: set[str]             # names declared global or nonlocal


class Names:
    """The names visible at a point of a cell: the notebook's globals (`aliases`: name ->
    dotted name; `own`: the notebook's own values), and the scopes of the functions, lambdas
    and classes around that point (innermost last)."""

    def __init__(self, aliases: dict[str, str], own: set[str]) -> None:
        self.aliases, self.own = aliases, own
        self.scopes: list[Scope] = []

    def lookup(self, name: str) -> str | None:
        for scope in reversed(self.scopes):
            if name in scope.names:
                return scope.names[name]
        if name in self.aliases:
            return self.aliases[name]
        if name in self.own:
            return None
        if name in KNOWN_MODULES:
            return KNOWN_MODULES[name]
        return f"builtins.{name}" if name in vars(builtins) else None

    def resolve(self, node: ast.AST | None) -> str | None:
        """The dotted name an expression refers to: np.testing -> numpy.testing."""
        if isinstance(node, ast.Name):
            return self.lookup(node.id)
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value)
            return f"{base}.{node.attr}" if base else None
        if isinstance(node, ast.Call) and node.args and is_string(node.args[-1]):
            function = self.resolve(node.func)
            if function in ("importlib.import_module", "builtins.__import__"):
                return node.args[0].value if is_string(node.args[0]) else None
            if function == "builtins.getattr" and len(node.args) == 2:
                base = self.resolve(node.args[0])
                return f"{base}.{node.args[1].value}" if base else None
        if isinstance(node, ast.Subscript) and self.resolve(node.value) == "sys.modules" \
                and is_string(node.slice):
            return node.slice.value
        return None

    @property
    def params(self) -> set[str]:
        """The parameters of the functions around this point."""
        return set().union(*(s.params for s in self.scopes))

    def binds_globally(self, name: str) -> bool:
        """Whether binding `name` here binds a global: outside functions, or declared global."""
        return not self.scopes or name in self.scopes[-1].declared

    def enter(self, params: set[str], body: list[ast.AST]) -> None:
        """A new scope: the parameters and every name the body binds are local."""
        names: dict[str, str | None] = dict.fromkeys(params)
        declared: set[str] = set()
        for child in walk_scope(body):
            if isinstance(child, (ast.Global, ast.Nonlocal)):
                declared |= set(child.names)
            elif isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
                names.setdefault(child.id, None)
            elif isinstance(child, _DEFINITIONS):
                names.setdefault(child.name, None)
            elif isinstance(child, (ast.Import, ast.ImportFrom)):
                names.update(import_bindings(child))
            elif isinstance(child, ast.ExceptHandler) and child.name:
                names.setdefault(child.name, None)
        for name in declared:
            names.pop(name, None)
        self.scopes.append(Scope(names, params, declared))
        for child in walk_scope(body):  # local aliases: ref = gradcheck.numerical_gradient
            if isinstance(child, ast.Assign) and len(child.targets) == 1 \
                    and isinstance(child.targets[0], ast.Name) \
                    and child.targets[0].id not in declared:
                target = self.resolve(child.value)
                if target:
                    names[child.targets[0].id] = target

    def leave(self) -> None:
        self.scopes.pop()
