"""Hungarian matcher: hand-made matchings, cost matrix against a brute-force loop over pairs."""

from __future__ import annotations

import itertools
import logging
import math

import numpy as np
import pytest
import torch

from vis_pipelines.models.matcher import HungarianMatcher
from vis_pipelines.models.point_sampling import random_point_coords


def _bilinear(image: np.ndarray, x: float, y: float) -> float:
    """Independent bilinear sample of a [H, W] image at normalised (x, y), edges clamped."""
    h, w = image.shape
    px = min(max(x * w - 0.5, 0.0), w - 1.0)
    py = min(max(y * h - 0.5, 0.0), h - 1.0)
    x0, y0 = int(math.floor(px)), int(math.floor(py))
    x1, y1 = min(x0 + 1, w - 1), min(y0 + 1, h - 1)
    fx, fy = px - x0, py - y0
    top = image[y0, x0] * (1 - fx) + image[y0, x1] * fx
    bottom = image[y1, x0] * (1 - fx) + image[y1, x1] * fx
    return float(top * (1 - fy) + bottom * fy)


def _sample_volume(volume: np.ndarray, points: np.ndarray) -> np.ndarray:
    """[T, H, W] volume at K points in every frame -> [T*K] (frame-major)."""
    return np.array([_bilinear(frame, x, y) for frame in volume for x, y in points])


def _brute_force_cost(logits, masks, labels, tgt_masks, points, weights) -> np.ndarray:
    """Cost of every (query, target) pair with one loop per pair and textbook formulas."""
    w_class, w_mask, w_dice = weights
    probs = torch.softmax(torch.as_tensor(logits, dtype=torch.float64), -1).numpy()
    cost = np.zeros((len(logits), len(labels)))
    for q, g in itertools.product(range(len(logits)), range(len(labels))):
        x = _sample_volume(masks[q], points)
        t = _sample_volume(tgt_masks[g], points)
        p = 1 / (1 + np.exp(-x))
        bce = np.mean(-(t * np.log(p) + (1 - t) * np.log(1 - p)))
        dice = 1 - (2 * np.sum(p * t) + 1) / (np.sum(p) + np.sum(t) + 1)
        cost[q, g] = -w_class * probs[q, labels[g]] + w_mask * bce + w_dice * dice
    return cost


def _blocky(low: torch.Tensor, factor: int = 4) -> torch.Tensor:
    """Upsample [..., h, w] by pixel repetition (targets at input resolution)."""
    return low.repeat_interleave(factor, -2).repeat_interleave(factor, -1)


def test_exact_copies_are_matched() -> None:
    t, h, w = 2, 4, 4
    gen = torch.Generator().manual_seed(0)
    tgt_low = (torch.rand(2, t, h, w, generator=gen) > 0.5).float()
    pred_masks = torch.randn(1, 3, t, h, w, generator=gen)
    pred_masks[0, 2] = 20.0 * (2 * tgt_low[0] - 1)  # query 2 == target 0
    pred_masks[0, 0] = 20.0 * (2 * tgt_low[1] - 1)  # query 0 == target 1
    logits = torch.zeros(1, 3, 4)
    targets = [{"labels": torch.tensor([1, 1]), "masks": _blocky(tgt_low)}]
    matcher = HungarianMatcher(num_points=64)
    [(pred_idx, tgt_idx)] = matcher({"pred_logits": logits, "pred_masks": pred_masks}, targets)
    assert pred_idx.dtype == tgt_idx.dtype == torch.int64
    assert list(zip(pred_idx.tolist(), tgt_idx.tolist(), strict=True)) == [(0, 1), (2, 0)]


def test_class_only_cost() -> None:
    logits = torch.tensor([[[0.0, 8.0, 0.0, 0.0], [8.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 8.0]]])
    masks = torch.zeros(1, 3, 1, 2, 2)
    targets = [{"labels": torch.tensor([1, 0]), "masks": torch.ones(2, 1, 8, 8)}]
    matcher = HungarianMatcher(cost_class=1.0, cost_mask=0.0, cost_dice=0.0)
    outputs = {"pred_logits": logits, "pred_masks": masks}
    [cost] = matcher.cost_matrices(outputs, targets)
    probs = logits[0].softmax(-1)
    torch.testing.assert_close(cost, -probs[:, [1, 0]])
    [(pred_idx, tgt_idx)] = matcher(outputs, targets)
    assert pred_idx.tolist() == [0, 1] and tgt_idx.tolist() == [0, 1]


def test_cost_matrix_equals_brute_force_loop() -> None:
    gen = torch.Generator().manual_seed(42)
    b, q, t, k, h, w, big = 2, 4, 2, 3, 4, 5, 3
    logits = torch.randn(b, q, k + 1, generator=gen)
    masks = 3 * torch.randn(b, q, t, h, w, generator=gen)
    targets = [
        {"labels": torch.tensor([0, 2, 2]),
         "masks": (torch.rand(3, t, h * big, w * big, generator=gen) > 0.5).float()},
        {"labels": torch.tensor([1]),
         "masks": (torch.rand(1, t, h * big, w * big, generator=gen) > 0.3).float()},
    ]
    weights = (2.0, 5.0, 3.0)
    matcher = HungarianMatcher(
        cost_class=weights[0], cost_mask=weights[1], cost_dice=weights[2], num_points=20
    )
    costs = matcher.cost_matrices(
        {"pred_logits": logits, "pred_masks": masks}, targets,
        generator=torch.Generator().manual_seed(9),
    )
    # The matcher draws one point set per clip, in clip order, from the generator: replay it.
    replay = torch.Generator().manual_seed(9)
    for bi, target in enumerate(targets):
        points = random_point_coords(1, 20, device="cpu", generator=replay)[0].numpy()
        expected = _brute_force_cost(
            logits[bi].numpy(), masks[bi].numpy(), target["labels"].numpy(),
            target["masks"].numpy(), points, weights,
        )
        assert costs[bi].shape == (q, len(target["labels"]))
        np.testing.assert_allclose(costs[bi].numpy(), expected, rtol=1e-4, atol=1e-5)


