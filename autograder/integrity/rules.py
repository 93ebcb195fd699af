"""The rules of the integrity scan: what a finding is, and the tables of what is suspicious.

The scanner resolves every name in the student's code to the dotted name of what it refers
to (`np.testing` -> `numpy.testing`); `NAMES` says which dotted names are suspicious, under
which rule and why ("{name}" in a reason is the name found). The package's own objects are
compared under their canonical names (`canonical`), as `backprop_ref.grading` compares them.
"""

from __future__ import annotations

import functools
import importlib
import re
import types
from dataclasses import dataclass

from backprop_ref import grading

RULES = ("tampering", "reference-call", "file-access", "hard-coded", "disruptive",
         "edited-test", "unreadable")
INFORMATIONAL = frozenset({"edited-test"})  # reported, but not a sign of cheating


@dataclass(frozen=True)
class Finding:
    rule: str          # one of RULES
    cell: str          # the cell's nbgrader grade_id, or "cell 7" (1-based, among all cells)
    line_number: int   # 1-based, within the cell; 0 for the whole cell or file
    line: str          # the line of code, stripped
    why: str           # one sentence: what looks suspicious and why


# ---- suspicious names ------------------------------------------------------------------------

def _each(rule: str, why: str, *names: str) -> dict[str, tuple[str, str]]:
    return dict.fromkeys(names, (rule, why))


_FRAMES = "reads the call stack ({name}), a way to reach into the running test's variables"
_TRACE = "installs a trace hook ({name}), which sees and can change every line a test runs"
_IMPORTS = "changes how modules are imported ({name}), so the tests could import something else"
_GC = "searches the garbage collector ({name}) for objects the tests hold"
_RUN = "runs code built at run time ({name}), which this scan cannot read"
_FILE = "{name} opens files; a submission has no reason to touch files while it is graded"
_DIRS = "{name} looks through or changes folders, where the course's grading material lives"
_SHELL = "{name} runs another program, outside the notebook and its tests"
_NETWORK = "{name} opens a network connection or a database, which a submission has no use for"
_NOTEBOOKS = ("uses {name}, which reads and writes notebooks: the course's solutions and tests "
              "are notebooks")
_STORE = "{name} reads or writes a file; answers or tests could be loaded this way"
_STOP = "{name} stops the grading kernel, so no later test of the notebook runs"
_PARALLEL = "{name} starts parallel work, which can outlive the cell and disturb the grading run"
_LIMITS = "changes the kernel's resource limits ({name}), which the grading kernel sets"

