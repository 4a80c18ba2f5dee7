"""Sine/cosine position encodings for images and video clips.

2-D encoding of DETR (Carion et al., "End-to-End Object Detection with Transformers", ECCV 2020),
as used by Mask2Former (Cheng et al., CVPR 2022), and its temporal 3-D extension of Mask2Former-VIS
(Cheng et al., "Mask2Former for Video Instance Segmentation", arXiv 2112.10764, 2021).

Both encodings are non-parametric: they hold no parameters or buffers, so they add nothing to a
state dict. They depend only on the shape (and device) of their input and return float32.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

__all__ = ["PositionEmbeddingSine", "PositionEmbeddingSine3D", "sine_features"]

_EPS = 1e-6  # keeps the normalisation finite for a fully padded row/column


def sine_features(positions: Tensor, num_feats: int, temperature: float) -> Tensor:
    """Encode ``positions (Tensor[...])`` into ``Tensor[..., num_feats]`` interleaved sin/cos.

    Channel ``2k`` is ``sin(p / temperature**(2k / num_feats))`` and channel ``2k + 1`` is
    ``cos`` of the same argument: each frequency appears once as a sine and once as a cosine.
    """
    if num_feats % 2:
        raise ValueError(f"num_feats must be even, got {num_feats}")
    exponent = torch.arange(0, num_feats, 2, dtype=torch.float32, device=positions.device)
    inv_freq = temperature ** (-exponent / num_feats)  # [num_feats / 2]
    angles = positions.float()[..., None] * inv_freq
    return torch.stack((angles.sin(), angles.cos()), dim=-1).flatten(-2)


def _cumulative_positions(not_mask: Tensor, dim: int, normalize: bool, scale: float) -> Tensor:
    """1-based index of each valid element along ``dim``, optionally scaled to ``(0, scale]``."""
    embed = not_mask.cumsum(dim, dtype=torch.float32)
    if normalize:
        # DETR / Mask2Former divide by the count of valid elements (the last cumulative value)
        last = embed.narrow(dim, embed.shape[dim] - 1, 1)
        embed = embed / (last + _EPS) * scale
    return embed


class _SineBase(nn.Module):
    """Hyper-parameters shared by the 2-D and 3-D encodings."""

    def __init__(
        self,
        num_pos_feats: int = 128,
        temperature: float = 10000.0,
        normalize: bool = True,
        scale: float | None = None,
    ) -> None:
        super().__init__()
        if num_pos_feats <= 0 or num_pos_feats % 2:
            raise ValueError(f"num_pos_feats must be a positive even number, got {num_pos_feats}")
        if scale is not None and not normalize:
            raise ValueError("scale is only used with normalize=True")
        self.num_pos_feats = num_pos_feats
        self.temperature = float(temperature)
        self.normalize = normalize
        self.scale = 2 * math.pi if scale is None else float(scale)

    def extra_repr(self) -> str:
        return (
            f"num_pos_feats={self.num_pos_feats}, temperature={self.temperature:g}, "
            f"normalize={self.normalize}, scale={self.scale:.4f}"
        )


class PositionEmbeddingSine(_SineBase):
    """DETR's 2-D sine encoding: ``x (Tensor[N, C, H, W]) -> Tensor[N, 2*num_pos_feats, H, W]``.

    The first ``num_pos_feats`` channels encode the row (y), the last ``num_pos_feats`` the column
    (x). Positions are 1-based pixel indices; with ``normalize=True`` they are divided by the
    number of valid rows/columns and multiplied by ``scale`` (default 2π), i.e. ``y = (i + 1) / H
    * scale`` as in Mask2Former's released encoding. ``mask (Tensor[N, H, W] bool)``, True on
    padded pixels, makes padded pixels not count (they are given the position of the last valid
    one before them).
    """

    def forward(self, x: Tensor, mask: Tensor | None = None) -> Tensor:
        """Encoding of every pixel of ``x (Tensor[N, C, H, W])`` as ``Tensor[N, 2F, H, W]``."""
        if x.dim() != 4:
            raise ValueError(f"expected x of shape [N, C, H, W], got {tuple(x.shape)}")
        n, _, h, w = x.shape
        not_mask = _not_mask(mask, (n, h, w), x.device)
        y = _cumulative_positions(not_mask, 1, self.normalize, self.scale)
        x_pos = _cumulative_positions(not_mask, 2, self.normalize, self.scale)
        pos_y = sine_features(y, self.num_pos_feats, self.temperature)
        pos_x = sine_features(x_pos, self.num_pos_feats, self.temperature)
        return torch.cat((pos_y, pos_x), dim=-1).permute(0, 3, 1, 2).contiguous()


class PositionEmbeddingSine3D(_SineBase):
    """Mask2Former-VIS's 3-D encoding: ``x (Tensor[B, T, C, H, W]) -> Tensor[B, T, 2F, H, W]``.

    Channel budget (as in the released Mask2Former-VIS design, ``F = num_pos_feats``): the spatial
    part is the 2-D encoding (``F`` channels for y, then ``F`` for x); the temporal part encodes the
    frame index over all ``2F`` channels (frequencies ``temperature**(2k / 2F)``) and is *added* to
    the spatial part rather than given channels of its own. Time, y and x therefore all vary
    along every channel group while the width stays ``2F`` (the decoder's hidden size). Frame
    positions are normalised like the spatial ones: ``t = (j + 1) / T * scale``.
    ``mask (Tensor[B, T, H, W] bool)`` is True on padded pixels.
    """

    def forward(self, x: Tensor, mask: Tensor | None = None) -> Tensor:
        """Encoding of every pixel of every frame of ``x (Tensor[B, T, C, H, W])``."""
        if x.dim() != 5:
            raise ValueError(f"expected x of shape [B, T, C, H, W], got {tuple(x.shape)}")
        b, t, _, h, w = x.shape
        not_mask = _not_mask(mask, (b, t, h, w), x.device)
        z = _cumulative_positions(not_mask, 1, self.normalize, self.scale)
        y = _cumulative_positions(not_mask, 2, self.normalize, self.scale)
        x_pos = _cumulative_positions(not_mask, 3, self.normalize, self.scale)
        spatial = torch.cat(
            (
                sine_features(y, self.num_pos_feats, self.temperature),
                sine_features(x_pos, self.num_pos_feats, self.temperature),
            ),
            dim=-1,
        )
        temporal = sine_features(z, 2 * self.num_pos_feats, self.temperature)
        return (spatial + temporal).permute(0, 1, 4, 2, 3).contiguous()


def _not_mask(mask: Tensor | None, shape: tuple[int, ...], device: torch.device) -> Tensor:
    """Boolean tensor that is True on valid pixels (all of them when ``mask`` is None)."""
    if mask is None:
        return torch.ones(shape, dtype=torch.bool, device=device)
    if tuple(mask.shape) != shape:
        raise ValueError(f"mask has shape {tuple(mask.shape)}, expected {shape}")
    return ~mask.bool()
