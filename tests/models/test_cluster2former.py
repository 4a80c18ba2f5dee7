"""Cluster2Former: constraint loss, point sampling, majority-vote matching, criterion, model."""

from __future__ import annotations

import math

import pytest
import torch
from tiny_model import TINY_MODEL

from vis_pipelines.models.cluster2former import (
    BACKGROUND,
    Cluster2FormerConfig,
    ClusterCriterion,
    build_cluster2former,
    build_cluster_criterion,
    constraint_pair_losses,
    majority_vote_assignment,
    match_by_majority_vote,
    pair_distances,
    query_logits_at,
    sample_labelled_points,
    sample_pixels,
    vote_counts,
)

LOG2 = math.log(2.0)


def one_hot(queries: list[int], q: int = 4) -> torch.Tensor:
    return torch.nn.functional.one_hot(torch.tensor(queries), q).float()


# ------------------------------------------------------------------------------- the loss
def test_identical_one_hot_same_instance_pairs_cost_almost_nothing():
    losses = constraint_pair_losses(
        one_hot([2, 2, 2]), torch.tensor([0, 0, 0]), torch.tensor([0, 0, 1])
    )
    assert losses.shape == (3,)
    # D = 1e-6 / 2, so -log(1 - D) = 5e-7 (times the pair weight).
    assert torch.all(losses < 1e-6) and torch.all(losses > 0)


def test_one_hot_on_different_queries_reaches_the_log2_minimum_of_r0_pairs():
    losses = constraint_pair_losses(
        one_hot([0, 1, 3]), torch.tensor([0, 1, BACKGROUND]), torch.tensor([0, 0, 0])
    )
    # D = (1 + 1e-6) / 2 for orthogonal one-hots: -log D = log 2 - 1e-6 (to first order).
    assert torch.allclose(losses, torch.full((3,), LOG2), atol=2e-6)
    # No pair of non-negative distributions does better than log 2.
    probs = torch.rand(50, 5).softmax(1)
    ids = torch.arange(50)  # all different instances: every pair has R = 0
    assert (
        constraint_pair_losses(probs, ids, torch.zeros(50, dtype=torch.long)).min() >= LOG2 - 2e-6
    )


def test_background_pairs_are_left_out_and_weights_follow_frames():
    probs = one_hot([0, 1, 2, 3])
    ids = torch.tensor([0, 0, BACKGROUND, BACKGROUND])
    frames = torch.tensor([0, 1, 0, 1])
    losses = constraint_pair_losses(
        probs, ids, frames, same_frame_weight=1.0, cross_frame_weight=0.5
    )
    # Pairs (0,1) (0,2) (0,3) (1,2) (1,3); (2,3) is background-background.
    assert losses.shape == (5,)
    d01 = (1.0 + 1e-6) / 2  # orthogonal one-hots, same instance: -log(1 - D), cross-frame
    expected = torch.tensor(
        [0.5 * -math.log(1 - d01), LOG2, 0.5 * LOG2, 0.5 * LOG2, LOG2], dtype=torch.float32
    )
    assert torch.allclose(losses, expected, atol=2e-6)


def test_loss_matches_a_pair_by_pair_computation():
    gen = torch.Generator().manual_seed(0)
    probs = torch.randn(9, 6, generator=gen).softmax(1)
    ids = torch.tensor([0, 0, 1, 1, 2, BACKGROUND, BACKGROUND, 0, 1])
    frames = torch.tensor([0, 1, 0, 1, 0, 0, 1, 1, 0])
    got = constraint_pair_losses(probs, ids, frames, same_frame_weight=1.0, cross_frame_weight=0.9)
    expected = []
    for i in range(9):
        for j in range(i + 1, 9):
            if ids[i] == BACKGROUND and ids[j] == BACKGROUND:
                continue
            cos = float(probs[i] @ probs[j]) / float(probs[i].norm() * probs[j].norm())
            d = (1 - cos + 1e-6) / 2
            w = 1.0 if frames[i] == frames[j] else 0.9
            r = ids[i] == ids[j]
            expected.append(w * (-math.log(1 - d) if r else -math.log(d)))
    assert torch.allclose(got, torch.tensor(expected), rtol=1e-5, atol=1e-6)


