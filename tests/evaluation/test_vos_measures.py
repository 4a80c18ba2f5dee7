"""J, F and the mean / recall / decay statistics on hand-made masks."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
from scipy import ndimage

from vis_pipelines.evaluation.vos_measures import (
    boundary_f,
    boundary_radius,
    decay_bins,
    dilate_stack,
    disk,
    pairwise_region_boundary,
    region_similarity,
    seg2bmap,
    vos_statistics,
)


def square(y: int, x: int, size: int = 10, h: int = 100, w: int = 100) -> np.ndarray:
    m = np.zeros((h, w), bool)
    m[y : y + size, x : x + size] = True
    return m


def test_j_of_square_and_shifted_square() -> None:
    a, b = square(20, 20), square(20, 25)
    assert region_similarity(a, b) == pytest.approx(50 / 150)
    assert region_similarity(a, a) == 1.0
    empty = np.zeros_like(a)
    assert region_similarity(empty, empty) == 1.0  # empty vs empty counts as perfect
    assert region_similarity(a, empty) == 0.0


def test_j_excludes_void_pixels() -> None:
    a, b = square(20, 20), square(20, 25)
    void = np.zeros_like(a)
    void[:, 25:30] = True  # the overlap columns are void
    # inter 0, union (150 - 50 void) → 0
    assert region_similarity(a, b, void) == pytest.approx(0.0)
    void = np.zeros_like(a)
    void[:, 30:] = True  # b's right half is void → inter 50, union 100
    assert region_similarity(a, b, void) == pytest.approx(0.5)


def test_seg2bmap_of_a_square() -> None:
    b = seg2bmap(square(2, 2, size=3, h=8, w=8))
    # the boundary runs along the square's last row/column and one pixel before its first ones
    expected = np.zeros((8, 8), bool)
    expected[1:5, 1] = expected[1:5, 4] = expected[1, 1:5] = expected[4, 1:5] = True
    assert np.array_equal(b, expected)


def test_disk_and_radius() -> None:
    assert disk(1).tolist() == [[0, 1, 0], [1, 1, 1], [0, 1, 0]]
    assert disk(2).sum() == 13
    assert boundary_radius(480, 854) == 8  # ceil(0.008 * 979.6)
    assert boundary_radius(100, 100) == 2


def test_dilate_stack_does_not_leak_between_frames() -> None:
    stack = np.zeros((2, 6, 6), bool)
    stack[0, 5, 2] = True  # last row of frame 0
    out = dilate_stack(stack, 2)
    assert not out[1].any()
    assert out[0].sum() == 9  # disk(2) cut at the bottom edge: rows 3, 4, 5 hold 1 + 3 + 5


def _reference_f(gt: np.ndarray, pred: np.ndarray, r: int) -> float:
    """F with boundary matching by Euclidean distance (scipy), independent of the cv2 dilation."""
    gb, pb = seg2bmap(gt), seg2bmap(pred)
    n_fg, n_gt = pb.sum(), gb.sum()
    if n_fg == 0 or n_gt == 0:
        return 1.0 if n_fg == n_gt else 0.0
    d_to_g = ndimage.distance_transform_edt(~gb)
    d_to_p = ndimage.distance_transform_edt(~pb)
    precision = (d_to_g[pb] <= r).mean()
    recall = (d_to_p[gb] <= r).mean()
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


@pytest.mark.parametrize("shift", [0, 1, 2, 3, 5, 20])
def test_f_of_shifted_square_matches_distance_reference(shift: int) -> None:
    gt, pred = square(30, 30), square(30, 30 + shift)
    f = boundary_f(gt, pred)
    assert f == pytest.approx(_reference_f(gt, pred, boundary_radius(100, 100)))
    if shift <= 2:
        assert f == 1.0
    if shift == 20:
        assert f == 0.0


def test_f_special_cases() -> None:
    a, empty = square(10, 10), np.zeros((100, 100), bool)
    assert boundary_f(empty, empty) == 1.0
    assert boundary_f(a, empty) == 0.0 and boundary_f(empty, a) == 0.0


def test_pairwise_j_f_shapes_and_values() -> None:
    gt = np.stack([np.stack([square(10, 10)] * 3), np.stack([square(50, 50)] * 3)])  # (2, 3, H, W)
    pred = np.stack([np.stack([square(50, 50)] * 3)])
    j, f = pairwise_region_boundary(gt, pred)
    assert j.shape == f.shape == (1, 2, 3)
    assert np.all(j[0, 1] == 1.0) and np.all(j[0, 0] == 0.0)
    assert np.all(f[0, 1] == 1.0) and np.all(f[0, 0] == 0.0)


def test_decay_bins() -> None:
    # linspace(1, 10, 5) = 1, 3.25, 5.5, 7.75, 10 → rounded 1, 3, 6, 8, 10 → minus one
    assert decay_bins(10) == [slice(0, 3), slice(2, 6), slice(5, 8), slice(7, 10)]
    assert decay_bins(5) == [slice(0, 2), slice(1, 3), slice(2, 4), slice(3, 5)]


def test_statistics_mean_recall_decay() -> None:
    x = np.array([1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1])
    m, r, d = vos_statistics(x)
    assert m == pytest.approx(0.55)
    assert r == pytest.approx(0.5)  # 1.0 .. 0.6 are > 0.5
    assert d == pytest.approx(np.mean(x[0:3]) - np.mean(x[7:10]))  # 0.9 - 0.2
    # DAVIS-2016 layout: NaN-padded ends do not change the mean
    assert vos_statistics(x, pad_ends=True)[0] == pytest.approx(0.55)
    assert all(math.isnan(v) for v in vos_statistics(np.array([np.nan, np.nan])))


def _frame_reference(gt: np.ndarray, pred: np.ndarray, void: np.ndarray) -> tuple[float, float]:
    """One frame, the toolkit's way: plain loops over nothing, one mask at a time."""
    valid = ~void
    inter = np.sum(gt & pred & valid)
    union = np.sum((gt | pred) & valid)
    j = 1.0 if union == 0 else inter / union
    r = int(np.ceil(0.008 * np.linalg.norm(gt.shape)))
    yy, xx = np.mgrid[-r : r + 1, -r : r + 1]
    se = ((yy**2 + xx**2) <= r**2).astype(np.uint8)
    pb, gb = seg2bmap(pred & valid), seg2bmap(gt & valid)
    p_dil = cv2.dilate(pb.astype(np.uint8), se).astype(bool)
    g_dil = cv2.dilate(gb.astype(np.uint8), se).astype(bool)
    n_fg, n_gt = pb.sum(), gb.sum()
    if n_fg == 0 and n_gt > 0:
        precision, recall = 1.0, 0.0
    elif n_fg > 0 and n_gt == 0:
        precision, recall = 0.0, 1.0
    elif n_fg == 0 and n_gt == 0:
        precision, recall = 1.0, 1.0
    else:
        precision, recall = np.sum(pb & g_dil) / float(n_fg), np.sum(gb & p_dil) / float(n_gt)
    f = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
    return j, f


def test_vectorised_pairs_equal_per_frame_reference() -> None:
    rng = np.random.default_rng(5)
    n_t, h, w = 4, 60, 80
    blobs = ndimage.gaussian_filter(rng.random((5, n_t, h, w)), (0, 0, 3, 3))
    masks = blobs > np.quantile(blobs, 0.6, axis=(2, 3), keepdims=True)
    masks[4, 1] = False  # an empty mask on one frame
    gt, pred = masks[:2], masks[2:]
    void = rng.random((n_t, h, w)) < 0.02
    j, f = pairwise_region_boundary(gt, pred, void)
    for p in range(3):
        for g in range(2):
            for t in range(n_t):
                rj, rf = _frame_reference(gt[g, t], pred[p, t], void[t])
                assert j[p, g, t] == rj and f[p, g, t] == rf  # bit-identical
