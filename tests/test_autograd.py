"""The scalar autograd engine (backprop_ref.autograd) and its graph drawing (backprop_ref.graph).

Every gradient is checked against central differences of an independent float implementation
(math module, float64), or against a value worked out by hand in a comment.
"""

from __future__ import annotations

import importlib
import math
import sys
from itertools import combinations

import numpy as np
import pytest

from backprop_ref.autograd import Value, topological_order
from backprop_ref.gradcheck import gradcheck, numerical_gradient, relative_error

TOL = 1e-7  # relative error, float64


def sig(t: float) -> float:
    return 1.0 / (1.0 + math.exp(-t))


# name: (function of Values, the same function on floats written independently, point)
CASES = {
    "add": (lambda a, b: a + b, lambda a, b: a + b, (1.3, -0.7)),
    "sub": (lambda a, b: a - b, lambda a, b: a - b, (1.3, -0.7)),
    "mul": (lambda a, b: a * b, lambda a, b: a * b, (1.3, -0.7)),
    "div": (lambda a, b: a / b, lambda a, b: a / b, (1.3, -0.7)),
    "neg": (lambda a: -a, lambda a: -a, (0.4,)),
    "pow_int": (lambda a: a ** 3, lambda a: a ** 3, (-1.3,)),
    "pow_negative": (lambda a: a ** -2, lambda a: a ** -2, (0.8,)),
    "pow_fractional": (lambda a: a ** 0.5, lambda a: math.sqrt(a), (2.3,)),
    "pow_zero": (lambda a: a ** 0, lambda a: 1.0, (2.3,)),
    "exp": (lambda a: a.exp(), math.exp, (0.9,)),
    "log": (lambda a: a.log(), math.log, (0.35,)),
    "tanh": (lambda a: a.tanh(), math.tanh, (0.6,)),
    "sigmoid": (lambda a: a.sigmoid(), sig, (-1.7,)),
    "relu_positive": (lambda a: a.relu(), lambda a: max(a, 0.0), (0.8,)),
    "relu_negative": (lambda a: a.relu(), lambda a: max(a, 0.0), (-0.8,)),
    "radd": (lambda a: 2 + a, lambda a: 2 + a, (0.3,)),
    "rsub": (lambda a: 2 - a, lambda a: 2 - a, (0.3,)),
    "rmul": (lambda a: 2.5 * a, lambda a: 2.5 * a, (0.3,)),
    "rtruediv": (lambda a: 2 / a, lambda a: 2 / a, (0.3,)),
    "composite": (lambda a, b: (a * b + b.exp()).tanh() / (a ** 2 + 1.0).log() - a.sigmoid(),
                  lambda a, b: math.tanh(a * b + math.exp(b)) / math.log(a * a + 1) - sig(a),
                  (1.1, -0.4)),
}


@pytest.mark.parametrize("name", CASES)
def test_op_value_and_gradient_match_float_math_and_finite_differences(name):
    fn, reference, point = CASES[name]
    xs = [Value(p) for p in point]
    out = fn(*xs)
    out.backward()
    assert out.data == pytest.approx(reference(*point), rel=1e-14, abs=1e-300)
    analytic = np.array([x.grad for x in xs])
    numerical = numerical_gradient(lambda v: reference(*v), np.array(point, dtype=np.float64))
    gradcheck(analytic, numerical, name=name, tol=TOL)


def test_relu_gradient_is_one_above_the_kink_and_zero_below():
    for x, want in [(0.8, 1.0), (-0.8, 0.0), (0.0, 0.0)]:
        v = Value(x)
        v.relu().backward()
        assert v.grad == want


# ---- reuse: the reason every closure uses += ----------------------------------------------

def test_a_plus_a_gives_gradient_two():
    a = Value(3.0)
    (a + a).backward()
    assert a.grad == 2.0


def test_x_times_x_gives_gradient_two_x():
    x = Value(-1.5)
    (x * x).backward()
    assert x.grad == -3.0  # d(x²)/dx = 2x


