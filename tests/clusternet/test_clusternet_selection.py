"""Dominant motion, the baseline, and both foreground selections on a two-motion field."""

from __future__ import annotations

import numpy as np
import pytest
from clusternet_fixtures import H, W, iou, square_mask, tiny_params, two_motion_sequence

from vis_pipelines.clusternet.baseline import (
    MotionThreshold,
    baseline_mask,
    dominant_motion,
    motion_residual,
)
from vis_pipelines.clusternet.selection import (
    GTFreeSelection,
    border_ring,
    gt_free_foreground,
    isolated_regions,
    oracle_foreground,
    otsu_split,
)
from vis_pipelines.clusternet.sequence import segment_sequence


def test_dominant_motion_recovers_an_affine_camera_despite_an_object() -> None:
    ys, xs = np.mgrid[0:H, 0:W].astype(np.float32)
    flow = np.stack([0.5 + 0.02 * xs - 0.01 * ys, -0.3 + 0.01 * xs + 0.03 * ys], axis=-1)
    moving = square_mask(1)
    flow[moving] += (4.0, -3.0)
    fitted = dominant_motion(flow)
    np.testing.assert_allclose(fitted[~moving], flow[~moving], atol=1e-4)
    res = motion_residual(flow)
    np.testing.assert_allclose(res[moving], 5.0, atol=1e-3)
    assert baseline_mask(flow).tolist() == moving.tolist()


def test_threshold_parameters_are_checked() -> None:
    with pytest.raises(ValueError):
        MotionThreshold(min_px=-1)
    with pytest.raises(ValueError):
        GTFreeSelection(max_border=2)


def test_otsu_split_and_border_ring() -> None:
    assert otsu_split(np.array([0.0, 0.1, 0.2, 3.0, 3.1])) == pytest.approx(1.6)
    assert otsu_split(np.array([1.0, 1.0])) == -np.inf
    ring = border_ring((5, 6), 1)
    assert ring.sum() == 2 * 6 + 2 * 3 and not ring[2, 2]


def test_selections_on_hand_made_clusters() -> None:
    motions, gt = two_motion_sequence(3)
    truth = square_mask(1)
    labels = np.zeros((H, W), np.int16)  # 0: background
    labels[truth] = 1  # the square
    labels[:, :4] = 2  # a strip along the left border
    mask, chosen = gt_free_foreground(labels, motions[0])
    assert chosen == [1] and mask.tolist() == truth.tolist()
    # A cluster that moves but covers the border is background (boundary prior): the strip
    # holds 72 of the 304 ring pixels (24 %).
    flow = motions[0].copy()
    flow[:, :4] = (5.0, 5.0)
    rule = GTFreeSelection(split="threshold", max_border=0.2)
    assert gt_free_foreground(labels, flow, rule)[1] == [1]
    assert gt_free_foreground(labels, flow, GTFreeSelection(split="threshold"))[1] == [1, 2]
    oracle, score = oracle_foreground(labels, truth)
    assert score == 1.0 and oracle.tolist() == truth.tolist()
    # The oracle keeps clusters mostly inside the ground truth, and scores them by IoU.
    half = truth.copy()
    half[:, :17] = False  # 4 of the square's 10 columns stay: 40 % of the cluster inside
    oracle, score = oracle_foreground(labels, half)
    assert not oracle.any() and score == 0.0


def test_isolated_regions_drop_what_touches_the_sure_foreground() -> None:
    sure = np.zeros((6, 8), bool)
    sure[1:3, 1:3] = True
    candidate = np.zeros((6, 8), bool)
    candidate[1:4, 3] = True  # (1, 3), (2, 3) are 4-adjacent to the sure block; (3, 3) joins them
    candidate[3, 0] = True  # below (2, 0), which is not sure: isolated
    candidate[4, 3] = True  # diagonal to nothing sure, but 4-connected to (3, 3): dropped too
    candidate[3:5, 6:8] = True  # a separate region
    out = isolated_regions(sure, candidate)
    expected = np.zeros_like(candidate)
    expected[3, 0] = True
    expected[3:5, 6:8] = True
    assert out.tolist() == expected.tolist()
    # Diagonal contact does not count: (3, 3) alone touches sure (2, 2) only at a corner.
    corner = np.zeros_like(candidate)
    corner[3, 3] = True
    assert isolated_regions(sure, corner).tolist() == corner.tolist()
    assert not isolated_regions(sure, np.zeros_like(sure)).any()


def _rim_and_slow_object() -> tuple[np.ndarray, np.ndarray]:
    """Clusters: 0 still background, 1 a fast square (5 px), 2 its 1-px rim moving 1 px (the
    smear of estimated flow), 3 a separate square moving 1 px (a slow object)."""
    labels = np.zeros((H, W), np.int16)
    flow = np.zeros((H, W, 2), np.float32)
    labels[7:17, 7:17] = 2
    labels[8:16, 8:16] = 1
    labels[20:26, 30:36] = 3
    flow[labels == 1] = (5.0, 0.0)
    flow[labels == 2] = (1.0, 0.0)
    flow[labels == 3] = (0.0, 1.0)
    return labels, flow


def test_gt_free_keeps_a_slow_object_but_not_the_rim_of_a_fast_one() -> None:
    labels, flow = _rim_and_slow_object()
    # Cluster means 0, 5, 1, 1: Otsu splits at (1 + 5) / 2 = 3, so only the fast square is above
    # it; the rim touches the square, the slow square touches nothing above the split.
    mask, chosen = gt_free_foreground(labels, flow)
    assert chosen == [1, 3]
    assert mask.tolist() == np.isin(labels, [1, 3]).tolist()
    strict = GTFreeSelection(keep_isolated=False)
    assert gt_free_foreground(labels, flow, strict)[1] == [1]
    assert gt_free_foreground(labels, flow, GTFreeSelection(split="threshold"))[1] == [1, 2, 3]


def test_both_modes_find_the_moving_square() -> None:
    motions, gt = two_motion_sequence(5)
    params = tiny_params()
    for mode in ("baseline", "gt_free", "as_released"):
        out = segment_sequence(mode, motions, params, name="square", gt=gt)
        assert out.masks.shape == (5, H, W) and not out.masks[0].any()  # frame 0: no flow
        for t in range(1, 5):
            assert iou(out.masks[t], square_mask(t)) > 0.75, (mode, t)
    released = segment_sequence("as_released", motions, params, name="square", gt=gt)
    assert all(0 <= f["best_step"] < 3 for f in released.frames[1:])
    with pytest.raises(ValueError, match="ground-truth"):
        segment_sequence("as_released", motions, params, name="square")
