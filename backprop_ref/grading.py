"""Checks for the graded assignments: one-line tests whose failures read as plain sentences.

Every grade cell of an assignment has the same shape:

    from backprop_ref.grading import check_array, graded
    with graded():
        dW, db = linear_backward(dz, x, W)
        check_array("dW", dW, x.T @ dz, like="W", shape_hint="did you compute dz.T @ x?")

`graded()` makes a grade cell fair and honest:

- nbgrader scores a grade cell zero if anything was written to stderr, so a harmless warning
  would turn a correct answer into a zero. Inside the block, warnings are recorded (and named
  in the failure message if a check fails) and stderr is discarded, at the Python and the file
  descriptor level.
- The student's code may not call backprop_ref's implementations (layers, losses, optimizers,
  autograd, gradient checking, schedules, training). While the block runs, such a call raises
  `ForbiddenCall` ("you called backprop_ref.losses.softmax: write your own implementation"),
  however the name was imported. Code written in the grade cell itself, and the checks below,
  may still call the package: that is how a test computes its reference values. Data loading
  (`backprop_ref.data`) and drawing are never forbidden.

The checks raise AssertionError with a message that names the quantity, the expected and
received shape or values, the worst element and its relative error, and a hint.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import io
import linecache
import os
import sys
import sysconfig
import types
import warnings
from typing import Any, Callable, Iterable, Mapping

import numpy as np

__all__ = ["ForbiddenCall", "check", "check_array", "check_equal", "check_gradient",
           "check_raises", "check_unchanged", "graded"]

# Bound once, so that a student rebinding np.abs or np.allclose cannot change what we compute.
_abs, _argmax, _asarray, _isfinite, _max = np.abs, np.argmax, np.asarray, np.isfinite, np.max

# The modules whose code a student must not call during a test. `data`, `graph`, `plotting`
# and `_validate` are tools, not answers. `Layer` and `Loss` are interfaces to subclass.
FORBIDDEN_MODULES = ("autograd", "gradcheck", "layers", "losses", "optim", "schedules", "train")
INTERFACES = ("backprop_ref.layers.base.Layer", "backprop_ref.losses.Loss")
# Dunder methods that inspect or display an object rather than compute an answer.
_HARMLESS = frozenset({
    "__repr__", "__str__", "__format__", "__hash__", "__eq__", "__ne__", "__init_subclass__",
    "__subclasshook__", "__class_getitem__", "__getattr__", "__getattribute__", "__setattr__",
    "__delattr__", "__dir__", "__sizeof__", "__reduce__", "__reduce_ex__", "__getstate__",
    "__setstate__", "__copy__", "__deepcopy__", "__len__", "__iter__", "__getitem__",
    "__contains__", "__bool__", "__post_init__",
})


class ForbiddenCall(AssertionError):
    """The student's code called one of backprop_ref's implementations during a test."""


# --------------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------------

def check(condition: object, message: str) -> None:
    """Fail with `message` unless `condition` is true."""
    __tracebackhide__ = True
    if not condition:
        raise AssertionError(message)


def check_equal(name: str, received: object, expected: object, *, hint: str | None = None) -> None:
    """Fail unless received == expected (for answers that are not arrays: names, counts, flags)."""
    __tracebackhide__ = True
    try:
        same = isinstance(received, type(expected)) and bool(received == expected)
    except (TypeError, ValueError):  # e.g. an array compared with a name
        same = False
    if not same:
        raise AssertionError(_join(f"{name} is {received!r} but should be {expected!r}", hint))


def check_raises(exception: type[BaseException], f: Callable[..., Any], *args: Any,
                 message: str, **kwargs: Any) -> None:
    """Fail with `message` unless f(*args, **kwargs) raises `exception`."""
    __tracebackhide__ = True
    try:
        f(*args, **kwargs)
    except exception:
        return
    raise AssertionError(message)


def check_array(name: str, received: object, expected: object, *, rtol: float = 1e-7,
                atol: float = 1e-12, like: str | None = None, hint: str | None = None,
                shape_hint: str | None = None) -> None:
    """Fail unless `received` has the shape of `expected` and |r − e| ≤ atol + rtol·|e| everywhere.

    `like` names what the expected shape is the shape of ("W"); `shape_hint` is added to a
    shape failure and `hint` to a value failure. Scalars are arrays of shape ().
    """
    __tracebackhide__ = True
    e = _asarray(expected, dtype=np.float64)
    r = _as_numbers(name, received, scalar=e.ndim == 0)
    if r.shape != e.shape:
        should = f"the shape of {like}, {e.shape}" if like else f"shape {e.shape}"
        message = f"{name} has shape {r.shape} but should have {should}"
        if shape_hint:
            message += f": {shape_hint}"
        raise AssertionError(_join(message, None, _shape_diagnosis(r.shape, e.shape)))
    _check_finite(name, r, e, hint)
    diff = _abs(r - e)
    bad = diff > atol + rtol * _abs(e)
    if not bad.any():
        return
    worst = _worst(np.where(bad, diff, -1.0))
    raise AssertionError(_value_message(name, r, e, worst, float(diff[worst]), hint))


def check_unchanged(name: str, array: object, before: np.ndarray, *, atol: float = 0.0,
                    hint: str | None = None) -> None:
    """Fail if `array` differs from `before`, a copy taken before the student's code ran."""
    __tracebackhide__ = True
    a, before = _asarray(array), _asarray(before)
    if a.shape != before.shape:
        message = f"{name} was changed: its shape went from {before.shape} to {a.shape}"
    else:
        diff = _abs(a - before)
        if not (diff > atol).any():
            return
        i = _worst(diff)
        message = (f"{name} was changed by your code: element {_index(i)} went from "
                   f"{_fmt(before[i])} to {_fmt(a[i])}")
    raise AssertionError(_join(message, hint or "work on a copy, or restore what you change"))


