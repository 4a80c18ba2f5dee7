"""Spatio-temporal mask IoU between tracks, as the YouTube-VIS API defines it.

A track is one RLE (or ``None``) per frame. The video-level IoU of a prediction ``d`` and a
ground-truth object ``g`` is ``sum_t |d_t & g_t| / sum_t |d_t | g_t|``; a ``None`` frame counts as
an empty mask, so frames where both are absent add nothing, and a zero union gives IoU 0.

Speed: the tracks come in *groups* (one video and category: the only pairs AP compares). Many
groups' RLE strings are parsed in one call of the compiled kernels of
:mod:`vis_pipelines.formats.rle_kernels` (pycocotools re-parses every string on every call, with
Python overhead per object), and one more compiled call bounds, counts and divides every pair of
those groups, spread over threads. Unions follow from the area totals, so the final division
matches a pure-Python reference bit for bit. Pairs whose areas alone prove an IoU below the lowest
AP threshold are not compared at all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np
from numba import njit, prange
from tqdm import tqdm

from ..formats.errors import FormatError
from ..formats.rle import rle_area
from ..formats.rle_kernels import (
    KERNEL_LOCK,
    ParsedRLEs,
    intersect_runs,
    parse_rles,
    parse_strings,
)

__all__ = [
    "GroupedOverlaps",
    "cumulative_offsets",
    "grouped_overlaps",
    "rle_areas",
    "track_frame_areas",
    "video_track_overlaps",
    "track_iou",
]

Track = Sequence[dict[str, Any] | None]

#: Characters of RLE strings parsed per compiled call: bounds the interval buffers (16 bytes a
#: character at most) while keeping Python's per-call cost negligible.
CHUNK_CHARS = 1 << 20
#: RLEs of the first chunk, and the range later chunks adapt within.
CHUNK_RLES = (1 << 15, 1 << 10, 1 << 20)


def rle_areas(rles: Sequence[dict[str, Any]]) -> np.ndarray:
    """Areas (int64) of many RLEs (:func:`vis_pipelines.formats.rle.rle_area` of a list)."""
    return np.asarray(rle_area(list(rles)), dtype=np.int64)


def track_frame_areas(tracks: Sequence[Track], length: int) -> np.ndarray:
    """Pixel areas ``(N, length)`` int64 of every track on every frame (``None`` frames are 0)."""
    if any(len(t) != length for t in tracks):
        raise ValueError(f"every track must have {length} frames")
    return parse_rles(list(chain.from_iterable(tracks))).areas.reshape(len(tracks), length)


@dataclass(frozen=True)
class GroupedOverlaps:
    """Areas and overlaps of grouped tracks (see :func:`grouped_overlaps`)."""

    dt_areas: np.ndarray  # (sum_k D_k * L_k,) int64: prediction tracks' frames, track after track
    gt_areas: np.ndarray  # (sum_k G_k * L_k,) int64
    pair_offsets: np.ndarray  # (K + 1,): group k's pairs, row-major (D_k, G_k), start here
    inter: np.ndarray  # (pairs,) int64 intersection summed over frames (0 when not compared)
    compared: np.ndarray  # (pairs,) bool
    iou: np.ndarray  # (pairs,) float64 video IoU, 0 when not compared


@njit(cache=True, nogil=True, inline="always")
def _spans_meet(
    fg_start: np.ndarray,
    fg_end: np.ndarray,
    offsets: np.ndarray,
    n_runs: np.ndarray,
    a: int,
    b: int,
) -> bool:
    """Whether the first-to-last foreground pixel ranges of two non-empty RLEs overlap."""
    a0, b0 = offsets[a], offsets[b]
    return fg_start[a0] < fg_end[b0 + n_runs[b] - 1] and fg_start[b0] < fg_end[a0 + n_runs[a] - 1]


@njit(cache=True, nogil=True, parallel=True)
def _group_pairs(
    fg_start: np.ndarray,
    fg_end: np.ndarray,
    offsets: np.ndarray,
    n_runs: np.ndarray,
    areas: np.ndarray,
    lengths: np.ndarray,
    pixels: np.ndarray,
    n_dt: np.ndarray,
    n_gt: np.ndarray,
    n_frames: np.ndarray,
    pair_base: np.ndarray,
    min_iou: float,
    inter: np.ndarray,
    compared: np.ndarray,
    iou: np.ndarray,
) -> np.ndarray:
    """Bound, intersect and divide every (prediction, object) pair of each group.

    The parsed RLEs are all prediction tracks of the groups, then all their object tracks, frame
    after frame. Every RLE of group ``k`` must cover ``pixels[k]`` (h * w) pixels, or, where
    ``pixels[k] < 0``, as many as the group's first RLE; returns per group the first RLE that
    does not (-1: none).
    """
    n = n_dt.size
    d_rle = np.zeros(n + 1, dtype=np.int64)  # first prediction / object RLE of each group
    g_rle = np.zeros(n + 1, dtype=np.int64)
    for k in range(n):
        d_rle[k + 1] = d_rle[k] + n_dt[k] * n_frames[k]
        g_rle[k + 1] = g_rle[k] + n_gt[k] * n_frames[k]
    g_rle += d_rle[n]
    bad_rle = np.full(n, -1, dtype=np.int64)
    for k in prange(n):
        nd, ng, nf = n_dt[k], n_gt[k], n_frames[k]
        # Every present RLE (length 0: an absent frame; -1: not an RLE) has the same size.
        want = pixels[k]
        for r0, n_r in ((d_rle[k], nd * nf), (g_rle[k], ng * nf)):
            for r in range(r0, r0 + n_r):
                if lengths[r] != 0 and bad_rle[k] < 0:
                    if want < 0 and lengths[r] > 0:
                        want = lengths[r]
                    if lengths[r] != want:
                        bad_rle[k] = r
        if bad_rle[k] >= 0:
            continue
        for d in range(nd):
            rd = d_rle[k] + d * nf
            d_total = 0
            for t in range(nf):
                d_total += areas[rd + t]
            for g in range(ng):
                rg = g_rle[k] + g * nf
                s_min = 0
                s_max = 0
                g_total = 0
                for t in range(nf):
                    x, y = areas[rd + t], areas[rg + t]
                    g_total += y
                    if (
                        x > 0
                        and y > 0
                        and _spans_meet(fg_start, fg_end, offsets, n_runs, rd + t, rg + t)
                    ):
                        s_min += min(x, y)
                        s_max += max(x, y)
                    else:
                        s_max += x + y  # no pixel in common: the union is both areas
                # |d & g| <= min and |d | g| >= max frame by frame (masks whose first-to-last
                # pixel spans do not meet share nothing), so IoU <= s_min / s_max; the division
                # is monotone, so a bound below min_iou excludes the pair exactly.
                if s_max == 0 or s_min / s_max < min_iou:
                    continue
                total = 0
                for t in range(nf):
                    if areas[rd + t] > 0 and areas[rg + t] > 0:
                        i, j = offsets[rd + t], offsets[rg + t]
                        total += intersect_runs(
                            fg_start, fg_end, i, i + n_runs[rd + t], j, j + n_runs[rg + t]
                        )
                union = d_total + g_total - total
                p = pair_base[k] + d * ng + g
                inter[p] = total
                compared[p] = True
                iou[p] = total / union if union > 0 else 0.0
    return bad_rle


def cumulative_offsets(counts: np.ndarray) -> np.ndarray:
    """``[0, c0, c0 + c1, ...]`` (int64): where each of consecutive blocks of ``counts`` starts."""
    counts = np.asarray(counts)
    out = np.zeros(counts.size + 1, dtype=np.int64)
    np.cumsum(counts, out=out[1:])
    return out


def _parse_chunk(d_trk: Sequence[Track], g_trk: Sequence[Track]) -> ParsedRLEs:
    """Parse the RLEs of some prediction tracks, then of some object tracks, frame by frame."""
    try:  # the common case: str counts (None: an absent frame)
        strings = [r["counts"] if r is not None else "" for t in chain(d_trk, g_trk) for r in t]
        return parse_strings(strings)
    except TypeError:  # bytes or uncompressed counts: the general path
        return parse_rles(list(chain(chain.from_iterable(d_trk), chain.from_iterable(g_trk))))


def grouped_overlaps(
    dt_tracks: Sequence[Track],
    gt_tracks: Sequence[Track],
    group_dt: np.ndarray,
    group_gt: np.ndarray,
    group_frames: np.ndarray,
    group_pixels: np.ndarray | None = None,
    *,
    min_iou: float = 0.5,
    label: Callable[[int], str] = str,
    track_label: Callable[[str, int], str] | None = None,
    source: str | None = None,
    progress: str | None = None,
) -> GroupedOverlaps:
    """Per-frame areas, overlaps and video IoUs of every (prediction, object) pair of each group.

    Group ``k`` holds the next ``group_dt[k]`` prediction tracks and ``group_gt[k]`` object
    tracks (both lists are ordered by group), each of ``group_frames[k]`` frames, every mask of
    ``group_pixels[k]`` (its video's h * w; None or -1: the size of the group's first mask)
    pixels. Only pairs
    whose IoU can reach ``min_iou`` are compared (AP looks at nothing below its lowest
    threshold, 0.5, so skipping the others changes no score). A mask of the wrong size, or a
    corrupt one, raises a ``FormatError`` naming ``track_label("prediction" | "object", index
    into its list)`` (default: ``label(group)`` and the index) and the frame; ``progress`` is a
    tqdm description (None: no bar).
    """
    group_dt, group_gt, group_frames = (
        np.asarray(x, dtype=np.int64).reshape(-1) for x in (group_dt, group_gt, group_frames)
    )
    n_groups = group_dt.size
    if group_pixels is None:
        group_pixels = np.full(n_groups, -1, dtype=np.int64)
    group_pixels = np.asarray(group_pixels, dtype=np.int64).reshape(-1)
    if group_pixels.size != n_groups:
        raise ValueError(f"group_pixels has {group_pixels.size} entries, not {n_groups}")
    dt_len = np.fromiter(map(len, dt_tracks), dtype=np.int64, count=len(dt_tracks))
    gt_len = np.fromiter(map(len, gt_tracks), dtype=np.int64, count=len(gt_tracks))
    if not (
        np.array_equal(dt_len, np.repeat(group_frames, group_dt))
        and np.array_equal(gt_len, np.repeat(group_frames, group_gt))
    ):
        raise ValueError("every track must have its group's number of frames")
    dt_first, gt_first = cumulative_offsets(group_dt), cumulative_offsets(group_gt)
    dt_rle, gt_rle = (
        cumulative_offsets(group_dt * group_frames),
        cumulative_offsets(group_gt * group_frames),
    )
    pair_offsets = cumulative_offsets(group_dt * group_gt)
    dt_areas = np.zeros(dt_rle[-1], dtype=np.int64)
    gt_areas = np.zeros(gt_rle[-1], dtype=np.int64)
    n_pairs = int(pair_offsets[-1])
    inter = np.zeros(n_pairs, dtype=np.int64)
    compared = np.zeros(n_pairs, dtype=bool)
    iou = np.zeros(n_pairs, dtype=np.float64)

    rle_ends = dt_rle[1:] + gt_rle[1:]  # RLEs of groups 0..k together
    budget, low, high = CHUNK_RLES  # RLEs per chunk, adapted to the string lengths seen
    bar = tqdm(total=n_groups, desc=progress, unit="group", disable=progress is None or None)
    k0 = 0
    while k0 < n_groups:
        start = dt_rle[k0] + gt_rle[k0]
        k1 = max(k0 + 1, int(np.searchsorted(rle_ends, start + budget, side="right")))
        d_trk = dt_tracks[dt_first[k0] : dt_first[k1]]
        g_trk = gt_tracks[gt_first[k0] : gt_first[k1]]
        parsed = _parse_chunk(d_trk, g_trk)
        with KERNEL_LOCK:
            bad_rle = _group_pairs(
                parsed.fg_start,
                parsed.fg_end,
                parsed.offsets,
                parsed.n_runs,
                parsed.areas,
                parsed.lengths,
                group_pixels[k0:k1],
                group_dt[k0:k1],
                group_gt[k0:k1],
                group_frames[k0:k1],
                pair_offsets[k0:k1],
                float(min_iou),
                inter,
                compared,
                iou,
            )
        n_d = int(dt_rle[k1] - dt_rle[k0])  # the chunk's prediction RLEs come first
        bad = np.flatnonzero(bad_rle >= 0)
        if bad.size:
            k, r = k0 + int(bad[0]), int(bad_rle[bad[0]])
            kind, counts, at = (
                ("prediction", group_dt, dt_rle[k0] + r)
                if r < n_d
                else ("object", group_gt, gt_rle[k0] + r - n_d)
            )
            track_rle = cumulative_offsets(
                np.repeat(group_frames, counts)
            )  # first RLE of each track
            i = int(np.searchsorted(track_rle, at, side="right")) - 1
            length, want = int(parsed.lengths[r]), int(group_pixels[k])
            raise FormatError(
                f"frame {at - track_rle[i]}: "
                + (
                    "not an RLE (counts cut short, or a negative run)"
                    if length < 0
                    else f"RLE covers {length} pixels, not the video's h*w ({want})"
                    if want >= 0
                    else f"RLE covers {length} pixels, unlike its video's first mask"
                ),
                source=source,
                record=track_label(kind, i) if track_label else f"{label(k)}, {kind} track {i}",
                field="segmentations",
            )
        dt_areas[dt_rle[k0] : dt_rle[k1]] = parsed.areas[:n_d]
        gt_areas[gt_rle[k0] : gt_rle[k1]] = parsed.areas[n_d:]
        n_chars = int(parsed.offsets[-1]) * 2  # slots are half the characters
        budget = int(np.clip(budget * CHUNK_CHARS / max(n_chars, 1), low, high))
        bar.update(k1 - k0)
        k0 = k1
    bar.close()
    return GroupedOverlaps(dt_areas, gt_areas, pair_offsets, inter, compared, iou)


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
    ``inter (D, G)`` int64 pixel intersections summed over frames and ``compared (D, G)`` bool:
    :func:`grouped_overlaps` with one group per category. Pairs of different categories, and
    pairs that cannot reach ``min_iou``, are not compared (``inter`` 0).
    """
    index = {c: i for i, c in enumerate(dict.fromkeys(chain(dt_cats, gt_cats)))}
    dt_key = np.array([index[c] for c in dt_cats], dtype=np.int64)
    gt_key = np.array([index[c] for c in gt_cats], dtype=np.int64)
    n_keys = len(index)
    dt_order = np.argsort(dt_key, kind="stable")
    gt_order = np.argsort(gt_key, kind="stable")
    group_dt = np.bincount(dt_key, minlength=n_keys)
    group_gt = np.bincount(gt_key, minlength=n_keys)
    res = grouped_overlaps(
        [dt_tracks[i] for i in dt_order],
        [gt_tracks[j] for j in gt_order],
        group_dt,
        group_gt,
        np.full(n_keys, length),
        min_iou=min_iou,
        label=lambda _k: where,
    )
    n_dt, n_gt = len(dt_tracks), len(gt_tracks)
    dt_areas = np.zeros((n_dt, length), dtype=np.int64)
    gt_areas = np.zeros((n_gt, length), dtype=np.int64)
    dt_areas[dt_order] = res.dt_areas.reshape(n_dt, length)
    gt_areas[gt_order] = res.gt_areas.reshape(n_gt, length)
    inter = np.zeros((n_dt, n_gt), dtype=np.int64)
    compared = np.zeros((n_dt, n_gt), dtype=bool)
    d0, g0 = cumulative_offsets(group_dt), cumulative_offsets(group_gt)
    for k in range(n_keys):
        rows, cols = dt_order[d0[k] : d0[k + 1]], gt_order[g0[k] : g0[k + 1]]
        block = slice(res.pair_offsets[k], res.pair_offsets[k + 1])
        inter[np.ix_(rows, cols)] = res.inter[block].reshape(rows.size, cols.size)
        compared[np.ix_(rows, cols)] = res.compared[block].reshape(rows.size, cols.size)
    return dt_areas, gt_areas, inter, compared


def track_iou(inter: np.ndarray, dt_total: np.ndarray, gt_total: np.ndarray) -> np.ndarray:
    """Video IoU ``(D, G)`` from summed intersections and per-track area totals (0: empty union)."""
    union = dt_total[:, None] + gt_total[None, :] - inter
    iou = np.zeros(inter.shape, dtype=np.float64)
    np.divide(inter.astype(np.float64), union.astype(np.float64), out=iou, where=union > 0)
    return iou