def test_interior_node_used_three_times_receives_all_three_contributions():
    x, w = Value(0.7), Value(-1.2)
    h = x * w
    f = h * h + h.exp()  # h appears three times
    f.backward()
    # df/dh = 2h + e^h; dh/dx = w, dh/dw = x
    h0 = 0.7 * -1.2
    assert x.grad == pytest.approx((2 * h0 + math.exp(h0)) * -1.2, rel=1e-14)
    assert w.grad == pytest.approx((2 * h0 + math.exp(h0)) * 0.7, rel=1e-14)
    numerical = numerical_gradient(lambda v: (v[0] * v[1]) ** 2 + math.exp(v[0] * v[1]),
                                   np.array([0.7, -1.2]))
    gradcheck(np.array([x.grad, w.grad]), numerical, name="three uses", tol=TOL)


def test_diamond_graph_sums_the_gradients_of_both_paths():
    a = Value(1.5)
    b, c = a * 3.0, a.exp()  # two paths from a ...
    d = b * c                # ... joined again
    d.backward()
    # dd/da = c·db/da + b·dc/da = 3e^a + 3a·e^a
    assert a.grad == pytest.approx(3 * math.exp(1.5) + 3 * 1.5 * math.exp(1.5), rel=1e-14)
    assert (b.grad, c.grad) == (pytest.approx(math.exp(1.5)), pytest.approx(4.5))


def test_topological_order_lists_each_node_once_after_all_its_inputs():
    a = Value(1.5)
    b, c = a * 3.0, a.exp()
    d = b * c + a
    order = topological_order(d)
    assert order[-1] is d
    assert len(order) == len(set(order)) == 6  # a (used three times), 3.0, b, c, b·c, d
    where = {node: i for i, node in enumerate(order)}
    for node in order:
        assert all(where[child] < where[node] for child in node._prev)


def test_backward_through_a_100000_node_chain_needs_no_recursion():
    x = Value(0.5)
    y = x
    for _ in range(100_000):
        y = y.relu()  # relu'(y) = 1 for y > 0, so dy/dx = 1 exactly
    assert len(topological_order(y)) == 100_001
    y.backward()
    assert x.grad == 1.0 and y.data == 0.5


# ---- accumulation across calls of backward(), and zero_grad() -----------------------------

def _two_layer_scalar_graph():
    x, w1, b1, w2 = Value(0.8), Value(-0.6), Value(0.3), Value(1.7)
    h = (x * w1 + b1).tanh()
    loss = (h * w2 - 0.25) ** 2
    return loss, [x, w1, b1, w2]


def test_calling_backward_twice_doubles_leaf_gradients_exactly():
    loss, leaves = _two_layer_scalar_graph()
    loss.backward()
    once = [v.grad for v in leaves]
    interior_once = {n: n.grad for n in topological_order(loss) if n._prev}
    loss.backward()
    # Each leaf grows by one full gradient; a micrograd-style engine that leaves interior
    # grads in place would add 2, 3, ... times the gradient the deeper a node sits.
    assert [v.grad for v in leaves] == [2 * g for g in once]
    assert {n: n.grad for n in interior_once} == interior_once


def test_backward_of_two_losses_sharing_a_subgraph_adds_their_gradients():
    x, w = Value(0.9), Value(-0.4)
    h = w * x
    h.label = "shared"
    loss1, loss2 = h * 2.0, h.tanh()
    loss1.backward()
    loss2.backward()
    # d(loss1 + loss2)/dw = 2x + (1 − tanh²(wx))·x
    assert w.grad == pytest.approx(2 * 0.9 + (1 - math.tanh(-0.36) ** 2) * 0.9, rel=1e-14)


