"""Bad input gets a clear error, never a wrong number.

Every public entry point, given a wrong shape, a wrong dtype, nan or inf, or an empty batch,
raises ValueError or TypeError whose message names the entry point, the argument and the
fault: both shapes for a shape, the dtype received for a dtype, the number of non-finite
values and the first one's index for nan and inf.

The catalogues below drive the tests: `ARRAYS` lists array arguments (one row each: the
call, a good value that must be accepted, the shapes that must be refused), `SCALARS` real
numbers, `COUNTS` positive integers. Adding an entry point is adding a row.
"""

from __future__ import annotations

import math
import re
import threading
import warnings
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest

from backprop_ref import NonFiniteError, data, layers as L, schedules
from backprop_ref._validate import all_finite, skip_finite_checks
from backprop_ref.autograd import Value
from backprop_ref.gradcheck import (check_layer, gradcheck, numerical_gradient,
                                    numerical_gradient_array, relative_error)
from backprop_ref.losses import (BCEWithLogitsLoss, MSELoss, SoftmaxCrossEntropyLoss,
                                 log_softmax, softmax)
from backprop_ref.optim import SGD, Adam, RMSProp, clip_grad_norm
from backprop_ref.train import accuracy, evaluate, fit

rng = np.random.default_rng(0)

DTYPES = ("int64", "complex128", "object", "str", "bool")
FINITE = ("nan", "inf")


def normal(*shape: int) -> Callable[[], np.ndarray]:
    return lambda: np.random.default_rng(1).standard_normal(shape)


def labels(n: int, k: int) -> Callable[[], np.ndarray]:
    return lambda: np.arange(n, dtype=np.int64) % k


@dataclass(frozen=True)
class Arg:
    """One array argument of one entry point.

    `call(value)` runs the entry point with `value` in place of the argument; `good()` makes
    a value that must be accepted. The message must name `where` and `arg`; shapes in
    `wrong_shapes` must be refused, quoting `expected` and the shape received. An entry point
    with a batch axis (`empty`) refuses N = 0. `dtypes` and `finite` list the faults to try;
    `note` is text that must appear in the exception's notes (Sequential names the layer).
    """

    where: str
    arg: str
    call: Callable[[np.ndarray], object]
    good: Callable[[], np.ndarray]
    wrong_shapes: tuple[tuple[int, ...], ...] = ()
    expected: str = ""
    empty: bool = True
    dtypes: tuple[str, ...] = DTYPES
    finite: tuple[str, ...] = FINITE
    note: str = ""
    label: str = ""  # to tell apart two rows of one entry point in test ids

    @property
    def id(self) -> str:
        return f"{self.where}-{self.arg}" + (f"-{self.label}" if self.label else "")


def forward_of(layer: L.Layer, x: Callable[[], np.ndarray], train: bool = True):
    """call(dout) = layer.backward(dout, cache of a good forward pass)."""
    return lambda dout: layer.backward(dout, layer.forward(x(), train=train)[1])


def linear_params() -> dict[str, np.ndarray]:
    return {"W": normal(4, 3)(), "b": np.zeros(3)}


def step_with(make_opt: Callable, dW: np.ndarray) -> None:
    params = linear_params()
    make_opt(params).step({"W": dW, "b": np.ones(3)})


def tiny_fit(X: np.ndarray, y: np.ndarray, loss=None, epochs: int = 1, lr: float = 0.1,
             schedule=None):
    loss = loss or SoftmaxCrossEntropyLoss()
    model = L.Sequential(L.Linear(2, 3, rng=np.random.default_rng(0)))
    return fit(model, loss, SGD(model.params, lr=lr), X, y, epochs=epochs, batch_size=4,
               schedule=schedule)


def plot_boundary(X: np.ndarray, margin: float = 0.5) -> None:
    import matplotlib.pyplot as plt

    from backprop_ref.plotting import plot_decision_boundary

    try:
        plot_decision_boundary(lambda P: (P[:, 0] > 0).astype(int), X, np.arange(len(X)) % 2,
                               resolution=5, margin=margin)
    finally:
        plt.close("all")


LIN = L.Linear(4, 3)
SEQ = L.Sequential(L.Linear(4, 5), L.ReLU(), L.Linear(5, 3))
CONV, POOL, RNN_SEQ, RNN_LAST = L.Conv2d(3, 2, 3), L.MaxPool2d(2), L.RNN(3, 4), L.RNN(
    3, 4, return_sequences=False)