def test_gradients_are_finite_at_the_eps_clamp():
    logits = torch.tensor([[30.0, -30.0, -30.0], [30.0, -30.0, -30.0], [-30.0, 30.0, -30.0]])
    logits.requires_grad_(True)
    probs = logits.softmax(1)  # numerically one-hot: cos = 1 and cos = 0 exactly
    loss = constraint_pair_losses(probs, torch.tensor([0, 0, 1]), torch.zeros(3, dtype=torch.long))
    loss.mean().backward()
    assert torch.isfinite(loss).all() and torch.isfinite(logits.grad).all()
    # Exactly identical vectors (cos = 1) too.
    p = torch.tensor([[1.0, 0.0], [1.0, 0.0]], requires_grad=True)
    constraint_pair_losses(p, torch.tensor([0, 0]), torch.tensor([0, 0])).sum().backward()
    assert torch.isfinite(p.grad).all()


def test_pair_distances_range():
    d = pair_distances(one_hot([0, 0, 1]))
    assert d[0, 1].item() == pytest.approx(5e-7, abs=1e-9)
    assert d[0, 2].item() == pytest.approx(0.5, abs=1e-6)


# ------------------------------------------------------------------------------- sampling
def test_sample_pixels_only_labelled_distinct_and_seeded():
    mask = torch.zeros(2, 8, 8)
    mask[0, 1, 1:7] = 1  # a 6-pixel stroke in frame 0
    mask[1, 5, 2:6] = 1  # a 4-pixel stroke in frame 1
    everything = sample_pixels(mask, 50)
    assert everything.shape == (10, 3)
    picked = sample_pixels(mask, 4, torch.Generator().manual_seed(3))
    assert picked.shape == (4, 3)
    assert all(mask[t, y, x] == 1 for t, y, x in picked.tolist())
    assert len({tuple(p) for p in picked.tolist()}) == 4
    again = sample_pixels(mask, 4, torch.Generator().manual_seed(3))
    assert torch.equal(picked, again)


def test_sample_labelled_points_never_uses_unlabelled_pixels():
    masks = torch.zeros(2, 2, 16, 16)
    masks[0, 0, 3, 2:12] = 1
    masks[1, 1, 10, 4:6] = 1  # only 2 labelled pixels: both are taken, no repeats
    background = torch.zeros(2, 16, 16)
    background[:, 14, :] = 1
    coords, ids = sample_labelled_points(
        masks,
        background,
        points_per_instance=5,
        background_points=6,
        generator=torch.Generator().manual_seed(0),
    )
    assert ids.tolist().count(0) == 5 and ids.tolist().count(1) == 2
    assert ids.tolist().count(BACKGROUND) == 6
    for (t, y, x), g in zip(coords.tolist(), ids.tolist(), strict=True):
        label = background[t, y, x] if g == BACKGROUND else masks[g, t, y, x]
        assert label == 1
    none_coords, none_ids = sample_labelled_points(
        masks[:0], None, points_per_instance=5, background_points=6
    )
    assert none_coords.shape == (0, 3) and none_ids.shape == (0,)


def test_query_logits_at_pixel_centres_of_a_same_size_map():
    pred = torch.randn(3, 2, 4, 5)
    coords = torch.tensor([[0, 1, 2], [1, 3, 4], [1, 0, 0]])
    got = query_logits_at(pred, coords, (4, 5))
    expected = torch.stack([pred[:, t, y, x] for t, y, x in coords.tolist()])
    assert got.shape == (3, 3)
    assert torch.allclose(got, expected, atol=1e-6)
    # At 4x the resolution pixel (6, 10) has its centre at low-resolution (y, x) = (1.125, 2.125).
    up = query_logits_at(pred, torch.tensor([[0, 6, 10]]), (16, 20))
    f = pred[:, 0]
    expected_up = (
        0.875 * 0.875 * f[:, 1, 2]
        + 0.875 * 0.125 * f[:, 1, 3]
        + 0.125 * 0.875 * f[:, 2, 2]
        + 0.125 * 0.125 * f[:, 2, 3]
    )
    assert torch.allclose(up[0], expected_up, atol=1e-5)


