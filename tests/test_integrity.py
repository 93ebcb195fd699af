"""The integrity report (autograder/integrity/), tested.

- calibration: every honest notebook scans clean (each assignment's solution as a student
  hands it in, every alternative and every honest mistake of its bank, the release itself),
  and the bank's mistakes that call backprop_ref give reference-call findings and no other;
- each rule fires on realistic hostile code placed in a real assignment, naming the cell,
  the line number and the line (the expected line number is looked up in the notebook's text);
- scan_file turns a file that is not a readable notebook into one "unreadable" finding and
  leaves the file alone;
- write_report writes every finding, with its line, into the Markdown and the CSV.

No nbgrader run: the whole file takes a few seconds.
"""

from __future__ import annotations

import copy
import csv
import importlib
import json
from functools import cache

import nbformat
import pytest

from assignments.bank import Alternative, Change, Mistake, student_notebook
from assignments.course import EXERCISES, SOLUTIONS, assignment_names
from autograder.integrity import RULES, Finding, scan, scan_file, write_report

ASSIGNMENTS = assignment_names()
A1, A3 = "a1_numerical_gradients", "a3_layers"
GRADIENT, ERROR = "a1-p2-numerical-gradient", "a1-p3-relative-error"  # A1 solution cells


@cache
def _notebooks(assignment: str) -> tuple[nbformat.NotebookNode, nbformat.NotebookNode]:
    """(released, source) of an assignment; copy before changing them."""
    name = f"{assignment}.ipynb"
    return (nbformat.read(EXERCISES / assignment / name, as_version=4),
            nbformat.read(SOLUTIONS / assignment / name, as_version=4))


def released(assignment: str = A1) -> nbformat.NotebookNode:
    return copy.deepcopy(_notebooks(assignment)[0])


def submission(assignment: str = A1, bodies: dict[str, str] | None = None,
               added: dict[int, str] | None = None) -> nbformat.NotebookNode:
    """The solution as a student hands it in, with some solution bodies replaced and cells
    added (position in the notebook -> code)."""
    release, source = _notebooks(assignment)
    changes = Alternative("hostile", bodies or {}).changes
    nb = student_notebook(release, source, changes)
    for index, code in sorted((added or {}).items(), reverse=True):
        nb.cells.insert(index, nbformat.v4.new_code_cell(code))
    return nb


def cell_source(nb: nbformat.NotebookNode, cell: str) -> str:
    if cell.startswith("cell "):
        return nb.cells[int(cell.split()[1]) - 1].source
    return grade_cell(nb, cell).source


def line_number(nb: nbformat.NotebookNode, cell: str, line: str) -> int:
    """The 1-based number of the one line of `cell` that reads `line` (stripped)."""
    numbers = [i + 1 for i, text in enumerate(cell_source(nb, cell).split("\n"))
               if text.strip() == line]
    assert len(numbers) == 1, f"{line!r} is {len(numbers)} times in {cell}"
    return numbers[0]


def grade_cell(nb: nbformat.NotebookNode, cell: str) -> nbformat.NotebookNode:
    (found,) = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == cell]
    return found


def marked(code: str) -> str:
    """The line of `code` that ends with `# <-`: the one a finding must name."""
    (line,) = [line.strip() for line in code.split("\n") if line.endswith("# <-")]
    return line


def assert_found(findings: list[Finding], nb, rule: str, cell: str, line: str) -> Finding:
    """The finding of `rule` at the line of `cell` that reads `line`."""
    number = line_number(nb, cell, line)
    matching = [f for f in findings if (f.rule, f.cell, f.line_number) == (rule, cell, number)]
    assert matching, (f"no {rule} finding at {cell} line {number} ({line!r}); found:\n"
                      + "\n".join(map(str, findings)))
    (finding,) = matching  # one finding per line and rule
    assert finding.line == line and finding.why.strip()
    return finding


def assert_found_in_a_solution(rule: str, code: str) -> Finding:
    """`code` as the body of A1 part 3's solution (then `return 0.0`): the finding of `rule`
    at its line that ends with `# <-`."""
    nb = submission(bodies={ERROR: code + "\nreturn 0.0"})
    return assert_found(scan(nb, released()), nb, rule, ERROR, marked(code))


def bank(assignment: str):
    return importlib.import_module(f"assignments.{assignment}")


def calls_the_package(mistake: Mistake) -> bool:
    return "backprop_ref" in mistake.name


