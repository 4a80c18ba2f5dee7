"""Preview images: scribbles drawn over their frames, several frames side by side per video.

Frames are dimmed so strokes stand out; each object's full-mask outline is drawn thinly in its
colour (to see that strokes stay inside), its strokes boldly in the same colour, background
strokes in white. Small frames are enlarged by an integer factor (nearest neighbour) so 1-pixel
strokes stay visible.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np

from vis_pipelines.formats.rle_strict import decode_rle_strict

from .config import PreviewConfig

__all__ = ["COLOURS", "preview_frames", "render_preview", "preview_video_indices"]

# Saturated, mutually distinct colours (RGB) for objects, in annotation order.
COLOURS = np.array(
    [
        [255, 64, 64],
        [64, 220, 64],
        [64, 128, 255],
        [255, 220, 0],
        [255, 64, 255],
        [0, 230, 230],
        [255, 140, 0],
        [160, 90, 255],
        [140, 255, 140],
        [255, 150, 190],
    ],
    dtype=np.uint8,
)
_WHITE = np.array([255, 255, 255], np.uint8)


def preview_video_indices(n_videos: int, wanted: int) -> list[int]:
    """Indices of ``wanted`` videos spread evenly over ``n_videos`` (first and last included)."""
    if wanted <= 0 or n_videos <= 0:
        return []
    if wanted >= n_videos:
        return list(range(n_videos))
    return sorted({int(round(i)) for i in np.linspace(0, n_videos - 1, wanted)})


def preview_frames(scribbled: Sequence[int], wanted: int) -> list[int]:
    """``wanted`` frame indices spread over the frames that carry scribbles."""
    picks = preview_video_indices(len(scribbled), wanted)
    return [scribbled[i] for i in picks]


def render_preview(
    frames: np.ndarray,
    masks: Sequence[Sequence[dict[str, Any] | None]],
    strokes: Sequence[Sequence[dict[str, Any] | None]],
    background: Sequence[dict[str, Any] | None] | None,
    config: PreviewConfig,
) -> np.ndarray:
    """One RGB image: the given frames side by side with outlines and strokes drawn over them.

    Args:
        frames: uint8 ``(T, H, W, 3)`` frames to draw on.
        masks: per object, per drawn frame, the full-mask RLE (or None).
        strokes: per object, per drawn frame, the scribble RLE (or None).
        background: per drawn frame, the background scribble RLE (or None), or None.
        config: preview sizes.
    """
    t_count, h, w, _ = frames.shape
    zoom = max(1, math.ceil(config.min_height / h))
    kernel = np.ones((2 * config.thickness + 1,) * 2, np.uint8)
    tiles = []
    for k in range(t_count):
        canvas = (frames[k].astype(np.float32) * 0.55).astype(np.uint8)
        canvas = cv2.resize(canvas, (w * zoom, h * zoom), interpolation=cv2.INTER_NEAREST)
        for n, (object_masks, object_strokes) in enumerate(zip(masks, strokes, strict=True)):
            colour = COLOURS[n % len(COLOURS)]
            if object_masks[k] is not None:
                mask = decode_rle_strict(object_masks[k])
                big = cv2.resize(mask, (w * zoom, h * zoom), interpolation=cv2.INTER_NEAREST)
                edge = big - cv2.erode(big, np.ones((3, 3), np.uint8))
                canvas[edge != 0] = (canvas[edge != 0] * 0.4 + colour * 0.6).astype(np.uint8)
            if object_strokes[k] is not None:
                _draw(canvas, decode_rle_strict(object_strokes[k]), kernel, colour)
        if background is not None and background[k] is not None:
            _draw(canvas, decode_rle_strict(background[k]), kernel, _WHITE)
        tiles.append(canvas)
    gap = np.full((h * zoom, max(2, zoom * 2), 3), 255, np.uint8)
    parts: list[np.ndarray] = []
    for tile in tiles:
        parts.extend([tile, gap])
    return np.concatenate(parts[:-1], axis=1)


def _draw(canvas: np.ndarray, stroke: np.ndarray, kernel: np.ndarray, colour: np.ndarray) -> None:
    """Paint an enlarged, then thickened, stroke mask onto ``canvas`` in place."""
    big = cv2.resize(stroke, (canvas.shape[1], canvas.shape[0]), interpolation=cv2.INTER_NEAREST)
    if kernel.shape[0] > 1:
        big = cv2.dilate(big, kernel)  # thickness in output pixels, whatever the zoom
    canvas[big != 0] = colour