def test_zero_grad_resets_every_reachable_node_and_nothing_else():
    loss, leaves = _two_layer_scalar_graph()
    loss.backward()
    once = [v.grad for v in leaves]
    bystander = Value(2.0)
    (bystander * 3.0).backward()
    loss.zero_grad()
    assert all(node.grad == 0.0 for node in topological_order(loss))
    assert bystander.grad == 3.0
    loss.backward()
    assert [v.grad for v in leaves] == once


# ---- numerical safety and errors ----------------------------------------------------------

@pytest.mark.parametrize("x, want", [(1000.0, 1.0), (-1000.0, 0.0), (35.0, sig(35.0)),
                                     (-35.0, sig(-35.0))])
def test_sigmoid_is_finite_and_warning_free_at_large_inputs(x, want):
    v = Value(x)
    s = v.sigmoid()  # pytest turns any RuntimeWarning into an error
    s.backward()
    assert s.data == pytest.approx(want, rel=1e-14, abs=0.0)
    assert math.isfinite(v.grad) and v.grad == pytest.approx(want * (1 - want), rel=1e-12)


@pytest.mark.parametrize("x", [-2.0, 0.0])
def test_log_of_a_nonpositive_value_raises_value_error_naming_it(x):
    with pytest.raises(ValueError, match=rf"log: expected a positive value, got "
                                         rf"Value\(data={x!r}.*label='z'\)"):
        Value(x, "z").log()


def test_exp_overflow_and_division_by_zero_raise_naming_the_value():
    with pytest.raises(OverflowError, match=r"exp.*1000\.0"):
        Value(1000.0).exp()
    with pytest.raises(ZeroDivisionError, match=r"Value\(data=0\.0"):
        Value(1.0) / Value(0.0)
    with pytest.raises(ValueError, match="not real"):
        Value(-2.0) ** 0.5


BAD = ["2", None, [1.0], (1.0,), 1 + 2j, True, np.array([1.0, 2.0]), np.array(1.0)]
OPS = {
    "x + bad": lambda x, o: x + o, "bad + x": lambda x, o: o + x,
    "x - bad": lambda x, o: x - o, "bad - x": lambda x, o: o - x,
    "x * bad": lambda x, o: x * o, "bad * x": lambda x, o: o * x,
    "x / bad": lambda x, o: x / o, "bad / x": lambda x, o: o / x,
    "x ** bad": lambda x, o: x ** o,
}


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("bad", BAD, ids=lambda b: type(b).__name__)
def test_operands_other_than_numbers_and_values_raise_type_error(op, bad):
    with pytest.raises(TypeError):
        OPS[op](Value(1.5), bad)


def test_value_exponent_and_non_number_data_raise_type_error():
    with pytest.raises(TypeError, match="exponent"):
        Value(2.0) ** Value(3.0)
    with pytest.raises(TypeError, match="Value: expected data"):
        Value("3.0")


@pytest.mark.parametrize("scalar", [np.float64(2.5), np.float32(2.5), 2.5], ids=repr)
def test_numpy_float_scalars_and_floats_work_on_either_side(scalar):
    x = Value(0.4)
    outs = [x * scalar, scalar * x, x + scalar, scalar + x, scalar - x, scalar / x]
    assert all(type(o) is Value for o in outs)
    assert [o.data for o in outs] == pytest.approx([1.0, 1.0, 2.9, 2.9, 2.1, 6.25])
    sum(outs).backward()
    # d/dx of 2.5x + 2.5x + (x + 2.5) + (2.5 + x) + (2.5 − x) + 2.5/x = 5 + 1 + 1 − 1 − 2.5/x²
    assert x.grad == pytest.approx(6.0 - 2.5 / 0.16, rel=1e-14)


def test_reflected_operators_give_hand_computed_gradients():
    for build, value, grad in [(lambda x: 2 + x, 5.0, 1.0), (lambda x: 2 * x, 6.0, 2.0),
                               (lambda x: 2 - x, -1.0, -1.0),
                               (lambda x: 2 / x, 2 / 3, -2 / 9)]:  # d(2/x)/dx = −2/x²
        x = Value(3.0)
        out = build(x)
        out.backward()
        assert out.data == pytest.approx(value, rel=1e-15)
        assert x.grad == pytest.approx(grad, rel=1e-15)


