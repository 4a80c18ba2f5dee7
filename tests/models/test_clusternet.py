"""ClusterNet model: Sinkhorn marginals, saliency, the boundary-aware loss on hand cases, shapes."""

from __future__ import annotations

import math

import pytest
import torch

from vis_pipelines.models.clusternet import (
    ClusterNetConfig,
    balanced_weights,
    border_saliency,
    boundary_contrastive_loss,
    build_clusternet,
    sinkhorn,
)

TINY = ClusterNetConfig(width=4, downsample=1, n_prototypes=6, embed_dim=4)


def test_sinkhorn_marginals_uniform() -> None:
    # Cosine-similarity-like scores in [-1, 1]; enough iterations to converge at eps 0.05.
    scores = torch.rand(200, 7, generator=torch.Generator().manual_seed(0)) * 2 - 1
    q = sinkhorn(scores, eps=0.05, iters=100)
    assert q.dtype == torch.float32 and q.shape == (200, 7)
    torch.testing.assert_close(q.sum(1), torch.ones(200))  # every sample fully assigned
    torch.testing.assert_close(q.sum(0), torch.full((7,), 200 / 7), rtol=0, atol=1e-3)


def test_sinkhorn_marginals_weighted_and_fp32_from_half() -> None:
    scores = (torch.rand(60, 4, generator=torch.Generator().manual_seed(1)) * 2 - 1).half()
    weights = torch.cat([torch.full((10,), 3.0), torch.ones(50)])
    q = sinkhorn(scores, eps=0.05, iters=100, weights=weights)
    assert q.dtype == torch.float32
    torch.testing.assert_close(q.sum(1), torch.ones(60))
    # Prototype k receives total sample mass 1/K, each sample weighted by r_i = w_i / sum(w).
    r = weights / weights.sum()
    torch.testing.assert_close((q * r[:, None]).sum(0), torch.full((4,), 0.25), atol=1e-4, rtol=0)
    with pytest.raises(ValueError, match="weights"):
        sinkhorn(scores, weights=torch.zeros(60))
    with pytest.raises(ValueError, match=r"\[N, K\]"):
        sinkhorn(torch.zeros(3))


def test_sinkhorn_large_scores_stay_finite() -> None:
    scores = torch.tensor([[1.0, -1.0], [1.0, -1.0], [-1.0, 1.0]])
    q = sinkhorn(scores, eps=1e-4, iters=3)  # exp(1e4) would overflow outside the log domain
    assert torch.isfinite(q).all()
    assert q.argmax(1).tolist() == [0, 0, 1]


def test_balanced_weights_give_each_side_half() -> None:
    salient = torch.tensor([True, False, False, False])
    w = balanced_weights(salient)
    assert w.tolist() == pytest.approx([1.0, 1 / 3, 1 / 3, 1 / 3])
    assert balanced_weights(torch.zeros(4, dtype=torch.bool)) is None
    assert balanced_weights(torch.ones(4, dtype=torch.bool)) is None


def test_border_saliency_against_the_border_colour() -> None:
    x = torch.full((1, 3, 8, 8), 1.0)  # white background (static camera)
    x[:, :, 3:5, 3:5] = torch.tensor([-1.0, 1.0, -1.0])[:, None, None]  # a green square
    s = border_saliency(x)
    assert s.shape == (1, 8, 8)
    assert float(s[0, 0, 0]) == 0.0
    assert float(s[0, 3, 3]) == pytest.approx(math.sqrt(8) / (2 * math.sqrt(3)))