NAMES: dict[str, tuple[str, str]] = {
    **_each("tampering", "uses ctypes, which can overwrite any object in memory, the tests' too",
            "ctypes"),
    **_each("tampering", _FRAMES, "sys._getframe", "inspect.currentframe", "inspect.stack",
            "inspect.getouterframes", "inspect.getinnerframes", "inspect.trace"),
    **_each("tampering", _TRACE, "sys.settrace", "sys.setprofile", "threading.settrace",
            "threading.setprofile", "sys.addaudithook"),
    **_each("tampering", "reaches into sys.modules, the table where the modules the tests import "
            "can be replaced", "sys.modules"),
    **_each("tampering", _IMPORTS, "sys.meta_path", "sys.path_hooks"),
    **_each("tampering", "reloads a module ({name}), replacing what the tests imported",
            "importlib.reload"),
    **_each("tampering", _GC, "gc.get_referrers", "gc.get_referents", "gc.get_objects"),
    **_each("tampering", "uses unittest.mock, whose patch replaces the functions the tests call",
            "unittest.mock"),
    **_each("tampering", "uses mock, whose patch replaces the functions the tests call", "mock"),
    **_each("tampering", _RUN, "builtins.exec", "builtins.eval"),
    **_each("tampering", "compiles code built at run time ({name}), which this scan cannot "
            "read", "builtins.compile"),
    **_each("file-access", _FILE, "builtins.open", "io.open", "os.open", "codecs.open",
            "os.fdopen"),
    **_each("file-access", _DIRS, "glob", "shutil", "tempfile", *(f"os.{n}" for n in (
        "listdir", "scandir", "walk", "fwalk", "chdir", "remove", "unlink", "rename", "replace",
        "rmdir", "removedirs", "mkdir", "makedirs", "stat", "access", "path.exists",
        "path.isfile", "path.isdir", "path.getsize", "path.getmtime"))),
    **_each("file-access", _SHELL, "subprocess", "pty", "IPython", "get_ipython",
            *(f"os.{n}" for n in ("system", "popen", "posix_spawn", "posix_spawnp", "startfile")),
            *(f"os.exec{n}" for n in ("l", "le", "lp", "lpe", "v", "ve", "vp", "vpe")),
            *(f"os.spawn{n}" for n in ("l", "le", "lp", "lpe", "v", "ve", "vp", "vpe"))),
    **_each("file-access", _NETWORK, "sqlite3", "dbm", "shelve", "socket", "urllib", "http",
            "requests", "ftplib"),
    **_each("file-access", _NOTEBOOKS, "nbformat", "nbgrader", "nbconvert", "nbclient",
            "jupyter_client"),
    **_each("file-access", _STORE, "json.load", "json.dump", "pickle.load", "pickle.dump",
            "marshal.load", "numpy.load", "numpy.loadtxt", "numpy.genfromtxt", "numpy.fromfile",
            "numpy.save", "numpy.savez", "numpy.savetxt", "numpy.memmap",
            "numpy.lib.format.open_memmap", "numpy.ndarray.tofile"),
    **_each("disruptive", _STOP, "os._exit", "os.abort", "sys.exit", "builtins.exit",
            "builtins.quit", "os.kill", "os.killpg"),
    **_each("disruptive", "uses signal, which can interrupt or stop the grading kernel", "signal"),
    **_each("disruptive", _PARALLEL, "threading", "_thread", "multiprocessing", "concurrent",
            "os.fork", "os.forkpty", "asyncio.run", "pty.fork"),
    **_each("disruptive", _LIMITS, "resource.setrlimit", "resource.prlimit"),
}
# Attributes that are suspicious whatever they belong to.
FRAME_ATTRIBUTES = frozenset({"f_back", "f_locals", "f_globals", "f_builtins", "tb_frame",
                              "gi_frame", "cr_frame", "__globals__", "__subclasses__"})
PATCHED_ATTRIBUTES = frozenset({"__code__", "__globals__", "__class__", "__dict__",
                                "__defaults__", "__kwdefaults__", "__closure__", "__bases__"})
FILE_METHODS = frozenset({"read_text", "read_bytes", "write_text", "write_bytes", "iterdir",
                          "glob", "rglob", "open", "touch", "unlink", "rmdir", "mkdir"})
# Methods that change a mapping in place: on a namespace, they change what the tests call.
MAPPING_WRITES = frozenset({"update", "setdefault", "pop", "popitem", "clear", "__setitem__",
                            "__delitem__"})
# Modules whose attributes a submission has no business assigning (with the release's imports).
RELIED_ON = frozenset({"numpy", "backprop_ref", "builtins", "sys", "os", "math", "warnings", "io",
                       "contextlib", "types", "functools", "inspect", "importlib", "traceback",
                       "random", "IPython", "nbformat", "nbgrader", "get_ipython"})
NAMESPACES = ("sys.modules", "builtins", "builtins.globals", "builtins.vars", "builtins.locals")
# Names that resolve to a module when a notebook uses them without importing them.
KNOWN_MODULES = {"np": "numpy", "__builtins__": "builtins", **{m: m for m in (
    "get_ipython",
    "numpy", "os", "sys", "builtins", "ctypes", "gc", "inspect", "importlib", "signal",
    "subprocess", "shutil", "glob", "sqlite3", "json", "pickle", "nbformat", "threading",
    "multiprocessing", "resource", "io", "time", "socket", "pty", "unittest", "backprop_ref")}}
