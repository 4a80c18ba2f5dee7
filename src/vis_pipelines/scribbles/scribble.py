"""One scribble for one binary mask: open, skeletonise, longest paths, Bézier, clip.

For a mask of area ``A`` (``ScribbleConfig``):

1. radius ``r = min(radius_factor * sqrt(A), radius_cap)``; open the mask with a disk of radius
   ``r``, shrinking ``r`` by ``shrink_factor`` while the opening is empty;
2. skeletonise the opening, take the longest path of every skeleton component of at least
   ``min_component_size`` pixels (cycles broken, ties broken by the seeded ``rng``);
3. smooth each path with a Bézier spline and draw it as a 1-pixel stroke clipped to the mask;
4. a mask where every radius fails is skeletonised itself; whatever happens, a non-empty mask
   gets at least one stroke pixel, and no stroke pixel ever lies outside the mask.

Work happens on the mask's bounding box; steps 1-2 run on a block-averaged copy (integer factor
``s``, chosen from ``skeleton_size`` and never above ``r / 2``) whose path is mapped back to full
resolution before smoothing, so the cost of a mask barely depends on its size. Masks that need a
smaller radius (thin ones) are redone at full resolution.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from .bezier import bezier_curve, digital_curve, resample_path
from .config import ScribbleConfig
from .morphology import (
    distance_to_background,
    downsample,
    open_with_disk,
    opening_radius,
    structuring_radius,
)
from .paths import longest_paths
from .skeleton import thin

__all__ = ["Scribble", "scribble_mask", "scribble_box", "skeleton_scale", "MIN_LOW_RES_RADIUS"]

# The opening radius in low-resolution pixels never drops below this: shapes the opening keeps
# (at least 2r wide) stay at least 4 pixels wide after downsampling.
MIN_LOW_RES_RADIUS = 2.0
# A smoothed stroke must keep this share of its pixels inside the mask, else its path is drawn.
KEEP = 0.9


@dataclass(frozen=True)
class Scribble:
    """Stroke pixels of one mask in frame coordinates, and how they were obtained.

    Attributes:
        ys, xs: int32 row / column of every stroke pixel (no duplicates).
        strokes: number of strokes (skeleton paths) that left at least one pixel.
        radius: opening radius used, in pixels (0: the mask itself was skeletonised).
        scale: block size of the skeleton resolution (1: full resolution).
        fallback: "" normally; "unsmoothed" when a smoothed curve left the mask (thin or
            sharply bent parts) and its skeleton path was drawn instead; "deepest_pixel" when
            only the pixel farthest from the background could be given.
    """

    ys: np.ndarray
    xs: np.ndarray
    strokes: int
    radius: float
    scale: int
    fallback: str = ""

    @property
    def pixels(self) -> int:
        """Number of stroke pixels."""
        return int(self.ys.size)

    def to_mask(self, shape: tuple[int, int]) -> np.ndarray:
        """The stroke as a uint8 ``shape`` mask of 0/1."""
        out = np.zeros(shape, np.uint8)
        out[self.ys, self.xs] = 1
        return out

    @staticmethod
    def empty() -> Scribble:
        """The scribble of an empty mask."""
        none = np.zeros(0, np.int32)
        return Scribble(none, none.copy(), 0, 0.0, 1)


def skeleton_scale(height: int, width: int, radius: float, skeleton_size: int) -> int:
    """Block size for skeletonising a ``height x width`` box opened with a disk of ``radius``."""
    if skeleton_size <= 0:
        return 1
    wanted = math.ceil(max(height, width) / skeleton_size)
    return max(1, min(wanted, int(radius // MIN_LOW_RES_RADIUS)))


def scribble_mask(mask: np.ndarray, config: ScribbleConfig, rng: np.random.Generator) -> Scribble:
    """The scribble of one binary ``(H, W)`` mask (nonzero = object).

    Args:
        mask: the object's mask in its frame; pixels beyond the frame count as background.
        config: generator parameters.
        rng: source of the tie-breaking jitter (seed it per mask for order-independent output).
    """
    if mask.ndim != 2:
        raise ValueError(f"scribble_mask expects a 2-D mask, got shape {mask.shape}")
    if mask.dtype == np.uint8 and mask.flags.c_contiguous:
        binary = mask  # boundingRect and scribble_box read any nonzero value as object
    else:
        binary = np.ascontiguousarray(mask != 0, dtype=np.uint8)
    x0, y0, w, h = cv2.boundingRect(binary)
    if w == 0 or h == 0:
        return Scribble.empty()
    return scribble_box(binary[y0 : y0 + h, x0 : x0 + w], y0, x0, config, rng)


def scribble_box(
    box: np.ndarray, y0: int, x0: int, config: ScribbleConfig, rng: np.random.Generator
) -> Scribble:
    """The scribble of a mask given by a box ``box`` (0/1) whose top-left pixel is ``(y0, x0)``.

    The box must hold every object pixel; it is tightened to the object, so the result equals
    ``scribble_mask`` on the full frame. Decoders that produce the box directly skip the
    full-frame mask.
    """
    box = np.ascontiguousarray(box != 0, dtype=np.uint8)
    bx, by, w, h = cv2.boundingRect(box)
    if w == 0 or h == 0:
        return Scribble.empty()
    box, y0, x0 = box[by : by + h, bx : bx + w], y0 + by, x0 + bx
    area = cv2.countNonZero(box)
    r0 = structuring_radius(area, config.radius_factor, config.radius_cap)
    scale = skeleton_scale(h, w, r0, config.skeleton_size)
    result = _scribble_crop(box, r0, scale, config, rng) if scale > 1 else None
    if result is None:
        result = _scribble_crop(box, r0, 1, config, rng)
    flat, strokes, radius, used_scale, fallback = result
    ys, xs = np.divmod(flat, w)
    return Scribble(
        (ys + y0).astype(np.int32),
        (xs + x0).astype(np.int32),
        strokes,
        radius,
        used_scale,
        fallback,
    )


def _on_mask(curve: np.ndarray, crop: np.ndarray) -> tuple[np.ndarray, int]:
    """Flat box indices of a curve's pixels that lie on the mask, and its pixel count."""
    h, w = crop.shape
    pixels = digital_curve(curve)
    ys, xs = pixels[:, 0], pixels[:, 1]
    inside = (ys >= 0) & (ys < h) & (xs >= 0) & (xs < w)
    ys, xs = ys[inside], xs[inside]
    on_mask = crop[ys, xs] != 0
    return ys[on_mask] * w + xs[on_mask], len(pixels)