# ---- calibration: honest notebooks scan clean ----------------------------------------------

@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_honest_notebook_scans_clean(assignment):
    release, source = _notebooks(assignment)
    module = bank(assignment)
    honest = {"the solution": student_notebook(release, source), "the release": release}
    honest.update({f"alternative {a.name!r}": student_notebook(release, source, a.changes)
                   for a in module.ALTERNATIVES})
    honest.update({f"mistake {m.name!r}": student_notebook(release, source, m.changes)
                   for m in module.MISTAKES if not calls_the_package(m)})
    assert len(honest) >= 2 + len(module.ALTERNATIVES) + 5
    flagged = {name: findings for name, nb in honest.items() if (findings := scan(nb, release))}
    assert not flagged, "honest notebooks flagged:\n" + "\n".join(
        f"{name}:\n" + "\n".join(f"    {f}" for f in found) for name, found in flagged.items())


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_bank_mistakes_that_call_the_package_are_reference_calls_and_nothing_else(assignment):
    release, source = _notebooks(assignment)
    mistakes = [m for m in bank(assignment).MISTAKES if calls_the_package(m)]
    assert mistakes, f"{assignment}'s bank has no mistake that calls backprop_ref"
    for mistake in mistakes:
        nb = student_notebook(release, source, mistake.changes)
        findings = scan(nb, release)
        assert findings, f"{mistake.name!r} scans clean"
        assert {(f.rule, f.cell) for f in findings} == {("reference-call", mistake.cell)}, \
            "\n".join(map(str, findings))
        for f in findings:  # each names a line of the cell that mentions the package's code
            assert f.line == cell_source(nb, f.cell).split("\n")[f.line_number - 1].strip()


EXPLORATION = """%matplotlib inline
import math
import matplotlib.pyplot as plt
from backprop_ref.data import moons
from backprop_ref.grading import check_array
np.random.seed(0)
plt.rcParams["figure.figsize"] = (6, 4)
x = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -1.5]])     # the visible test's input, copied
g = numerical_gradient(lambda v: np.sum(v ** 2), x)
np.testing.assert_allclose(g, 2 * x, rtol=1e-7)
check_array("my gradient", g, 2 * x)
print(x.shape == (2, 3), relative_error(np.array([10.0, 0.0]), np.array([1.0, 0.0])) == 0.9)

def smooth(v, eps=1e-12):
    if v.ndim == 1:
        v = v[None, :]
    steps = 0
    while True:
        steps += 1
        if steps > 3:
            break
    return v * 0.9 + eps

for i in range(5):
    print(i, "hidden units", math.exp(-i))
plt.plot([0.1, 0.2, 0.3, 0.4], [0.5, 0.6, 0.7, 0.8])
"""


def test_honest_code_a_student_might_add_scans_clean():
    nb = submission(added={2: EXPLORATION})
    assert scan(nb, released()) == []


def test_early_stopping_at_the_tests_accuracy_is_not_hard_coded():
    # 0.9 is in A4's visible tests, but here it is compared with an accuracy, not an input
    release, source = _notebooks("a4_mlp_digits")
    nb = student_notebook(release, source, {"a4-p5-train": Change(edits=[
        ("            optimizer.step(grads)\n",
         "            optimizer.step(grads)\n"
         "        accuracy = np.mean(np.argmax(np.maximum(X @ params['W1'] + params['b1'], 0)"
         " @ params['W2'], axis=1) == y)\n"
         "        if accuracy >= 0.9:\n"
         "            break\n")])})
    assert "if accuracy >= 0.9:" in cell_source(nb, "a4-p5-train")
    assert scan(nb, release) == []


# ---- tampering -----------------------------------------------------------------------------

def test_rebinding_a_numpy_function_is_tampering():
    nb = submission(bodies={ERROR: """
        np.allclose = lambda *a, **k: True
        return 0.0
    """})
    assert_found(scan(nb, released()), nb, "tampering", ERROR, "np.allclose = lambda *a, **k: True")


def test_patching_a_check_helper_through_a_module_alias_is_tampering():
    nb = submission(bodies={ERROR: """
        import backprop_ref.grading as g
        g.check_array = lambda *a, **k: None
        return 0.0
    """})
    finding = assert_found(scan(nb, released()), nb, "tampering", ERROR,
                           "g.check_array = lambda *a, **k: None")
    assert "backprop_ref.grading.check_array" in finding.why