# Built-in names a test cell is likely to call; rebinding them globally changes the tests.
CORE_BUILTINS = frozenset({"abs", "all", "any", "bool", "callable", "dict", "enumerate", "float",
                           "getattr", "hasattr", "id", "int", "isinstance", "len", "list", "map",
                           "max", "min", "print", "range", "repr", "round", "set", "sorted",
                           "str", "sum", "tuple", "type", "zip", "AssertionError", "ValueError"})
ALLOCATORS = frozenset({"numpy." + n for n in (
    "zeros", "ones", "empty", "full", "arange", "eye", "identity", "random.standard_normal",
    "random.random", "random.rand", "random.randn", "random.normal", "random.uniform")}
    | {"builtins.bytearray", "builtins.bytes", "builtins.range"})
HUGE = 10 ** 8  # elements: 800 MB of float64
ARRAY_COMPARISONS = frozenset({"numpy.array_equal", "numpy.array_equiv", "numpy.allclose",
                               "numpy.isclose"})


# ---- the grading material --------------------------------------------------------------------

MATERIAL = re.compile(r"\.ipynb|gradebook|autograded|hidden[ _-]?tests?|\bnbgrader\b", re.I)
# The course's folders: a path through one of them names the material, and so does the bare
# folder name, written as a folder (lower case); "hidden" alone is too common a word.
MATERIAL_FOLDERS = frozenset({"solutions", "source", "release", "exercises", "submitted",
                              "autograded", "feedback", "hidden", "gradebook"})


def names_material(text: str) -> bool:
    """Whether a string names the course's grading material: a path or a file of it."""
    if MATERIAL.search(text):
        return True
    if re.search(r"[/\\]", text):
        return any(part.strip(". ") in MATERIAL_FOLDERS
                   for part in re.split(r"[/\\]", text.strip().lower()))
    return text.strip() in MATERIAL_FOLDERS - {"hidden"}


# ---- the package's own code ------------------------------------------------------------------

# The modules a student may not call, the interfaces they may subclass (as the runtime guard).
FORBIDDEN_MODULES, INTERFACES = grading.FORBIDDEN_MODULES, grading.INTERFACES
HELPERS = tuple(grading.__all__)  # check_array, graded, ...: the names the tests call
UNIMPORTED = ("plotting", "graph")  # never imported to name their objects (matplotlib, graphviz)


@functools.lru_cache(maxsize=None)
def canonical(dotted: str) -> str:
    """backprop_ref.Linear -> backprop_ref.layers.linear.Linear, where the object is defined
    (the key `backprop_ref.grading` uses); any other name is returned unchanged."""
    parts = dotted.split(".")
    if parts[0] != "backprop_ref" or parts[1:2] and parts[1] in UNIMPORTED:
        return dotted
    for i in range(len(parts), 0, -1):  # the longest prefix that is a module, then attributes
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except Exception:  # noqa: BLE001 - not a module: try a shorter prefix
            continue
        try:
            obj = functools.reduce(getattr, parts[i:], obj)
        except AttributeError:
            return dotted
        break
    if isinstance(obj, types.ModuleType):
        return obj.__name__
    obj = getattr(obj, "__func__", obj)
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if isinstance(module, str) and isinstance(qualname, str) and module.startswith("backprop_ref"):
        return f"{module}.{qualname}"
    return dotted


def is_forbidden(key: str) -> bool:
    """Whether a canonical key is backprop_ref code the student must write themselves."""
    parts = key.split(".")
    return (len(parts) > 1 and parts[0] == "backprop_ref" and parts[1] in FORBIDDEN_MODULES
            and not any(within(key, i) for i in INTERFACES))


def within(key: str, prefix: str) -> bool:
    """numpy.testing.assert_allclose is within numpy.testing (and numpy.testing within itself)."""
    return key == prefix or key.startswith(prefix + ".")
