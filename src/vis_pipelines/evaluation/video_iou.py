"""Spatio-temporal mask IoU between tracks, as the YouTube-VIS API defines it.

A track is one RLE (or ``None``) per frame. The video-level IoU of a prediction ``d`` and a
ground-truth object ``g`` is ``sum_t |d_t & g_t| / sum_t |d_t | g_t|``; a ``None`` frame counts as
an empty mask, so frames where both are absent add nothing, and a zero union gives IoU 0.

Speed: all RLE strings of a video are parsed once, by the compiled kernels of
:mod:`vis_pipelines.formats.rle_kernels` (pycocotools re-parses every string on every call, with
Python overhead per object), and the intersections of all same-category (prediction, object)
frame pairs are counted exactly by merging their runs in one compiled call. Unions follow from the
area totals, so the final division matches a pure-Python reference bit for bit. Pairs whose areas
alone prove an IoU below the lowest AP threshold are not compared at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain
from typing import Any

import numpy as np

from ..formats.errors import FormatError
from ..formats.rle import rle_area
from ..formats.rle_kernels import ParsedRLEs, pair_intersections, parse_rles

__all__ = ["rle_areas", "track_frame_areas", "video_track_overlaps", "track_iou"]

Track = Sequence[dict[str, Any] | None]


def rle_areas(rles: Sequence[dict[str, Any]]) -> np.ndarray:
    """Areas (int64) of many RLEs (:func:`vis_pipelines.formats.rle.rle_area` of a list)."""
    return np.asarray(rle_area(list(rles)), dtype=np.int64)


def _parse_tracks(tracks: Sequence[Track], length: int) -> ParsedRLEs:
    """All RLEs of ``tracks`` parsed once; (track, frame) is RLE number ``track * length + frame``."""
    flat = list(chain.from_iterable(tracks))
    if len(flat) != len(tracks) * length:
        raise ValueError(f"every track must have {length} frames")
    return parse_rles(flat)


def track_frame_areas(tracks: Sequence[Track], length: int) -> np.ndarray:
    """Pixel areas ``(N, length)`` int64 of every track on every frame (``None`` frames are 0)."""
    return _parse_tracks(tracks, length).areas.reshape(len(tracks), length)


def video_track_overlaps(
    dt_tracks: Sequence[Track],
    dt_cats: Sequence[Any],
    gt_tracks: Sequence[Track],
    gt_cats: Sequence[Any],
    length: int,
    *,
    min_iou: float = 0.5,
    where: str = "",
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-frame areas and same-category intersections of one video's tracks.

    Returns ``dt_areas (D, length)``, ``gt_areas (G, length)`` (int64, 0 on ``None`` frames),
    ``inter (D, G)`` int64 pixel intersections summed over frames and ``compared (D, G)`` bool.

    Only same-category pairs whose IoU can reach ``min_iou`` are compared: since
    ``|d_t & g_t| <= min`` and ``|d_t | g_t| >= max`` of the two areas, the video IoU is at most
    ``sum_t min / sum_t max`` (and, division being monotone, so is its floating-point value). AP
    never looks at IoUs below its lowest threshold (0.5), so skipping those pairs changes no
    score; ``compared`` is False for them and their ``inter`` is meaningless. Frames where
    either mask is empty are skipped as well.
    """
    n_dt, n_gt = len(dt_tracks), len(gt_tracks)
    tracks = list(dt_tracks) + list(gt_tracks)
    parsed = _parse_tracks(tracks, length)  # every RLE of the video, parsed once
    areas = parsed.areas.reshape(len(tracks), length)
    dt_areas, gt_areas = areas[:n_dt], areas[n_dt:]
    inter = np.zeros((n_dt, n_gt), dtype=np.int64)
    compared = np.zeros((n_dt, n_gt), dtype=bool)
    if not n_dt or not n_gt:
        return dt_areas, gt_areas, inter, compared
    dt_cats_arr = np.asarray(dt_cats, dtype=object)
    gt_cats_arr = np.asarray(gt_cats, dtype=object)
    pair_d: list[np.ndarray] = []
    pair_g: list[np.ndarray] = []
    pair_t: list[np.ndarray] = []
    for cat in set(gt_cats):
        d_idx = np.flatnonzero(dt_cats_arr == cat)
        if not d_idx.size:
            continue
        g_idx = np.flatnonzero(gt_cats_arr == cat)
        da, ga = dt_areas[d_idx], gt_areas[g_idx]
        s_min = np.minimum(da[:, None, :], ga[None, :, :]).sum(-1)
        s_max = np.maximum(da[:, None, :], ga[None, :, :]).sum(-1)
        bound = np.zeros(s_min.shape)
        np.divide(s_min, s_max, out=bound, where=s_max > 0)
        # fl(I/U) <= fl(bound) (division is monotone), so bound < min_iou excludes the pair exactly.
        keep = (s_max > 0) & (bound >= min_iou)
        compared[np.ix_(d_idx, g_idx)] = keep
        if not keep.any():
            continue
        # Frames of kept pairs where both masks are non-empty: the only ones adding intersection.
        d, g, t = np.nonzero(keep[:, :, None] & (da > 0)[:, None, :] & (ga > 0)[None, :, :])
        pair_d.append(d_idx[d])
        pair_g.append(g_idx[g])
        pair_t.append(t)
    if pair_d:
        d, g, t = (np.concatenate(x) for x in (pair_d, pair_g, pair_t))
        a, b = d * length + t, (n_dt + g) * length + t
        # Sizes: [h, w] of each track's first mask, and every mask's h * w from its counts.
        first = [next((r["size"] for r in trk if r is not None), (0, 0)) for trk in tracks]
        track_hw = np.array(first, dtype=np.int64).reshape(-1, 2)
        if (track_hw[d] != track_hw[n_dt + g]).any() or (
            parsed.lengths[a] != parsed.lengths[b]
        ).any():
            raise FormatError(
                "prediction and ground-truth RLE sizes differ",
                record=where,
                field="segmentations",
            )
        counts = pair_intersections(parsed, a, b)
        # Float bincount is exact here: the sums are integers far below 2**53.
        inter[:] = (
            np.bincount(d * n_gt + g, weights=counts, minlength=n_dt * n_gt)
            .reshape(n_dt, n_gt)
            .astype(np.int64)
        )
    return dt_areas, gt_areas, inter, compared


def track_iou(inter: np.ndarray, dt_total: np.ndarray, gt_total: np.ndarray) -> np.ndarray:
    """Video IoU ``(D, G)`` from summed intersections and per-track area totals (0: empty union)."""
    union = dt_total[:, None] + gt_total[None, :] - inter
    iou = np.zeros(inter.shape, dtype=np.float64)
    np.divide(inter.astype(np.float64), union.astype(np.float64), out=iou, where=union > 0)
    return iou
