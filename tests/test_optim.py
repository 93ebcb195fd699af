"""Optimizers, gradient clipping and learning-rate schedules.

Each update rule is checked against numbers worked by hand (the arithmetic is in the
comments) over two steps, with and without weight decay, and, where PyTorch is installed,
against torch.optim over five steps of random gradients.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from backprop_ref.optim import SGD, Adam, RMSProp, clip_grad_norm
from backprop_ref.schedules import (Constant, CosineAnnealing, ExponentialDecay, LinearWarmup,
                                    StepDecay)

# One parameter vector, two steps of gradients (not all ones, not all equal, mixed signs).
THETA0 = [1.0, -2.0]
G1 = [0.5, 2.0]
G2 = [-0.2, 1.0]


def run(make_opt, grads_per_step):
    """theta after each step of an optimizer built on THETA0 (a list of arrays)."""
    theta = np.array(THETA0)
    opt = make_opt({"theta": theta})
    history = []
    for g in grads_per_step:
        opt.step({"theta": np.array(g)})
        history.append(theta.copy())
    return history


# ---------------------------------------------------------------------------------- SGD

def test_sgd_without_momentum_steps_theta_minus_lr_times_g():
    # lr 0.1: theta1 = [1 - 0.1*0.5, -2 - 0.1*2.0] = [0.95, -2.2]
    #         theta2 = [0.95 - 0.1*(-0.2), -2.2 - 0.1*1.0] = [0.97, -2.3]
    theta1, theta2 = run(lambda p: SGD(p, lr=0.1), [G1, G2])
    np.testing.assert_allclose(theta1, [0.95, -2.2], rtol=1e-15)
    np.testing.assert_allclose(theta2, [0.97, -2.3], rtol=1e-15)


def test_sgd_weight_decay_adds_wd_times_theta_to_the_gradient():
    # lr 0.1, wd 0.1: g1' = [0.5 + 0.1*1, 2.0 + 0.1*(-2)] = [0.6, 1.8]
    #   theta1 = [1 - 0.06, -2 - 0.18] = [0.94, -2.18]
    #   g2' = [-0.2 + 0.094, 1.0 - 0.218] = [-0.106, 0.782]
    #   theta2 = [0.94 + 0.0106, -2.18 - 0.0782] = [0.9506, -2.2582]
    theta1, theta2 = run(lambda p: SGD(p, lr=0.1, weight_decay=0.1), [G1, G2])
    np.testing.assert_allclose(theta1, [0.94, -2.18], rtol=1e-15)
    np.testing.assert_allclose(theta2, [0.9506, -2.2582], rtol=1e-14)


def test_sgd_momentum_two_steps_follow_v_equals_mu_v_plus_g():
    # lr 0.1, mu 0.9, v0 = 0:
    #   v1 = g1 = [0.5, 2.0];                         theta1 = [1 - 0.05, -2 - 0.2] = [0.95, -2.2]
    #   v2 = 0.9*v1 + g2 = [0.45 - 0.2, 1.8 + 1.0] = [0.25, 2.8]
    #   theta2 = [0.95 - 0.025, -2.2 - 0.28] = [0.925, -2.48]
    theta1, theta2 = run(lambda p: SGD(p, lr=0.1, momentum=0.9), [G1, G2])
    np.testing.assert_allclose(theta1, [0.95, -2.2], rtol=1e-15)
    np.testing.assert_allclose(theta2, [0.925, -2.48], rtol=1e-14)


def test_sgd_momentum_with_weight_decay_decays_before_the_velocity():
    # lr 0.1, mu 0.9, wd 0.1: g1' = [0.6, 1.8] = v1; theta1 = [0.94, -2.18]
    #   g2' = [-0.2 + 0.094, 1.0 - 0.218] = [-0.106, 0.782]
    #   v2 = [0.54 - 0.106, 1.62 + 0.782] = [0.434, 2.402]
    #   theta2 = [0.94 - 0.0434, -2.18 - 0.2402] = [0.8966, -2.4202]
    theta1, theta2 = run(lambda p: SGD(p, lr=0.1, momentum=0.9, weight_decay=0.1), [G1, G2])
    np.testing.assert_allclose(theta1, [0.94, -2.18], rtol=1e-15)
    np.testing.assert_allclose(theta2, [0.8966, -2.4202], rtol=1e-14)


def test_sgd_nesterov_two_steps_follow_theta_minus_lr_g_plus_mu_v():
    # lr 0.1, mu 0.9: v1 = [0.5, 2.0]; d1 = g1 + 0.9*v1 = [0.95, 3.8]
    #   theta1 = [1 - 0.095, -2 - 0.38] = [0.905, -2.38]
    #   v2 = [0.25, 2.8]; d2 = g2 + 0.9*v2 = [-0.2 + 0.225, 1.0 + 2.52] = [0.025, 3.52]
    #   theta2 = [0.905 - 0.0025, -2.38 - 0.352] = [0.9025, -2.732]
    theta1, theta2 = run(lambda p: SGD(p, lr=0.1, momentum=0.9, nesterov=True), [G1, G2])
    np.testing.assert_allclose(theta1, [0.905, -2.38], rtol=1e-15)
    np.testing.assert_allclose(theta2, [0.9025, -2.732], rtol=1e-14)


def test_nesterov_first_step_goes_further_than_momentum_by_lr_mu_v():
    # Both have v1 = g1; Nesterov also subtracts lr*mu*v1 = 0.1*0.9*[0.5, 2.0] = [0.045, 0.18].
    plain, = run(lambda p: SGD(p, lr=0.1, momentum=0.9), [G1])
    nesterov, = run(lambda p: SGD(p, lr=0.1, momentum=0.9, nesterov=True), [G1])
    np.testing.assert_allclose(plain - nesterov, [0.045, 0.18], rtol=1e-12)


# ------------------------------------------------------------------------------ RMSProp

def test_rmsprop_two_steps_follow_running_mean_of_g_squared():
    # lr 0.01, alpha 0.9, eps 1e-8, s0 = 0:
    #   s1 = 0.1*g1^2 = [0.025, 0.4]; sqrt = [0.158113883, 0.632455532]
    #   theta1 = [1 - 0.01*0.5/0.158113883, -2 - 0.01*2/0.632455532] = [0.968377225, -2.031622776]
    #   s2 = 0.9*s1 + 0.1*g2^2 = [0.0225 + 0.004, 0.36 + 0.1] = [0.0265, 0.46]
    #   theta2 = theta1 - 0.01*[-0.2/0.162788206, 1.0/0.678232998] = [0.980663127, -2.046366971]
    theta1, theta2 = run(lambda p: RMSProp(p, lr=0.01, alpha=0.9), [G1, G2])
    e = 1e-8
    expected1 = [1.0 - 0.01 * 0.5 / (math.sqrt(0.025) + e),
                 -2.0 - 0.01 * 2.0 / (math.sqrt(0.4) + e)]
    expected2 = [expected1[0] + 0.01 * 0.2 / (math.sqrt(0.0265) + e),
                 expected1[1] - 0.01 * 1.0 / (math.sqrt(0.46) + e)]
    np.testing.assert_allclose(theta1, expected1, rtol=1e-14)
    np.testing.assert_allclose(theta1, [0.968377225, -2.031622776], rtol=1e-9)
    np.testing.assert_allclose(theta2, expected2, rtol=1e-14)
    np.testing.assert_allclose(theta2, [0.980663127, -2.046366971], rtol=1e-9)


def test_rmsprop_weight_decay_enters_both_the_average_and_the_step():
    # lr 0.01, alpha 0.9, wd 0.1: g1' = [0.6, 1.8]; s1 = [0.036, 0.324]
    #   theta1 = [1 - 0.01*0.6/0.189736660, -2 - 0.01*1.8/0.569209979] = [0.968377225, -2.031622776]
    #   g2' = g2 + 0.1*theta1 = [-0.103162277, 0.796837722]
    #   s2 = 0.9*s1 + 0.1*g2'^2 = [0.033464246, 0.355095036]
    #   theta2 = theta1 - 0.01*g2'/sqrt(s2) = [0.974016592, -2.044994813]
    theta1, theta2 = run(lambda p: RMSProp(p, lr=0.01, alpha=0.9, weight_decay=0.1), [G1, G2])
    e = 1e-8
    t1 = [1.0 - 0.01 * 0.6 / (math.sqrt(0.036) + e), -2.0 - 0.01 * 1.8 / (math.sqrt(0.324) + e)]
    g2 = [-0.2 + 0.1 * t1[0], 1.0 + 0.1 * t1[1]]
    s2 = [0.9 * 0.036 + 0.1 * g2[0] ** 2, 0.9 * 0.324 + 0.1 * g2[1] ** 2]
    t2 = [t1[i] - 0.01 * g2[i] / (math.sqrt(s2[i]) + e) for i in range(2)]
    np.testing.assert_allclose(theta1, t1, rtol=1e-14)
    np.testing.assert_allclose(theta2, t2, rtol=1e-14)
    np.testing.assert_allclose(theta2, [0.974016592, -2.044994813], rtol=1e-9)


def test_rmsprop_adds_eps_outside_the_square_root():
    # g = 1e-7, alpha 0.99: s1 = 0.01 * 1e-14 = 1e-16, sqrt(s1) = 1e-8 = eps, so the step is
    # lr * 1e-7 / (1e-8 + 1e-8) = 5 lr. With eps inside the root it would be about 1e-3 lr.
    theta = np.array([0.0])
    RMSProp({"theta": theta}, lr=0.01, alpha=0.99, eps=1e-8).step({"theta": np.array([1e-7])})
    np.testing.assert_allclose(theta, [-0.05], rtol=1e-12)


# --------------------------------------------------------------------------------- Adam

def test_adam_two_steps_follow_bias_corrected_moments():
    # lr 0.1, betas (0.9, 0.999), eps 1e-8:
    #   m1 = 0.1*g1 = [0.05, 0.2], v1 = 0.001*g1^2 = [0.00025, 0.004]
    #   m_hat = m1/0.1 = g1, v_hat = v1/0.001 = g1^2: theta1 = theta0 - 0.1*g1/(|g1| + eps)
    #         = [0.900000002, -2.0999999995]
    #   m2 = 0.9*m1 + 0.1*g2 = [0.025, 0.28], v2 = 0.999*v1 + 0.001*g2^2 = [0.00028975, 0.004996]
    #   bias corrections 1 - 0.9^2 = 0.19 and 1 - 0.999^2 = 0.001999:
    #   m_hat = [0.131578947, 1.473684211], v_hat = [0.144947474, 2.499249625]
    #   theta2 = theta1 - 0.1*m_hat/(sqrt(v_hat) + eps) = [0.865439418, -2.193217963]
    theta1, theta2 = run(lambda p: Adam(p, lr=0.1), [G1, G2])
    e = 1e-8
    t1 = [1.0 - 0.1 * 0.5 / (0.5 + e), -2.0 - 0.1 * 2.0 / (2.0 + e)]
    t2 = [t1[0] - 0.1 * (0.025 / 0.19) / (math.sqrt(0.00028975 / 0.001999) + e),
          t1[1] - 0.1 * (0.28 / 0.19) / (math.sqrt(0.004996 / 0.001999) + e)]
    np.testing.assert_allclose(theta1, t1, rtol=1e-14)
    np.testing.assert_allclose(theta2, t2, rtol=1e-13)
    np.testing.assert_allclose(theta2, [0.865439418, -2.193217963], rtol=1e-9)


def test_adam_weight_decay_is_coupled_l2_added_to_the_gradient():
    # lr 0.1, wd 0.1: g1' = [0.6, 1.8]; theta1 = theta0 - 0.1*g1'/(|g1'| + eps)
    #   g2' = g2 + 0.1*theta1 = [-0.11, 0.79] (to 1e-9)
    #   m2 = 0.9*0.1*g1' + 0.1*g2' = [0.043, 0.241], v2 = 0.999*0.001*g1'^2 + 0.001*g2'^2
    #   theta2 = theta1 - 0.1*(m2/0.19)/(sqrt(v2/0.001999) + eps) = [0.847519063, -2.191269949]
    # (AdamW would instead give theta1 = theta0 - 0.1*sign(g1) - 0.1*0.1*theta0.)
    theta1, theta2 = run(lambda p: Adam(p, lr=0.1, weight_decay=0.1), [G1, G2])
    e = 1e-8
    g1 = [0.6, 1.8]
    t1 = [1.0 - 0.1 * g1[0] / (g1[0] + e), -2.0 - 0.1 * g1[1] / (g1[1] + e)]
    g2 = [-0.2 + 0.1 * t1[0], 1.0 + 0.1 * t1[1]]
    m2 = [0.9 * 0.1 * g1[i] + 0.1 * g2[i] for i in range(2)]
    v2 = [0.999 * 0.001 * g1[i] ** 2 + 0.001 * g2[i] ** 2 for i in range(2)]
    t2 = [t1[i] - 0.1 * (m2[i] / 0.19) / (math.sqrt(v2[i] / 0.001999) + e) for i in range(2)]
    np.testing.assert_allclose(theta1, t1, rtol=1e-14)
    np.testing.assert_allclose(theta2, t2, rtol=1e-13)
    np.testing.assert_allclose(theta2, [0.847519063, -2.191269949], rtol=1e-9)


def test_adam_first_step_moves_every_parameter_by_about_lr():
    # m_hat = g and v_hat = g^2 at t = 1, so the step is lr * g / (|g| + eps): lr for any
    # gradient much larger than eps, whatever its size (here 1e-4 to 1e4).
    rng = np.random.default_rng(0)
    g = rng.choice([-1.0, 1.0], size=(4, 5)) * 10.0 ** rng.uniform(-4, 4, size=(4, 5))
    W = rng.normal(size=(4, 5))
    W0 = W.copy()
    Adam({"W": W}, lr=1e-3).step({"W": g})
    np.testing.assert_allclose(W0 - W, 1e-3 * np.sign(g), rtol=1e-3)


# ------------------------------------------------------- the contract every optimizer keeps

OPTIMIZERS = {
    "sgd": lambda p: SGD(p, lr=0.1),
    "sgd_momentum_wd": lambda p: SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01),
    "sgd_nesterov": lambda p: SGD(p, lr=0.1, momentum=0.9, nesterov=True),
    "rmsprop_wd": lambda p: RMSProp(p, lr=0.01, weight_decay=0.01),
    "adam_wd": lambda p: Adam(p, lr=0.01, weight_decay=0.01),
}
every_optimizer = pytest.mark.parametrize("make_opt", OPTIMIZERS.values(), ids=OPTIMIZERS.keys())


def linear_params_and_grads(seed=0):
    rng = np.random.default_rng(seed)
    params = {"W": rng.normal(size=(4, 3)), "b": rng.normal(size=(3,))}
    grads = {"W": rng.normal(size=(4, 3)), "b": rng.normal(size=(3,))}
    return params, grads


@every_optimizer
def test_step_updates_the_param_arrays_in_place_and_leaves_grads_untouched(make_opt):
    params, grads = linear_params_and_grads()
    W, b = params["W"], params["b"]
    W0, b0 = W.copy(), b.copy()
    grads_before = {k: g.copy() for k, g in grads.items()}
    grad_objects = dict(grads)
    opt = make_opt(params)
    opt.step(grads)
    opt.step(grads)
    assert params["W"] is W and params["b"] is b and opt.params["W"] is W
    assert not np.allclose(W, W0) and not np.allclose(b, b0)
    assert grads.keys() == grad_objects.keys()
    for k in grads:
        assert grads[k] is grad_objects[k]
        np.testing.assert_array_equal(grads[k], grads_before[k])


@every_optimizer
def test_step_rejects_missing_and_extra_keys_naming_them(make_opt):
    params, grads = linear_params_and_grads()
    opt = make_opt(params)
    with pytest.raises(ValueError, match=r"missing \['b'\], unexpected \['bias'\]"):
        opt.step({"W": grads["W"], "bias": grads["b"]})
    with pytest.raises(ValueError, match=r"missing \['b'\], unexpected \[\]"):
        opt.step({"W": grads["W"]})
    with pytest.raises(ValueError, match=r"expected grads as a dict keyed like params, got list"):
        opt.step([grads["W"], grads["b"]])


@every_optimizer
def test_step_rejects_a_transposed_weight_gradient_naming_both_shapes(make_opt):
    params, grads = linear_params_and_grads()
    W0 = params["W"].copy()
    opt = make_opt(params)
    with pytest.raises(ValueError) as info:
        opt.step({"W": grads["W"].T, "b": grads["b"]})  # dW of shape (out, in)
    message = str(info.value)
    assert "'W'" in message and "(4, 3)" in message and "(3, 4)" in message
    assert "transposed" in message
    np.testing.assert_array_equal(params["W"], W0)


@every_optimizer
@pytest.mark.parametrize("bad_db", [np.ones((1, 3)), np.ones((4, 3)), np.float64(1.0), 1.0],
                         ids=["row", "batch", "numpy_scalar", "float"])
def test_step_never_broadcasts_a_bias_gradient_and_changes_no_param_on_error(make_opt, bad_db):
    params, grads = linear_params_and_grads()
    before = {k: p.copy() for k, p in params.items()}
    opt = make_opt(params)
    with pytest.raises(ValueError, match=r"grads\['b'\] of shape \(3,\)"):
        opt.step({"W": grads["W"], "b": bad_db})  # "W" comes first and is valid
    for k in params:
        np.testing.assert_array_equal(params[k], before[k])


@every_optimizer
def test_lr_set_between_steps_takes_effect(make_opt):
    # With lr = 0 a step changes nothing (weight decay is scaled by lr too).
    params, grads = linear_params_and_grads()
    opt = make_opt(params)
    opt.lr = 0.0
    W0 = params["W"].copy()
    opt.step(grads)
    np.testing.assert_array_equal(params["W"], W0)
    opt.lr = 0.1
    opt.step(grads)
    assert not np.allclose(params["W"], W0)


@every_optimizer
def test_float32_params_stay_float32(make_opt):
    params, grads = linear_params_and_grads()
    params = {k: p.astype(np.float32) for k, p in params.items()}
    grads = {k: g.astype(np.float32) for k, g in grads.items()}
    opt = make_opt(params)
    opt.step(grads)
    assert all(p.dtype == np.float32 for p in opt.params.values())


@pytest.mark.parametrize("build, message", [
    (lambda p: SGD(p, lr=-0.1), r"SGD: expected lr >= 0, got -0.1"),
    (lambda p: SGD(p, lr=float("nan")), r"expected lr >= 0"),
    (lambda p: SGD(p, lr=0.1, momentum=-0.9), r"expected momentum >= 0"),
    (lambda p: SGD(p, lr=0.1, nesterov=True), r"nesterov=True needs momentum > 0"),
    (lambda p: SGD(p, lr=0.1, weight_decay=-1e-4), r"expected weight_decay >= 0"),
    (lambda p: RMSProp(p, alpha=1.0), r"expected alpha in \[0, 1\)"),
    (lambda p: RMSProp(p, eps=-1e-8), r"expected eps >= 0"),
    (lambda p: Adam(p, betas=(0.9, 1.0)), r"expected betas\[1\] in \[0, 1\)"),
    (lambda p: Adam(p, betas=(0.9,)), r"expected betas = \(beta1, beta2\)"),
    (lambda p: SGD({}, lr=0.1), r"non-empty dict"),
    (lambda p: SGD({"W": np.ones((2, 2), dtype=int)}, lr=0.1), r"floating-point"),
    (lambda p: SGD({"W": p["W"], "W_tied": p["W"]}, lr=0.1), r"same array"),
])
def test_constructors_reject_bad_arguments_with_value_error(build, message):
    params, _ = linear_params_and_grads()
    with pytest.raises(ValueError, match=message):
        build(params)


# ------------------------------------------------------------------------ clip_grad_norm

def test_clip_grad_norm_scales_the_global_norm_to_max_norm_exactly():
    # ||g|| = sqrt(3^2 + 0^2 + 4^2) = 5 over both arrays; max_norm 1 scales by 1/5.
    grads = {"W": np.array([[3.0, 0.0]]), "b": np.array([4.0])}
    clipped, total_norm = clip_grad_norm(grads, max_norm=1.0)
    assert total_norm == 5.0
    np.testing.assert_allclose(clipped["W"], [[0.6, 0.0]], rtol=1e-15)
    np.testing.assert_allclose(clipped["b"], [0.8], rtol=1e-15)
    norm = math.sqrt(sum(float(np.sum(g ** 2)) for g in clipped.values()))
    assert norm == pytest.approx(1.0, rel=1e-15)
    np.testing.assert_array_equal(grads["W"], [[3.0, 0.0]])  # the input is not modified
    np.testing.assert_array_equal(grads["b"], [4.0])


def test_clip_grad_norm_leaves_gradients_below_max_norm_alone():
    grads = {"W": np.array([[3.0, 0.0]]), "b": np.array([4.0])}
    for max_norm in (5.0, 10.0):  # at the norm exactly and above it
        clipped, total_norm = clip_grad_norm(grads, max_norm=max_norm)
        assert total_norm == 5.0 and clipped is not grads
        np.testing.assert_array_equal(clipped["W"], [[3.0, 0.0]])
        np.testing.assert_array_equal(clipped["b"], [4.0])


@pytest.mark.parametrize("grads, max_norm, message", [
    ({"W": np.ones(2)}, 0.0, r"expected max_norm > 0"),
    ({"W": np.ones(2)}, -1.0, r"expected max_norm > 0"),
    ({"W": np.array([1.0, np.inf])}, 1.0, r"inf or nan"),
    ({"W": np.array([1.0, np.nan])}, 1.0, r"inf or nan"),
])
def test_clip_grad_norm_rejects_bad_max_norm_and_non_finite_gradients(grads, max_norm, message):
    with pytest.raises(ValueError, match=message):
        clip_grad_norm(grads, max_norm)


# ---------------------------------------------------------------------------- schedules

@pytest.mark.parametrize("schedule, expected", [
    (Constant(0.1), {0: 0.1, 7: 0.1, 1000: 0.1}),
    # 0.1 * 0.5^floor(t/10)
    (StepDecay(0.1, step_size=10, gamma=0.5), {0: 0.1, 9: 0.1, 10: 0.05, 25: 0.025}),
    # 1.0 * 0.5^t
    (ExponentialDecay(1.0, gamma=0.5), {0: 1.0, 1: 0.5, 3: 0.125}),
    # 0.1 * (1 + cos(pi t/100)) / 2: t=25 -> 0.05 * (1 + 0.707106781) = 0.085355339
    (CosineAnnealing(0.1, total_steps=100),
     {0: 0.1, 25: 0.05 * (1 + math.sqrt(0.5)), 50: 0.05, 100: 0.0, 150: 0.0}),
    # 0.01 + 0.09 * (1 + cos(pi t/100)) / 2: t=50 -> 0.055
    (CosineAnnealing(0.1, total_steps=100, lr_min=0.01), {0: 0.1, 50: 0.055, 100: 0.01, 101: 0.01}),
    # 0.1 * min(1, (t+1)/4)
    (LinearWarmup(0.1, warmup_steps=4), {0: 0.025, 1: 0.05, 2: 0.075, 3: 0.1, 10: 0.1}),
    # StepDecay(0.1, 2, 0.5) = [0.1, 0.1, 0.05, 0.05, 0.025] times [1/4, 2/4, 3/4, 1, 1]
    (LinearWarmup(StepDecay(0.1, step_size=2, gamma=0.5), warmup_steps=4),
     {0: 0.025, 1: 0.05, 2: 0.0375, 3: 0.05, 4: 0.025}),
    (LinearWarmup(ExponentialDecay(1.0, 0.5), warmup_steps=0), {0: 1.0, 2: 0.25}),
], ids=["constant", "step", "exponential", "cosine", "cosine_lr_min", "warmup_float",
        "warmup_step_decay", "warmup_zero"])
def test_schedules_give_their_documented_values_at_named_steps(schedule, expected):
    got = {t: schedule(t) for t in expected}
    assert all(isinstance(lr, float) for lr in got.values())
    assert got == pytest.approx(expected, rel=1e-14, abs=1e-17)


@pytest.mark.parametrize("build, message", [
    (lambda: Constant(-0.1), r"Constant: expected lr to be a learning rate >= 0, got -0.1"),
    (lambda: Constant(float("inf")), r"learning rate >= 0"),
    (lambda: StepDecay(0.1, step_size=0, gamma=0.5), r"step_size to be an integer >= 1"),
    (lambda: StepDecay(0.1, step_size=2.5, gamma=0.5), r"step_size to be an integer >= 1"),
    (lambda: StepDecay(0.1, step_size=2, gamma=1.5), r"gamma in \(0, 1\]"),
    (lambda: ExponentialDecay(0.1, gamma=0.0), r"gamma in \(0, 1\]"),
    (lambda: CosineAnnealing(0.1, total_steps=0), r"total_steps to be an integer >= 1"),
    (lambda: CosineAnnealing(0.1, total_steps=10, lr_min=0.2), r"lr_min <= lr0"),
    (lambda: LinearWarmup(-1.0, warmup_steps=3), r"schedule to be a learning rate >= 0"),
    (lambda: LinearWarmup(0.1, warmup_steps=-1), r"warmup_steps to be an integer >= 0"),
])
def test_schedules_reject_bad_arguments_with_value_error(build, message):
    with pytest.raises(ValueError, match=message):
        build()


@pytest.mark.parametrize("t", [-1, 1.5, "3"])
def test_schedules_reject_negative_or_non_integer_steps(t):
    with pytest.raises(ValueError, match=r"step t >= 0"):
        CosineAnnealing(0.1, total_steps=10)(t)


def test_schedules_are_frozen_and_accept_numpy_integer_steps():
    schedule = StepDecay(0.1, step_size=10, gamma=0.5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        schedule.gamma = 0.9
    assert schedule(np.int64(10)) == pytest.approx(0.05, rel=1e-15)


def test_a_schedule_drives_an_optimizer_through_its_lr_attribute():
    # lr 0.1 then 0.05 (StepDecay every step): theta = 1 - 0.1*0.5 - 0.05*0.5 = 0.925
    theta = np.array([1.0])
    opt = SGD({"theta": theta}, lr=1.0)
    schedule = StepDecay(0.1, step_size=1, gamma=0.5)
    for t in range(2):
        opt.lr = schedule(t)
        opt.step({"theta": np.array([0.5])})
    np.testing.assert_allclose(theta, [0.925], rtol=1e-15)


# --------------------------------------------------------- cross-check against PyTorch

@pytest.fixture
def torch():
    return pytest.importorskip(
        "torch", reason="PyTorch is not installed; `make torch` adds it for these cross-checks")


TORCH_CASES = {
    "sgd": ("SGD", "SGD", dict(lr=0.1)),
    "sgd_momentum": ("SGD", "SGD", dict(lr=0.1, momentum=0.9)),
    "sgd_momentum_wd": ("SGD", "SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.1)),
    "sgd_nesterov_wd": ("SGD", "SGD", dict(lr=0.1, momentum=0.8, nesterov=True,
                                          weight_decay=0.05)),
    "rmsprop": ("RMSProp", "RMSprop", dict(lr=0.01)),
    "rmsprop_wd": ("RMSProp", "RMSprop", dict(lr=0.01, alpha=0.9, eps=1e-6, weight_decay=0.1)),
    "adam": ("Adam", "Adam", dict(lr=0.01)),
    "adam_wd": ("Adam", "Adam", dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
}


@pytest.mark.torch
@pytest.mark.parametrize("ours, theirs, kwargs", TORCH_CASES.values(), ids=TORCH_CASES.keys())
def test_optimizer_matches_torch_optim_over_five_steps_of_random_gradients(
        torch, ours, theirs, kwargs):
    import backprop_ref.optim as optim

    rng = np.random.default_rng(1)
    params = {"W": rng.normal(size=(4, 3)), "b": rng.normal(size=(3,))}
    torch_params = {k: torch.tensor(p, dtype=torch.float64, requires_grad=True)
                    for k, p in params.items()}
    opt = getattr(optim, ours)(params, **kwargs)
    torch_opt = getattr(torch.optim, theirs)(list(torch_params.values()), **kwargs)
    for _ in range(5):
        grads = {k: rng.normal(size=p.shape) for k, p in params.items()}
        for k, p in torch_params.items():
            p.grad = torch.tensor(grads[k], dtype=torch.float64)
        opt.step(grads)
        torch_opt.step()
        for k in params:
            np.testing.assert_allclose(params[k], torch_params[k].detach().numpy(),
                                       rtol=1e-12, atol=1e-14, err_msg=k)


@pytest.mark.torch
def test_schedules_match_torch_lr_schedulers(torch):
    from torch.optim import lr_scheduler

    cases = [
        (StepDecay(0.1, step_size=3, gamma=0.5), lambda o: lr_scheduler.StepLR(o, 3, 0.5)),
        (ExponentialDecay(0.1, gamma=0.9), lambda o: lr_scheduler.ExponentialLR(o, 0.9)),
        (CosineAnnealing(0.1, total_steps=8, lr_min=0.01),
         lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=8, eta_min=0.01)),
    ]
    for schedule, make_scheduler in cases:
        torch_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
        scheduler = make_scheduler(torch_opt)
        for t in range(9):
            assert schedule(t) == pytest.approx(torch_opt.param_groups[0]["lr"], rel=1e-12), \
                (schedule, t)
            torch_opt.step()
            scheduler.step()