def test_matching_minimises_total_cost_and_is_reproducible() -> None:
    gen = torch.Generator().manual_seed(5)
    outputs = {
        "pred_logits": torch.randn(1, 5, 3, generator=gen),
        "pred_masks": torch.randn(1, 5, 2, 4, 4, generator=gen),
    }
    targets = [{"labels": torch.tensor([0, 1, 1]),
                "masks": (torch.rand(3, 2, 16, 16, generator=gen) > 0.5).float()}]
    matcher = HungarianMatcher(num_points=30)
    [cost] = matcher.cost_matrices(outputs, targets, generator=torch.Generator().manual_seed(1))
    [(pred_idx, tgt_idx)] = matcher(outputs, targets, generator=torch.Generator().manual_seed(1))
    best = min(
        sum(float(cost[r, c]) for c, r in enumerate(rows))
        for rows in itertools.permutations(range(5), 3)
    )
    assert float(cost[pred_idx, tgt_idx].sum()) == pytest.approx(best, rel=1e-6)
    assert pred_idx.tolist() == sorted(pred_idx.tolist())
    again = matcher(outputs, targets, generator=torch.Generator().manual_seed(1))
    assert again[0][0].tolist() == pred_idx.tolist() and again[0][1].tolist() == tgt_idx.tolist()


def test_no_targets_gives_empty_indices() -> None:
    outputs = {"pred_logits": torch.randn(2, 3, 3), "pred_masks": torch.randn(2, 3, 2, 4, 4)}
    targets = [
        {"labels": torch.zeros(0, dtype=torch.int64), "masks": torch.zeros(0, 2, 16, 16)},
        {"labels": torch.tensor([1]), "masks": torch.ones(1, 2, 16, 16)},
    ]
    indices = HungarianMatcher(num_points=16)(outputs, targets)
    assert indices[0][0].numel() == 0 and indices[0][1].numel() == 0
    assert indices[0][0].dtype == torch.int64
    assert len(indices[1][0]) == 1 and indices[1][1].tolist() == [0]


def test_more_targets_than_queries_assigns_the_cheapest() -> None:
    # Class-only costs so the optimum is obvious: query 0 is sure of class 2, query 1 of class 0;
    # class 1 (target 1) is wanted by nobody and stays unmatched.
    logits = torch.tensor([[[0.0, 0.0, 9.0, 0.0], [9.0, 0.0, 0.0, 0.0]]])
    targets = [{"labels": torch.tensor([0, 1, 2]), "masks": torch.ones(3, 1, 4, 4)}]
    matcher = HungarianMatcher(cost_class=1.0, cost_mask=0.0, cost_dice=0.0)
    [(pred_idx, tgt_idx)] = matcher(
        {"pred_logits": logits, "pred_masks": torch.zeros(1, 2, 1, 2, 2)}, targets
    )
    assert pred_idx.tolist() == [0, 1] and tgt_idx.tolist() == [2, 0]


def test_non_finite_costs_are_replaced_with_a_warning(caplog) -> None:
    logits = torch.zeros(1, 3, 3)
    logits[0, 0] = float("nan")  # query 0 is broken: it must not be chosen
    outputs = {"pred_logits": logits, "pred_masks": torch.zeros(1, 3, 1, 2, 2)}
    targets = [{"labels": torch.tensor([1]), "masks": torch.ones(1, 1, 8, 8)}]
    with caplog.at_level(logging.WARNING, logger="vis_pipelines.models.matcher"):
        [(pred_idx, _)] = HungarianMatcher(num_points=8)(outputs, targets)
    assert pred_idx.tolist() in ([1], [2])
    assert "non-finite" in caplog.text


def test_bad_inputs_are_rejected() -> None:
    matcher = HungarianMatcher(num_points=8)
    outputs = {"pred_logits": torch.zeros(1, 2, 3), "pred_masks": torch.zeros(1, 2, 2, 4, 4)}
    with pytest.raises(ValueError, match="frames"):
        matcher(outputs, [{"labels": torch.tensor([0]), "masks": torch.zeros(1, 3, 8, 8)}])
    with pytest.raises(ValueError, match="targets"):
        matcher(outputs, [])
    with pytest.raises(ValueError, match="pred_masks"):
        matcher({"pred_logits": torch.zeros(1, 2, 3), "pred_masks": torch.zeros(1, 2, 4, 4)}, [{}])
    with pytest.raises(ValueError, match="all costs"):
        HungarianMatcher(cost_class=0, cost_mask=0, cost_dice=0)
