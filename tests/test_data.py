"""The datasets: shapes, dtypes, ranges, seeded determinism, and honest train/test splits."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from backprop_ref.data import (Split, digits, digits_split, moons, one_hot, spirals,
                               train_test_split, xor)

needs_sklearn = pytest.mark.skipif(importlib.util.find_spec("sklearn") is None,
                                   reason="moons and digits need the 'data' extra (scikit-learn)")


def test_xor_is_the_truth_table_of_exclusive_or():
    X, y = xor()
    assert X.dtype == np.float64 and y.dtype == np.int64
    np.testing.assert_array_equal(X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(y, X[:, 0].astype(int) ^ X[:, 1].astype(int))


def test_spirals_have_the_requested_shape_labels_and_unit_radius():
    X, y = spirals(n_per_class=50, n_classes=4, rng=np.random.default_rng(1))
    assert X.shape == (200, 2) and X.dtype == np.float64
    assert y.shape == (200,) and y.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(y), [50, 50, 50, 50])
    # r = |x| runs linearly from 0 to 1 along each arm, whatever the angular noise
    np.testing.assert_allclose(np.linalg.norm(X[:50], axis=1), np.linspace(0, 1, 50), atol=1e-12)


def test_spirals_without_noise_follow_the_arm_formula():
    X, _ = spirals(n_per_class=5, n_classes=2, noise=0.0)
    r = np.linspace(0, 1, 5)
    t1 = 4 * r + np.pi  # arm j=1 of K=2 is rotated by 2*pi*1/2
    np.testing.assert_allclose(X[5:], np.column_stack([r * np.sin(t1), r * np.cos(t1)]))


def test_spirals_are_reproducible_for_a_seed_and_differ_across_seeds():
    a, _ = spirals(rng=np.random.default_rng(3))
    b, _ = spirals(rng=np.random.default_rng(3))
    c, _ = spirals(rng=np.random.default_rng(4))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    np.testing.assert_array_equal(spirals()[0], spirals()[0])  # rng=None means seed 0


@needs_sklearn
def test_moons_shape_dtype_balance_and_seeding():
    X, y = moons(n=120, noise=0.1, rng=np.random.default_rng(0))
    assert X.shape == (120, 2) and X.dtype == np.float64
    assert y.shape == (120,) and y.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(y), [60, 60])
    X2, y2 = moons(n=120, noise=0.1, rng=np.random.default_rng(0))
    X3, _ = moons(n=120, noise=0.1, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert not np.allclose(X, X3)


@needs_sklearn
def test_digits_are_1797_images_scaled_to_the_unit_interval():
    X, y = digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0  # raw pixels are 0..16
    np.testing.assert_array_equal(np.unique(X * 16), np.arange(17))
    np.testing.assert_array_equal(np.unique(y), np.arange(10))


@needs_sklearn
def test_digits_as_images_are_the_same_pixels_in_nchw_layout():
    X, _ = digits()
    images, _ = digits(images=True)
    assert images.shape == (1797, 1, 8, 8)
    np.testing.assert_array_equal(images[5, 0, 2], X[5, 16:24])  # row 2 of image 5


@needs_sklearn
def test_digits_split_is_stratified_disjoint_and_reproducible():
    s = digits_split(seed=0)
    assert isinstance(s, Split)
    assert s.X_train.shape == (1438, 64) and s.X_test.shape == (359, 64)
    assert s.y_train.dtype == np.int64
    t = digits_split(seed=0)
    np.testing.assert_array_equal(s.X_test, t.X_test)
    assert not np.array_equal(s.y_test, digits_split(seed=1).y_test)
    img = digits_split(seed=0, images=True)
    np.testing.assert_array_equal(img.X_test.reshape(-1, 64), s.X_test)


def _labelled(n_per_class: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Rows numbered 0..N-1 (so a row identifies its example), with the given class sizes."""
    y = np.repeat(np.arange(len(n_per_class)), n_per_class)
    X = np.arange(len(y), dtype=np.float64).reshape(-1, 1) * np.ones((1, 3))
    return X, y