def test_contrastive_loss_hand_case() -> None:
    # Two pixels, three prototypes. Pixel 0 is salient and assigned to prototype 0; pixel 1 is
    # background, assigned to prototype 1. Prototype 0 is salient (its only pixel is), 1 is not,
    # 2 is unused. Negatives: pixel 0 -> {1}, pixel 1 -> {0}.
    scores = torch.tensor(
        [[0.9, 0.1, 0.5], [0.2, 0.8, -0.3]], dtype=torch.float64, requires_grad=True
    )
    assign = torch.tensor([0, 1])
    salient = torch.tensor([True, False])
    loss = boundary_contrastive_loss(scores, assign, salient, temperature=0.1)
    expect = (
        -math.log(math.exp(9) / (math.exp(9) + math.exp(1)))
        - math.log(math.exp(8) / (math.exp(8) + math.exp(2)))
    ) / 2
    assert float(loss.detach()) == pytest.approx(expect, rel=1e-9)
    loss.backward()
    assert torch.isfinite(scores.grad).all() and float(scores.grad[:, 2].abs().sum()) == 0.0


def test_contrastive_loss_without_salient_boundary_is_zero_not_nan() -> None:
    scores = torch.rand(10, 4, requires_grad=True)
    assign = torch.randint(0, 4, (10,), generator=torch.Generator().manual_seed(0))
    for salient in (torch.zeros(10, dtype=torch.bool), torch.ones(10, dtype=torch.bool)):
        loss = boundary_contrastive_loss(scores, assign, salient, temperature=0.1)
        assert float(loss.detach()) == 0.0
        loss.backward()  # the graph is kept: the optimiser step is a no-op, not an error
        assert torch.isfinite(scores.grad).all()


def test_forward_on_a_frame_without_motion_is_finite() -> None:
    model = build_clusternet(TINY, seed=0)
    x = torch.ones(2, 3, 16, 24)  # uniform flow colour: nothing salient anywhere
    out = model(x)
    assert torch.isfinite(out["loss"]) and float(out["contrast"].detach()) == 0.0
    out["loss"].backward()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)


def test_shapes_determinism_and_paper_size() -> None:
    model = build_clusternet(TINY, seed=3)
    x = torch.rand(2, 3, 16, 24) * 2 - 1
    out = model.autoencoder(x)
    assert out["embedding"].shape == (2, 4, 8, 12) and out["recon"].shape == x.shape
    torch.testing.assert_close(out["embedding"].norm(dim=1), torch.ones(2, 8, 12))
    assert model.scores(x).shape == (2, 6, 8, 12)
    q = model.assign(x)
    torch.testing.assert_close(q.sum(1), torch.ones(2, 8, 12))
    again = build_clusternet(TINY, seed=3)
    torch.testing.assert_close(again.scores(x), model.scores(x))
    paper = build_clusternet(ClusterNetConfig(), seed=0)  # width 48, downsample 2
    n = sum(p.numel() for p in paper.parameters())
    assert 1.0e6 < n < 1.4e6  # "≈1.2M parameters"
    assert paper.stride == 4 and paper.config.n_prototypes == 30 and paper.config.embed_dim == 10


def test_seed_prototypes_cover_a_rare_motion() -> None:
    model = build_clusternet(TINY, seed=0)
    x = torch.ones(1, 3, 16, 24)
    x[:, :, 4:8, 4:8] = torch.tensor([-1.0, -1.0, 1.0])[:, None, None]  # a small blue square
    placed = model.seed_prototypes(x, generator=torch.Generator().manual_seed(0))
    assert placed == 6
    labels = model.scores(x)[0].argmax(0)
    assert labels[3, 3] != labels[0, 0]  # the square has a prototype of its own
    # Only unused prototypes move, and used ones stay.
    before = model.prototypes.detach().clone()
    used = torch.unique(model.scores(x)[0].argmax(0))
    model.seed_prototypes(x, only_unused=True, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(model.prototypes[used], before[used])


@pytest.mark.parametrize(
    "bad",
    [{"n_prototypes": 1}, {"attention_kernel": 4}, {"temperature": 0}, {"saliency_threshold": 2}],
)
def test_config_rejects_bad_values(bad: dict) -> None:
    with pytest.raises(ValueError, match="clusternet model"):
        ClusterNetConfig(**bad)