def test_builtin_sum_of_values_works_through_reflected_add():
    vs = [Value(0.5), Value(-1.25), Value(2.0)]
    total = sum(vs)
    total.backward()
    assert total.data == 1.25 and [v.grad for v in vs] == [1.0, 1.0, 1.0]


def test_repr_shows_data_grad_and_label():
    a, b = Value(2.0, "a"), Value(-3.0)
    (a * b).backward()
    assert repr(a) == "Value(data=2.0, grad=-3.0, label='a')"
    assert repr(b) == "Value(data=-3.0, grad=2.0)"


# ---- agreement with the layer implementation ----------------------------------------------

def test_scalar_engine_and_layers_agree_on_every_gradient_of_a_2_3_1_tanh_mse_network():
    from backprop_ref.layers.activations import Tanh
    from backprop_ref.layers.linear import Linear
    from backprop_ref.losses import MSELoss

    rng = np.random.default_rng(7)
    lin1, act, lin2, mse = Linear(2, 3, rng=rng, init="xavier"), Tanh(), Linear(3, 1, rng=rng), MSELoss()
    lin1.params["b"][:] = rng.normal(size=3)  # non-zero biases: a zero one hides bugs
    lin2.params["b"][:] = rng.normal(size=1)
    x, y = rng.normal(size=(4, 2)), rng.normal(size=(4, 1))

    z1, c1 = lin1.forward(x)
    a1, ca = act.forward(z1)
    pred, c2 = lin2.forward(a1)
    loss, cl = mse.forward(pred, y)
    da1, g2 = lin2.backward(mse.backward(cl), c2)
    dx, g1 = lin1.backward(act.backward(da1, ca)[0], c1)

    V = lambda arr: np.vectorize(Value, otypes=[object])(arr)  # noqa: E731
    W1, b1, W2, b2, xv = (V(lin1.params["W"]), V(lin1.params["b"]), V(lin2.params["W"]),
                          V(lin2.params["b"]), V(x))
    n = x.shape[0]
    loss_v = Value(0.0)
    for i in range(n):  # tanh(x W1 + b1) W2 + b2, sample by sample
        h = [sum((xv[i, k] * W1[k, j] for k in range(2)), b1[j]).tanh() for j in range(3)]
        out = sum((h[j] * W2[j, 0] for j in range(3)), b2[0])
        loss_v = loss_v + (out - float(y[i, 0])) ** 2
    loss_v = loss_v / (2 * n)  # L = 1/(2N) Σ (ŷ − y)²
    loss_v.backward()

    grad = lambda arr: np.vectorize(lambda v: v.grad, otypes=[float])(arr)  # noqa: E731
    assert loss_v.data == pytest.approx(loss, rel=1e-13)
    for name, engine, layers in [("W1", W1, g1["W"]), ("b1", b1, g1["b"]), ("W2", W2, g2["W"]),
                                 ("b2", b2, g2["b"]), ("x", xv, dx)]:
        assert grad(engine).shape == layers.shape
        assert relative_error(grad(engine), layers) < 1e-12, name


# ---- the graph drawing --------------------------------------------------------------------

@pytest.fixture
def plt():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    yield plt
    plt.close("all")


