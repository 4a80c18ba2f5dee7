"""Video object segmentation measures of the DAVIS benchmark: region J, boundary F and their
per-sequence statistics (mean, recall, decay).

Perazzi et al., "A Benchmark Dataset and Evaluation Methodology for Video Object Segmentation",
CVPR 2016; Pont-Tuset et al., "The 2017 DAVIS Challenge on Video Object Segmentation", 2017.

Conventions of the official toolkits, followed exactly:

* J is the Jaccard index ``|S & G| / |S | G|`` over non-void pixels; an empty union gives 1.
* F matches one-pixel boundaries (``seg2bmap``: a pixel is on the boundary when it differs from its
  right, lower or lower-right neighbour; last row/column compare along the edge only) within a disk
  of radius ``ceil(0.008 * image diagonal)``; void pixels are removed from both masks first.
  precision/recall are 1/0 (resp. 0/1) when only the ground truth (resp. prediction) has a
  boundary and 1/1 when neither has; F = 2PR / (P + R), 0 when P + R = 0.
* Decay splits the frames into 4 bins at ``round(linspace(1, n, 5) + 1e-10) - 1`` and is the mean of
  the first bin minus the mean of the last. (The toolkits cast these edges to uint8, which wraps
  for sequences longer than 256 frames; exact integers are used here, identical up to 256.)

Everything is vectorised over frames (and over objects for J): boundary maps by array slicing,
dilation with one OpenCV call for a whole stack of frames, matching by counting dilated pixels at
the boundary pixels' positions.
"""

from __future__ import annotations

import math
import warnings

import cv2
import numpy as np

__all__ = [
    "region_similarity",
    "seg2bmap",
    "disk",
    "boundary_radius",
    "dilate_stack",
    "boundary_f",
    "pairwise_region_boundary",
    "vos_statistics",
    "decay_bins",
]


def region_similarity(
    gt: np.ndarray, pred: np.ndarray, void: np.ndarray | None = None
) -> np.ndarray:
    """J per frame for ``(..., H, W)`` boolean masks (void pixels excluded; empty union → 1)."""
    gt = gt.astype(bool, copy=False)
    pred = pred.astype(bool, copy=False)
    valid = np.ones_like(gt) if void is None else ~void.astype(bool)
    inter = np.count_nonzero(gt & pred & valid, axis=(-2, -1))
    union = np.count_nonzero((gt | pred) & valid, axis=(-2, -1))
    j = np.ones(inter.shape, dtype=np.float64)
    np.divide(inter, union, out=j, where=union > 0)
    return j


def seg2bmap(seg: np.ndarray) -> np.ndarray:
    """One-pixel-wide boundary map of ``(..., H, W)`` masks (half a pixel towards the origin)."""
    seg = seg.astype(bool, copy=False)
    e = np.zeros_like(seg)
    s = np.zeros_like(seg)
    se = np.zeros_like(seg)
    e[..., :, :-1] = seg[..., :, 1:]
    s[..., :-1, :] = seg[..., 1:, :]
    se[..., :-1, :-1] = seg[..., 1:, 1:]
    b = (seg ^ e) | (seg ^ s) | (seg ^ se)
    # Along the last row / column only the in-image neighbour counts.
    b[..., -1, :] = seg[..., -1, :] ^ e[..., -1, :]
    b[..., :, -1] = seg[..., :, -1] ^ s[..., :, -1]
    b[..., -1, -1] = False
    return b


def disk(radius: int) -> np.ndarray:
    """Disk structuring element ``x² + y² <= r²`` of size ``(2r+1, 2r+1)`` uint8."""
    r = np.arange(-radius, radius + 1)
    return ((r[:, None] ** 2 + r[None, :] ** 2) <= radius**2).astype(np.uint8)