AT_LEAST_1 = ((),)
CE_Z = normal(3, 4)

ARRAYS = [
    # ---- layers, forward
    Arg("Linear.forward", "x", LIN.forward, normal(5, 4), ((4,), (5, 3)), "(N, 4)"),
    *[Arg(f"{type(layer).__name__}.forward", "z", lambda z, layer=layer: layer.forward(z, True),
          normal(3, 4), AT_LEAST_1, "at least 1")
      for layer in (L.Sigmoid(), L.Tanh(), L.ReLU(), L.LeakyReLU(), L.Dropout(0.5))],
    Arg("BatchNorm1d.forward", "x", lambda x: L.BatchNorm1d(4).forward(x, train=True),
        normal(5, 4), ((5, 2),), "(N, 4)"),
    Arg("Conv2d.forward", "x", CONV.forward, normal(2, 3, 5, 5), ((2, 4, 5, 5), (3, 5, 5)),
        "(N, 3, H, W)"),
    Arg("MaxPool2d.forward", "x", POOL.forward, normal(2, 1, 4, 4), ((4, 4),), "(N, C, H, W)"),
    Arg("Flatten.forward", "x", L.Flatten().forward, normal(2, 3, 4), ((6,),), "at least 2"),
    Arg("RNN.forward", "x", RNN_SEQ.forward, normal(2, 5, 3), ((2, 5, 2), (5, 3)), "(N, T, 3)"),
    Arg("Linear.forward", "x", SEQ.forward, normal(5, 4), ((5, 3),), "(N, 4)",
        note="Sequential.forward by layer 0, Linear(4, 5)", label="in-Sequential"),
    # ---- layers, backward: the upstream gradient must be the forward output's exact shape
    Arg("Linear.backward", "dz", forward_of(LIN, normal(5, 4)), normal(5, 3), ((5, 4), (1, 3)),
        "(5, 3)"),
    Arg("Linear.param_grads", "dz", lambda dz: LIN.param_grads(dz, LIN.forward(normal(5, 4)())[1]),
        normal(5, 3), ((5, 4),), "(5, 3)"),
    *[Arg(f"{type(layer).__name__}.backward", "da", forward_of(layer, normal(3, 4), train),
          normal(3, 4), ((1, 4), (3, 5)), "(3, 4)", label="train" if train else "eval")
      for layer, train in ((L.Sigmoid(), True), (L.Tanh(), True), (L.ReLU(), True),
                           (L.LeakyReLU(), True), (L.Dropout(0.5), True), (L.Dropout(0.5), False))],
    Arg("BatchNorm1d.backward", "dy", forward_of(L.BatchNorm1d(4), normal(5, 4)), normal(5, 4),
        ((5, 3),), "(5, 4)"),
    Arg("Conv2d.backward", "dz", forward_of(CONV, normal(2, 3, 5, 5)), normal(2, 2, 3, 3),
        ((2, 2, 3, 4),), "(2, 2, 3, 3)"),
    Arg("MaxPool2d.backward", "dz", forward_of(POOL, normal(2, 1, 4, 4)), normal(2, 1, 2, 2),
        ((2, 1, 2, 3),), "(2, 1, 2, 2)"),
    Arg("Flatten.backward", "dout", forward_of(L.Flatten(), normal(2, 3, 4)), normal(2, 12),
        ((2, 13),), "(2, 12)"),
    Arg("RNN.backward", "dout", forward_of(RNN_SEQ, normal(2, 5, 3)), normal(2, 5, 4),
        ((2, 4),), "(2, 5, 4)", label="sequences"),
    Arg("RNN.backward", "dout", forward_of(RNN_LAST, normal(2, 5, 3)), normal(2, 4),
        ((2, 5, 4),), "(2, 4)", label="last-state"),
    Arg("Linear.backward", "dz", forward_of(SEQ, normal(5, 4)), normal(5, 3), ((5, 4),),
        "(5, 3)", note="Sequential.backward by layer 2, Linear(5, 3)", label="in-Sequential"),
    # ---- element-wise functions
    Arg("sigmoid", "z", L.sigmoid, normal(3, 4)),
    Arg("softmax", "z", softmax, normal(3, 4), AT_LEAST_1, "at least 1"),
    Arg("log_softmax", "z", log_softmax, normal(3, 4), AT_LEAST_1, "at least 1"),
    # ---- losses: predictions, targets
    Arg("MSELoss.forward", "pred", lambda p: MSELoss().forward(p, normal(5, 2)()), normal(5, 2),
        AT_LEAST_1, "at least 1"),
    Arg("MSELoss.forward", "target", lambda t: MSELoss().forward(normal(5, 2)(), t), normal(5, 2),
        ((5,), (5, 1), (2, 5)), "(5, 2)", dtypes=("complex128", "object", "str", "bool")),
    Arg("BCEWithLogitsLoss.forward", "z", lambda z: BCEWithLogitsLoss().forward(z, np.ones(4)),
        normal(4), AT_LEAST_1, "at least 1"),
    Arg("BCEWithLogitsLoss.forward", "target",
        lambda t: BCEWithLogitsLoss().forward(normal(4, 1)(), t), lambda: np.full((4, 1), 0.5),
        ((4,),), "(4, 1)", dtypes=("complex128", "object", "str", "bool")),
    Arg("SoftmaxCrossEntropyLoss.forward", "z",
        lambda z: SoftmaxCrossEntropyLoss().forward(z, labels(3, 4)()), CE_Z, ((4,), (3, 4, 1)),
        "(N, K)"),
    Arg("SoftmaxCrossEntropyLoss.forward", "target",
        lambda t: SoftmaxCrossEntropyLoss().forward(CE_Z(), t), labels(3, 4), ((2,), (3, 1)),
        "(3,)", dtypes=("float64", "complex128", "object", "str", "bool"), finite=()),
    # ---- optimizers: gradients at every step, parameters at construction
    *[Arg(f"{name}.step", "grads['W']", lambda g, make=make: step_with(make, g), normal(4, 3),
          ((3, 4), (4,)), "(4, 3)")
      for name, make in (("SGD", lambda p: SGD(p, lr=0.1, momentum=0.9)),
                         ("RMSProp", lambda p: RMSProp(p)), ("Adam", lambda p: Adam(p)))],
    Arg("SGD", "params['W']", lambda W: SGD({"W": W}, lr=0.1), normal(4, 3), empty=False),
    Arg("clip_grad_norm", "grads['W']", lambda g: clip_grad_norm({"W": g}, 1.0), normal(4, 3),
        empty=False),
    # ---- gradient checking
    Arg("numerical_gradient", "x", lambda x: numerical_gradient(lambda v: float(np.sum(v ** 2)), x),
        normal(3, 2)),
    Arg("numerical_gradient_array", "x", lambda x: numerical_gradient_array(np.tanh, x,
                                                                           normal(3, 2)()),
        normal(3, 2), ((2, 3),), "(3, 2)"),
    Arg("numerical_gradient_array", "dout",
        lambda d: numerical_gradient_array(np.tanh, normal(3, 2)(), d), normal(3, 2), ((2, 3),),
        "(3, 2)"),
    Arg("relative_error", "analytic", lambda a: relative_error(a, normal(3, 2)()), normal(3, 2),
        ((2, 3),), "(3, 2)"),
    Arg("gradcheck dW", "numerical",
        lambda n: gradcheck(normal(3, 2)(), n, name="dW", raise_on_fail=False), normal(3, 2),
        ((2, 3),), "(3, 2)"),
    Arg("check_layer", "x", lambda x: check_layer(L.Tanh(), x, rng=np.random.default_rng(0)),
        normal(3, 2)),
    # ---- training
    Arg("fit", "X", lambda X: tiny_fit(X, labels(8, 3)()), normal(8, 2), ((7, 2),), "(8,)"),
    Arg("fit", "y", lambda y: tiny_fit(normal(8, 2)(), y, MSELoss()), normal(8, 3), ((7, 3),),
        "(8, 2)", dtypes=("complex128", "object", "str", "bool")),
    Arg("evaluate", "X", lambda X: evaluate(SEQ, MSELoss(), X, normal(6, 3)()), normal(6, 4),
        ((5, 4),), "(6, 3)"),
    Arg("accuracy", "outputs", lambda z: accuracy(z, labels(6, 3)()), normal(6, 3), ((5, 3),),
        "(6,)"),
    # ---- data and plots
    Arg("train_test_split", "X", lambda X: data.train_test_split(X, labels(20, 2)()),
        normal(20, 3), ((19, 3),), "(20,)", dtypes=("complex128", "object", "str")),
    Arg("one_hot", "y", lambda y: data.one_hot(y, 3), labels(6, 3), ((2, 3),), "(N,)",
        dtypes=("float64", "complex128", "object", "str", "bool"), finite=()),
    Arg("plot_decision_boundary", "X", plot_boundary, normal(6, 2), ((6, 3),), "(N, 2)",
        dtypes=("complex128", "object", "str", "bool")),
]


