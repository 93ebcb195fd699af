"""Bad input gets a clear error: every public entry point names the shape it expected and
the shape it received, and nothing is broadcast silently."""

from __future__ import annotations

import re

import numpy as np
import pytest

from backprop_ref import layers as L
from backprop_ref.gradcheck import gradcheck
from backprop_ref.losses import BCEWithLogitsLoss, MSELoss, SoftmaxCrossEntropyLoss

rng = np.random.default_rng(0)

# (layer, a good input, a wrong input, the expected-shape text, the received-shape text)
FORWARD_CASES = [
    (L.Linear(4, 3), (5, 4), (4,), "(N, 4)", "(4,)"),
    (L.Linear(4, 3), (5, 4), (5, 3), "(N, 4)", "(5, 3)"),
    (L.BatchNorm1d(4), (5, 4), (5, 2), "(N, 4)", "(5, 2)"),
    (L.Conv2d(3, 2, 3), (2, 3, 5, 5), (2, 4, 5, 5), "(N, 3, ", "(2, 4, 5, 5)"),
    (L.Conv2d(3, 2, 3), (2, 3, 5, 5), (3, 5, 5), "(N, 3, ", "(3, 5, 5)"),
    (L.MaxPool2d(2), (2, 1, 4, 4), (4, 4), "(N, C, ", "(4, 4)"),
    (L.RNN(3, 4), (2, 5, 3), (2, 5, 2), "(N, T, 3)", "(2, 5, 2)"),
    (L.Flatten(), (2, 3, 4), (6,), "at least 2", "(6,)"),
]


def _ids(case):
    return f"{type(case[0]).__name__}-{case[2]}"


@pytest.mark.parametrize("layer, good, bad, expected, received", FORWARD_CASES,
                         ids=[_ids(c) for c in FORWARD_CASES])
def test_layer_forward_rejects_a_wrong_shape_naming_both_shapes(layer, good, bad, expected,
                                                                received):
    with pytest.raises(ValueError) as info:
        layer.forward(rng.standard_normal(bad), train=True)
    message = str(info.value)
    assert expected in message and received in message, message


@pytest.mark.parametrize("layer, good, bad, expected, received", FORWARD_CASES,
                         ids=[_ids(c) for c in FORWARD_CASES])
def test_layer_backward_rejects_an_upstream_gradient_of_the_wrong_shape(layer, good, bad,
                                                                        expected, received):
    out, cache = layer.forward(rng.standard_normal(good), train=True)
    wrong = rng.standard_normal(out.shape[:-1] + (out.shape[-1] + 1,))
    with pytest.raises(ValueError) as info:
        layer.backward(wrong, cache)
    message = str(info.value)
    assert str(out.shape) in message and str(wrong.shape) in message, message


@pytest.mark.parametrize("layer", [L.Sigmoid(), L.Tanh(), L.ReLU(), L.LeakyReLU(),
                                   L.Dropout(0.5)], ids=lambda l: type(l).__name__)
def test_elementwise_backward_rejects_a_gradient_that_would_broadcast(layer):
    _, cache = layer.forward(rng.standard_normal((3, 4)), train=True)
    with pytest.raises(ValueError, match=re.escape("(3, 4)") + ".*" + re.escape("(1, 4)")):
        layer.backward(np.ones((1, 4)), cache)


@pytest.mark.parametrize("layer", [L.Linear(2, 2), L.Sigmoid(), L.Conv2d(1, 1, 1)],
                         ids=lambda l: type(l).__name__)
def test_layers_reject_integer_input_naming_the_dtype(layer):
    x = np.ones((2, 2), dtype=np.int64) if not isinstance(layer, L.Conv2d) else np.ones(
        (1, 1, 2, 2), dtype=np.int64)
    with pytest.raises(ValueError, match="int64"):
        layer.forward(x)


def test_float32_layer_rejects_float64_input_naming_both_dtypes():
    with pytest.raises(ValueError, match="float32.*float64"):
        L.Linear(2, 2, dtype=np.float32).forward(np.ones((3, 2)))


def test_layers_reject_an_empty_batch():
    with pytest.raises(ValueError, match=re.escape("(0, 4)")):
        L.Linear(4, 2).forward(np.ones((0, 4)))


def test_the_source_listings_broadcast_bug_is_an_error_naming_both_shapes():
    # The source feeds 3 network outputs and 4 targets to its loss.
    with pytest.raises(ValueError, match=re.escape("(1, 3)") + ".*" + re.escape("(4,)")):
        MSELoss().forward(rng.standard_normal((1, 3)), np.array([0.0, 0.0, 0.0, 1.0]))


def test_mse_refuses_column_versus_flat_targets_that_would_broadcast_to_a_matrix():
    with pytest.raises(ValueError, match=re.escape("(5, 1)") + ".*" + re.escape("(5,)")):
        MSELoss().forward(rng.standard_normal((5, 1)), rng.standard_normal(5))


def test_bce_rejects_targets_of_another_shape():
    with pytest.raises(ValueError, match=re.escape("(4, 1)") + ".*" + re.escape("(4,)")):
        BCEWithLogitsLoss().forward(rng.standard_normal((4, 1)), np.zeros(4))


@pytest.mark.parametrize("target, pattern", [
    (np.array([0, 1]), r"\(3,\).*\(2,\)"),
    (np.array([0.0, 1.0, 2.0]), "integer class labels, got dtype float64"),
    (np.array([0, 1, 5]), r"labels in \[0, 4\), got values from 0 to 5"),
])
def test_softmax_cross_entropy_rejects_bad_targets(target, pattern):
    with pytest.raises(ValueError, match=pattern):
        SoftmaxCrossEntropyLoss().forward(rng.standard_normal((3, 4)), target)


def test_softmax_cross_entropy_rejects_1d_logits_naming_the_shape():
    with pytest.raises(ValueError, match=re.escape("(N, K)") + ".*" + re.escape("(4,)")):
        SoftmaxCrossEntropyLoss().forward(rng.standard_normal(4), np.array([0]))


def test_sequential_rejects_a_non_layer_and_a_wrong_number_of_caches():
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
