"""The motion-threshold baseline: remove the dominant (camera) motion, threshold what is left.

The dominant motion is a 6-parameter affine field fitted robustly (iteratively re-weighted least
squares with a trimmed inlier set) to the whole flow; the residual is what moves differently from
it. The same residual decides which clusters are foreground in ClusterNet's label-free selection,
so the two rows differ only by what the learned clustering adds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "MotionThreshold",
    "dominant_motion",
    "motion_residual",
    "residual_threshold",
    "baseline_mask",
]


@dataclass(frozen=True)
class MotionThreshold:
    """When a residual motion counts as independent motion (shared by baseline and selection)."""

    min_px: float = 0.5  # residuals shorter than this never count (flow noise)
    noise_ratio: float = 3.0  # ... nor those below noise_ratio x the frame's median residual
    fit_iterations: int = 4  # robust affine re-fits
    fit_points: int = 4096  # at most this many pixels (a regular grid) enter the fit

    def __post_init__(self) -> None:
        if self.min_px < 0 or self.noise_ratio < 0:
            raise ValueError("min_px and noise_ratio must be >= 0")
        if self.fit_iterations < 1 or self.fit_points < 16:
            raise ValueError("fit_iterations must be >= 1 and fit_points >= 16")


def _design(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    return np.stack([xs, ys, np.ones_like(xs)], axis=1)


def dominant_motion(flow: np.ndarray, config: MotionThreshold | None = None) -> np.ndarray:
    """Robust affine fit to a ``[H, W, 2]`` flow; returns the fitted field ``[H, W, 2]``.

    Each round keeps the points whose residual is at most twice the median residual (the
    background dominates the frame, so independently moving objects drop out).
    """
    cfg = config or MotionThreshold()
    h, w = flow.shape[:2]
    step = max(1, int(np.ceil(np.sqrt(h * w / cfg.fit_points))))
    ys, xs = np.mgrid[0:h:step, 0:w:step]
    # Normalised coordinates keep the least-squares system well conditioned at any resolution.
    sx, sy = 2.0 / max(w - 1, 1), 2.0 / max(h - 1, 1)
    a = _design(xs.ravel() * sx - 1.0, ys.ravel() * sy - 1.0)
    b = flow[::step, ::step].reshape(-1, 2).astype(np.float64)
    keep = np.isfinite(b).all(axis=1)
    coef = np.zeros((3, 2))
    for _ in range(cfg.fit_iterations):
        if keep.sum() < 3:
            break
        coef = np.linalg.lstsq(a[keep], b[keep], rcond=None)[0]
        res = np.linalg.norm(b - a @ coef, axis=1)
        res[~np.isfinite(res)] = np.inf
        cut = max(2.0 * float(np.median(res[keep])), 1e-3)
        keep = res <= cut
    gy, gx = np.mgrid[0:h, 0:w]
    full = _design(gx.ravel() * sx - 1.0, gy.ravel() * sy - 1.0)
    return (full @ coef).reshape(h, w, 2).astype(np.float32)


def motion_residual(flow: np.ndarray, config: MotionThreshold | None = None) -> np.ndarray:
    """Length of the flow minus its dominant motion, float32 ``[H, W]`` (non-finite -> 0)."""
    flow = np.asarray(flow, dtype=np.float32)
    res = np.linalg.norm(flow - dominant_motion(flow, config), axis=-1)
    return np.where(np.isfinite(res), res, 0.0).astype(np.float32)


def residual_threshold(residual: np.ndarray, config: MotionThreshold | None = None) -> float:
    """The residual length above which a pixel (or a cluster's mean) moves independently."""
    cfg = config or MotionThreshold()
    return max(cfg.min_px, cfg.noise_ratio * float(np.median(residual)))


def baseline_mask(flow: np.ndarray, config: MotionThreshold | None = None) -> np.ndarray:
    """Foreground = pixels whose residual motion exceeds the threshold, bool ``[H, W]``."""
    res = motion_residual(flow, config)
    return res > residual_threshold(res, config)
