"""Point sampling of mask logits (PointRend, Kirillov et al., CVPR 2020), as Mask2Former uses it.

Mask2Former (Cheng et al., CVPR 2022) computes its matching costs and mask losses on K sampled
points instead of whole masks: uniformly random points for the matcher and importance-sampled
points (most uncertain logits plus a uniform share) for the losses. Coordinates are normalised
``(x, y)`` in ``[0, 1]`` so that predictions at 1/4 resolution and targets at input resolution
are compared at the same places without resizing either.

Video (Mask2Former-VIS, arXiv 2112.10764): a query's mask is a ``[T, H, W]`` volume; the same K
2-D points are used in every frame, i.e. frames are channels here (``[N, T, H, W]`` in,
``[N, T, K]`` out, flattened to ``T * K`` values per mask by the callers).

Random numbers come from an optional ``torch.Generator`` so a training run is reproducible and
resumable (the generator's state goes into the checkpoint).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = [
    "logit_uncertainty",
    "point_sample",
    "random_point_coords",
    "uncertain_point_coords",
]


def point_sample(input: Tensor, point_coords: Tensor, **grid_sample_kwargs: Any) -> Tensor:
    """Bilinear values of ``input (Tensor[N, C, H, W])`` at ``point_coords (Tensor[N, P, 2])``.

    ``point_coords`` are normalised ``(x, y)`` in ``[0, 1]``, ``(0, 0)`` being the top-left corner
    of the top-left pixel (``align_corners=False``), so the centre of pixel ``(i, j)`` is
    ``((j + 0.5) / W, (i + 0.5) / H)``. Returns ``Tensor[N, C, P]``.

    Defaults: ``mode="bilinear"``, ``align_corners=False``, ``padding_mode="border"``. Border
    padding (PointRend/Mask2Former use zeros) keeps a mask that touches the image edge at its
    value within half a pixel of the edge instead of fading it towards 0 (and a logit towards
    0, i.e. maximal uncertainty); any ``F.grid_sample`` keyword overrides these.
    """
    if input.dim() != 4:
        raise ValueError(f"point_sample: input must be [N, C, H, W], got {tuple(input.shape)}")
    if point_coords.dim() != 3 or point_coords.shape[-1] != 2:
        raise ValueError(
            f"point_sample: point_coords must be [N, P, 2], got {tuple(point_coords.shape)}"
        )
    if point_coords.shape[0] != input.shape[0]:
        raise ValueError(
            f"point_sample: {input.shape[0]} inputs but {point_coords.shape[0]} point sets"
        )
    kwargs = {"mode": "bilinear", "align_corners": False, "padding_mode": "border"}
    kwargs.update(grid_sample_kwargs)
    # grid_sample wants [-1, 1] coordinates on a [N, H_out, W_out, 2] grid: use a P x 1 grid.
    grid = (2.0 * point_coords - 1.0).to(dtype=input.dtype).unsqueeze(2)
    return F.grid_sample(input, grid, **kwargs).squeeze(3)


def _uniform(shape: tuple[int, ...], device: torch.device | str, generator: torch.Generator | None,
             dtype: torch.dtype) -> Tensor:
    if generator is None:
        return torch.rand(shape, device=device, dtype=dtype)
    # Draw on the generator's own device (a CPU generator cannot fill a CUDA tensor), then move:
    # the numbers depend only on the generator state, whichever device computes the model.
    return torch.rand(shape, generator=generator, device=generator.device, dtype=dtype).to(device)


def random_point_coords(
    n: int,
    num_points: int,
    *,
    device: torch.device | str,
    generator: torch.Generator | None = None,
    dtype: torch.dtype = torch.float32,
) -> Tensor:
    """Uniformly random normalised ``(x, y)`` points in ``[0, 1)``: ``Tensor[n, num_points, 2]``."""
    if n < 0 or num_points < 0:
        raise ValueError(f"random_point_coords: n={n} and num_points={num_points} must be >= 0")
    return _uniform((int(n), int(num_points), 2), device, generator, dtype)


def logit_uncertainty(point_logits: Tensor) -> Tensor:
    """Uncertainty ``-|logit|`` of ``Tensor[N, C, P]`` sampled logits, maximised over ``C``: ``[N, P]``.

    For a video mask the channels are its T frames: a point is as uncertain as its most uncertain
    frame, so a boundary in any frame attracts points (a mean would dilute it among the frames
    where the object is confidently present or absent).
    """
    return (-point_logits.abs()).amax(dim=1)


@torch.no_grad()
def uncertain_point_coords(
    logits: Tensor,
    *,
    num_points: int,
    oversample_ratio: float = 3.0,
    importance_sample_ratio: float = 0.75,
    generator: torch.Generator | None = None,
) -> Tensor:
    """PointRend importance sampling on ``logits (Tensor[N, C, H, W])``: ``Tensor[N, num_points, 2]``.

    Draws ``int(num_points * oversample_ratio)`` uniform points, keeps the
    ``int(num_points * importance_sample_ratio)`` most uncertain ones (:func:`logit_uncertainty`,
    i.e. closest to the 0-logit boundary) and fills the rest with fresh uniform points, in this
    order (uncertain first). ``C`` is 1 for an image mask or ``T`` for a video mask (one point
    set shared by all frames). No gradient flows through the choice of points.
    """
    if logits.dim() != 4:
        raise ValueError(
            f"uncertain_point_coords: logits must be [N, C, H, W], got {tuple(logits.shape)}"
        )
    if num_points < 1:
        raise ValueError(f"uncertain_point_coords: num_points={num_points} must be >= 1")
    if oversample_ratio < 1.0:
        raise ValueError(f"uncertain_point_coords: oversample_ratio={oversample_ratio} must be >= 1")
    if not 0.0 <= importance_sample_ratio <= 1.0:
        raise ValueError(
            f"uncertain_point_coords: importance_sample_ratio={importance_sample_ratio} "
            "must be in [0, 1]"
        )
    n = logits.shape[0]
    num_sampled = int(num_points * oversample_ratio)
    num_uncertain = int(num_points * importance_sample_ratio)
    num_random = num_points - num_uncertain
    candidates = random_point_coords(n, num_sampled, device=logits.device, generator=generator)
    uncertainty = logit_uncertainty(point_sample(logits.float(), candidates))  # [N, num_sampled]
    top = uncertainty.topk(num_uncertain, dim=1).indices  # [N, num_uncertain]
    chosen = candidates.gather(1, top.unsqueeze(-1).expand(-1, -1, 2))
    if num_random == 0:
        return chosen
    fill = random_point_coords(n, num_random, device=logits.device, generator=generator)
    return torch.cat([chosen, fill], dim=1)