def check_gradient(f: Callable[[np.ndarray], Any], x: np.ndarray, analytic: object, *,
                   name: str = "the gradient", dout: np.ndarray | None = None,
                   h: float = 1e-5, tol: float = 1e-6, hint: str | None = None) -> None:
    """Fail unless `analytic` matches the central-difference gradient of f at x.

    Without `dout`, f(x) is a number and the gradient is d f / d x. With `dout`, f(x) is an
    array and the gradient is that of sum(f(x) * dout): a vector–Jacobian product, which is
    what a backward pass returns for the upstream gradient dout. `x` is perturbed in place and
    restored, so f may read it through a closure. The error measured is backprop_ref's
    relative_error: the worst difference over the largest magnitude of the two gradients.
    """
    __tracebackhide__ = True
    from backprop_ref import gradcheck

    x = _asarray(x)
    if dout is None:
        scalar = f
    else:
        def scalar(v: np.ndarray) -> float:
            return float(np.sum(_asarray(f(v)) * dout))
    try:
        numerical = gradcheck.numerical_gradient(scalar, x, h)
    except ValueError as error:  # f gave nan or inf, or not a number: say so as a failed check
        raise AssertionError(_join(f"{name} cannot be checked: finite differences of your "
                                   f"function failed ({error})", hint)) from None
    a = _as_numbers(name, analytic, scalar=False)
    if a.shape != numerical.shape:
        message = f"{name} has shape {a.shape} but should have the shape of x, {numerical.shape}"
        raise AssertionError(_join(message, None, _shape_diagnosis(a.shape, numerical.shape)))
    _check_finite(name, a, numerical, hint)
    try:
        error = gradcheck.relative_error(a, numerical)
    except ValueError as problem:  # non-finite where the numerical gradient is non-finite too
        raise AssertionError(_join(f"{name} cannot be compared with finite differences: "
                                   f"{problem}", hint)) from None
    if error <= tol:
        return
    diff = _abs(a - numerical)
    worst = _worst(diff)
    message = (f"{name} disagrees with finite differences: " + _where(worst)
               + f"finite differences give {_fmt(numerical[worst])}, received {_fmt(a[worst])}; "
               f"relative error {error:.1e} (allowed {tol:.0e})")
    raise AssertionError(_join(message, hint, _value_diagnosis(a, numerical)))


# --------------------------------------------------------------------------------------------
# Messages
# --------------------------------------------------------------------------------------------