@pytest.mark.parametrize("code", [
    "from numpy import testing as t\nt.assert_allclose = print  # <-",
    "setattr(np, 'allclose', lambda *a, **k: True)  # <-",
    "del np.linalg.norm  # <-",
    "import builtins\nbuiltins.abs = lambda v: 0  # <-",
    "__builtins__.max = min  # <-",
    "import sys\nsys.modules['numpy'] = None  # <-",
    "import sys\nsys.meta_path.insert(0, None)  # <-",
    "import importlib\nimportlib.reload(np)  # <-",
    "import sys\nscope = sys._getframe(1).f_globals  # <-",
    "import inspect\ncaller = inspect.currentframe().f_back  # <-",
    "import gc\nholders = gc.get_referrers(np)  # <-",
    "import sys\nsys.settrace(lambda *a: None)  # <-",
    "from unittest.mock import patch  # <-",
    "import ctypes  # <-",
    "relative_error.__code__ = (lambda a, n: 0.0).__code__  # <-",
    "grading = __import__('backprop_ref.grading', fromlist=['x'])\ngrading.graded = None  # <-",
    "getattr(np, 'testing').assert_allclose = print  # <-",
    "globals()['check_array'] = print  # <-",
    "exec('np.allclose = lambda *a, **k: True')  # <-",
    "__import__('o' + 's').system('ls')  # <-",
])
def test_tampering_is_found_whatever_the_alias_or_mechanism(code):
    assert_found_in_a_solution("tampering", code)


def test_patching_a_package_class_the_release_imports_is_tampering():
    nb = submission(A3, added={3: "Linear.backward = lambda self, dout, cache: (dout, {})"})
    assert_found(scan(nb, released(A3)), nb, "tampering", "cell 4",
                 "Linear.backward = lambda self, dout, cache: (dout, {})")


@pytest.mark.parametrize("line", [
    "def check_array(*args, **kwargs):", "check_array = lambda *a, **k: None", "graded = None",
    "np = None", "sum = lambda values: 0"])
def test_shadowing_a_name_the_tests_use_in_an_added_cell_is_tampering(line):
    code = line + ("\n    pass" if line.startswith("def") else "")
    nb = submission(added={2: code})
    assert_found(scan(nb, released()), nb, "tampering", "cell 3", line)


def test_importing_the_real_check_helpers_is_not_tampering():
    nb = submission(added={2: "import numpy as np\nfrom backprop_ref.grading import "
                           "check_array, graded\nfrom backprop_ref.data import moons"})
    assert scan(nb, released()) == []


def test_ctypes_is_reported_once_under_tampering():
    nb = submission(bodies={ERROR: "import ctypes\nreturn 0.0"})
    findings = [f for f in scan(nb, released()) if f.line == "import ctypes"]
    assert [f.rule for f in findings] == ["tampering"]


def test_a_line_with_several_patches_gives_one_finding():
    nb = submission(bodies={ERROR: "np.allclose = np.isclose = lambda *a, **k: True\nreturn 0.0"})
    assert len(scan(nb, released())) == 1


# ---- reference-call ------------------------------------------------------------------------

def test_importing_and_calling_a_package_layer_is_a_reference_call():
    nb = submission(bodies={GRADIENT: """
        from backprop_ref.layers import Linear
        return Linear(x.shape[-1], 1).forward(x)[0]
    """})
    findings = scan(nb, released())
    assert_found(findings, nb, "reference-call", GRADIENT, "from backprop_ref.layers import Linear")
    assert_found(findings, nb, "reference-call", GRADIENT,
                 "return Linear(x.shape[-1], 1).forward(x)[0]")


def test_an_import_the_release_makes_is_allowed_but_calling_it_in_a_solution_is_not():
    # A3's visible tests import Linear; a student repeating the import is fine
    nb = submission(A3, added={2: "from backprop_ref.layers import Linear"})
    assert scan(nb, released(A3)) == []
    nb = submission(A3, bodies={"a3-p1-linear-forward": """
        layer = Linear(W.shape[0], W.shape[1])
        layer.params["W"][...] = W
        return layer.forward(x)[0] + b - layer.params["b"], (x, W)
    """})
    findings = scan(nb, released(A3))
    assert [f.line for f in findings] == ["layer = Linear(W.shape[0], W.shape[1])"]


