"""The interface every flow method implements: batches of RGB frame pairs in, flow fields out."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

__all__ = ["FlowEstimator", "check_pair_batch"]


@runtime_checkable
class FlowEstimator(Protocol):
    """Estimates optical flow from ``first`` to ``second``.

    ``estimate(first, second)`` takes uint8 RGB ``[B, H, W, 3]`` batches and returns float32
    ``[B, H, W, 2]`` (u = x displacement, v = y displacement, in pixels of the input frames).
    ``batch_size`` is how many pairs one call should get; ``device`` is where it runs.
    """

    name: str
    batch_size: int
    device: str

    def estimate(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        """Flow from each frame of ``first`` to the frame at the same index of ``second``."""
        ...


def check_pair_batch(first: np.ndarray, second: np.ndarray) -> None:
    """Raise ``ValueError`` unless both are uint8 RGB ``[B, H, W, 3]`` of the same shape."""
    for name, x in (("first", first), ("second", second)):
        if not isinstance(x, np.ndarray) or x.dtype != np.uint8 or x.ndim != 4 or x.shape[3] != 3:
            got = f"{x.dtype} {x.shape}" if isinstance(x, np.ndarray) else type(x).__name__
            raise ValueError(f"{name} frames must be uint8 RGB [B, H, W, 3], got {got}")
    if first.shape != second.shape:
        raise ValueError(f"frame batches differ in shape: {first.shape} vs {second.shape}")