def _as_numbers(name: str, received: object, *, scalar: bool) -> np.ndarray:
    __tracebackhide__ = True
    what = "a number" if scalar else "an array of numbers"
    if received is None:
        raise AssertionError(f"{name} is None: does your function `return` it?")
    try:
        r = _asarray(received)
    except ValueError:  # a ragged list
        raise AssertionError(f"{name} should be {what}, but it is a ragged "
                             f"{type(received).__name__}") from None
    if r.dtype.kind not in "biuf":
        raise AssertionError(f"{name} should be {what}, but it is {type(received).__name__}"
                             + (f" of dtype {r.dtype}" if isinstance(received, np.ndarray) else ""))
    return r.astype(np.float64)


def _check_finite(name: str, r: np.ndarray, e: np.ndarray, hint: str | None) -> None:
    __tracebackhide__ = True
    broken = ~_isfinite(r) & _isfinite(e)
    if broken.any():
        i = tuple(int(k) for k in np.argwhere(broken)[0])
        at = f" at {_index(i)}" if r.ndim else ""
        raise AssertionError(_join(
            f"{name} contains {r[i]}{at} where {_fmt(e[i])} is expected: an overflow (exp of a "
            f"large number?) or a division by zero?", hint))


def _value_message(name: str, r: np.ndarray, e: np.ndarray, worst: tuple[int, ...],
                   diff: float, hint: str | None) -> str:
    scale = abs(float(e[worst]))
    error = f"relative error {diff / scale:.1e}" if scale > 0 else f"absolute error {diff:.1e}"
    message = (f"{name} is wrong: {_where(worst)}expected {_fmt(e[worst])}, "
               f"received {_fmt(r[worst])}, {error}")
    return _join(message, hint, _value_diagnosis(r, e))


def _shape_diagnosis(r: tuple[int, ...], e: tuple[int, ...]) -> str | None:
    if len(r) == len(e) >= 2 and r == e[::-1]:
        return "it is transposed"
    if len(r) == len(e) + 1 and r[1:] == e:
        return f"it has an extra first axis of size {r[0]}: should that axis be summed over?"
    if len(r) + 1 == len(e) and r == e[1:]:
        return f"the first axis (size {e[0]}) is missing: was it summed or averaged away?"
    if r == () and e != ():
        return "it is a single number where an array is expected"
    if int(np.prod(r)) == int(np.prod(e)):
        return "the number of elements is right but they are arranged differently"
    return None


def _value_diagnosis(r: np.ndarray, e: np.ndarray) -> str | None:
    """A pattern in the error that points at its cause, in plain words; None if none is clear."""
    it = "every element" if r.ndim else "it"
    if not r.any():
        return f"{it} is 0"
    scale = float(_abs(e).max())
    if scale == 0.0:
        return None
    with np.errstate(all="ignore"):
        k = float(np.sum(r * e)) / float(np.sum(e * e))  # the best single factor: r ≈ k e
        proportional = float(_abs(r - k * e).max()) <= 1e-6 * scale
    if proportional and abs(k) < 1e-6:
        return f"{it} is almost 0"
    if proportional and abs(k - 1) > 1e-6:
        if abs(k + 1) < 1e-6:
            return f"{it} has the wrong sign"
        n = round(abs(k)) if abs(k) > 1 else round(1 / abs(k))
        sign = "" if k > 0 else ", and the wrong sign"
        if abs(k) > 1 and abs(abs(k) - n) < 1e-6 * n:
            return f"{it} is {n} times too large{sign}: a missing 1/{n}?"
        if abs(k) < 1 and abs(abs(k) - 1 / n) < 1e-6 / n:
            return f"{it} is {n} times too small{sign}: an extra 1/{n}?"
        if r.ndim:
            return f"{it} is {k:.4g} times the expected one"
    if r.ndim == 2 and r.shape[0] == r.shape[1] and float(_abs(r - e.T).max()) <= 1e-6 * scale:
        return "it equals the transpose of the expected array"
    return None


def _worst(values: np.ndarray) -> tuple[int, ...]:
    return tuple(int(k) for k in np.unravel_index(int(_argmax(values)), values.shape))