def bad_value(arg: Arg, fault: str) -> tuple[np.ndarray, tuple[str, ...]]:
    """A bad value for `arg` and the texts its error message must contain besides the names."""
    good = arg.good()
    if fault.startswith("shape "):
        shape = arg.wrong_shapes[int(fault.split()[1])]
        return np.resize(good, shape), (arg.expected, str(shape))
    if fault == "empty":
        return good[:0], (str((0,) + good.shape[1:]),)
    if fault in ("nan", "inf"):
        bad = good.astype(np.float64)
        first = 1 if fault == "inf" else bad.size // 2
        bad.flat[first] = np.nan if fault == "nan" else np.inf
        bad.flat[-1] = np.nan if fault == "nan" else -np.inf
        index = ", ".join(map(str, np.unravel_index(first, bad.shape)))
        return bad, ("has 2 non-finite values", f"{arg.arg}[{index}] = {bad.flat[first]}")
    bad = (good > 0) if fault == "bool" else good.astype(fault)
    return bad, (bad.dtype.name,)


def faults(arg: Arg) -> list[str]:
    return ([f"shape {i}" for i in range(len(arg.wrong_shapes))] + ["empty"] * arg.empty
            + list(arg.finite) + list(arg.dtypes))


def message_of(info: pytest.ExceptionInfo) -> str:
    return str(info.value) + "\n" + "\n".join(getattr(info.value, "__notes__", []))


