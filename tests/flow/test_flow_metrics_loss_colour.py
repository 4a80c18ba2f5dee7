"""EPE / Fl-all against hand-computed values, RAFT's sequence loss, the colour wheel."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torchvision.utils import flow_to_image

from vis_pipelines.datasets import FlowSequences
from vis_pipelines.flow import (
    FlowErrorTotals,
    colour_wheel,
    endpoint_error,
    evaluate_flow_sequences,
    flow_outliers,
    flow_to_rgb,
    sequence_loss,
)
from vis_pipelines.formats import FormatError

GT = np.array([[[0, 0], [10, 0]], [[1, 0], [0, 2]]], dtype=np.float32)
PRED = np.array([[[3, 4], [10, 0]], [[1, 0], [0, -2]]], dtype=np.float32)
OCC = np.array([[False, False], [False, True]])


def test_epe_and_outliers_by_hand() -> None:
    np.testing.assert_allclose(endpoint_error(PRED, GT), [[5, 0], [0, 4]])
    # (0,0): EPE 5 > 3 px and > 5 % of 0 -> outlier; (1,1): 4 > 3 and > 0.1 -> outlier.
    np.testing.assert_array_equal(flow_outliers(PRED, GT), [[True, False], [False, True]])
    totals = FlowErrorTotals()
    totals.update(PRED, GT, OCC)
    summary = totals.summary()
    assert summary["EPE"] == pytest.approx(9 / 4)
    assert summary["EPE_noc"] == pytest.approx(5 / 3)  # the occluded pixel (EPE 4) is left out
    assert summary["Fl_all"] == pytest.approx(50.0)  # percent


def test_fl_needs_both_thresholds() -> None:
    gt = np.full((1, 3, 2), 0.0, np.float32)
    gt[..., 0] = 100.0  # 5 % of the magnitude is 5 px
    pred = gt.copy()
    pred[0, 0, 0] = 104.0  # EPE 4: > 3 px but < 5 px -> inlier
    pred[0, 1, 0] = 106.0  # EPE 6: > 3 px and > 5 px -> outlier
    pred[0, 2, 0] = 102.0  # EPE 2 -> inlier
    np.testing.assert_array_equal(flow_outliers(pred, gt), [[False, True, False]])


def test_totals_are_pixel_weighted_across_frames() -> None:
    totals = FlowErrorTotals()
    totals.update(PRED, GT)  # 4 pixels, EPE sum 9
    small = np.zeros((1, 2, 2), np.float32)
    big = np.ones((2, 6, 2), np.float32)  # 12 pixels, EPE sqrt(2) each
    totals.update(np.zeros_like(big), big)
    totals.update(small, small)  # 2 pixels, EPE 0
    expected = (9 + 12 * np.sqrt(2)) / 18
    assert totals.summary()["EPE"] == pytest.approx(expected)
    assert totals.summary()["EPE_noc"] == pytest.approx(expected)  # no occlusion given
    assert np.isnan(FlowErrorTotals().summary()["EPE"])


def test_non_finite_estimates_count_as_wrong() -> None:
    pred = PRED.copy()
    pred[0, 1] = np.nan
    totals = FlowErrorTotals()
    totals.update(pred, GT)
    assert totals.summary()["EPE"] == np.inf
    assert totals.summary()["Fl_all"] == pytest.approx(75.0)


def test_evaluate_sequences_checks_names_and_sizes() -> None:
    gt = FlowSequences(flows={"s": lambda: (["00000"], GT[None], OCC[None])})
    pred = FlowSequences(flows={"s": lambda: (["00000"], PRED[None])})
    summary = evaluate_flow_sequences(pred, gt, ["s"]).summary()
    assert summary["EPE_noc"] == pytest.approx(5 / 3)
    other = FlowSequences(flows={"s": lambda: (["00001"], PRED[None])})
    with pytest.raises(FormatError, match="no estimate for ground-truth flow"):
        evaluate_flow_sequences(other, gt, ["s"])
    wrong = FlowSequences(flows={"s": lambda: (["00000"], np.zeros((1, 3, 3, 2), np.float32))})
    with pytest.raises(FormatError, match="estimated flows are"):
        evaluate_flow_sequences(wrong, gt, ["s"])


def test_sequence_loss_by_hand() -> None:
    target = torch.zeros(1, 2, 2, 2)
    preds = [target + c for c in (1.0, 2.0, 4.0)]
    # weights gamma^(N-i-1) = 0.64, 0.8, 1 on mean L1 errors 1, 2, 4
    assert sequence_loss(preds, target, gamma=0.8).item() == pytest.approx(0.64 + 1.6 + 4.0)
    pred = target.clone()
    pred[0, :, 0, 0] = 10.0  # a large error only at an invalid pixel
    pred[0, :, 1, 1] = 2.0
    valid = torch.ones(1, 2, 2, dtype=torch.bool)
    valid[0, 0, 0] = False
    # valid pixels: errors 0, 0, 2 (both channels) -> mean 2/3
    assert sequence_loss([pred], target, valid).item() == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="at least one"):
        sequence_loss([], target)


def test_colour_wheel_matches_middlebury_and_torchvision() -> None:
    wheel = colour_wheel()
    assert wheel.shape == (55, 3)
    np.testing.assert_array_equal(wheel[0], [255, 0, 0])  # red
    np.testing.assert_array_equal(wheel[15], [255, 255, 0])  # yellow after 15 RY steps
    flows = np.random.default_rng(0).normal(scale=4.0, size=(3, 20, 30, 2)).astype(np.float32)
    expected = flow_to_image(torch.from_numpy(flows).permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
    np.testing.assert_array_equal(flow_to_rgb(flows), expected.numpy())


def test_colour_scale_by_hand() -> None:
    flow = np.array([[[0, 0], [1, 0], [0.5, 0], [2, 0]]], np.float32)
    rgb = flow_to_rgb(flow, max_magnitude=1.0)
    np.testing.assert_array_equal(rgb[0, 0], [255, 255, 255])  # no motion: white
    np.testing.assert_array_equal(rgb[0, 1], [255, 0, 0])  # rightward, full length: red
    np.testing.assert_array_equal(rgb[0, 2], [255, 127, 127])  # half length: half saturated
    np.testing.assert_array_equal(rgb[0, 3], [191, 0, 0])  # beyond the scale: darkened x0.75
    with pytest.raises(ValueError, match="H, W, 2"):
        flow_to_rgb(np.zeros((4, 2)))