# ------------------------------------------------------------------------------- matching
def test_vote_counts_by_hand():
    logits = torch.tensor([[5.0, 0, 0], [0, 5.0, 0], [0, 5.0, 0], [0, 0, 5.0], [9.0, 0, 0]])
    ids = torch.tensor([0, 0, 0, 1, BACKGROUND])
    assert vote_counts(logits, ids, 2).tolist() == [[1, 2, 0], [0, 0, 1]]


def test_majority_vote_picks_each_majority_and_breaks_ties_low():
    queries, instances = majority_vote_assignment(torch.tensor([[1, 7, 0, 2], [0, 0, 3, 1]]))
    assert dict(zip(instances.tolist(), queries.tolist(), strict=True)) == {0: 1, 1: 2}
    # A tie between queries 1 and 3: the lower index wins.
    queries, instances = majority_vote_assignment(torch.tensor([[0, 4, 0, 4]]))
    assert queries.tolist() == [1] and instances.tolist() == [0]


def test_majority_vote_conflict_keeps_most_votes_one_to_one():
    # Both want query 0; giving it to instance 0 (6 votes) and query 2 to instance 1 keeps
    # 6 + 3 = 9 votes, the other way round 5 + 1 = 6.
    votes = torch.tensor([[6, 1, 1, 0], [5, 0, 3, 0]])
    queries, instances = majority_vote_assignment(votes)
    assert dict(zip(instances.tolist(), queries.tolist(), strict=True)) == {0: 0, 1: 2}
    # An instance without any vote still gets a query of its own (the lowest free one).
    queries, instances = majority_vote_assignment(torch.tensor([[0, 3, 0], [0, 0, 0]]))
    assert dict(zip(instances.tolist(), queries.tolist(), strict=True)) == {0: 1, 1: 0}
    empty_q, empty_i = majority_vote_assignment(torch.zeros(0, 5, dtype=torch.long))
    assert empty_q.numel() == 0 and empty_i.numel() == 0


def test_match_by_majority_vote_reads_the_predicted_masks():
    pred = torch.full((1, 3, 1, 4, 4), -5.0)
    pred[0, 2, 0, :2] = 5.0  # query 2 owns the top half
    pred[0, 0, 0, 2:] = 5.0  # query 0 owns the bottom half
    target = {
        "labels": torch.tensor([1, 0]),
        "masks": torch.zeros(2, 1, 4, 4),
        "vote_coords": torch.tensor([[0, 0, 0], [0, 1, 3], [0, 3, 1]]),
        "vote_ids": torch.tensor([1, 1, 0]),
    }
    [(queries, instances)] = match_by_majority_vote({"pred_masks": pred}, [target])
    assert dict(zip(instances.tolist(), queries.tolist(), strict=True)) == {1: 2, 0: 0}


# ------------------------------------------------------------------------ criterion, model
def _cfg(**overrides) -> Cluster2FormerConfig:
    return Cluster2FormerConfig(**{**TINY_MODEL, **overrides})


def _target(h: int = 32, w: int = 32) -> dict[str, torch.Tensor]:
    masks = torch.zeros(2, 2, h, w)
    masks[0, :, 4, 2:14] = 1  # scribble of instance 0 in both frames
    masks[1, 1, 20:22, 18:26] = 1
    background = torch.zeros(2, h, w)
    background[:, 28, :] = 1
    return {"labels": torch.tensor([0, 1]), "masks": masks, "background": background}


