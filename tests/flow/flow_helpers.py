"""Helpers for the flow tests: textured frames with known motion, tiny DAVIS layouts."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from vis_pipelines.datasets import DAVISDataset, DAVISSequences


def texture(height: int, width: int, seed: int = 0, *, margin: int = 20) -> np.ndarray:
    """Smooth random RGB texture, float32 ``[H + 2m, W + 2m, 3]`` in 0..255."""
    rng = np.random.default_rng(seed)
    noise = rng.random((height + 2 * margin, width + 2 * margin, 3)).astype(np.float32)
    tex = cv2.GaussianBlur(noise, (0, 0), 2.0)
    return (tex - tex.min()) / (tex.max() - tex.min()) * 255.0


def translated_video(
    length: int, height: int, width: int, dx: float, dy: float, seed: int = 0
) -> np.ndarray:
    """uint8 ``[T, H, W, 3]`` frames of a texture moving by ``(dx, dy)`` px per frame."""
    margin = int(np.ceil(max(abs(dx), abs(dy)) * length)) + 4
    tex = texture(height, width, seed, margin=margin)
    frames = []
    for t in range(length):
        shift = np.float32([[1, 0, dx * t], [0, 1, dy * t]])
        moved = cv2.warpAffine(tex, shift, (tex.shape[1], tex.shape[0]), flags=cv2.INTER_LINEAR)
        frames.append(moved[margin : margin + height, margin : margin + width])
    return np.clip(np.rint(np.stack(frames)), 0, 255).astype(np.uint8)


def write_davis(root: Path, videos: dict[str, np.ndarray], imagesets: dict[str, list[str]]) -> Path:
    """Write ``videos`` as a DAVIS-2016 layout under ``root`` (JPEG quality 100)."""
    sequences = {
        name: (lambda f=frames: (f, np.zeros(f.shape[:3], np.uint8)))
        for name, frames in videos.items()
    }
    data = DAVISSequences(sequences=sequences, imagesets=imagesets, year="2016")
    DAVISDataset(root=str(root), jpeg_quality=100).save(data)
    return root