@pytest.mark.parametrize("arg", ARRAYS, ids=lambda a: a.id)
def test_entry_point_accepts_its_good_input(arg):
    arg.call(arg.good())


@pytest.mark.parametrize("arg, fault", [(a, f) for a in ARRAYS for f in faults(a)],
                         ids=[f"{a.id}-{f}" for a in ARRAYS for f in faults(a)])
def test_entry_point_refuses_a_bad_array_naming_itself_the_argument_and_the_fault(arg, fault):
    bad, texts = bad_value(arg, fault)
    with pytest.raises((ValueError, TypeError)) as info:
        arg.call(bad)
    message = message_of(info)
    assert message.startswith(arg.where + ":") and arg.arg in message, message
    assert all(text in message for text in texts), (texts, message)
    assert arg.note in message, message
    if fault in FINITE:
        assert isinstance(info.value, NonFiniteError)


# ---- real-number arguments: nan, inf, a string, None and a bool are refused -------------

@dataclass(frozen=True)
class Scalar:
    """One real-number argument: `call(value)` runs the entry point with it; `good` works."""

    where: str
    arg: str
    call: Callable[[object], object]
    good: object
    bad: tuple = (math.nan, math.inf, -math.inf, "0.1", None, True)


def set_lr_and_step(lr: object) -> None:
    params = linear_params()
    opt = SGD(params, lr=0.1)
    opt.lr = lr
    opt.step({"W": np.ones((4, 3)), "b": np.ones(3)})


def loss_backward(loss, pred, target) -> Callable[[object], object]:
    return lambda dloss: loss.backward(loss.forward(pred, target)[1], dloss)


