"""Small offline datasets for the course, generated or bundled, never downloaded.

Every function returns float64 features and int64 labels, and takes a local
``rng: np.random.Generator | None`` (default ``np.random.default_rng(0)``), so the same
seed always gives the same arrays.

    X, y = xor()                  # (4, 2), (4,)
    X, y = spirals(rng=rng)       # (300, 2), (300,)   3 interleaved spiral arms
    X, y = moons(rng=rng)         # (200, 2), (200,)   two half circles (scikit-learn)
    X, y = digits()               # (1797, 64), (1797,) 8x8 handwritten digits (scikit-learn)
    s = digits_split(seed=0)      # Split(X_train, y_train, X_test, y_test)

`moons` and `digits` need scikit-learn (``pip install backprop_ref[data]``); the digits are
the copy bundled inside scikit-learn, read from disk.
"""

from __future__ import annotations

import importlib.util
import os
from typing import NamedTuple

import numpy as np

from backprop_ref._validate import as_positive_int, as_real, as_rng, check_finite

__all__ = ["Split", "xor", "spirals", "moons", "digits", "digits_split",
           "train_test_split", "one_hot"]


class Split(NamedTuple):
    """A train/test split. Shapes: X_* (N_*, ...) float64, y_* (N_*,) int64."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def _sklearn_datasets(where: str):
    """Import sklearn.datasets lazily: scikit-learn is an optional dependency."""
    try:
        import sklearn.datasets
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(f"{where} needs scikit-learn, an optional dependency: "
                          "pip install 'backprop_ref[data]'") from err
    return sklearn.datasets


def _sklearn_data_file(name: str) -> str:
    """The path of a data file bundled with scikit-learn, found without importing scikit-learn
    (its import takes about a second, which every graded notebook would pay)."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("the digits need scikit-learn, an optional dependency: "
                          "pip install 'backprop_ref[data]'")
    path = os.path.join(spec.submodule_search_locations[0], "datasets", "data", name)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"scikit-learn's bundled {name} is missing at {path}")
    return path


def xor() -> tuple[np.ndarray, np.ndarray]:
    """y = x1 XOR x2 on the four corners of the unit square.

    Shapes: X (4, 2) float64, y (4,) int64 in {0, 1}.
    """
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 1, 1, 0], dtype=np.int64)
    return X, y