def _where(i: tuple[int, ...]) -> str:
    return f"worst element {_index(i)}, " if i else ""


def _index(i: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(k) for k in i) + ("," if len(i) == 1 else "") + ")"


def _fmt(v: object) -> str:
    return f"{float(v):.6g}"


def _join(message: str, hint: str | None, diagnosis: str | None = None) -> str:
    if diagnosis:
        message += f" ({diagnosis})"
    if hint:
        message += f" — {hint}"
    return message


# --------------------------------------------------------------------------------------------
# graded(): quiet output, and no calls into backprop_ref from the student's code
# --------------------------------------------------------------------------------------------

class _State:
    def __init__(self) -> None:
        self.blocks: list[graded] = []
        self.originals: dict[str, types.FunctionType] = {}  # key -> callable copy
        self.swapped: list[tuple[types.FunctionType, types.CodeType]] = []
        self.violations: list[str] = []


_STATE = _State()
_GUARD_NAME = "__backprop_ref_grading_guard__"
_STUB_FILE = "<backprop_ref.grading guard>"
_THIS_FILE = sys._getframe().f_code.co_filename
_PACKAGE_DIR = os.path.dirname(_THIS_FILE) + os.sep
_LIBRARY_DIRS = tuple(sorted({os.path.realpath(p) + os.sep for k, p in sysconfig.get_paths().items()
                              if k in ("stdlib", "platstdlib", "purelib", "platlib")}))


class graded:
    """Context manager around the body of every grade cell.

    allow: backprop_ref functions or classes the student's code may call in this block (for
        an assignment that builds on parts it does not grade, e.g. `allow=[Linear, ReLU]`).
    replace: names to rebind in the notebook's namespace for the duration of the block, e.g.
        `replace={"relative_error": backprop_ref.gradcheck.relative_error}`, so that a part
        that uses an earlier part is graded with a correct version of it; the student's code
        may call these replacements.
    """

    def __init__(self, *, allow: Iterable[object] = (),
                 replace: Mapping[str, object] | None = None) -> None:
        self.allowed = {_key(obj) for obj in allow} | {_key(obj) for obj in (replace or {}).values()
                                                         if _is_package_object(obj)}
        self.replace = dict(replace or {})
        self._stack: contextlib.ExitStack | None = None

    def __enter__(self) -> graded:
        caller = sys._getframe(1)
        self.trusted_file = caller.f_code.co_filename
        stack = contextlib.ExitStack()
        try:
            stack.enter_context(_quiet_fd(2))
            stack.enter_context(contextlib.redirect_stderr(io.StringIO()))
            self.warnings = stack.enter_context(warnings.catch_warnings(record=True))
            warnings.simplefilter("always")
            stand_ins = _stand_ins(caller, self.allowed | set(self.replace))
            stack.callback(_rebind(caller.f_globals, {**stand_ins, **self.replace}))
            if not _STATE.blocks:
                _STATE.violations.clear()
                _install()
                stack.callback(_uninstall)
            _STATE.blocks.append(self)
            stack.callback(_STATE.blocks.remove, self)
        except BaseException:
            stack.close()
            raise
        self._stack = stack
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: object) -> bool:
        __tracebackhide__ = True
        caught = list(_STATE.violations) if len(_STATE.blocks) == 1 else []
        seen = _describe_warnings(self.warnings)
        assert self._stack is not None
        self._stack.close()
        if exc is not None:
            if seen and hasattr(exc, "add_note"):
                exc.add_note(f"While the test ran, your code {seen}.")
            return False
        if caught:
            raise ForbiddenCall(_forbidden_message(caught[0]) + " (your code caught the error, "
                                "but the call is still not allowed)")
        return False


def _describe_warnings(records: list[warnings.WarningMessage]) -> str:
    messages = list(dict.fromkeys(f"{r.category.__name__}: {r.message}" for r in records))
    if not messages:
        return ""
    shown = "; ".join(messages[:3]) + ("; ..." if len(messages) > 3 else "")
    return f"raised {len(records)} warning{'s' if len(records) > 1 else ''}: {shown}"


