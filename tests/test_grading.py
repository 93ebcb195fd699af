"""backprop_ref.grading: the checks name the mistake in plain words, and graded() keeps grade
cells quiet and stops the student's code from calling the package."""

from __future__ import annotations

import os
import re
import sys
import warnings

import numpy as np
import pytest

import backprop_ref
from backprop_ref import Linear, SoftmaxCrossEntropyLoss, Value, gradcheck
from backprop_ref.grading import (
    ForbiddenCall, check, check_array, check_equal, check_gradient, check_raises,
    check_unchanged, graded,
)
from backprop_ref.layers.base import Layer
from backprop_ref.losses import softmax


def fails(f, *args, **kwargs) -> str:
    with pytest.raises(AssertionError) as info:
        f(*args, **kwargs)
    return str(info.value)


def student(source: str) -> dict:
    """Run `source` as if it were a student's cell: code from a file that is not the test's."""
    namespace: dict = {}
    exec(compile(source, "<student cell>", "exec"), namespace)
    return namespace


# ---- check_array -----------------------------------------------------------------------------

def test_check_array_passes_within_tolerance():
    check_array("z", np.array([1.0, 2.0 + 1e-9]), np.array([1.0, 2.0]))
    check_array("L", 0.5, 0.5)


def test_check_array_names_shapes_of_a_transposed_gradient_with_the_hint():
    message = fails(check_array, "dW", np.zeros((3, 4)), np.zeros((4, 3)), like="W",
                    shape_hint="did you compute dz.T @ x instead of x.T @ dz?")
    assert message == ("dW has shape (3, 4) but should have the shape of W, (4, 3): did you "
                       "compute dz.T @ x instead of x.T @ dz? (it is transposed)")


def test_check_array_names_the_worst_element_and_its_relative_error():
    message = fails(check_array, "db", np.array([1.0, 2.0, 0.3]), np.array([1.0, 2.0, 1.5]),
                    hint="is the bias gradient summed over the batch?")
    assert message == ("db is wrong: worst element (2,), expected 1.5, received 0.3, relative "
                       "error 8.0e-01 — is the bias gradient summed over the batch?")


def test_check_array_spots_an_unsummed_batch_axis():
    assert "extra first axis of size 5: should that axis be summed over?" in \
        fails(check_array, "db", np.ones((5, 3)), np.ones(3))


def test_check_array_spots_a_factor_of_one_over_n():
    # (1/N) applied twice with N = 4: every element is 4 times too small
    message = fails(check_array, "dz", np.arange(1.0, 7.0) / 4, np.arange(1.0, 7.0))
    assert "every element is 4 times too small: an extra 1/4?" in message


def test_check_array_spots_a_wrong_sign_and_all_zeros():
    assert "wrong sign" in fails(check_array, "dx", -np.arange(1.0, 4.0), np.arange(1.0, 4.0))
    assert "every element is 0" in fails(check_array, "dx", np.zeros(3), np.arange(1.0, 4.0))


def test_check_array_reports_none_non_numbers_and_overflow():
    assert "is None: does your function `return` it?" in fails(check_array, "L", None, 1.0)
    assert "should be a number, but it is str" in fails(check_array, "L", "1.0", 1.0)
    assert "contains inf at (1,)" in fails(check_array, "p", np.array([0.5, np.inf]),
                                           np.array([0.5, 1.0]))


def test_check_array_scalar_factor_two_is_explained():
    # a central difference divided by h instead of 2h is twice the derivative
    assert "it is 2 times too large" in fails(check_array, "slope", 24.0, 12.0)


# ---- the other checks ------------------------------------------------------------------------

def test_check_gradient_accepts_the_true_gradient_and_rejects_a_wrong_one():
    x = np.array([0.5, -1.0, 2.0])
    check_gradient(lambda v: float(np.sum(v ** 3)), x, 3 * x ** 2, name="dx")
    message = fails(check_gradient, lambda v: float(np.sum(v ** 3)), x, 2 * x ** 2, name="dx")
    assert message.startswith("dx disagrees with finite differences: worst element (2,), "
                              "finite differences give 12, received 8;")
    assert np.array_equal(x, [0.5, -1.0, 2.0])  # perturbed and restored


def test_check_gradient_with_an_upstream_gradient_is_a_vector_jacobian_product():
    rng = np.random.default_rng(0)
    x, dout = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    check_gradient(np.tanh, x, dout * (1 - np.tanh(x) ** 2), dout=dout)
    assert "disagrees" in fails(check_gradient, np.tanh, x, 1 - np.tanh(x) ** 2, dout=dout)