def _strokes(
    curves: list[np.ndarray], paths: list[np.ndarray], crop: np.ndarray
) -> tuple[np.ndarray, int, bool]:
    """``(unique flat box indices, strokes kept, any path drawn unsmoothed)``.

    A smoothed curve that loses more than ``1 - KEEP`` of its pixels to clipping (it cut across a
    thin or bent part of the mask) is replaced by its skeleton path, which lies on the mask, so a
    stroke is never broken into dashes.
    """
    kept, strokes, raw = [], 0, False
    for curve, path in zip(curves, paths, strict=True):
        flat, total = _on_mask(curve, crop)
        if flat.size < KEEP * total:
            path_flat, _ = _on_mask(path, crop)
            if path_flat.size > flat.size:
                flat, raw = path_flat, True
        if flat.size:
            kept.append(flat)
            strokes += 1
    if not kept:
        return np.zeros(0, np.int64), 0, raw
    return _remove_blocks(np.unique(np.concatenate(kept)), crop.shape[1]), strokes, raw


def _member(sorted_values: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """Which ``queries`` occur in the sorted array ``sorted_values`` (binary search)."""
    where = np.searchsorted(sorted_values, queries)
    found = where < sorted_values.size
    found[found] = sorted_values[where[found]] == queries[found]
    return found


def _degree(q: int, present: set[int], width: int) -> int:
    """Number of 8-neighbours of flat box index ``q`` in ``present``."""
    y, x = divmod(q, width)
    return sum(
        (y + dy) * width + (x + dx) in present
        for dy in (-1, 0, 1)
        for dx in (-1, 0, 1)
        if (dy or dx) and 0 <= x + dx < width
    )


def _remove_blocks(flat: np.ndarray, width: int) -> np.ndarray:
    """Drop stroke pixels until no 2x2 block remains (two strokes, or a stroke and itself, touch).

    Each curve alone is 1 pixel wide; where two meet, the block pixel with the fewest stroke
    neighbours goes, so the strokes stay as connected as they were.
    """
    while True:
        left = flat[flat % width < width - 1]
        block = (
            np.isin(left + 1, flat) & np.isin(left + width, flat) & np.isin(left + width + 1, flat)
        )
        if not block.any():
            return flat
        p = int(left[np.argmax(block)])
        present = set(flat.tolist())
        quad = (p, p + 1, p + width, p + width + 1)
        drop = min(quad, key=lambda q: _degree(q, present, width))
        flat = flat[flat != drop]


def _scribble_crop(
    crop: np.ndarray, r0: float, scale: int, config: ScribbleConfig, rng: np.random.Generator
) -> tuple[np.ndarray, int, float, int, str] | None:
    """``(flat box indices, strokes, radius, scale, fallback)``, or None to redo at scale 1."""
    low = downsample(crop, scale)
    dist = distance_to_background(low)
    max_dist = float(dist.max()) * scale
    radius = opening_radius(max_dist, r0, config.shrink_factor)
    if scale > 1 and (radius != r0 or max_dist == 0.0):
        return None  # a thin (or, at this scale, vanished) shape: full resolution
    opened = open_with_disk(low, radius / scale, dist)
    skeleton = thin(opened)
    paths = longest_paths(skeleton, min_size=config.min_component_size, rng=rng)
    # Low-resolution pixel centres in full-resolution box coordinates.
    points = [p * scale + (scale - 1) / 2.0 for p in paths]
    curves = [
        bezier_curve(resample_path(p, config.bezier_spacing), config.bezier_samples) for p in points
    ]
    flat, strokes, raw = _strokes(curves, points, crop)
    fallback = "unsmoothed" if raw else ""
    if flat.size == 0:
        deepest = int(np.argmax(distance_to_background(crop)))
        flat, strokes, fallback = np.array([deepest]), 1, "deepest_pixel"
    return flat, strokes, radius, scale, fallback