@contextlib.contextmanager
def _quiet_fd(fd: int):
    """Send what is written to file descriptor `fd` (C code, subprocesses) to /dev/null."""
    try:
        saved = os.dup(fd)
    except OSError:  # no such descriptor: nothing to silence
        yield
        return
    try:
        with contextlib.suppress(Exception):
            sys.stderr.flush()
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, fd)
        os.close(null)
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


def _rebind(namespace: dict[str, Any], replace: Mapping[str, object]) -> Callable[[], None]:
    missing = object()
    old = {name: namespace.get(name, missing) for name in replace}
    namespace.update(replace)

    def restore() -> None:
        for name, value in old.items():
            if value is missing:
                namespace.pop(name, None)
            else:
                namespace[name] = value
    return restore


def _stand_ins(frame: types.FrameType, exempt: set[str]) -> dict[str, Callable[..., Any]]:
    """Stand-ins that raise ForbiddenCall for the notebook's names bound to backprop_ref's
    implementations by the student's code (`from backprop_ref.layers import Linear` in an
    answer cell): a test calls them from its own code, which the guard lets through.

    Names the grade cell imports itself, and allowed or replaced names, are left alone.
    """
    own = _imported_names(frame.f_code.co_filename)
    found = {}
    for name, value in list(frame.f_globals.items()):
        if name in own or name in exempt or not _is_implementation(value):
            continue
        key = _key(value)
        if not any(key == a or key.startswith(a + ".") for a in exempt):
            found[name] = _stand_in(name, key)
    return found


def _stand_in(name: str, key: str) -> Callable[..., Any]:
    def forbidden(*args: Any, **kwargs: Any) -> Any:
        _STATE.violations.append(key)
        raise ForbiddenCall(f"{name} is {key} from the package, not your own: write your own "
                            f"implementation (the tests check your code, and may not use the "
                            f"package's)")
    return forbidden


def _imported_names(filename: str) -> set[str]:
    """The names that import statements in the source file (a notebook cell) bind."""
    try:
        tree = ast.parse("".join(linecache.getlines(filename)))
    except (SyntaxError, ValueError):
        return set()
    return {alias.asname or alias.name.split(".")[0] for node in ast.walk(tree)
            if isinstance(node, (ast.Import, ast.ImportFrom)) for alias in node.names}


def _is_implementation(value: object) -> bool:
    """A function or class of a forbidden backprop_ref module (not an interface to subclass)."""
    if not isinstance(value, (types.FunctionType, type)):
        return False
    parts = str(getattr(value, "__module__", "")).split(".")
    return (parts[0] == "backprop_ref" and len(parts) > 1 and parts[1] in FORBIDDEN_MODULES
            and _key(value) not in INTERFACES
            and not (isinstance(value, type) and issubclass(value, BaseException)))


def _forbidden_message(key: str) -> str:
    return (f"you called {key}: write your own implementation (the tests check your code, "
            f"and may not use the package's)")


def _key(obj: object) -> str:
    if isinstance(obj, str):
        return obj
    obj = getattr(obj, "__func__", obj)
    return f"{obj.__module__}.{obj.__qualname__}"


def _is_package_object(obj: object) -> bool:
    return str(getattr(obj, "__module__", "")).startswith("backprop_ref.")


def _guard(key: str, args: tuple, kwargs: dict) -> Any:
    """Run the original of a guarded function if the call comes from trusted code, and is not
    a package method inherited by the student's own class (`class Linear(bp.Linear): pass`)."""
    inherited = key in _METHODS and bool(args) and not _is_package_object(type(args[0]))
    if _allowed(key) or (_trusted(sys._getframe(2)) and not inherited):
        return _STATE.originals[key](*args, **kwargs)
    _STATE.violations.append(key)
    raise ForbiddenCall(_forbidden_message(key))


def _allowed(key: str) -> bool:
    for block in _STATE.blocks:
        for allowed in block.allowed:
            if key == allowed or key.startswith(allowed + "."):
                return True
    return False


def _trusted(frame: types.FrameType | None) -> bool:
    """Whether the nearest caller that is not backprop_ref or a library is a test's own code."""
    trusted = {block.trusted_file for block in _STATE.blocks}
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename == _THIS_FILE:
            return True  # the checks above, or a guarded call that was already let through
        if filename in trusted:
            return True  # the grade cell itself
        if (filename == _STUB_FILE or filename.startswith(_PACKAGE_DIR)
                or filename.startswith("<frozen ") or _is_library(filename)):
            frame = frame.f_back
            continue
        return False  # the student's code, or code from another cell
    return True