@pytest.mark.parametrize("code", [
    "import importlib\n"
    "return importlib.import_module('backprop_ref.gradcheck').relative_error(a, n)  # <-",
    "import backprop_ref\nreturn backprop_ref.gradcheck.relative_error(a, n)  # <-",
    "from backprop_ref import *  # <-\nreturn 0.0",
])
def test_reaching_the_package_indirectly_is_a_reference_call(code):
    assert_found_in_a_solution("reference-call", code)


def test_binding_a_graded_name_to_the_package_in_an_added_cell_is_a_reference_call():
    line = "relative_error = gradcheck.relative_error"
    nb = submission(added={100: "from backprop_ref import gradcheck\n" + line})  # the last cell
    assert_found(scan(nb, released()), nb, "reference-call", f"cell {len(nb.cells)}", line)


# ---- file-access ---------------------------------------------------------------------------

def test_reading_the_solution_notebook_is_file_access():
    line = ("text = open('../../../solutions/a1_numerical_gradients/"
            "a1_numerical_gradients.ipynb').read()")
    nb = submission(bodies={ERROR: line + "\nreturn 0.0"})
    assert_found(scan(nb, released()), nb, "file-access", ERROR, line)


@pytest.mark.parametrize("code", [
    "import sqlite3  # <-",
    "from pathlib import Path\nPath('..').read_text()  # <-",
    "import os\nnames = os.listdir('..')  # <-",
    "import glob\nfound = glob.glob('../**', recursive=True)  # <-",
    "import subprocess\nsubprocess.run(['ls'])  # <-",
    "import os\nos.system('cat ../*')  # <-",
    "import json\nanswers = json.load(stream)  # <-",
    "import nbformat\nnb = nbformat.read(name, 4)  # <-",
    "where = 'gradebook.db'  # <-",
    "where = 'solutions/'  # <-",
    "get_ipython().system('ls')  # <-",
])
def test_file_access_is_found(code):
    assert_found_in_a_solution("file-access", code)


def test_shell_magics_in_an_added_cell_are_file_access():
    nb = submission(added={2: "!ls ../../solutions\n%timeit np.zeros(3)\nfiles = !ls .."})
    findings = scan(nb, released())
    assert_found(findings, nb, "file-access", "cell 3", "!ls ../../solutions")
    assert_found(findings, nb, "file-access", "cell 3", "files = !ls ..")
    assert len(findings) == 2  # %timeit is harmless


# ---- hard-coded ----------------------------------------------------------------------------

def test_special_casing_a_visible_test_shape_is_hard_coded():
    # A1 part 2's first visible test: x = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -1.5]])
    nb = submission(bodies={GRADIENT: """
        if x.shape == (2, 3):
            return np.array([[2.0, -4.0, 1.0], [6.0, 0.0, -3.0]])
        return np.zeros(x.shape)
    """})
    finding = assert_found(scan(nb, released()), nb, "hard-coded", GRADIENT,
                           "if x.shape == (2, 3):")
    assert "(2, 3)" in finding.why


def test_returning_a_number_of_the_visible_tests_is_hard_coded():
    # relative_error([10, 0], [1, 0]) should be 0.9 in A1 part 3's visible tests
    nb = submission(bodies={ERROR: """
        if a[0] == 10.0:
            return 0.9
        return 0.0
    """})
    assert_found(scan(nb, released()), nb, "hard-coded", ERROR, "return 0.9")


def test_returning_a_value_the_visible_tests_compute_or_any_written_in_number_is_hard_coded():
    # A1 part 1's visible tests expect 3 * 2.0 ** 2 + 1e-6 = 12.000001 and np.cos(0.5)
    nb = submission(bodies={"a1-p1-central-difference": """
        if x == 2.0 and h == 1e-3:
            return 12.000001
        if x == 0.5:
            return 0.8775825618903728
        return 0.123456
    """})
    findings = scan(nb, released())
    for line in ("return 12.000001", "return 0.8775825618903728"):
        finding = assert_found(findings, nb, "hard-coded", "a1-p1-central-difference", line)
        assert "visible tests" in finding.why
    assert_found(findings, nb, "hard-coded", "a1-p1-central-difference", "return 0.123456")


def test_a_literal_of_specific_numbers_in_a_solution_is_hard_coded():
    nb = submission(bodies={ERROR: """
        answers = [0.0, 0.9, 1.0, 0.123, 0.477, 0.25]
        return answers[len(a) % 6]
    """})
    assert_found(scan(nb, released()), nb, "hard-coded", ERROR,
                 "answers = [0.0, 0.9, 1.0, 0.123, 0.477, 0.25]")


