"""Frame pairs of a flow field: frame ``t`` to frame ``t + gap``, stored under frame ``t``'s name."""

from __future__ import annotations

import numpy as np

__all__ = ["frame_pairs", "folder_name", "flow_frame_names"]


def frame_pairs(num_frames: int, gap: int) -> tuple[np.ndarray, np.ndarray]:
    """Source and target frame indices ``(src, dst)`` with ``dst = src + gap`` inside the video.

    Forward gaps give ``src = 0 .. T-1-gap``; backward (negative) gaps give ``src = -gap .. T-1``.
    A video shorter than ``|gap| + 1`` frames has no pair.
    """
    if gap == 0:
        raise ValueError("gap must be non-zero (flow from a frame to itself is zero)")
    if num_frames < 0:
        raise ValueError(f"num_frames must be >= 0, got {num_frames}")
    src = np.arange(max(0, -gap), max(0, min(num_frames, num_frames - gap)), dtype=np.int64)
    return src, src + gap


def flow_frame_names(frame_names: list[str], gap: int) -> list[str]:
    """Names of the flow files of a sequence: the source frame of every pair."""
    src, _ = frame_pairs(len(frame_names), gap)
    return [frame_names[i] for i in src]


def folder_name(method: str, gap: int) -> str:
    """Folder of one method and gap under the flow root: ``<method>_gap<g>`` (``dis_fast_gap-1``)."""
    if gap == 0:
        raise ValueError("gap must be non-zero")
    return f"{method}_gap{gap}"
