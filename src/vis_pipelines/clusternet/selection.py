"""Which clusters are the foreground: label-free (``gt_free``) or the released oracle.

* ``gt_free``: a cluster is foreground when its pixels move differently from the frame's dominant
  (camera) motion — mean residual above the baseline's threshold and above the Otsu split of all
  clusters' mean residuals — and it does not cover much of the frame border (the boundary prior:
  the background does). The pixels of clusters above the threshold but below the split are
  foreground too where their connected region touches no cluster above the split
  (``keep_isolated``): such a region is a separate, slower object, not the rim of a faster one
  that the flow smeared over the background. No ground truth is involved.
* ``as_released``: the released code keeps the clusters that lie mostly inside the ground-truth
  mask and, per frame, the best of its optimisation steps by IoU with the ground truth. That is an
  oracle: its numbers reproduce the published ones but are not an unsupervised result.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from .baseline import MotionThreshold, motion_residual, residual_threshold

__all__ = [
    "GTFreeSelection",
    "otsu_split",
    "border_ring",
    "gt_free_foreground",
    "isolated_regions",
    "oracle_foreground",
    "mask_iou",
]


@dataclass(frozen=True)
class GTFreeSelection:
    """Label-free foreground rule."""

    max_border: float = 0.3  # a cluster covering more than this share of the border ring is bg
    border_width: int = 2  # px of the frame border that form the ring
    min_area: int = 0  # clusters with fewer pixels are ignored
    split: str = "otsu"  # otsu: also above the Otsu split of the clusters' mean residuals
    keep_isolated: bool = True  # otsu: keep moving regions below the split touching none above

    def __post_init__(self) -> None:
        if self.split not in ("otsu", "threshold"):
            raise ValueError("gt_free selection: split must be otsu or threshold")
        if not 0.0 <= self.max_border <= 1.0:
            raise ValueError("gt_free selection: max_border must be in [0, 1]")
        if self.border_width < 1 or self.min_area < 0:
            raise ValueError("gt_free selection: border_width >= 1 and min_area >= 0")


def otsu_split(values: np.ndarray) -> float:
    """The value splitting ``values`` into two groups of largest between-group variance.

    Each value counts once (here: one cluster, one vote; Sinkhorn's equipartition makes clusters
    comparable units, where a pixel histogram would be swamped by the background). Returns the
    midpoint between the two groups, or ``-inf`` for fewer than two distinct values.
    """
    v = np.sort(np.asarray(values, dtype=np.float64).ravel())
    if v.size < 2 or v[0] == v[-1]:
        return -np.inf
    n = v.size
    below = np.arange(1, n)  # group sizes for a split after index i - 1
    csum = np.cumsum(v)[:-1]
    mean0 = csum / below
    mean1 = (v.sum() - csum) / (n - below)
    between = below * (n - below) * (mean0 - mean1) ** 2
    i = int(np.argmax(between))
    return float((v[i] + v[i + 1]) / 2)


def border_ring(shape: tuple[int, int], width: int) -> np.ndarray:
    """bool ``[H, W]``: the ``width``-pixel ring along the frame border."""
    ring = np.ones(shape, dtype=bool)
    h, w = shape
    if h > 2 * width and w > 2 * width:
        ring[width : h - width, width : w - width] = False
    return ring


def gt_free_foreground(
    labels: np.ndarray,
    motion: np.ndarray,
    selection: GTFreeSelection | None = None,
    threshold: MotionThreshold | None = None,
) -> tuple[np.ndarray, list[int]]:
    """Foreground of one frame from its clusters and its incoming motion, without labels.

    Args:
        labels: cluster ids ``[H, W]`` (non-negative ints).
        motion: the frame's incoming motion ``[H, W, 2]``.
        selection: the border, split and isolated-region rules; threshold: when a motion is
            independent (as the baseline).

    Returns:
        (bool mask ``[H, W]``, the ids of the clusters with a pixel in it).
    """
    sel = selection or GTFreeSelection()
    residual = motion_residual(motion, threshold)
    cut = residual_threshold(residual, threshold)
    ids = labels.ravel().astype(np.int64)
    k = int(ids.max()) + 1 if ids.size else 0
    count = np.bincount(ids, minlength=k)
    mean_res = np.bincount(ids, weights=residual.ravel(), minlength=k) / np.maximum(count, 1)
    ring = border_ring(labels.shape, sel.border_width).ravel()
    border_share = np.bincount(ids[ring], minlength=k) / max(int(ring.sum()), 1)
    present = count > max(sel.min_area, 0)
    moving = present & (mean_res > cut) & (border_share <= sel.max_border)
    if sel.split == "threshold":
        return moving[labels], [int(c) for c in np.flatnonzero(moving)]
    chosen = moving & (mean_res > otsu_split(mean_res[present]))
    mask = chosen[labels]
    if sel.keep_isolated:
        mask |= isolated_regions(mask, (moving & ~chosen)[labels])
    return mask, [int(c) for c in np.unique(labels[mask])]


def isolated_regions(sure: np.ndarray, candidate: np.ndarray) -> np.ndarray:
    """The connected regions of ``candidate`` pixels that touch no ``sure`` pixel, bool ``[H, W]``.

    Otsu's split over the clusters' mean residuals separates the fastest motions from the rest,
    so below it lie both the rims of fast objects (estimated flow bleeds across motion boundaries,
    and a rim moves a fraction of its object's motion) and slower objects of their own. Only the
    rims touch a faster region (4-connectivity: directly adjacent pixels).
    """
    regions, n = ndimage.label(candidate)
    if n == 0:
        return np.zeros_like(candidate, dtype=bool)
    touching = np.zeros(n + 1, dtype=bool)
    touching[regions[ndimage.binary_dilation(sure) & candidate]] = True
    touching[0] = True
    return ~touching[regions]


def mask_iou(a: np.ndarray, b: np.ndarray) -> float:
    """IoU of two boolean masks; 1 when both are empty (the DAVIS convention)."""
    union = np.logical_or(a, b).sum()
    return 1.0 if union == 0 else float(np.logical_and(a, b).sum() / union)


def oracle_foreground(labels: np.ndarray, gt: np.ndarray) -> tuple[np.ndarray, float]:
    """The released oracle for one candidate: clusters mostly inside the GT mask, and their IoU.

    Args:
        labels: cluster ids ``[H, W]``; gt: ground-truth foreground ``[H, W]`` (bool).
    """
    ids = labels.ravel().astype(np.int64)
    k = int(ids.max()) + 1 if ids.size else 0
    count = np.bincount(ids, minlength=k)
    inside = np.bincount(ids, weights=gt.ravel().astype(np.float64), minlength=k)
    chosen = (count > 0) & (inside > 0.5 * count)
    mask = chosen[labels]
    return mask, mask_iou(mask, gt)