def test_check_equal_check_raises_check_unchanged_and_check():
    check_equal("wrong", np.str_("sigmoid"), "sigmoid")
    assert fails(check_equal, "wrong", "tanh", "sigmoid") == \
        "wrong is 'tanh' but should be 'sigmoid'"
    check_raises(ValueError, int, "x", message="unused")
    assert fails(check_raises, ValueError, int, "3", message="int('3') raised nothing") == \
        "int('3') raised nothing"
    x = np.arange(4.0)
    before = x.copy()
    check_unchanged("x", x, before)
    x[2] += 1e-3
    assert "element (2,) went from 2 to 2.001" in fails(check_unchanged, "x", x, before)
    assert fails(check, False, "plain words") == "plain words"


# ---- graded(): quiet -------------------------------------------------------------------------

def test_graded_swallows_warnings_and_stderr(capfd):
    with graded():
        warnings.warn("harmless", UserWarning)  # pytest runs with filterwarnings = error
        np.exp(np.array([1000.0]))
        print("to stderr", file=sys.stderr)
        os.write(2, b"from C code\n")
    assert capfd.readouterr().err == ""


def test_graded_names_the_warnings_when_a_check_fails():
    if sys.version_info < (3, 11):
        pytest.skip("exception notes need Python 3.11")
    with pytest.raises(AssertionError) as info:
        with graded():
            p = np.exp(np.array([1000.0]))
            check_array("p", p, np.array([1.0]))
    assert "RuntimeWarning: overflow encountered in exp" in "".join(info.value.__notes__)


# ---- graded(): no calls into backprop_ref from the student's code ----------------------------

def test_student_code_calling_a_directly_imported_function_is_forbidden():
    ns = student("from backprop_ref.losses import softmax\n"
                 "def my_softmax(z):\n    return softmax(z)\n")
    z = np.array([[1.0, 2.0, 3.0]])
    with pytest.raises(ForbiddenCall,
                       match=re.escape("you called backprop_ref.losses.softmax: write your own")):
        with graded():
            ns["my_softmax"](z)
    np.testing.assert_allclose(ns["my_softmax"](z).sum(), 1.0)  # allowed again afterwards


def test_student_code_calling_layer_methods_is_forbidden_however_reached():
    layer = Linear(3, 2)  # made before the block, as a student's global might be
    ns = student("def via_call(layer, x):\n    return layer(x)\n"
                 "def via_method(backward, dz, cache):\n    return backward(dz, cache)\n"
                 "def via_new(x):\n    return Linear(3, 2).forward(x)\n")
    ns["Linear"] = Linear
    x = np.ones((2, 3))
    out, cache = layer.forward(x)
    bound = layer.backward  # a bound method taken before the block
    for call in (lambda: ns["via_call"](layer, x), lambda: ns["via_method"](bound, out, cache),
                 lambda: ns["via_new"](x)):
        with pytest.raises(ForbiddenCall, match=r"backprop_ref\.layers\.linear\.Linear\."):
            with graded():
                call()


def test_operators_of_the_package_value_class_are_forbidden():
    ns = student("def f(a, b):\n    return a * b + a\n")
    a, b = Value(2.0), Value(3.0)
    with pytest.raises(ForbiddenCall, match="Value.__mul__"):
        with graded():
            ns["f"](a, b)


def test_a_forbidden_call_caught_by_the_student_still_fails_the_block():
    ns = student("from backprop_ref.gradcheck import relative_error\n"
                 "def rel(a, b):\n    try:\n        return relative_error(a, b)\n"
                 "    except Exception:\n        return 0.0\n")
    with pytest.raises(ForbiddenCall, match="your code caught the error"):
        with graded():
            ns["rel"](np.ones(2), np.ones(2))


def test_the_test_itself_and_the_checks_may_call_the_package():
    ns = student("def my_loss(z, y):\n    import numpy as np\n"
                 "    z = z - z.max(axis=1, keepdims=True)\n"
                 "    return float(np.mean(np.log(np.exp(z).sum(axis=1)) - z[np.arange(len(y)), y]))\n")
    z, y = np.array([[1.0, 2.0], [0.5, -1.0]]), np.array([1, 0])
    with graded():
        expected = SoftmaxCrossEntropyLoss()(z, y)  # written in the test: trusted
        check_array("loss", ns["my_loss"](z, y), expected)
        check_gradient(lambda v: float(np.sum(v ** 2)), z.copy(), 2 * z)  # uses gradcheck
        forward = lambda v: Linear(2, 2).forward(v)[0]  # noqa: E731 (test code, called below)
        ns2 = student("def run(f, x):\n    return f(x)\n")
        ns2["run"](forward, z)  # student code calling back into the test's code: allowed


