"""Point sampling: exact values at pixel centres, PointRend uncertainty choice, reproducibility."""

from __future__ import annotations

import pytest
import torch

from vis_pipelines.models.point_sampling import (
    logit_uncertainty,
    point_sample,
    random_point_coords,
    uncertain_point_coords,
)


def _centres(h: int, w: int) -> torch.Tensor:
    """Normalised (x, y) of every pixel centre, row-major: [h*w, 2]."""
    ys, xs = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    return torch.stack([(xs.flatten() + 0.5) / w, (ys.flatten() + 0.5) / h], dim=1)


def test_pixel_centres_return_pixel_values() -> None:
    values = torch.randn(2, 3, 5, 7, generator=torch.Generator().manual_seed(0))
    coords = _centres(5, 7).expand(2, -1, -1)
    sampled = point_sample(values, coords)
    assert sampled.shape == (2, 3, 35)
    torch.testing.assert_close(sampled, values.flatten(2))


def test_bilinear_between_centres_and_border() -> None:
    values = torch.tensor([[[[0.0, 4.0], [8.0, 12.0]]]])  # [1, 1, 2, 2]
    coords = torch.tensor([[[0.5, 0.25], [0.5, 0.5], [0.0, 0.0], [1.0, 1.0]]])
    sampled = point_sample(values, coords)[0, 0]
    # midway between (0,0) and (0,1): 2; the image centre: mean of the four; corners clamp
    # to the corner pixel (border padding).
    torch.testing.assert_close(sampled, torch.tensor([2.0, 6.0, 0.0, 12.0]))
    # Zero padding (grid_sample's default) fades the corner to a quarter of the pixel's value.
    faded = point_sample(values, coords[:, 3:], padding_mode="zeros")[0, 0]
    torch.testing.assert_close(faded, torch.tensor([3.0]))


def test_point_sample_gradients_and_dtype() -> None:
    values = torch.randn(1, 2, 4, 4, requires_grad=True)
    point_sample(values, _centres(4, 4)[None]).sum().backward()
    torch.testing.assert_close(values.grad, torch.ones_like(values))
    half = point_sample(values.detach().double(), _centres(4, 4)[None].float())
    assert half.dtype == torch.float64


@pytest.mark.parametrize(
    ("values_shape", "coords_shape"),
    [((3, 4, 4), (3, 5, 2)), ((2, 1, 4, 4), (2, 5, 3)), ((2, 1, 4, 4), (3, 5, 2))],
)
def test_point_sample_rejects_bad_shapes(values_shape, coords_shape) -> None:
    with pytest.raises(ValueError, match="point_sample"):
        point_sample(torch.zeros(values_shape), torch.zeros(coords_shape))


def test_random_point_coords_range_and_determinism() -> None:
    a = random_point_coords(3, 50, device="cpu", generator=torch.Generator().manual_seed(7))
    b = random_point_coords(3, 50, device="cpu", generator=torch.Generator().manual_seed(7))
    c = random_point_coords(3, 50, device="cpu", generator=torch.Generator().manual_seed(8))
    assert a.shape == (3, 50, 2) and a.dtype == torch.float32
    assert bool((a >= 0).all()) and bool((a < 1).all())
    torch.testing.assert_close(a, b)
    assert not torch.equal(a, c)
    assert random_point_coords(2, 4, device="cpu").shape == (2, 4, 2)  # global RNG


def test_logit_uncertainty_takes_most_uncertain_channel() -> None:
    logits = torch.tensor([[[3.0, -1.0, 0.5], [-0.2, -9.0, 4.0]]])  # [1, C=2, P=3]
    torch.testing.assert_close(logit_uncertainty(logits), torch.tensor([[-0.2, -1.0, -0.5]]))


def _ramp_logits(w: int = 16, h: int = 8) -> torch.Tensor:
    """Logits growing with x, 0 at x = 0.5: one vertical boundary in the middle. [1, 1, h, w]."""
    columns = torch.arange(w, dtype=torch.float32) - (w - 1) / 2
    return columns.expand(h, w)[None, None].clone()


