"""Spatio-temporal mask IoU between tracks, as the YouTube-VIS API defines it.

A track is one RLE (or ``None``) per frame. The video-level IoU of a prediction ``d`` and a
ground-truth object ``g`` is ``sum_t |d_t & g_t| / sum_t |d_t | g_t|``; a ``None`` frame counts as
an empty mask, so frames where both are absent add nothing, and a zero union gives IoU 0.

Speed: all areas of a video come from one ``pycocotools.mask.area`` call, and all same-category
pairs of one frame from one ``pycocotools.mask.iou`` call (instead of two ``merge`` and two
``area`` calls per pair and frame). pycocotools returns ratios, not pixel counts; with
``iscrowd=1`` it returns ``|d & g| / |d|``, so multiplying by ``|d|`` and rounding recovers the
exact integer intersection (counts are far below 2**52). Unions follow from the area totals, so
the final division matches a pure-Python reference bit for bit. Pairs whose areas alone prove an
IoU below the lowest AP threshold are not compared at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain
from typing import Any

import numpy as np
from pycocotools import mask as mask_utils

from ..formats.errors import FormatError

__all__ = ["rle_areas", "track_frame_areas", "video_track_overlaps", "track_iou"]

Track = Sequence[dict[str, Any] | None]
_AREA_CHUNK = 255


def rle_areas(rles: Sequence[dict[str, Any]]) -> np.ndarray:
    """Areas (int64) of many RLEs with few pycocotools calls.

    pycocotools 2.0.11 fails on ``mask.area`` of more than 255 RLEs at once ("out of bounds for
    uint8"), so the list goes in chunks of 255.
    """
    out = np.empty(len(rles), dtype=np.int64)
    for start in range(0, len(rles), _AREA_CHUNK):
        out[start : start + _AREA_CHUNK] = mask_utils.area(list(rles[start : start + _AREA_CHUNK]))
    return out


def track_frame_areas(tracks: Sequence[Track], length: int) -> np.ndarray:
    """Pixel areas ``(N, length)`` int64 of every track on every frame (``None`` frames are 0)."""
    areas = np.zeros(len(tracks) * length, dtype=np.int64)
    flat = list(chain.from_iterable(tracks))
    if len(flat) != areas.size:
        raise ValueError(f"every track must have {length} frames")
    if None in flat:
        idx = [i for i, r in enumerate(flat) if r is not None]
        if idx:
            areas[idx] = rle_areas([flat[i] for i in idx])
    elif flat:
        areas[:] = rle_areas(flat)
    return areas.reshape(len(tracks), length)


def _rows_by_frame(active: np.ndarray, length: int) -> list[list[int]]:
    """For each frame, the row indices active in it (``active`` is ``(rows, length)`` bool)."""
    t_idx, r_idx = np.nonzero(active.T)
    bounds = np.searchsorted(t_idx, np.arange(length + 1))
    rows = r_idx.tolist()
    return [rows[bounds[t] : bounds[t + 1]] for t in range(length)]


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
    dt_areas = track_frame_areas(dt_tracks, length)
    gt_areas = track_frame_areas(gt_tracks, length)
    inter = np.zeros((n_dt, n_gt), dtype=np.int64)
    compared = np.zeros((n_dt, n_gt), dtype=bool)
    if not n_dt or not n_gt:
        return dt_areas, gt_areas, inter, compared
    dt_cats_arr = np.asarray(dt_cats, dtype=object)
    gt_cats_arr = np.asarray(gt_cats, dtype=object)
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
        d_tracks = [dt_tracks[i] for i in d_idx]
        g_tracks = [gt_tracks[j] for j in g_idx]
        n_g = len(g_idx)
        # Per frame: predictions with a kept partner present, and the partners they need.
        pos_d, pos_g = da > 0, ga > 0
        act_d = pos_d & ((keep.astype(np.int64) @ pos_g.astype(np.int64)) > 0)  # (Dc, T)
        act_g = pos_g & ((keep.T.astype(np.int64) @ act_d.astype(np.int64)) > 0)  # (Gc, T)
        frames_d = _rows_by_frame(act_d, length)
        frames_g = _rows_by_frame(act_g, length)
        pair_idx: list[np.ndarray] = []
        pair_cnt: list[np.ndarray] = []
        for t in range(length):
            di, gi = frames_d[t], frames_g[t]
            if not di or not gi:
                continue
            ratio = mask_utils.iou(
                [d_tracks[i][t] for i in di], [g_tracks[j][t] for j in gi], [1] * len(gi)
            )
            # ratio = |d & g| / |d| (-1 where RLE sizes differ); times |d| it is an integer.
            pair_cnt.append((ratio * da[di, t][:, None]).ravel())
            pair_idx.append((np.asarray(di)[:, None] * n_g + np.asarray(gi)[None, :]).ravel())
        if pair_cnt:
            cnt = np.concatenate(pair_cnt)
            if (cnt < 0).any():
                raise FormatError(
                    "prediction and ground-truth RLE sizes differ",
                    record=where,
                    field="segmentations",
                )
            # Exact: every term is within rounding of an integer far below 2**52.
            sums = np.bincount(
                np.concatenate(pair_idx), weights=np.rint(cnt), minlength=len(d_idx) * n_g
            )
            inter[np.ix_(d_idx, g_idx)] = sums.astype(np.int64).reshape(len(d_idx), n_g)
    return dt_areas, gt_areas, inter, compared


def track_iou(inter: np.ndarray, dt_total: np.ndarray, gt_total: np.ndarray) -> np.ndarray:
    """Video IoU ``(D, G)`` from summed intersections and per-track area totals (0: empty union)."""
    union = dt_total[:, None] + gt_total[None, :] - inter
    iou = np.zeros(inter.shape, dtype=np.float64)
    np.divide(inter.astype(np.float64), union.astype(np.float64), out=iou, where=union > 0)
    return iou
