"""Mini-batch training: the loop every chapter would otherwise write again.

    history = fit(model, loss, optimizer, X, y, epochs=20, batch_size=32, rng=rng)
    test_loss, test_acc = evaluate(model, loss, X_test, y_test)

One step is the four steps of backpropagation on a mini-batch: forward (train=True), loss,
backward, `optimizer.step(grads)`. The model is a `Layer` (a Sequential, usually): it has
`forward(x, train) -> (out, caches)` and `param_grads(dout, caches) -> grads`, the backward
pass without the input's gradient, which a training step never reads. The loss keeps
the loss contract (`forward(pred, target) -> (L, cache)`, `backward(cache) -> dpred`), and
the optimizer has `step(grads)` and a settable `lr`.

Bad data is refused before the first step: X must be finite floats, y finite numbers, the
weights finite. Every array of a step is then computed from those, so the steps skip the
per-array finiteness checks (`skip_finite_checks`) and watch the loss instead: a loss that
becomes nan or inf, because the weights blew up, stops training with NonFiniteError
"fit: training diverged at epoch e, step k: the loss is nan ...".
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from backprop_ref._validate import (NonFiniteError, all_finite, as_rng, check_array, check_finite,
                                   nonfinite_message, skip_finite_checks)
from backprop_ref.losses import BCEWithLogitsLoss, SoftmaxCrossEntropyLoss

__all__ = ["History", "accuracy", "evaluate", "fit"]


@dataclass
class History:
    """Per-epoch metrics of one `fit` call; a metric that does not apply stays an empty list.

    `loss` and `accuracy` are averaged over the epoch's mini-batches (weighted by batch size,
    measured before each step's update); `val_loss` and `val_accuracy` are measured after the
    epoch with `evaluate`; `lr` is the optimizer's learning rate during the epoch.
    `accuracy` is recorded only for classification losses (softmax cross-entropy and BCE with
    logits) with hard labels (see `accuracy`); the `val_*` lists only with validation data.
    """

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)

    @property
    def epochs(self) -> int:
        """Number of epochs recorded."""
        return len(self.loss)

    @property
    def final(self) -> dict[str, float]:
        """The last value of every non-empty metric, e.g. {"loss": 0.03, "accuracy": 0.99, ...}."""
        metrics = {"loss": self.loss, "accuracy": self.accuracy, "val_loss": self.val_loss,
                   "val_accuracy": self.val_accuracy, "lr": self.lr}
        return {name: values[-1] for name, values in metrics.items() if values}


def accuracy(outputs: np.ndarray, y: np.ndarray) -> float | None:
    """Fraction of correct predictions read from logits; None when there is nothing to count.

    - outputs (N, K), K >= 2, y (N,) integer labels: mean [argmax_k z_nk == y_n];
    - outputs (N,) or (N, 1), y (N,) or (N, 1) with values in {0, 1}: mean [(z_n > 0) == y_n]
      (a logit above 0 is a probability σ(z) above 1/2);
    - anything else (regression targets, soft labels, multi-label): None.
    Shapes: outputs (N, ...), y (N, ...).
    """
    check_array("accuracy", "outputs", outputs, min_ndim=1)
    _check_labels("accuracy", "y", y)
    if y.ndim == 0 or len(outputs) != len(y):
        raise ValueError(f"accuracy: expected outputs and y with the same number of rows N, "
                         f"got shapes {outputs.shape} and {y.shape}")
    return _accuracy(outputs, y)


def _accuracy(outputs: np.ndarray, y: np.ndarray) -> float | None:
    """`accuracy` without the input checks, for outputs and targets the loss has checked."""
    n = len(y)
    if outputs.ndim == 2 and outputs.shape[1] >= 2:
        if y.shape == (n,) and np.issubdtype(y.dtype, np.integer):
            return float(np.mean(np.argmax(outputs, axis=1) == y))
        return None
    if outputs.shape in ((n,), (n, 1)) and y.shape in ((n,), (n, 1)):
        labels = y.reshape(n)
        if np.all((labels == 0) | (labels == 1)):
            return float(np.mean((outputs.reshape(n) > 0) == labels))
    return None


def _is_classification(loss: Any) -> bool:
    """Accuracy is counted only for losses whose predictions are class logits."""
    return isinstance(loss, (SoftmaxCrossEntropyLoss, BCEWithLogitsLoss))


def _check_labels(where: str, name: str, y: Any) -> None:
    """Targets: a numpy array of integers or of finite floats."""
    if not isinstance(y, np.ndarray):
        raise TypeError(f"{where}: expected {name} to be a numpy array, got {type(y).__name__}")
    if y.dtype.kind not in "iuf":
        raise ValueError(f"{where}: expected {name} of an integer or floating-point dtype "
                         f"(labels or targets), got {y.dtype.name}")
    check_finite(where, name, y)


def _check_xy(where: str, X: Any, y: Any, names: tuple[str, str] = ("X", "y")) -> None:
    if not isinstance(X, np.ndarray) or not isinstance(y, np.ndarray):
        raise TypeError(f"{where}: expected {names[0]} and {names[1]} to be numpy arrays, "
                        f"got {type(X).__name__} and {type(y).__name__}")
    if X.ndim == 0 or y.ndim == 0 or len(X) != len(y):
        raise ValueError(f"{where}: {names[0]} has {len(X) if X.ndim else 0} examples but "
                         f"{names[1]} has {len(y) if y.ndim else 0} (shapes {X.shape} and "
                         f"{y.shape}); they must match along axis 0")
    if len(X) == 0:
        raise ValueError(f"{where}: expected at least one example, "
                         f"got {names[0]} of shape {X.shape}")
    check_array(where, names[0], X, min_ndim=1)
    _check_labels(where, names[1], y)


def _check_params(where: str, model: Any) -> None:
    """The model's parameters must be finite before training starts (else nothing is learnt)."""
    for name, theta in getattr(model, "params", {}).items():
        if isinstance(theta, np.ndarray) and theta.dtype.kind == "f" and not all_finite(theta):
            raise NonFiniteError(nonfinite_message(where, f"model.params[{name!r}]", theta))