SCALARS = [
    Scalar("SGD", "lr", lambda lr: SGD(linear_params(), lr=lr), 0.1),
    Scalar("SGD.step", "lr", set_lr_and_step, 0.1),
    Scalar("SGD", "momentum", lambda m: SGD(linear_params(), lr=0.1, momentum=m), 0.9),
    Scalar("Adam", "weight_decay", lambda wd: Adam(linear_params(), weight_decay=wd), 1e-4),
    Scalar("RMSProp", "eps", lambda eps: RMSProp(linear_params(), eps=eps), 1e-8),
    Scalar("clip_grad_norm", "max_norm", lambda m: clip_grad_norm({"W": np.ones(3)}, m), 1.0,
           bad=(math.nan, -math.inf, "1", None, True)),
    Scalar("Constant", "lr", schedules.Constant, 0.1),
    Scalar("StepDecay", "gamma", lambda g: schedules.StepDecay(0.1, 5, g), 0.5),
    Scalar("CosineAnnealing", "lr0", lambda lr: schedules.CosineAnnealing(lr, 10), 0.1),
    Scalar("LinearWarmup", "schedule(0)",
           lambda lr: schedules.LinearWarmup(lambda t: lr, warmup_steps=3)(0), 0.1),
    Scalar("fit", "schedule(0)", lambda lr: tiny_fit(normal(4, 2)(), labels(4, 3)(),
                                                    schedule=lambda t: lr), 0.1),
    *[Scalar(f"{type(loss).__name__}.backward", "dloss", loss_backward(loss, pred, target), 1.0)
      for loss, pred, target in ((MSELoss(), normal(3, 2)(), normal(3, 2)()),
                                 (BCEWithLogitsLoss(), normal(3)(), np.ones(3)),
                                 (SoftmaxCrossEntropyLoss(), CE_Z(), labels(3, 4)()))],
    Scalar("numerical_gradient", "h",
           lambda h: numerical_gradient(lambda v: float(v.sum()), np.ones(2), h), 1e-5),
    Scalar("gradcheck dW", "tol", lambda t: gradcheck(np.ones(2), np.ones(2), name="dW", tol=t),
           1e-7),
    Scalar("Dropout", "p", L.Dropout, 0.5),
    Scalar("LeakyReLU", "negative_slope", L.LeakyReLU, 0.01),
    Scalar("BatchNorm1d", "eps", lambda e: L.BatchNorm1d(3, eps=e), 1e-5),
    Scalar("BatchNorm1d", "momentum", lambda m: L.BatchNorm1d(3, momentum=m), 0.1),
    Scalar("Linear", "init", lambda s: L.Linear(2, 2, init=s), 0.5),
    Scalar("spirals", "noise", lambda s: data.spirals(5, 2, noise=s), 0.2),
    Scalar("train_test_split", "test_fraction",
           lambda f: data.train_test_split(normal(10, 2)(), labels(10, 2)(), test_fraction=f),
           0.3),
    Scalar("plot_decision_boundary", "margin", lambda m: plot_boundary(normal(4, 2)(), m), 0.5),
    Scalar("Value", "data", Value, 2.0),
    Scalar("Value +", "operand", lambda o: Value(2.0) + o, 1.5),
    Scalar("Value **", "exponent", lambda k: Value(2.0) ** k, 3.0),
]


def _names_the_value(message: str, value: object) -> bool:
    """The message quotes the bad value, or names its type if it is not a number."""
    return repr(value) in message or (not isinstance(value, float)
                                      and f"got {type(value).__name__}" in message)


@pytest.mark.parametrize("entry", SCALARS, ids=lambda s: f"{s.where}-{s.arg}")
def test_scalar_argument_accepts_its_good_value(entry):
    entry.call(entry.good)


@pytest.mark.parametrize(
    "entry, value", [(s, v) for s in SCALARS for v in s.bad],
    ids=[f"{s.where}-{s.arg}-{v!r}" for s in SCALARS for v in s.bad])
def test_scalar_argument_refuses_nan_inf_and_non_numbers_naming_the_value(entry, value):
    with pytest.raises((ValueError, TypeError)) as info:
        entry.call(value)
    message = str(info.value)
    if entry.where == "Value" and value is True:  # bool is an int to Python: refused by type
        assert message == "Value: expected data to be an int or float, got bool"
        return
    assert message.startswith(entry.where + ":") and entry.arg in message, message
    assert _names_the_value(message, value), message


# ---- positive integers ---------------------------------------------------------------------

COUNTS = [
    ("Linear", "in_features", lambda n: L.Linear(n, 2)),
    ("Linear", "out_features", lambda n: L.Linear(2, n)),
    ("BatchNorm1d", "num_features", L.BatchNorm1d),
    ("Conv2d", "in_channels", lambda n: L.Conv2d(n, 2, 3)),
    ("RNN", "hidden_size", lambda n: L.RNN(3, n)),
    ("spirals", "n_per_class", lambda n: data.spirals(n_per_class=n)),
    ("one_hot", "num_classes", lambda n: data.one_hot(np.array([0]), n)),
    ("fit", "epochs", lambda n: tiny_fit(normal(4, 2)(), labels(4, 3)(), epochs=n)),
]