def boundary_radius(height: int, width: int, bound_th: float = 0.008) -> int:
    """Matching tolerance in pixels: ``bound_th`` if >= 1, else ``ceil(bound_th * diagonal)``."""
    if bound_th >= 1:
        return int(bound_th)
    # np.linalg.norm as the toolkit computes it (math.hypot may differ in the last bit).
    return int(np.ceil(bound_th * np.linalg.norm((height, width))))


def dilate_stack(bmaps: np.ndarray, radius: int) -> np.ndarray:
    """Dilate each ``(H, W)`` map of a ``(..., H, W)`` stack with ``disk(radius)``, one cv2 call."""
    shape = bmaps.shape
    h, w = shape[-2:]
    flat = bmaps.reshape(-1, h, w)
    if radius <= 0 or flat.shape[0] == 0:
        return bmaps.astype(bool, copy=True)
    # Frames are stacked vertically with `radius` empty rows between them, so the dilation of one
    # frame never reaches the next; one OpenCV call then handles the whole stack.
    tall = np.zeros((flat.shape[0], h + radius, w), dtype=np.uint8)
    tall[:, :h] = flat
    out = cv2.dilate(tall.reshape(-1, w), disk(radius))
    return out.reshape(flat.shape[0], h + radius, w)[:, :h].astype(bool).reshape(shape)


def _boundary_hits(bounds: np.ndarray, dilated: np.ndarray) -> np.ndarray:
    """``hits[a, b, t]`` = boundary pixels of ``bounds[a, t]`` inside ``dilated[b, t]``.

    ``bounds (A, T, H, W)`` and ``dilated (B, T, H, W)`` are boolean; only the sparse boundary
    pixels are visited.
    """
    n_a, n_t = bounds.shape[:2]
    n_b = dilated.shape[0]
    hits = np.zeros((n_a, n_b, n_t), dtype=np.int64)
    if n_b == 0 or n_a == 0:
        return hits
    dil_flat = dilated.reshape(n_b, -1)
    per_frame = bounds.shape[2] * bounds.shape[3]
    for a in range(n_a):
        idx = np.flatnonzero(bounds[a])
        if not idx.size:
            continue
        frame = idx // per_frame
        vals = dil_flat[:, idx]  # (B, n)
        key = (np.arange(n_b)[:, None] * n_t + frame[None, :]).ravel()
        hits[a] = np.bincount(key, weights=vals.ravel(), minlength=n_b * n_t).reshape(n_b, n_t)
    return hits


def _f_from_counts(
    n_fg: np.ndarray, n_gt: np.ndarray, fg_match: np.ndarray, gt_match: np.ndarray
) -> np.ndarray:
    """F from boundary counts with the toolkit's special cases (arrays broadcast together)."""
    n_fg, n_gt, fg_match, gt_match = np.broadcast_arrays(n_fg, n_gt, fg_match, gt_match)
    precision = np.ones(n_fg.shape, dtype=np.float64)
    recall = np.ones(n_fg.shape, dtype=np.float64)
    np.divide(fg_match, n_fg, out=precision, where=n_fg > 0)
    np.divide(gt_match, n_gt, out=recall, where=n_gt > 0)
    precision[(n_fg > 0) & (n_gt == 0)] = 0.0  # a boundary where the object has none
    recall[(n_fg == 0) & (n_gt > 0)] = 0.0  # the object's boundary entirely missed
    denom = precision + recall
    f = np.zeros(n_fg.shape, dtype=np.float64)
    np.divide(2 * precision * recall, denom, out=f, where=denom != 0)
    return f


def boundary_f(
    gt: np.ndarray, pred: np.ndarray, void: np.ndarray | None = None, bound_th: float = 0.008
) -> np.ndarray:
    """F per frame for ``(T, H, W)`` (or ``(H, W)``) boolean masks."""
    single = gt.ndim == 2
    gt3 = gt[None] if single else gt
    pred3 = pred[None] if single else pred
    void3 = None if void is None else (void[None] if single else void)
    _, f = pairwise_region_boundary(gt3[None], pred3[None], void3, bound_th=bound_th, with_j=False)
    return f[0, 0, 0] if single else f[0, 0]