def spirals(n_per_class: int = 100, n_classes: int = 3, noise: float = 0.2,
            rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Arm j: x = r (sin t, cos t), r in [0, 1], t = 4r + 2*pi*j/K + noise * eps, eps ~ N(0, 1).

    Points are ordered class by class (shuffle before mini-batching).
    Shapes: X (n_per_class * n_classes, 2) float64, y (n_per_class * n_classes,) int64.
    """
    rng = as_rng("spirals", rng)
    n_per_class = as_positive_int("spirals", "n_per_class", n_per_class)
    n_classes = as_positive_int("spirals", "n_classes", n_classes)
    noise = as_real("spirals", "noise", noise, low=0)
    r = np.linspace(0.0, 1.0, n_per_class)
    X = np.empty((n_per_class * n_classes, 2))
    y = np.repeat(np.arange(n_classes, dtype=np.int64), n_per_class)
    for j in range(n_classes):
        t = 4.0 * r + 2.0 * np.pi * j / n_classes + noise * rng.standard_normal(n_per_class)
        X[j * n_per_class:(j + 1) * n_per_class] = np.column_stack([r * np.sin(t), r * np.cos(t)])
    return X, y


def moons(n: int = 200, noise: float = 0.1,
          rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (scikit-learn's make_moons, seeded from `rng`).

    Shapes: X (n, 2) float64, y (n,) int64 in {0, 1}.
    """
    n = as_positive_int("moons", "n", n)
    noise = as_real("moons", "noise", noise, low=0)
    rng = as_rng("moons", rng)
    datasets = _sklearn_datasets("moons")
    seed = int(rng.integers(0, 2**32 - 1))
    X, y = datasets.make_moons(n_samples=n, noise=noise, random_state=seed)
    return X.astype(np.float64), y.astype(np.int64)


def digits(images: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The 1797 8x8 handwritten digits bundled with scikit-learn; pixels scaled 0..16 -> [0, 1].

    Shapes: X (1797, 64) float64, or (1797, 1, 8, 8) if `images` (N, C, H, W for Conv2d);
    y (1797,) int64 in 0..9.
    """
    table = np.loadtxt(_sklearn_data_file("digits.csv.gz"), delimiter=",")
    X, y = table[:, :-1] / 16.0, table[:, -1]
    if images:
        X = X.reshape(-1, 1, 8, 8)
    return X, y.astype(np.int64)


def digits_split(seed: int = 0, images: bool = False, test_fraction: float = 0.2) -> Split:
    """`digits(images)` split by `train_test_split(..., rng=default_rng(seed), stratify=True)`.

    Shapes: as `digits`, about 1437 train and 360 test examples.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"digits_split: expected seed to be an int >= 0, got {seed!r}")
    X, y = digits(images=images)
    return train_test_split(X, y, test_fraction=test_fraction,
                            rng=np.random.default_rng(seed), stratify=True)


def train_test_split(X: np.ndarray, y: np.ndarray, test_fraction: float = 0.2,
                     rng: np.random.Generator | None = None, stratify: bool = True) -> Split:
    """Hold out round(test_fraction * N) examples at random; both parts come shuffled.

    With `stratify`, the held-out count is shared among the classes in proportion to their
    sizes (largest remainder): class c with n_c examples gives floor or ceil of
    test_fraction * n_c, so class proportions match in both parts. Rows are copied.
    Shapes: X (N, ...), y (N,) -> Split(X_train, y_train, X_test, y_test).
    """
    where = "train_test_split"
    rng = as_rng(where, rng)
    if not isinstance(X, np.ndarray) or not isinstance(y, np.ndarray):
        raise TypeError(f"{where}: expected X and y to be numpy arrays, "
                        f"got {type(X).__name__} and {type(y).__name__}")
    if y.ndim != 1 or X.ndim < 1 or len(X) != len(y):
        raise ValueError(f"{where}: expected X of shape (N, ...) and y of shape (N,), "
                         f"got {X.shape} and {y.shape}")
    for name, a in (("X", X), ("y", y)):
        if a.dtype.kind not in "biuf":
            raise ValueError(f"{where}: expected {name} to hold numbers, got dtype {a.dtype.name}")
        check_finite(where, name, a)
    if stratify and y.dtype.kind not in "biu":
        raise ValueError(f"{where}: stratify=True needs class labels (integers), got y of dtype "
                         f"{y.dtype.name}; pass stratify=False to split regression targets")
    fraction = as_real(where, "test_fraction", test_fraction)
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"{where}: expected 0 < test_fraction < 1, got {test_fraction}")
    n_test = int(np.floor(fraction * len(y) + 0.5))  # round half up, not to even
    if not 0 < n_test < len(y):
        raise ValueError(f"train_test_split: test_fraction={test_fraction} of {len(y)} examples "
                         f"leaves {len(y) - n_test} for training and {n_test} for testing")

    groups = [np.flatnonzero(y == c) for c in np.unique(y)] if stratify else [np.arange(len(y))]
    exact = np.array([fraction * len(g) for g in groups])
    k = np.floor(exact).astype(int)
    extra = np.argsort(-(exact - k), kind="stable")[:max(0, n_test - k.sum())]
    k[extra] += 1  # the largest remainders get the examples still missing
    test_parts, train_parts = [], []
    for idx, k_c in zip(groups, k):
        idx = rng.permutation(idx)
        test_parts.append(idx[:k_c])
        train_parts.append(idx[k_c:])
    test_idx = rng.permutation(np.concatenate(test_parts))
    train_idx = rng.permutation(np.concatenate(train_parts))
    return Split(X[train_idx], y[train_idx], X[test_idx], y[test_idx])


def one_hot(y: np.ndarray, num_classes: int) -> np.ndarray:
    """Y[i, c] = 1 if y[i] == c else 0.

    Shapes: y (N,) integer labels in 0..num_classes-1 -> Y (N, num_classes) float64.
    """
    num_classes = as_positive_int("one_hot", "num_classes", num_classes)
    if not isinstance(y, np.ndarray) or y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        got = f"{y.dtype.name} array of shape {y.shape}" if isinstance(y, np.ndarray) \
            else type(y).__name__
        raise ValueError(f"one_hot: expected y of shape (N,) with integer labels, got {got}")
    if y.size == 0:
        raise ValueError(f"one_hot: expected at least one label, got y of shape {y.shape}")
    if y.min() < 0 or y.max() >= num_classes:
        raise ValueError(f"one_hot: expected labels in 0..{num_classes - 1}, "
                         f"got labels in {y.min()}..{y.max()}")
    Y = np.zeros((len(y), num_classes))
    Y[np.arange(len(y)), y] = 1.0
    return Y
