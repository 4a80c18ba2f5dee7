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