def pairwise_region_boundary(
    gt: np.ndarray,
    pred: np.ndarray,
    void: np.ndarray | None = None,
    *,
    bound_th: float = 0.008,
    with_j: bool = True,
) -> tuple[np.ndarray | None, np.ndarray]:
    """J and F of every (prediction, ground truth) pair on every frame.

    ``gt (G, T, H, W)`` and ``pred (P, T, H, W)`` are boolean object masks, ``void (T, H, W)``
    optional. Returns ``J (P, G, T)`` (None unless ``with_j``) and ``F (P, G, T)``.
    """
    gt = gt.astype(bool, copy=False)
    pred = pred.astype(bool, copy=False)
    h, w = gt.shape[-2:]
    radius = boundary_radius(h, w, bound_th)
    valid = None if void is None else ~void.astype(bool)
    j = None
    if with_j:
        v = np.ones(gt.shape[1:], dtype=bool) if valid is None else valid
        inter = (
            np.stack([np.count_nonzero(p[None] & gt & v, axis=(-2, -1)) for p in pred])
            if len(pred)
            else np.zeros((0, len(gt), gt.shape[1]), dtype=np.int64)
        )
        area_p = np.count_nonzero(pred & v, axis=(-2, -1))  # (P, T)
        area_g = np.count_nonzero(gt & v, axis=(-2, -1))  # (G, T)
        union = area_p[:, None, :] + area_g[None, :, :] - inter
        j = np.ones(union.shape, dtype=np.float64)
        np.divide(inter, union, out=j, where=union > 0)
    gt_b = seg2bmap(gt if valid is None else gt & valid)
    pred_b = seg2bmap(pred if valid is None else pred & valid)
    gt_d = dilate_stack(gt_b, radius)
    pred_d = dilate_stack(pred_b, radius)
    fg_match = _boundary_hits(pred_b, gt_d)  # (P, G, T): prediction boundary near the object's
    gt_match = _boundary_hits(gt_b, pred_d).transpose(1, 0, 2)  # (P, G, T)
    n_fg = np.count_nonzero(pred_b, axis=(-2, -1))[:, None, :]
    n_gt = np.count_nonzero(gt_b, axis=(-2, -1))[None, :, :]
    return j, _f_from_counts(n_fg, n_gt, fg_match, gt_match)


def decay_bins(n: int, n_bins: int = 4) -> list[slice]:
    """The toolkit's decay bins over ``n`` frames (consecutive bins share their edge frame)."""
    ids = (np.round(np.linspace(1, n, n_bins + 1) + 1e-10) - 1).astype(np.int64)
    return [slice(int(ids[i]), int(ids[i + 1]) + 1) for i in range(n_bins)]


def vos_statistics(
    values: np.ndarray, *, pad_ends: bool = False, recall_threshold: float = 0.5
) -> tuple[float, float, float]:
    """Mean, recall (fraction > 0.5) and decay of the per-frame values of one object.

    ``pad_ends`` reproduces the DAVIS-2016 toolkit, which stores ``[nan] + values + [nan]`` (first
    and last frame not evaluated) and averages that with ``nanmean``. NaN frames (not annotated)
    are skipped by all three statistics; a statistic with no frame is NaN, never 0.
    """
    x = np.asarray(values, dtype=np.float64)
    ok = ~np.isnan(x)
    if not ok.any():
        return math.nan, math.nan, math.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)  # all-NaN bins give NaN
        padded = np.concatenate([[np.nan], x, [np.nan]]) if pad_ends else x
        mean = float(np.nanmean(padded))
        recall = float(np.mean(x[ok] > recall_threshold))
        bins = [x[s] for s in decay_bins(len(x))]
        decay = float(np.nanmean(bins[0]) - np.nanmean(bins[-1]))
    return mean, recall, decay
