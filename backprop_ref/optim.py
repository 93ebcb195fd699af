"""Optimizers: update rules that change parameter arrays in place, given their gradients.

Each rule follows PyTorch's conventions (``torch.optim.SGD``, ``RMSprop``, ``Adam``), so a
step here and a step there agree to rounding:

- weight decay is coupled L2, added to the gradient before the rule: g <- g + wd * theta
  (Adam's decay is therefore *not* AdamW's decoupled decay);
- state (velocity, running averages) starts at zero; Adam counts steps from t = 1.

An optimizer holds the parameter arrays themselves (``layer.params`` or
``Sequential.params``), so ``step`` changes the model. ``step(grads)`` takes a dict with
exactly the keys and shapes of ``params``: it never broadcasts and never writes to
``grads``. ``lr`` is a plain attribute that a schedule may set between steps
(``opt.lr = schedule(t)``); the other hyperparameters are fixed at construction.

Nothing non-finite gets in: a parameter, a gradient or a learning rate that is nan or inf
raises an error (NonFiniteError, a ValueError, for arrays) before any parameter changes.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping

import numpy as np

from backprop_ref._validate import (NonFiniteError, all_finite, as_real, finite_checks_on,
                                   nonfinite_message)

Params = Mapping[str, np.ndarray]
Grads = Mapping[str, np.ndarray]
State = dict[str, np.ndarray]



def check_float_arrays(where: str, label: str, what: str, arrays: object) -> None:
    """Raise unless `arrays` is a non-empty dict of finite floating-point numpy arrays."""
    if not isinstance(arrays, Mapping) or not arrays:
        raise ValueError(f"{where}: expected a non-empty dict of {what} arrays, got {arrays!r:.80}")
    for name, a in arrays.items():
        if not isinstance(a, np.ndarray) or a.dtype.kind != "f":
            got = a.dtype.name if isinstance(a, np.ndarray) else type(a).__name__
            raise ValueError(f"{where}: expected {label}[{name!r}] to be a floating-point numpy "
                             f"array, got {got}")
        if not all_finite(a):
            raise NonFiniteError(nonfinite_message(where, f"{label}[{name!r}]", a))


class Optimizer:
    """Base class: check `grads`, add weight decay, then apply `_update` to each parameter.

    Shapes: grads[k].shape == params[k].shape for every key k, and no other keys.
    """

    def __init__(self, params: Params, lr: float, weight_decay: float = 0.0) -> None:
        where = type(self).__name__
        check_float_arrays(where, "params", "parameter", params)
        seen: set[int] = set()
        for name, theta in params.items():
            if not theta.flags.writeable:
                raise ValueError(f"{where}: params[{name!r}] is read-only; it is updated in place")
            if id(theta) in seen:
                raise ValueError(f"{where}: params[{name!r}] is the same array as another "
                                 f"parameter; it would be updated twice per step")
            seen.add(id(theta))
        self.params: dict[str, np.ndarray] = dict(params)  # same arrays, a fixed set of keys
        self.lr = _hyper(where, "lr", lr)
        self.weight_decay = _hyper(where, "weight_decay", weight_decay)
        self.t = 0  # number of steps taken
        self.state: dict[str, State] = {k: self._init_state(p) for k, p in self.params.items()}
        self._shapes = [(k, p.shape) for k, p in self.params.items()]
        # Per parameter: the array, its state and a scratch array reused by every step (so a
        # step allocates nothing), and a second one for g + wd * theta, made on first use.
        self._slots = [(k, p, self.state[k], np.empty_like(p)) for k, p in self.params.items()]
        self._decayed: dict[str, np.ndarray] = {}

    def step(self, grads: Grads) -> None:
        """theta <- rule(theta, g + wd * theta) for every parameter, in place.

        Shapes: grads[k] has the shape of params[k]; grads is only read.
        """
        lr = self.lr
        if not (type(lr) is float and 0.0 <= lr < math.inf):  # a schedule may have set it
            self.lr = _hyper(f"{type(self).__name__}.step", "lr", lr)
        self._check(grads)
        self.t += 1
        wd, update = self.weight_decay, self._update
        for name, theta, state, tmp in self._slots:
            g = grads[name]
            if wd:
                decayed = self._decayed.get(name)
                if decayed is None:
                    decayed = self._decayed[name] = np.empty_like(theta)
                g = np.multiply(theta, wd, out=decayed)
                g += grads[name]  # g <- g + wd theta, written to scratch, not to grads
            update(theta, g, state, tmp)

    def _init_state(self, theta: np.ndarray) -> State:
        return {}

    def _update(self, theta: np.ndarray, g: np.ndarray, state: State, tmp: np.ndarray) -> None:
        raise NotImplementedError

    def _check(self, grads: Grads) -> None:
        # Cheap on purpose: it runs every step. The slow path only builds the error message.
        finite = finite_checks_on()
        try:
            if grads.keys() == self.params.keys():
                for name, shape in self._shapes:
                    g = grads[name]
                    if g.shape != shape or g.dtype.kind != "f" or (finite and not all_finite(g)):
                        break
                else:
                    return
        except AttributeError:  # grads is not a dict, or a gradient is not an array
            pass
        self._raise_mismatch(grads)

    def _raise_mismatch(self, grads: Grads) -> None:
        where = f"{type(self).__name__}.step"
        if not isinstance(grads, Mapping):
            raise ValueError(f"{where}: expected grads as a dict keyed like params, "
                             f"got {type(grads).__name__}")
        if grads.keys() != self.params.keys():
            missing = sorted(self.params.keys() - grads.keys())
            extra = sorted(grads.keys() - self.params.keys())
            raise ValueError(f"{where}: grads must have exactly the keys of params; "
                             f"missing {missing}, unexpected {extra}")
        for name, shape in self._shapes:
            got = getattr(grads[name], "shape", None)
            if got != shape:
                hint = " (transposed?)" if got is not None and len(got) == 2 \
                    and got == shape[::-1] else ""
                got = got if got is not None else type(grads[name]).__name__
                raise ValueError(f"{where}: expected grads[{name!r}] of shape {shape} "
                                 f"(the shape of params[{name!r}]), got {got}{hint}")
        for name, _ in self._shapes:
            g = grads[name]
            if not isinstance(g, (np.ndarray, np.generic)) or g.dtype.kind != "f":
                got = g.dtype.name if isinstance(g, np.ndarray) else type(g).__name__
                raise ValueError(f"{where}: expected grads[{name!r}] to be a floating-point "
                                 f"numpy array, got {got}")
            if not all_finite(g):
                raise NonFiniteError(nonfinite_message(where, f"grads[{name!r}]", g))


class SGD(Optimizer):
    """SGD as in torch.optim.SGD: theta <- theta - lr d, with g <- g + wd theta and

        plain:     d = g
        momentum:  v <- mu v + g,  d = v
        Nesterov:  v <- mu v + g,  d = g + mu v

    v starts at 0, so the first momentum step has v = g.
    Shapes: state["v"] has the shape of its parameter (present only when momentum > 0).
    """

    def __init__(self, params: Params, lr: float, momentum: float = 0.0,
                 nesterov: bool = False, weight_decay: float = 0.0) -> None:
        self.momentum = _hyper("SGD", "momentum", momentum)
        if nesterov and self.momentum == 0.0:
            raise ValueError("SGD: nesterov=True needs momentum > 0, got momentum=0.0")
        self.nesterov = bool(nesterov)
        super().__init__(params, lr, weight_decay)

    def _init_state(self, theta: np.ndarray) -> State:
        return {"v": np.zeros_like(theta)} if self.momentum else {}

    def _update(self, theta: np.ndarray, g: np.ndarray, state: State, tmp: np.ndarray) -> None:
        mu = self.momentum
        if not mu:
            np.multiply(g, self.lr, out=tmp)  # lr g
        else:
            v = state["v"]
            v *= mu
            v += g  # v <- mu v + g
            if self.nesterov:
                np.multiply(v, mu, out=tmp)
                tmp += g
                tmp *= self.lr  # lr (g + mu v)
            else:
                np.multiply(v, self.lr, out=tmp)  # lr v
        theta -= tmp


class RMSProp(Optimizer):
    """RMSProp as in torch.optim.RMSprop (not centred), with g <- g + wd * theta:

        s <- alpha s + (1 - alpha) g^2;   theta <- theta - lr g / (sqrt(s) + eps)

    s starts at 0; eps is added outside the square root.
    Shapes: state["s"] has the shape of its parameter.
    """

    def __init__(self, params: Params, lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        self.alpha = _hyper("RMSProp", "alpha", alpha, below=1.0)
        self.eps = _hyper("RMSProp", "eps", eps)
        super().__init__(params, lr, weight_decay)

    def _init_state(self, theta: np.ndarray) -> State:
        return {"s": np.zeros_like(theta)}

    def _update(self, theta: np.ndarray, g: np.ndarray, state: State, tmp: np.ndarray) -> None:
        s, alpha = state["s"], self.alpha
        np.multiply(g, 1.0 - alpha, out=tmp)
        tmp *= g
        s *= alpha
        s += tmp  # s <- alpha s + (1 - alpha) g^2
        np.sqrt(s, out=tmp)
        tmp += self.eps
        np.divide(g, tmp, out=tmp)
        tmp *= self.lr  # lr g / (sqrt(s) + eps)
        theta -= tmp


class Adam(Optimizer):
    """Adam as in torch.optim.Adam (coupled L2 decay g <- g + wd * theta), at step t = 1, 2, ...:

        m <- b1 m + (1 - b1) g;   v <- b2 v + (1 - b2) g^2
        theta <- theta - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)

    m and v start at 0; the bias corrections make the first step about lr * sign(g).
    Shapes: state["m"] and state["v"] have the shape of their parameter.
    """

    def __init__(self, params: Params, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"Adam: expected betas = (beta1, beta2), got {betas!r}")
        self.betas = (_hyper("Adam", "betas[0]", betas[0], below=1.0),
                      _hyper("Adam", "betas[1]", betas[1], below=1.0))
        self.eps = _hyper("Adam", "eps", eps)
        super().__init__(params, lr, weight_decay)

    def _init_state(self, theta: np.ndarray) -> State:
        return {"m": np.zeros_like(theta), "v": np.zeros_like(theta)}

    def _update(self, theta: np.ndarray, g: np.ndarray, state: State, tmp: np.ndarray) -> None:
        (b1, b2), m, v = self.betas, state["m"], state["v"]
        np.multiply(g, 1.0 - b1, out=tmp)
        m *= b1
        m += tmp  # m <- b1 m + (1 - b1) g
        np.multiply(g, 1.0 - b2, out=tmp)
        tmp *= g
        v *= b2
        v += tmp  # v <- b2 v + (1 - b2) g^2
        np.sqrt(v, out=tmp)
        tmp /= math.sqrt(1.0 - b2 ** self.t)
        tmp += self.eps  # sqrt(v_hat) + eps
        np.divide(m, tmp, out=tmp)
        tmp *= self.lr / (1.0 - b1 ** self.t)  # lr m_hat / (sqrt(v_hat) + eps)
        theta -= tmp


def clip_grad_norm(grads: Grads, max_norm: float) -> tuple[dict[str, np.ndarray], float]:
    """Scale all gradients by one factor so their global L2 norm is at most `max_norm`:

        ||g|| = sqrt(sum_k sum_i g[k]_i^2);   g[k] <- g[k] * max_norm / ||g||  if ||g|| > max_norm

    Returns (clipped, ||g||), where ||g|| is the norm before clipping. `grads` is not modified:
    clipped arrays are new; when no clipping is needed, the new dict holds the same arrays.
    Unlike torch.nn.utils.clip_grad_norm_ there is no +1e-6 in the denominator, so the
    clipped norm equals max_norm (to rounding).
    Shapes: clipped[k] has the shape of grads[k].
    """
    where = "clip_grad_norm"
    if isinstance(max_norm, bool) or not isinstance(max_norm, numbers.Real) or not max_norm > 0:
        raise ValueError(f"{where}: expected max_norm > 0, got {max_norm!r}")
    check_float_arrays(where, "grads", "gradient", grads)
    total_norm = _global_norm(grads.values())
    if total_norm <= max_norm:
        return dict(grads), total_norm
    scale = max_norm / total_norm
    return {name: g * scale for name, g in grads.items()}, total_norm


def _global_norm(arrays) -> float:
    """sqrt(Σ_k Σ_i g[k]_i²) of finite arrays, rescaled if the plain sum of squares overflows."""
    arrays = list(arrays)
    total = math.sqrt(sum(float(np.vdot(g, g)) for g in arrays))
    if math.isfinite(total):
        return total
    scale = max(float(np.max(np.abs(g))) for g in arrays if g.size)  # ||g|| = s · ||g / s||
    return scale * math.sqrt(sum(float(np.vdot(g / scale, g / scale)) for g in arrays))


def _hyper(where: str, name: str, value: float, below: float | None = None) -> float:
    """`value` as a float, checked to be finite, >= 0 and (if given) < `below`."""
    return as_real(where, name, value, low=0.0, high=below, high_open=below is not None)