def test_criterion_terms_weights_and_perfect_assignment():
    cfg = _cfg(dec_layers=2, num_queries=4)
    crit = build_cluster_criterion(cfg, num_classes=3)
    assert isinstance(crit, ClusterCriterion)
    assert crit.weight_dict["loss_cluster"] == 10.0 and crit.weight_dict["loss_ce_1"] == 2.0
    target = _target()
    # Queries 1 and 3 own exactly the two instances' labelled pixels, query 0 everything else.
    perfect = torch.full((1, 4, 2, 8, 8), -20.0)
    perfect[0, 0] = 20.0
    perfect[0, 0, :, 1, 0:4] = -20.0
    perfect[0, 1, :, 1, 0:4] = 20.0
    perfect[0, 0, 1, 5, 4:7] = -20.0
    perfect[0, 3, 1, 5, 4:7] = 20.0
    logits = torch.zeros(1, 4, 4)
    outputs = {
        "pred_logits": logits,
        "pred_masks": perfect,
        "aux_outputs": [{"pred_logits": logits, "pred_masks": torch.zeros(1, 4, 2, 8, 8)}],
    }
    losses = crit(outputs, [target], generator=torch.Generator().manual_seed(0))
    assert set(losses) == {"loss_ce", "loss_cluster", "loss_ce_0", "loss_cluster_0"}
    # Perfect clustering: R = 1 pairs ~0, R = 0 pairs at their log 2 minimum, so the mean is
    # below log 2.
    pts = crit.prepare_target(target, torch.Generator().manual_seed(0))
    assert losses["loss_cluster"].item() < LOG2
    # Uniform assignments (aux layer, all-zero logits): cos = 1 everywhere, R = 0 pairs cost
    # -log(eps / 2), far above the perfect layer.
    assert losses["loss_cluster_0"].item() > 5.0
    # The vote matched instance 0 -> query 1 and instance 1 -> query 3.
    [(queries, instances)] = crit.match({"pred_masks": perfect}, [pts])
    assert dict(zip(instances.tolist(), queries.tolist(), strict=True)) == {0: 1, 1: 3}
    total = crit.weighted_total(losses)
    assert torch.isfinite(total)


def test_criterion_without_instances_keeps_the_graph():
    crit = build_cluster_criterion(_cfg(deep_supervision=False), num_classes=2)
    pred = torch.randn(1, 4, 2, 8, 8, requires_grad=True)
    target = {
        "labels": torch.zeros(0, dtype=torch.long),
        "masks": torch.zeros(0, 2, 32, 32),
        "background": torch.ones(2, 32, 32),
    }
    losses = crit({"pred_logits": torch.zeros(1, 4, 3), "pred_masks": pred}, [target])
    assert losses["loss_cluster"].item() == 0.0
    losses["loss_cluster"].backward()
    assert pred.grad is not None


def test_model_trains_one_step_and_infers_with_query_softmax():
    torch.manual_seed(0)
    model = build_cluster2former(_cfg(), num_classes=3)
    assert model.mask_activation == "query_softmax"
    clips = torch.randint(0, 255, (1, 2, 3, 32, 32), dtype=torch.uint8)
    losses = model(clips, [_target()], generator=torch.Generator().manual_seed(1))
    assert "loss_cluster" in losses and "loss_mask" not in losses
    sum(losses.values()).backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert all(g is None or torch.isfinite(g).all() for g in grads)
    model.eval()
    with torch.no_grad():
        out = model(clips)
    scores = model.mask_scores(out["pred_masks"])
    assert torch.allclose(scores.sum(1), torch.ones_like(scores.sum(1)), atol=1e-5)


def test_config_rejects_bad_loss_settings():
    with pytest.raises(ValueError, match="points_per_instance"):
        _cfg(points_per_instance=0)
    with pytest.raises(ValueError, match="background_points"):
        _cfg(background_points=-1)
    with pytest.raises(ValueError, match="cross_frame_pair_weight"):
        _cfg(cross_frame_pair_weight=0.0)
    assert _cfg().to_dict()["cluster_weight"] == 10.0