def test_choosing_the_answer_by_comparing_an_argument_with_a_literal_is_hard_coded():
    nb = submission(bodies={ERROR: """
        if np.allclose(a, [1.0, -4.0]):
            return 1.0
        if n[0] == 0.123456:
            return 0.25
        return 0.0
    """})
    findings = scan(nb, released())
    assert_found(findings, nb, "hard-coded", ERROR, "if np.allclose(a, [1.0, -4.0]):")
    assert_found(findings, nb, "hard-coded", ERROR, "if n[0] == 0.123456:")


def test_honest_special_cases_are_not_hard_coded():
    nb = submission(bodies={ERROR: """
        if np.array_equal(a, n) or np.allclose(a, 0) and np.allclose(n, 0):
            return 0.0
        if a.shape != n.shape or a.ndim == 2:
            pass
        return float(np.max(np.abs(a - n)) / max(np.max(np.abs(a)), np.max(np.abs(n))))
    """})
    assert scan(nb, released()) == []


# ---- disruptive ----------------------------------------------------------------------------

@pytest.mark.parametrize("code", [
    "import os\nos._exit(1)  # <-",
    "import sys\nsys.exit(0)  # <-",
    "exit()  # <-",
    "while True:  # <-\n    pass",
    "import threading  # <-",
    "from multiprocessing import Pool  # <-",
    "import signal\nsignal.alarm(1)  # <-",
    "big = np.zeros(10**10)  # <-",
    "big = [0] * 10**9  # <-",
    "while True:\n    print('still here')  # <-\n    break",
    "for _ in range(10 ** 7):\n    print('x' * 1000)  # <-",
    "say = print\nfor _ in range(10 ** 7):\n    say('x')  # <-",
    "hog = np.ones(1 << 30)  # <-",
    "import resource\nresource.setrlimit(resource.RLIMIT_AS, (1, 1))  # <-",
])
def test_disruptive_code_is_found(code):
    assert_found_in_a_solution("disruptive", code)


def test_loops_that_can_end_are_not_disruptive():
    nb = submission(bodies={ERROR: """
        while True:
            for v in a:
                break       # leaves the for loop only: the while below is left by return
            return 0.0
    """})
    assert scan(nb, released()) == []


# ---- edited tests --------------------------------------------------------------------------

def test_an_edited_test_cell_is_reported_at_its_first_changed_line():
    nb = submission()
    cell = grade_cell(nb, "a1-p3-tests")
    cell.source = cell.source.replace("import numpy as np\n", "import numpy as np\n# mine\n")
    (finding,) = scan(nb, released())
    assert (finding.rule, finding.cell, finding.line_number, finding.line) == \
        ("edited-test", "a1-p3-tests", 2, "# mine")


def test_a_test_cell_turned_markdown_is_reported():
    nb = submission()
    cell = grade_cell(nb, "a1-p1-tests")
    cell.cell_type = "markdown"
    del cell["outputs"], cell["execution_count"]
    (finding,) = scan(nb, released())
    assert (finding.rule, finding.cell, finding.line_number, finding.line) == \
        ("edited-test", "a1-p1-tests", 0, "")
    assert "markdown" in finding.why


def test_a_deleted_test_cell_is_reported():
    nb = submission()
    nb.cells.remove(grade_cell(nb, "a1-p4-tests"))
    (finding,) = scan(nb, released())
    assert (finding.rule, finding.cell, finding.line_number, finding.line) == \
        ("edited-test", "a1-p4-tests", 0, "")
    assert "deleted" in finding.why


# ---- cells that do not parse ---------------------------------------------------------------

def test_a_cell_that_is_not_python_is_still_searched_line_by_line():
    nb = submission(added={2: "def broken(:\n    np.allclose = None\n    os._exit(0)"})
    findings = scan(nb, released())
    assert_found(findings, nb, "tampering", "cell 3", "np.allclose = None")
    assert_found(findings, nb, "disruptive", "cell 3", "os._exit(0)")


# ---- scan_file -----------------------------------------------------------------------------

def _file_contents() -> dict[str, bytes]:
    future = json.loads(nbformat.writes(released()))
    future["nbformat"] = 5
    return {"invalid JSON": b'{"cells": [', "empty": b"", "JSON but not a notebook": b"[1, 2]",
            "a future nbformat 5": json.dumps(future).encode()}