def _is_library(filename: str) -> bool:
    return os.path.realpath(filename).startswith(_LIBRARY_DIRS) if os.sep in filename else False


def _install() -> None:
    """Swap the code of every guarded function for a stub that calls `_guard`."""
    for key, func in _targets():
        if key not in _STATE.originals:
            copy = types.FunctionType(func.__code__, func.__globals__, func.__name__,
                                      func.__defaults__, func.__closure__)
            copy.__kwdefaults__ = func.__kwdefaults__
            copy.__qualname__ = func.__qualname__
            _STATE.originals[key] = copy
        func.__globals__[_GUARD_NAME] = _guard
        _STATE.swapped.append((func, func.__code__))
        func.__code__ = _stub_code(key, func.__name__, len(func.__code__.co_freevars))


def _uninstall() -> None:
    while _STATE.swapped:
        func, code = _STATE.swapped.pop()
        func.__code__ = code


_STUBS: dict[tuple[str, int], types.CodeType] = {}


def _stub_code(key: str, name: str, n_free: int) -> types.CodeType:
    """Code for `def name(*args, **kwargs): return guard(key, args, kwargs)` with n_free free
    variables (a function's code may only be swapped for code with as many)."""
    if (key, n_free) not in _STUBS:
        free = [f"_free{i}" for i in range(n_free)]
        source = ("def _outer():\n" + "".join(f"    {v} = None\n" for v in free)
                  + "    def stub(*args, **kwargs):\n"
                  + f"        return {_GUARD_NAME}({key!r}, args, kwargs)\n"
                  + ("        " + ", ".join(free) + "\n" if free else "")
                  + "    return stub\n")
        namespace: dict[str, Any] = {}
        exec(compile(source, _STUB_FILE, "exec"), namespace)
        code = namespace["_outer"]().__code__
        _STUBS[key, n_free] = code.replace(co_name=name)
    return _STUBS[key, n_free]


_TARGETS: list[tuple[str, types.FunctionType]] = []
_METHODS: set[str] = set()  # keys of the instance methods among them


def _targets() -> list[tuple[str, types.FunctionType]]:
    """(key, function) for every function and method defined in a forbidden module."""
    if _TARGETS:
        return _TARGETS
    modules = []
    for name in FORBIDDEN_MODULES:
        module = importlib.import_module(f"backprop_ref.{name}")
        modules.append(module)
        prefix = module.__name__ + "."
        modules += [m for n, m in sorted(sys.modules.items()) if n.startswith(prefix)]
    seen: set[int] = set()
    for module in modules:
        for obj in list(vars(module).values()):
            if getattr(obj, "__module__", None) != module.__name__:
                continue
            if isinstance(obj, types.FunctionType):
                _add_target(obj, f"{module.__name__}.{obj.__qualname__}", seen)
            elif isinstance(obj, type) and not issubclass(obj, BaseException) \
                    and f"{module.__name__}.{obj.__qualname__}" not in INTERFACES:
                for attr, value in vars(obj).items():
                    if attr in _HARMLESS:
                        continue
                    key = f"{module.__name__}.{obj.__qualname__}.{attr}"
                    for func in _functions_of(value):
                        _add_target(func, key, seen)
                    if isinstance(value, types.FunctionType):
                        _METHODS.add(key)
    return _TARGETS


def _functions_of(value: object) -> list[types.FunctionType]:
    if isinstance(value, (staticmethod, classmethod)):
        value = value.__func__
    if isinstance(value, property):
        return [f for f in (value.fget, value.fset, value.fdel) if isinstance(f, types.FunctionType)]
    return [value] if isinstance(value, types.FunctionType) else []


def _add_target(func: types.FunctionType, key: str, seen: set[int]) -> None:
    if id(func) not in seen and func.__code__.co_filename.startswith(_PACKAGE_DIR):
        seen.add(id(func))
        _TARGETS.append((key, func))