def test_stratified_split_keeps_each_class_proportion():
    X, y = _labelled([100, 50, 30])  # 20% of each: 20, 10, 6 held out
    s = train_test_split(X, y, test_fraction=0.2, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(np.bincount(s.y_test), [20, 10, 6])
    np.testing.assert_array_equal(np.bincount(s.y_train), [80, 40, 24])


def test_split_has_no_overlap_and_loses_no_example_and_keeps_rows_with_labels():
    X, y = _labelled([40, 25, 35])
    for stratify in (True, False):
        s = train_test_split(X, y, test_fraction=0.3, rng=np.random.default_rng(2),
                             stratify=stratify)
        train_ids, test_ids = s.X_train[:, 0].astype(int), s.X_test[:, 0].astype(int)
        assert set(train_ids).isdisjoint(test_ids)
        all_ids = np.sort(np.concatenate([train_ids, test_ids]))
        np.testing.assert_array_equal(all_ids, np.arange(100))
        np.testing.assert_array_equal(s.y_train, y[train_ids])
        np.testing.assert_array_equal(s.y_test, y[test_ids])
        assert len(test_ids) == 30  # round(0.3 * 100), even though 0.3 * 25 = 7.5 per class
    s = train_test_split(X, y, test_fraction=0.3, rng=np.random.default_rng(2))
    counts = np.bincount(s.y_test)  # exact shares 12, 7.5, 10.5: floor or ceil of each, sum 30
    assert counts[0] == 12 and counts[1] in (7, 8) and counts[2] in (10, 11) and counts.sum() == 30


def test_split_shuffles_and_depends_on_the_seed_only():
    X, y = _labelled([50, 50])
    a = train_test_split(X, y, rng=np.random.default_rng(0))
    b = train_test_split(X, y, rng=np.random.default_rng(0))
    c = train_test_split(X, y, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(a.X_train, b.X_train)
    assert not np.array_equal(a.X_test, c.X_test)
    assert not np.array_equal(a.y_train[:20], np.sort(a.y_train[:20]))  # classes interleaved


def test_split_copies_rows_so_editing_it_leaves_the_data_alone():
    X, y = _labelled([10, 10])
    s = train_test_split(X, y)
    s.X_train[:] = -1.0
    np.testing.assert_array_equal(X[:, 0], np.arange(20))


def test_split_rejects_mismatched_lengths_and_bad_fractions():
    X, y = _labelled([10, 10])
    with pytest.raises(ValueError, match=r"\(20, 3\) and \(19,\)"):
        train_test_split(X, y[:-1])
    with pytest.raises(ValueError, match="0 < test_fraction < 1"):
        train_test_split(X, y, test_fraction=1.0)


def test_one_hot_puts_a_single_one_in_each_row():
    Y = one_hot(np.array([2, 0, 1, 2]), 4)
    assert Y.dtype == np.float64
    np.testing.assert_array_equal(Y, [[0, 0, 1, 0], [1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]])


def test_one_hot_rejects_out_of_range_and_non_integer_labels():
    with pytest.raises(ValueError, match=r"labels in 0\.\.2, got labels in 0\.\.3"):
        one_hot(np.array([0, 3]), 3)
    with pytest.raises(ValueError, match="integer labels, got float64"):
        one_hot(np.array([0.0, 1.0]), 3)


def test_digits_read_from_disk_equal_scikit_learns_load_digits_scaled_to_unit_range():
    datasets = pytest.importorskip("sklearn.datasets")
    X, y = digits()
    X_ref, y_ref = datasets.load_digits(return_X_y=True)
    np.testing.assert_array_equal(X, X_ref / 16.0)
    np.testing.assert_array_equal(y, y_ref)