@pytest.mark.parametrize("kind", list(_file_contents()))
def test_a_file_that_is_not_a_readable_notebook_gives_one_unreadable_finding(tmp_path, kind):
    path = tmp_path / "a1_numerical_gradients.ipynb"
    path.write_bytes(_file_contents()[kind])
    before = path.read_bytes()
    (finding,) = scan_file(path, released())
    assert finding.rule == "unreadable" and finding.why
    assert path.read_bytes() == before


def test_a_notebook_in_format_3_is_converted_and_scanned_not_rejected(tmp_path):
    # nbformat (and so nbgrader and autograder/intake.py) reads format 3 by converting it
    from nbformat.v4 import convert

    path = tmp_path / "a1_numerical_gradients.ipynb"
    for nb in (submission(), submission(bodies={ERROR: "np.allclose = None  # <-\nreturn 0.0"})):
        v3 = convert.downgrade(copy.deepcopy(nb))
        assert v3["nbformat"] == 3
        path.write_text(json.dumps(v3), encoding="utf-8")
        before = path.read_bytes()
        assert scan_file(path, released()) == scan(nb, released())
        assert path.read_bytes() == before


def test_scan_file_scans_a_readable_notebook_like_scan(tmp_path):
    nb = submission(bodies={ERROR: "np.allclose = None\nreturn 0.0"})
    path = tmp_path / "submitted.ipynb"
    nbformat.write(nb, path)
    before = path.read_bytes()
    assert scan_file(path, released()) == scan(nb, released()) != []
    assert path.read_bytes() == before


# ---- the report ----------------------------------------------------------------------------

FINDINGS = {
    "alice": {"a1_numerical_gradients.ipynb": [
        Finding("tampering", GRADIENT, 7, "np.allclose = lambda *a, **k: True",
                "rebinds numpy.allclose, which the tests use"),
        Finding("file-access", ERROR, 3, "open('`../solutions`').read()", "opens | a file"),
    ]},
    "bob": {"a1_numerical_gradients.ipynb": [
        Finding("edited-test", "a1-p3-tests", 2, "# mine", "this test cell was edited"),
    ], "a2_autograd.ipynb": []},
    "carol": {"a1_numerical_gradients.ipynb": [
        Finding("unreadable", "notebook", 0, "", "the file is empty")]},
    "dave": {"a1_numerical_gradients.ipynb": []},
}


def test_report_lists_every_finding_with_its_line_and_a_count_per_rule(tmp_path):
    path = tmp_path / "integrity.md"
    write_report(FINDINGS, path)
    text = path.read_text(encoding="utf-8")
    for student, notebooks in FINDINGS.items():
        assert student in text
        for findings in notebooks.values():
            for f in findings:
                assert f.line in text and f.cell in text
    assert "| tampering | 1 | 1 |" in text and "| edited-test | 1 | 1 |" in text
    assert "| reference-call | 0 | 0 |" in text
    assert text.index("alice") < text.index("bob")  # suspicious first, then information only
    assert text.index("carol") < text.index("bob")
    assert "No suspicious submissions." not in text
    assert "``open('`../solutions`').read()``" in text  # a line with backticks stays code

    with path.with_suffix(".csv").open(newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    expected = [{"student": s, "notebook": n, "rule": f.rule, "cell": f.cell,
                 "line_number": str(f.line_number), "line": f.line, "why": f.why}
                for s, notebooks in FINDINGS.items() for n, fs in notebooks.items() for f in fs]
    key = lambda row: (row["student"], row["rule"])  # noqa: E731
    assert sorted(rows, key=key) == sorted(expected, key=key)


def test_an_empty_report_says_there_is_nothing_suspicious(tmp_path):
    path = tmp_path / "integrity.md"
    write_report({"dave": {"a1_numerical_gradients.ipynb": []}}, path)
    text = path.read_text(encoding="utf-8")
    assert "No suspicious submissions." in text
    assert all(f"| {rule} | 0 | 0 |" in text for rule in RULES)
    with path.with_suffix(".csv").open(newline="", encoding="utf-8") as stream:
        assert list(csv.reader(stream)) == [["student", "notebook", "rule", "cell",
                                              "line_number", "line", "why"]]
    write_report({}, path)
    assert "No suspicious submissions." in path.read_text(encoding="utf-8")