def _neuron():
    x1, x2 = Value(2.0, "x1"), Value(0.0, "x2")
    w1, w2, b = Value(-3.0, "w1"), Value(1.0, "w2"), Value(6.8813735870195432, "b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    return o


def _mlp_graph():
    """A 2-2-1 tanh network with a squared error: 28 Values, 16 of them made by an op."""
    xs = [Value(1.0, "x1"), Value(-2.0, "x2")]
    rng = np.random.default_rng(1)
    hs = []
    for j in range(2):
        z = sum((Value(rng.uniform(-1, 1), f"w{j}{i}") * x for i, x in enumerate(xs)),
                Value(0.1, f"b{j}"))
        hs.append(z.tanh())
    y = hs[0] * Value(0.5, "v0") + hs[1] * Value(-0.3, "v1")
    loss = (y - 1.0) ** 2
    loss.backward()
    return loss


def _texts(ax):
    return [t.get_text() for t in ax.texts]


def test_draw_graph_shows_label_data_and_grad_in_each_box(plt):
    from backprop_ref.graph import draw_graph

    a, b = Value(2.0, "a"), Value(-3.0, "b")
    c = a * b
    c.backward()  # dc/da = b = −3, dc/db = a = 2
    texts = _texts(draw_graph(c))
    assert "a | data 2.0000 | grad -3.0000" in texts
    assert "b | data -3.0000 | grad 2.0000" in texts
    assert "data -6.0000 | grad 1.0000" in texts  # no label: no label field
    assert "*" in texts


def test_draw_graph_draws_one_box_per_value_one_circle_per_op_one_arrow_per_edge(plt):
    from matplotlib.patches import FancyArrowPatch

    from backprop_ref.graph import draw_graph

    o = _neuron()
    values = topological_order(o)
    ax = draw_graph(o)
    boxes = [p for p in ax.patches if p.get_gid() == "value"]
    circles = [p for p in ax.patches if p.get_gid() == "op"]
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    ops = [v for v in values if v._prev]
    assert (len(values), len(boxes), len(circles)) == (10, 10, len(ops))
    assert len(arrows) == sum(len(set(v._prev)) + 1 for v in ops)
    assert sorted(t for t in _texts(ax) if t in {"*", "+", "tanh"}) == ["*", "*", "+", "+", "tanh"]
    assert "o | data 0.7071 | grad 1.0000" in _texts(ax)


@pytest.mark.parametrize("rankdir", ["LR", "TB"])
def test_draw_graph_boxes_and_circles_do_not_overlap_on_a_28_value_graph(plt, rankdir):
    from backprop_ref.graph import draw_graph

    loss = _mlp_graph()
    ax = draw_graph(loss, rankdir=rankdir)
    shapes = [p.get_window_extent() for p in ax.patches if p.get_gid() in ("value", "op")]
    assert len(shapes) == 28 + 16
    for p, q in combinations(shapes, 2):
        assert not p.overlaps(q), (p, q)
    fig_w, fig_h = ax.figure.get_size_inches()
    assert 2 < fig_w < 40 and 1 < fig_h < 40  # sized to the graph, not a default 6.4 × 4.8


def test_draw_graph_marks_a_twice_used_input_and_uses_a_given_axes(plt):
    from backprop_ref.graph import draw_graph

    a = Value(3.0, "a")
    s = a + a
    s.backward()
    fig, ax = plt.subplots(figsize=(4, 2))
    assert draw_graph(s, ax, rankdir="TB") is ax
    assert " ×2" in _texts(ax) and "a | data 3.0000 | grad 2.0000" in _texts(ax)
    assert len([p for p in ax.patches if p.get_gid() == "value"]) == 2


def test_draw_graph_rejects_an_unknown_rankdir_and_a_non_value(plt):
    from backprop_ref.graph import draw_graph

    with pytest.raises(ValueError, match="rankdir"):
        draw_graph(Value(1.0), rankdir="BT")
    with pytest.raises(TypeError, match="Value"):
        draw_graph(1.0)


def test_graph_module_imports_without_matplotlib_and_draw_graph_says_what_is_missing(monkeypatch):
    for name in ("matplotlib", "matplotlib.patches", "matplotlib.path", "matplotlib.pyplot"):
        monkeypatch.setitem(sys.modules, name, None)  # `import matplotlib...` now fails
    monkeypatch.delitem(sys.modules, "backprop_ref.graph", raising=False)
    graph = importlib.import_module("backprop_ref.graph")
    with pytest.raises(ImportError, match="needs matplotlib"):
        graph.draw_graph(Value(1.0))
