"""Smooth a pixel path with a piecewise cubic Bézier curve and digitise it as a 1-pixel stroke.

The path is resampled every ``spacing`` pixels of arc length; consecutive samples are joined by
cubic Bézier segments whose inner control points follow the Catmull-Rom tangents, so the curve
passes through every sample, is C1-smooth, and stays within a fraction of ``spacing`` of the
path. (One Bézier of high degree over the whole path would be smoother still, but it is pulled
towards the path's centroid: on a bent or ring-shaped object it leaves the mask.)
"""

from __future__ import annotations

import numpy as np

__all__ = ["resample_path", "bezier_curve", "digital_curve"]


def resample_path(points: np.ndarray, spacing: float) -> np.ndarray:
    """Points along the polyline ``points`` (``(n, 2)`` float) every ~``spacing`` of arc length.

    Both ends are kept; a path shorter than ``spacing`` becomes its two ends (one point if the
    path is a single point).
    """
    points = np.asarray(points, dtype=np.float64)
    if len(points) < 2:
        return points.copy()
    steps = np.hypot(*np.diff(points, axis=0).T)
    arc = np.concatenate([[0.0], np.cumsum(steps)])
    total = arc[-1]
    if total == 0.0:
        return points[:1].copy()
    count = max(2, int(round(total / spacing)) + 1)
    targets = np.linspace(0.0, total, count)
    return np.stack([np.interp(targets, arc, points[:, k]) for k in range(2)], axis=1)


def bezier_curve(controls: np.ndarray, samples: int) -> np.ndarray:
    """Sample the Catmull-Rom cubic Bézier spline through ``controls`` (``(m, 2)``).

    Args:
        controls: points the curve passes through, in order.
        samples: points sampled per segment (the segment's end is the next segment's start).

    Returns:
        ``((m - 1) * samples + 1, 2)`` curve points; ``controls`` itself if ``m < 3`` (a line).
    """
    controls = np.asarray(controls, dtype=np.float64)
    if len(controls) < 3:
        return controls.copy()
    # Tangent at each point from its neighbours; the ends use their one neighbour.
    ext = np.concatenate([controls[:1], controls, controls[-1:]])
    tangent = (ext[2:] - ext[:-2]) / 6.0
    p0, p3 = controls[:-1], controls[1:]
    p1, p2 = p0 + tangent[:-1], p3 - tangent[1:]
    t = np.linspace(0.0, 1.0, samples, endpoint=False)[:, None]
    basis = np.concatenate([(1 - t) ** 3, 3 * t * (1 - t) ** 2, 3 * t**2 * (1 - t), t**3], axis=1)
    segments = np.stack([p0, p1, p2, p3], axis=1)  # (m-1, 4, 2)
    curve = np.einsum("sk,mkd->msd", basis, segments).reshape(-1, 2)
    return np.concatenate([curve, controls[-1:]])


def digital_curve(curve: np.ndarray, step: float = 0.5) -> np.ndarray:
    """The pixels a polyline passes through, as an 8-connected path without corner pixels.

    The polyline is walked every ``step`` pixels (< 1, so consecutive samples round to the same or
    8-adjacent pixels); repeats are dropped, then corner pixels (a horizontal step followed by a
    vertical one, then the reverse) are removed where their neighbours touch diagonally. Two
    consecutive pixels are never both removed, so the path stays 8-connected.

    Args:
        curve: ``(n, 2)`` float ``(y, x)`` pixel-centre coordinates.
        step: sampling step along the polyline, in pixels (at most 1).

    Returns:
        ``(k, 2)`` int64 ``(y, x)`` pixels in path order (may repeat where the curve crosses itself).
    """
    curve = np.asarray(curve, dtype=np.float64)
    if not 0.0 < step <= 1.0:
        raise ValueError(f"step must be in (0, 1], got {step}")
    if len(curve) > 1:
        lengths = np.hypot(*np.diff(curve, axis=0).T)
        arc = np.concatenate([[0.0], np.cumsum(lengths)])
        count = max(2, int(np.ceil(arc[-1] / step)) + 1)
        targets = np.linspace(0.0, arc[-1], count)
        curve = np.stack([np.interp(targets, arc, curve[:, k]) for k in range(2)], axis=1)
    pixels = np.rint(curve).astype(np.int64)
    if len(pixels) > 1:
        keep = np.concatenate([[True], np.any(pixels[1:] != pixels[:-1], axis=1)])
        pixels = pixels[keep]
    for first_axis in (1, 0):  # x step then y step, then y step then x step
        if len(pixels) < 3:
            break
        delta = np.diff(pixels, axis=0)
        step_in, step_out = delta[:-1], delta[1:]
        corner = (
            (step_in[:, first_axis] != 0)
            & (step_in[:, 1 - first_axis] == 0)
            & (step_out[:, first_axis] == 0)
            & (step_out[:, 1 - first_axis] != 0)
        )
        pixels = pixels[np.concatenate([[True], ~corner, [True]])]
    return pixels
