"""Padding frames to the sizes RAFT accepts (multiples of 8, at least its pyramid's minimum)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["InputPadder"]


class InputPadder:
    """Pads ``[B, C, H, W]`` tensors symmetrically (edge replication) and crops results back.

    The padded height/width is the next multiple of ``multiple`` that is at least ``min_size``.
    Replication (not zeros) keeps the padded border looking like image content, so the padding
    adds no artificial edges for the correlation volume to match.
    """

    def __init__(self, height: int, width: int, *, multiple: int = 8, min_size: int = 0) -> None:
        if height <= 0 or width <= 0:
            raise ValueError(f"image size must be positive, got {height}x{width}")
        self.height, self.width = int(height), int(width)

        def target(size: int) -> int:
            return max(-(-size // multiple) * multiple, -(-min_size // multiple) * multiple)

        pad_h, pad_w = target(height) - height, target(width) - width
        self.top, self.left = pad_h // 2, pad_w // 2
        self.bottom, self.right = pad_h - self.top, pad_w - self.left

    @property
    def padded_size(self) -> tuple[int, int]:
        """``(height, width)`` after padding."""
        return self.height + self.top + self.bottom, self.width + self.left + self.right

    def pad(self, *tensors: torch.Tensor) -> list[torch.Tensor]:
        """Each ``[B, C, H, W]`` tensor padded to ``padded_size``."""
        out = []
        for x in tensors:
            if tuple(x.shape[-2:]) != (self.height, self.width):
                raise ValueError(
                    f"expected {self.height}x{self.width} inputs, got {tuple(x.shape[-2:])}"
                )
            if self.top or self.bottom or self.left or self.right:
                x = F.pad(x, (self.left, self.right, self.top, self.bottom), mode="replicate")
            out.append(x)
        return out

    def unpad(self, x: torch.Tensor) -> torch.Tensor:
        """Crop a padded ``[..., H', W']`` tensor back to the original ``H x W``."""
        return x[..., self.top : self.top + self.height, self.left : self.left + self.width]