def test_uncertain_points_lie_on_the_boundary_and_counts_add_up() -> None:
    gen = torch.Generator().manual_seed(3)
    coords = uncertain_point_coords(
        _ramp_logits(), num_points=100, oversample_ratio=20.0, importance_sample_ratio=0.75,
        generator=gen,
    )
    assert coords.shape == (1, 100, 2)
    uncertain, uniform = coords[0, :75], coords[0, 75:]
    # 75 nearest of 2000 uniform candidates to the line x = 0.5: a band ~0.02 wide each side.
    assert float((uncertain[:, 0] - 0.5).abs().max()) < 0.05
    # The uniform share is spread over the image (10 % of 25 uniform points inside the band is
    # already unlikely; here we only require that most are away from it).
    assert int(((uniform[:, 0] - 0.5).abs() > 0.05).sum()) >= 15


def test_uncertain_points_are_the_most_uncertain_candidates() -> None:
    logits = _ramp_logits()
    seed, num_points, ratio = 11, 40, 3.0
    coords = uncertain_point_coords(
        logits, num_points=num_points, oversample_ratio=ratio, importance_sample_ratio=0.5,
        generator=torch.Generator().manual_seed(seed),
    )
    # The same generator draws the candidates first: replay it.
    candidates = random_point_coords(
        1, int(num_points * ratio), device="cpu", generator=torch.Generator().manual_seed(seed)
    )[0]
    chosen = coords[0, :20]
    assert all(bool((candidates == p).all(1).any()) for p in chosen)
    # On the ramp, uncertainty decreases with |x - 0.5| (away from the clamped borders).
    chosen_dist = (chosen[:, 0] - 0.5).abs()
    others = [c for c in candidates if not bool((chosen == c).all(1).any())]
    other_dist = (torch.stack(others)[:, 0] - 0.5).abs()
    assert float(chosen_dist.max()) <= float(other_dist.min()) + 1e-6


def test_video_points_follow_the_boundary_of_any_frame() -> None:
    h, w = 8, 16
    xs = (torch.arange(w, dtype=torch.float32) + 0.5) / w
    ys = (torch.arange(h, dtype=torch.float32) + 0.5) / h
    frame0 = (40.0 * (xs - 0.25)).expand(h, w)  # boundary x = 0.25
    frame1 = (40.0 * (ys - 0.75))[:, None].expand(h, w)  # boundary y = 0.75
    frame2 = torch.full((h, w), -30.0)  # object absent: never uncertain
    logits = torch.stack([frame0, frame1, frame2])[None]  # [1, T=3, h, w]
    coords = uncertain_point_coords(
        logits, num_points=60, oversample_ratio=20.0, importance_sample_ratio=1.0,
        generator=torch.Generator().manual_seed(0),
    )
    assert coords.shape == (1, 60, 2)
    near_x = (coords[0, :, 0] - 0.25).abs() < 0.05
    near_y = (coords[0, :, 1] - 0.75).abs() < 0.05
    assert bool((near_x | near_y).all())
    assert int(near_x.sum()) > 10 and int(near_y.sum()) > 10  # both frames contribute


def test_uncertain_point_coords_determinism_and_ratios() -> None:
    logits = torch.randn(4, 2, 6, 6, generator=torch.Generator().manual_seed(1))

    def sample(seed: int, ratio: float = 0.75) -> torch.Tensor:
        return uncertain_point_coords(
            logits, num_points=30, importance_sample_ratio=ratio,
            generator=torch.Generator().manual_seed(seed),
        )

    torch.testing.assert_close(sample(5), sample(5))
    assert not torch.equal(sample(5), sample(6))
    # importance 0: only the uniform fill, drawn after the 90 candidates of each mask.
    gen = torch.Generator().manual_seed(5)
    random_point_coords(4, 90, device="cpu", generator=gen)
    expected = random_point_coords(4, 30, device="cpu", generator=gen)
    torch.testing.assert_close(sample(5, ratio=0.0), expected)
    assert sample(5, ratio=1.0).shape == (4, 30, 2)


@pytest.mark.parametrize(
    "kwargs",
    [{"num_points": 0}, {"num_points": 5, "oversample_ratio": 0.5},
     {"num_points": 5, "importance_sample_ratio": 1.5}],
)
def test_uncertain_point_coords_rejects_bad_parameters(kwargs) -> None:
    with pytest.raises(ValueError, match="uncertain_point_coords"):
        uncertain_point_coords(torch.zeros(1, 1, 4, 4), **kwargs)
