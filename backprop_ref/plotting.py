"""The book's figure style and the plots several chapters share (matplotlib, imported lazily)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import numpy as np

from backprop_ref._validate import as_positive_int, as_real, check_finite

if TYPE_CHECKING:
    from matplotlib.axes import Axes

# Okabe–Ito: distinguishable with every common colour-vision deficiency.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]

STYLE = {
    "figure.figsize": (6.4, 3.6),
    "figure.dpi": 110,
    "figure.constrained_layout.use": True,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "axes.grid": True,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "grid.alpha": 0.3,
    "lines.linewidth": 1.8,
    "legend.frameon": False,
    "image.cmap": "viridis",
}


def use_style() -> None:
    """Apply the book's matplotlib style (call once at the top of a notebook)."""
    import matplotlib as mpl
    from cycler import cycler

    mpl.rcParams.update(STYLE)
    mpl.rcParams["axes.prop_cycle"] = cycler(color=PALETTE)


def plot_history(history, axes: "tuple[Axes, Axes] | None" = None, label: str = ""):
    """Loss (left) and accuracy (right) per epoch from `backprop_ref.train.fit`'s history."""
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(8, 3.2))
    loss_ax, acc_ax = axes
    epochs = np.arange(1, len(history.loss) + 1)
    prefix = f"{label} " if label else ""
    loss_ax.plot(epochs, history.loss, label=f"{prefix}train")
    if history.val_loss:
        loss_ax.plot(epochs, history.val_loss, "--", label=f"{prefix}test")
    loss_ax.set(xlabel="epoch", ylabel="loss", title="Loss")
    if history.accuracy:
        acc_ax.plot(epochs, np.asarray(history.accuracy) * 100, label=f"{prefix}train")
    if history.val_accuracy:
        acc_ax.plot(epochs, np.asarray(history.val_accuracy) * 100, "--", label=f"{prefix}test")
    acc_ax.set(xlabel="epoch", ylabel="accuracy (%)", title="Accuracy")
    for ax in axes:
        ax.legend()
    return axes


def plot_decision_boundary(predict: Callable[[np.ndarray], np.ndarray], X: np.ndarray,
                           y: np.ndarray, ax: "Axes | None" = None, resolution: int = 200,
                           margin: float = 0.5, marker_size: float = 14) -> "Axes":
    """Colour the plane by the class `predict` assigns, and scatter the data on top.

    `predict(points)` takes (M, 2) points and returns (M,) integer classes.
    Shapes: X (N, 2), y (N,).
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    where = "plot_decision_boundary"
    if not isinstance(X, np.ndarray) or not isinstance(y, np.ndarray):
        raise TypeError(f"{where}: expected X and y to be numpy arrays, "
                        f"got {type(X).__name__} and {type(y).__name__}")
    if X.ndim != 2 or X.shape[1] != 2 or X.shape[0] == 0:
        raise ValueError(f"{where}: expected X of shape (N, 2) with N >= 1, got {X.shape}")
    if y.shape != (len(X),):
        raise ValueError(f"{where}: expected y of shape ({len(X)},) (one label per row of X), "
                         f"got {y.shape}")
    if X.dtype.kind not in "iuf" or y.dtype.kind not in "biu":
        raise ValueError(f"{where}: expected X of numbers and y of integer labels, got dtypes "
                         f"{X.dtype.name} and {y.dtype.name}")
    check_finite(where, "X", X)
    resolution = as_positive_int(where, "resolution", resolution)
    margin = as_real(where, "margin", margin, low=0)
    if ax is None:
        _, ax = plt.subplots(figsize=(4.2, 3.6))
    (x0, y0), (x1, y1) = X.min(axis=0) - margin, X.max(axis=0) + margin
    gx, gy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    classes = np.asarray(predict(np.column_stack([gx.ravel(), gy.ravel()])))
    if classes.size != gx.size or classes.dtype.kind not in "biu":
        raise ValueError(f"{where}: expected predict(points) to return {gx.size} integer "
                         f"classes, one per point of shape ({gx.size}, 2), got "
                         f"{classes.dtype.name} of shape {classes.shape}")
    classes = classes.reshape(gx.shape)
    k = int(max(classes.max(), y.max())) + 1
    cmap = ListedColormap(PALETTE[:k])
    ax.contourf(gx, gy, classes, levels=np.arange(k + 1) - 0.5, cmap=cmap, alpha=0.25)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap=cmap, vmin=-0.5, vmax=k - 0.5, s=marker_size,
               edgecolors="white", linewidths=0.4)
    ax.set(xlabel="$x_1$", ylabel="$x_2$")
    ax.grid(False)
    return ax