def _check_positive_int(where: str, name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{where}: expected {name} to be a positive integer, got {value!r}")


def evaluate(model: Any, loss: Any, X: np.ndarray, y: np.ndarray,
             batch_size: int = 512) -> tuple[float, float | None]:
    """(mean loss, accuracy) over (X, y) in eval mode (train=False), in batches of `batch_size`.

    The loss is the batch-size-weighted mean of the batch losses, i.e. the mean over all N;
    accuracy is None unless the loss is a classification loss (softmax cross-entropy or BCE
    with logits) and `accuracy(outputs, y)` is defined (hard labels).
    Shapes: X (N, ...), y (N, ...) as the loss expects.
    """
    _check_xy("evaluate", X, y)
    _check_positive_int("evaluate", "batch_size", batch_size)
    total_loss = 0.0
    correct: float | None = 0.0 if _is_classification(loss) else None
    for start in range(0, len(X), batch_size):
        xb, yb = X[start:start + batch_size], y[start:start + batch_size]
        with skip_finite_checks():  # X and y were checked above
            out, _ = model.forward(xb, train=False)
            batch_loss, _ = loss.forward(out, yb)
        if not math.isfinite(batch_loss):
            raise NonFiniteError(f"evaluate: the loss is {batch_loss} on examples {start} to "
                                 f"{start + len(xb) - 1}: the model's output overflows")
        total_loss += batch_loss * len(xb)
        correct = _add_correct(correct, out, yb)
    n = len(X)
    return total_loss / n, (None if correct is None else correct / n)


def _add_correct(correct: float | None, out: np.ndarray, y: np.ndarray) -> float | None:
    """Running count of correct predictions; None once a batch has no defined accuracy."""
    if correct is None:
        return None
    acc = _accuracy(out, y)
    return None if acc is None else correct + acc * len(y)


def fit(model: Any, loss: Any, optimizer: Any, X: np.ndarray, y: np.ndarray, *, epochs: int,
        batch_size: int = 32, schedule: Callable[[int], float] | None = None,
        X_val: np.ndarray | None = None, y_val: np.ndarray | None = None,
        rng: np.random.Generator | None = None, progress: bool = False) -> History:
    """Mini-batch gradient descent: for each epoch, shuffle, then per batch θ ← step(∂L/∂θ).

    At the start of epoch e (0, 1, ...) `optimizer.lr = schedule(e)` if a schedule is given.
    The order of the examples is drawn from `rng` (default `np.random.default_rng(0)`), so
    the same rng and initial parameters give the same run. The last batch may be smaller.
    Prints nothing; `progress=True` shows a tqdm bar (optional dependency). A loss that
    becomes nan or inf (the weights blew up) stops training with NonFiniteError naming the
    epoch and the step; nan or inf in X, y or the initial weights is refused at the start.
    Shapes: X (N, ...), y (N, ...) as the loss expects; X_val, y_val likewise.
    """
    _check_xy("fit", X, y)
    _check_positive_int("fit", "epochs", epochs)
    _check_positive_int("fit", "batch_size", batch_size)
    if (X_val is None) != (y_val is None):
        raise ValueError("fit: expected both X_val and y_val or neither, got only "
                         + ("X_val" if y_val is None else "y_val"))
    if X_val is not None:
        _check_xy("fit", X_val, y_val, names=("X_val", "y_val"))
    _check_params("fit", model)
    rng = as_rng("fit", rng)
    history = History()
    bar = _progress_bar(epochs) if progress else None
    try:
        for epoch in range(epochs):
            if schedule is not None:
                optimizer.lr = _scheduled_lr(schedule, epoch)
            history.lr.append(float(optimizer.lr))
            train_loss, train_acc = _train_epoch(model, loss, optimizer, X, y,
                                                 rng.permutation(len(X)), batch_size, epoch)
            history.loss.append(train_loss)
            if train_acc is not None:
                history.accuracy.append(train_acc)
            if X_val is not None:
                val_loss, val_acc = evaluate(model, loss, X_val, y_val)
                history.val_loss.append(val_loss)
                if val_acc is not None:
                    history.val_accuracy.append(val_acc)
            if bar is not None:
                bar.set_postfix(history.final, refresh=False)
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return history


def _scheduled_lr(schedule: Callable[[int], float], epoch: int) -> float:
    lr = schedule(epoch)
    if isinstance(lr, bool) or not isinstance(lr, (int, float, np.integer, np.floating)) \
            or not 0.0 <= lr < math.inf:
        raise ValueError(f"fit: schedule({epoch}) returned {lr!r}; expected a learning rate "
                         f">= 0 (a finite number)")
    return float(lr)


def _train_epoch(model: Any, loss: Any, optimizer: Any, X: np.ndarray, y: np.ndarray,
                 order: np.ndarray, batch_size: int,
                 epoch: int = 0) -> tuple[float, float | None]:
    """One pass over X in the given order; returns (mean loss, accuracy or None)."""
    total_loss = 0.0
    correct: float | None = 0.0 if _is_classification(loss) else None
    for step, start in enumerate(range(0, len(order), batch_size)):
        idx = order[start:start + batch_size]
        xb, yb = X[idx], y[idx]
        try:
            with skip_finite_checks():  # X, y and the weights were checked before step 0
                out, caches = model.forward(xb, train=True)       # 1. forward
                batch_loss, loss_cache = loss.forward(out, yb)    # 2. loss
                if not math.isfinite(batch_loss):
                    raise NonFiniteError(
                        f"fit: training diverged at epoch {epoch}, step {step}: the loss is "
                        f"{batch_loss} (lr = {getattr(optimizer, 'lr', '?')}). Try a smaller "
                        f"learning rate, or clip the gradients")
                dout = loss.backward(loss_cache)                  # 3. backward
                grads = model.param_grads(dout, caches)           #    (no dx: nothing reads it)
                optimizer.step(grads)                             # 4. update
        except Exception as err:  # e.g. a loss that does not fit the model's output
            err.add_note(f"(raised in fit at epoch {epoch}, step {step})")
            raise
        total_loss += batch_loss * len(idx)
        correct = _add_correct(correct, out, yb)
    n = len(order)
    return total_loss / n, (None if correct is None else correct / n)


def _progress_bar(epochs: int) -> Any:
    try:
        from tqdm.auto import tqdm
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("fit(progress=True) needs tqdm, an optional dependency: "
                          "pip install 'backprop_ref[progress]'") from err
    return tqdm(total=epochs, desc="fit", unit="epoch")
