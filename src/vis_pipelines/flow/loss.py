"""RAFT's sequence loss (Teed & Deng, ECCV 2020, eq. 7): L1 over every refinement, later ones
weighted more, ``sum_i gamma^(N-i-1) * |f_i - f_gt|_1``."""

from __future__ import annotations

from collections.abc import Sequence

import torch

__all__ = ["sequence_loss"]


def sequence_loss(
    predictions: Sequence[torch.Tensor],
    target: torch.Tensor,
    valid: torch.Tensor | None = None,
    *,
    gamma: float = 0.8,
) -> torch.Tensor:
    """Weighted L1 of ``N`` predictions ``[B, 2, H, W]`` against ``target``.

    Prediction ``i`` (0-based) has weight ``gamma ** (N - i - 1)``; each term is the mean absolute
    error over both flow channels of the ``valid`` pixels (bool ``[B, H, W]``; all by default).
    """
    if not predictions:
        raise ValueError("sequence_loss needs at least one prediction")
    if valid is None:
        valid = torch.ones(
            target.shape[0], *target.shape[2:], dtype=torch.bool, device=target.device
        )
    weight = valid[:, None].to(target.dtype).expand_as(target)
    # Mean over valid pixels and both channels; clamp: an all-invalid batch contributes 0, not NaN.
    denom = weight.sum().clamp_min(1.0)
    n = len(predictions)
    total = target.new_zeros(())
    for i, pred in enumerate(predictions):
        if pred.shape != target.shape:
            raise ValueError(f"prediction {i} is {tuple(pred.shape)}, target {tuple(target.shape)}")
        total = (
            total + gamma ** (n - i - 1) * ((pred.float() - target).abs() * weight).sum() / denom
        )
    return total