def test_allow_lets_the_student_use_the_named_parts():
    ns = student("def train_step(x):\n    return Linear(3, 2).forward(x)[0]\n")
    ns["Linear"] = Linear
    with graded(allow=[Linear]):
        ns["train_step"](np.ones((1, 3)))


def test_replace_grades_a_part_with_a_correct_version_of_an_earlier_one():
    # A notebook: the student's cell and the grade cell share one namespace.
    notebook = student("def relative_error(a, n):\n    return -1.0  # broken part\n"
                       "def layer_check(a, n):\n    return relative_error(a, n)\n")
    grade_cell = ("from backprop_ref.grading import graded\n"
                  "from backprop_ref import gradcheck\n"
                  "with graded(replace={'relative_error': gradcheck.relative_error}):\n"
                  "    result = layer_check(np.ones(2), np.zeros(2))\n")
    notebook["np"] = np
    exec(compile(grade_cell, "<grade cell>", "exec"), notebook)
    assert notebook["result"] == 1.0  # the package's relative_error, called by student code
    assert notebook["layer_check"](np.ones(2), np.zeros(2)) == -1.0  # the student's, restored


def test_subclassing_the_layer_interface_is_allowed():
    ns = student("from backprop_ref.layers.base import Layer\n"
                 "class Double(Layer):\n"
                 "    def __init__(self):\n        super().__init__()\n"
                 "    def forward(self, x, train=False):\n        return 2 * x, None\n")
    with graded():
        out = ns["Double"]()(np.ones(2))
    check_array("out", out, [2.0, 2.0])
    assert issubclass(ns["Double"], Layer)


def test_every_guarded_function_is_restored_after_the_block():
    functions = [backprop_ref.numerical_gradient, softmax, Linear.backward, Value.__add__,
                 Linear.__init__]  # __init__ uses super(): a function with a free variable
    before = [f.__code__ for f in functions]
    with graded():
        during = [f.__code__ for f in functions]
    assert all(b is not d for b, d in zip(before, during))
    assert [f.__code__ for f in functions] == before


def _grade_in(notebook: dict, grade_cell: str) -> None:
    """Run `grade_cell` in the notebook's namespace, as nbgrader runs a test cell."""
    notebook.setdefault("np", np)
    import linecache
    filename = f"<grade cell {len(linecache.cache)}>"
    linecache.cache[filename] = (len(grade_cell), None, grade_cell.splitlines(True), filename)
    exec(compile(grade_cell, filename, "exec"), notebook)


def test_an_answer_that_is_the_package_function_imported_by_name_is_forbidden():
    # The test calls `numerical_gradient` from its own (trusted) code; the name is the package's.
    notebook = student("from backprop_ref.gradcheck import numerical_gradient\n")
    grade_cell = ("from backprop_ref.grading import graded\n"
                  "with graded():\n"
                  "    numerical_gradient(lambda v: float((v ** 2).sum()), np.ones(2))\n")
    with pytest.raises(ForbiddenCall, match="numerical_gradient is backprop_ref.gradcheck"):
        _grade_in(notebook, grade_cell)
    assert notebook["numerical_gradient"].__module__ == "backprop_ref.gradcheck"  # restored


def test_a_name_the_grade_cell_imports_itself_may_still_be_called():
    notebook = student("x = 1\n")
    _grade_in(notebook, "from backprop_ref.grading import graded\n"
                        "from backprop_ref.losses import softmax\n"
                        "with graded():\n"
                        "    p = softmax(np.zeros((1, 2)))\n")
    check_array("p", notebook["p"], [[0.5, 0.5]])


def test_a_package_method_inherited_by_the_students_class_is_forbidden():
    notebook = student("from backprop_ref import layers\n"
                       "class MyLinear(layers.Linear):\n    pass\n")
    grade_cell = ("from backprop_ref.grading import graded\n"
                  "with graded():\n"
                  "    MyLinear(2, 3).forward(np.ones((1, 2)))\n")
    with pytest.raises(ForbiddenCall, match="Linear.__init__"):
        _grade_in(notebook, grade_cell)


def test_check_gradient_of_a_function_that_returns_nan_fails_as_a_check_not_a_crash():
    message = fails(check_gradient, lambda v: float("nan"), np.ones(2), np.zeros(2), name="dx")
    assert "dx cannot be checked" in message and "nan" in message.lower(), message