@pytest.mark.parametrize("where, name, build", COUNTS, ids=[f"{w}-{n}" for w, n, _ in COUNTS])
@pytest.mark.parametrize("value", [0, -1, 2.5, "3", True, None], ids=repr)
def test_count_arguments_refuse_anything_but_a_positive_int(where, name, build, value):
    build(1 if name != "num_features" else 2)  # the good value works
    with pytest.raises(ValueError) as info:
        build(value)
    message = str(info.value)
    assert message.startswith(f"{where}: expected {name}") and repr(value) in message, message


# ---- the finiteness test itself ------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16, np.longdouble],
                         ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("layout", ["C", "F", "strided"])
def test_all_finite_finds_a_single_nan_or_inf_at_any_position(dtype, layout):
    # The fast path is a sum of squares; this shows it misses nothing, wherever the bad value
    # sits (first, inside a SIMD block, in the tail), in every dtype and memory layout.
    for size in (1, 2, 7, 64, 1001):
        base = np.arange(1.0, size + 1).astype(dtype)
        for position in sorted({0, size // 2, size - 1}):
            for bad in (np.nan, np.inf, -np.inf):
                x = base.copy()
                x[position] = bad
                view = {"C": x, "F": np.asfortranarray(np.stack([x, base])),
                        "strided": np.repeat(x, 2)[::2]}[layout]
                assert not all_finite(view), (size, position, bad)
        assert all_finite(base)


@pytest.mark.parametrize("dtype, big", [(np.float64, 1e300), (np.float32, 1e30),
                                        (np.float16, 6e4)], ids=["float64", "float32", "float16"])
def test_all_finite_accepts_huge_finite_values_whose_squares_overflow_without_a_warning(dtype,
                                                                                        big):
    # x·x overflows to inf here, so the exact test decides; pytest turns warnings into errors
    x = np.full((3, 5), big, dtype=dtype)
    assert all_finite(x) and all_finite(-x)


def test_non_finite_message_counts_the_bad_values_and_gives_the_first_one():
    x = np.zeros((3, 4))
    x[1, 2], x[2, 0], x[2, 3] = -np.inf, np.nan, np.inf
    with pytest.raises(NonFiniteError) as info:
        L.Linear(4, 2).forward(x)
    assert str(info.value) == ("Linear.forward: x has 3 non-finite values (inf or nan); the "
                               "first is x[1, 2] = -inf")


def test_skip_finite_checks_lasts_for_its_block_and_its_thread_only():
    x = np.array([[np.nan, 1.0]])
    with skip_finite_checks():
        L.ReLU().forward(x)                                  # skipped here...
        seen = []
        thread = threading.Thread(target=lambda: seen.append(_raises(L.ReLU().forward, x)))
        thread.start()
        thread.join()
        assert seen == [True]                                # ...but not in another thread
        with pytest.raises(ValueError, match=r"expected z with at least 1"):
            L.ReLU().forward(np.array(1.0))                  # shapes are still checked
    with pytest.raises(NonFiniteError):
        L.ReLU().forward(x)                                  # and after the block


def _raises(f, *args) -> bool:
    try:
        f(*args)
    except NonFiniteError:
        return True
    return False


# ---- what the checks protect -----------------------------------------------------------

def test_optimizer_step_refusing_a_nan_gradient_changes_no_parameter():
    params = linear_params()
    before = {k: p.copy() for k, p in params.items()}
    opt = Adam(params, lr=0.1)
    dW = np.ones((4, 3))
    dW[3, 2] = np.nan
    with pytest.raises(NonFiniteError, match=re.escape("grads['W'][3, 2] = nan")):
        opt.step({"W": dW, "b": np.ones(3)})  # "b" is fine, and comes second
    for k in params:
        np.testing.assert_array_equal(params[k], before[k])
    assert opt.t == 0 and not opt.state["W"]["m"].any()


def test_sequential_checks_only_its_input_and_upstream_gradient_for_nan():
    # The inner layers get arrays computed from checked ones; a nan planted in a weight
    # reaches the output, and the loss (or fit's loss check) is where it shows.
    model = L.Sequential(L.Linear(2, 3), L.ReLU(), L.Linear(3, 1))
    model.params["2.W"][0, 0] = np.nan
    out, _ = model.forward(np.ones((4, 2)))
    assert np.isnan(out).all()
    with pytest.raises(NonFiniteError, match=r"MSELoss\.forward: pred has 4 non-finite"):
        MSELoss().forward(out, np.zeros((4, 1)))


def test_sequential_notes_name_the_layer_whose_input_size_is_wrong():
    model = L.Sequential(L.Linear(4, 5), L.ReLU(), L.Linear(6, 1))
    with pytest.raises(ValueError, match=re.escape("expected x of shape (N, 6), got (2, 5)")) \
            as info:
        model.forward(np.ones((2, 4)))
    assert info.value.__notes__ == ["(raised in Sequential.forward by layer 2, Linear(6, 1))"]


def test_fit_stops_with_training_diverged_when_the_loss_blows_up():
    # MSE on targets of 1e150 with lr = 1e10: the weights overshoot further at every step
    X = normal(8, 2)()
    y = np.full((8, 3), 1e150)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy's own overflow warnings
        with pytest.raises(NonFiniteError, match=r"fit: training diverged at epoch 0, step \d+: "
                                                 r"the loss is (inf|nan) \(lr = 10000000000\.0\)"):
            tiny_fit(X, y, MSELoss(), epochs=3, lr=1e10)


def test_fit_notes_the_epoch_and_step_of_an_error_raised_inside_a_step():
    # one-hot targets given to a loss that wants integer labels: the loss says what is wrong,
    # the note says where in training it happened
    with pytest.raises(ValueError, match=r"expected target of shape \(4,\)") as info:
        tiny_fit(normal(8, 2)(), np.eye(3)[labels(8, 3)()])
    assert info.value.__notes__ == ["(raised in fit at epoch 0, step 0)"]


def test_fit_refuses_nan_weights_before_the_first_step():
    model = L.Sequential(L.Linear(2, 3))
    opt = SGD(model.params, lr=0.1)
    model.params["0.b"][1] = np.inf
    with pytest.raises(NonFiniteError, match=re.escape("fit: model.params['0.b'] has 1 "
                                                       "non-finite value (inf or nan); the first "
                                                       "is model.params['0.b'][1] = inf")):
        fit(model, SoftmaxCrossEntropyLoss(), opt, normal(4, 2)(), labels(4, 3)(), epochs=1)


def test_numerical_gradient_names_the_element_where_f_is_not_finite_and_restores_x():
    x = np.array([1.0, 0.0, 2.0])
    with pytest.raises(NonFiniteError, match=r"f returned inf at x\[1\] \+ h"):
        numerical_gradient(lambda v: math.inf if v[1] > 0 else 0.0, x)
    np.testing.assert_array_equal(x, [1.0, 0.0, 2.0])


def test_numerical_gradient_refuses_integer_x_whose_perturbation_would_round_away():
    # x[i] + 1e-5 stored into an int array is x[i] again: every gradient would read 0
    with pytest.raises(ValueError, match="numerical_gradient: expected x of a floating-point "
                                         "dtype, got int64"):
        numerical_gradient(lambda v: float(np.sum(v ** 2)), np.array([1, 2]))


def test_numerical_gradient_array_refuses_a_dout_that_would_broadcast():
    with pytest.raises(ValueError, match=re.escape("expected f(x) of shape (3,) (the shape of "
                                                   "dout), got (2, 3)")):
        numerical_gradient_array(np.tanh, np.ones((2, 3)), np.ones(3))


def test_value_arithmetic_that_overflows_names_the_operation():
    with pytest.raises(OverflowError, match=r"Value \*: the result of \* on 1e\+200, 1e\+200 "
                                            r"overflows float64"):
        Value(1e200) * Value(1e200)


def test_value_whose_data_was_set_to_nan_is_refused_by_the_next_operation():
    w = Value(0.5)
    w.data -= math.inf * 0.0  # an update step gone wrong: 0.5 - nan
    with pytest.raises(ValueError, match=r"Value \*: an input is not finite \(nan, 2\.0\)"):
        w * 2.0


def test_clip_grad_norm_of_huge_finite_gradients_is_exact_not_inf():
    # ||(3e200, 4e200)|| = 5e200, although 3e200² overflows float64
    clipped, norm = clip_grad_norm({"W": np.array([3e200, 4e200])}, max_norm=1.0)
    assert norm == pytest.approx(5e200, rel=1e-15)
    np.testing.assert_allclose(clipped["W"], [0.6, 0.8], rtol=1e-15)


# ---- shapes: the cases that used to broadcast silently -----------------------------------

@pytest.mark.parametrize("layer", [L.Sigmoid(), L.Tanh(), L.ReLU(), L.LeakyReLU(),
                                   L.Dropout(0.5)], ids=lambda l: type(l).__name__)
def test_elementwise_backward_rejects_a_gradient_that_would_broadcast(layer):
    _, cache = layer.forward(rng.standard_normal((3, 4)), train=True)
    with pytest.raises(ValueError, match=re.escape("(3, 4)") + ".*" + re.escape("(1, 4)")):
        layer.backward(np.ones((1, 4)), cache)


def test_float32_layer_rejects_float64_input_naming_both_dtypes():
    with pytest.raises(ValueError, match="float32.*float64"):
        L.Linear(2, 2, dtype=np.float32).forward(np.ones((3, 2)))


def test_layers_refuse_a_dtype_that_is_not_floating_point():
    with pytest.raises(ValueError, match=r"Conv2d: expected a floating-point dtype .*int64"):
        L.Conv2d(1, 1, 1, dtype=np.int64)


def test_the_source_listings_broadcast_bug_is_an_error_naming_both_shapes():
    # The source feeds 3 network outputs and 4 targets to its loss.
    with pytest.raises(ValueError, match=re.escape("(1, 3)") + ".*" + re.escape("(4,)")):
        MSELoss().forward(rng.standard_normal((1, 3)), np.array([0.0, 0.0, 0.0, 1.0]))


def test_mse_refuses_column_versus_flat_targets_that_would_broadcast_to_a_matrix():
    with pytest.raises(ValueError, match=re.escape("(5, 1)") + ".*" + re.escape("(5,)")):
        MSELoss().forward(rng.standard_normal((5, 1)), rng.standard_normal(5))


@pytest.mark.parametrize("target, pattern", [
    (np.array([0, 1]), r"\(3,\).*\(2,\)"),
    (np.array([0.0, 1.0, 2.0]), "integer class labels, got dtype float64"),
    (np.array([0, 1, 5]), r"labels in \[0, 4\), got values from 0 to 5"),
])
def test_softmax_cross_entropy_rejects_bad_targets(target, pattern):
    with pytest.raises(ValueError, match=pattern):
        SoftmaxCrossEntropyLoss().forward(rng.standard_normal((3, 4)), target)


def test_bce_refuses_targets_outside_the_unit_interval():
    with pytest.raises(ValueError, match=r"targets in \[0, 1\].*from -1 to 2"):
        BCEWithLogitsLoss().forward(np.zeros(3), np.array([-1.0, 0.5, 2.0]))


def test_sequential_rejects_no_layers_a_non_layer_and_a_wrong_number_of_caches():
    with pytest.raises(ValueError, match="at least one layer"):
        L.Sequential()
    with pytest.raises(TypeError, match="item 1 is ufunc, not a Layer"):
        L.Sequential(L.Linear(2, 2), np.tanh)
    model = L.Sequential(L.Linear(2, 2), L.ReLU())
    out, caches = model.forward(np.ones((1, 2)))
    with pytest.raises(ValueError, match="expected 2 caches"):
        model.backward(out, caches[:1])


def test_gradcheck_rejects_gradients_of_different_shapes_naming_both():
    with pytest.raises(ValueError, match=re.escape("(3, 2)") + ".*" + re.escape("(2, 3)")):
        gradcheck(np.zeros((3, 2)), np.zeros((2, 3)))


def test_layers_reject_non_arrays_with_a_type_error():
    with pytest.raises(TypeError, match="numpy array, got list"):
        L.Linear(2, 2).forward([[1.0, 2.0]])


def test_rng_arguments_must_be_generators():
    with pytest.raises(TypeError, match=r"Linear: expected rng to be a numpy Generator"):
        L.Linear(2, 2, rng=0)
