"""Compiled (numba) steps of cocoeval's AP: greedy matching and precision/recall accumulation.

Both follow ``ytvoseval.py`` (``evaluateVid`` and ``accumulate``, the same code as COCO's
``evaluateImg``) loop for loop, so ties, ignored and crowd objects behave exactly as there; being
compiled they cost microseconds per (video, category) instead of Python's milliseconds. Inputs are
flat tables prepared by :mod:`.ytvis`; the groups are independent and run on parallel threads
(callers hold ``rle_kernels.KERNEL_LOCK``, as ``run_ytvis_eval`` does).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ..formats import rle_kernels  # noqa: F401  (selects the fork-safe threading layer first)

__all__ = ["greedy_match", "precision_recall", "block_curves"]


@njit(cache=True, nogil=True, parallel=True)
def greedy_match(
    iou: np.ndarray,
    pair_offsets: np.ndarray,
    det_start: np.ndarray,
    n_dt: np.ndarray,
    gt_start: np.ndarray,
    n_gt: np.ndarray,
    gt_ignore: np.ndarray,
    gt_crowd: np.ndarray,
    gt_ids: np.ndarray,
    thresholds: np.ndarray,
    n_det_rows: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """cocoeval's greedy matching of every group (one video and category).

    Group ``k``: predictions ``det_start[k] + d`` in score order (``d < n_dt[k]``), objects
    ``gt_start[k] + g``, IoUs ``iou[pair_offsets[k] + d * n_gt[k] + g]``. ``gt_ignore`` is
    ``(A, objects)`` per area range; ``thresholds`` are already capped at ``1 - 1e-10``.

    Returns ``matched_id (A, T, rows)`` (the matched object's id, 0: none), ``ignored (A, T, rows)``
    (matched to an ignored object) and per group the number of non-ignored objects matched at the
    first threshold and area range (objects found).
    """
    n_area, n_thr = gt_ignore.shape[0], thresholds.size
    matched_id = np.zeros((n_area, n_thr, n_det_rows), dtype=np.int64)
    ignored = np.zeros((n_area, n_thr, n_det_rows), dtype=np.bool_)
    found = np.zeros(n_dt.size, dtype=np.int64)
    for k in prange(n_dt.size):
        nd, ng, g0, d0, p0 = n_dt[k], n_gt[k], gt_start[k], det_start[k], pair_offsets[k]
        order = np.empty(ng, dtype=np.int64)
        taken = np.zeros(ng, dtype=np.bool_)
        for a in range(n_area):
            # Objects sorted by ignore flag, stable: the regular ones first, each in file order.
            c = 0
            for flag in (False, True):
                for g in range(ng):
                    if gt_ignore[a, g0 + g] == flag:
                        order[c] = g
                        c += 1
            for t in range(n_thr):
                taken[:] = False
                for d in range(nd):
                    best = thresholds[t]
                    m = -1
                    for oi in range(ng):
                        g = order[oi]
                        if taken[g] and not gt_crowd[g0 + g]:
                            continue  # already matched and not a crowd
                        if m > -1 and not gt_ignore[a, g0 + m] and gt_ignore[a, g0 + g]:
                            break  # a regular match beats any ignored object (they come last)
                        v = iou[p0 + d * ng + g]
                        if v < best:
                            continue
                        best = v  # ties go to the later object
                        m = g
                    if m == -1:
                        continue
                    ignored[a, t, d0 + d] = gt_ignore[a, g0 + m]
                    matched_id[a, t, d0 + d] = gt_ids[g0 + m]
                    taken[m] = True
                if a == 0 and t == 0:
                    for g in range(ng):
                        if taken[g] and not gt_ignore[0, g0 + g]:
                            found[k] += 1
    return matched_id, ignored, found


@njit(cache=True, nogil=True, inline="always")
def _curve(
    matched: np.ndarray,
    ignored: np.ndarray,
    rows: np.ndarray,
    npig: int,
    rec_thrs: np.ndarray,
    precision: np.ndarray,
    recall: np.ndarray,
) -> None:
    """Interpolated precision ``(T, R)`` and final recall ``(T,)`` of the score-sorted ``rows``.

    ``matched`` / ``ignored`` are ``(T, all rows)``; an ignored prediction is neither a true nor
    a false positive but keeps its place, as in cocoeval's cumulative sums.
    """
    n_thr, nd = matched.shape[0], rows.size
    rc = np.empty(nd, dtype=np.float64)
    pr = np.empty(nd, dtype=np.float64)
    for t in range(n_thr):
        tp = 0
        fp = 0
        for i in range(nd):
            r = rows[i]
            if not ignored[t, r]:
                if matched[t, r]:
                    tp += 1
                else:
                    fp += 1
            rc[i] = tp / npig
            pr[i] = tp / (fp + tp + np.spacing(1.0))
        recall[t] = rc[nd - 1] if nd else 0.0
        # Precision envelope: each point takes the best precision at any higher recall.
        for i in range(nd - 1, 0, -1):
            if pr[i] > pr[i - 1]:
                pr[i - 1] = pr[i]
        inds = np.searchsorted(rc, rec_thrs, side="left")
        for ri in range(rec_thrs.size):
            # Recall points never reached keep precision 0.
            precision[t, ri] = pr[inds[ri]] if inds[ri] < nd else 0.0


@njit(cache=True, nogil=True, parallel=True)
def precision_recall(
    order: np.ndarray,
    bounds: np.ndarray,
    rank: np.ndarray,
    matched: np.ndarray,
    ignored: np.ndarray,
    npig: np.ndarray,
    max_dets: np.ndarray,
    rec_thrs: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """cocoeval's ``accumulate``: precision ``(T, R, K, A, M)`` and recall ``(T, K, A, M)``.

    Category ``k`` owns the predictions ``order[bounds[k]:bounds[k + 1]]`` (all videos, already
    in cocoeval's order: score, then video, then rank); ``rank`` is a prediction's place within
    its video and category, so ``rank < maxDets`` keeps what cocoeval's per-video cut keeps.
    ``matched`` / ``ignored`` are ``(A, T, rows)``; ``npig (K, A)`` counts non-ignored objects.
    Entries of categories without any are -1.
    """
    n_area, n_thr = matched.shape[0], matched.shape[1]
    n_cat, n_md, n_rec = npig.shape[0], max_dets.size, rec_thrs.size
    precision = -np.ones((n_thr, n_rec, n_cat, n_area, n_md))
    recall = -np.ones((n_thr, n_cat, n_area, n_md))
    for k in prange(n_cat):
        rows_all = order[bounds[k] : bounds[k + 1]]
        prec = np.empty((n_thr, n_rec))
        rec = np.empty(n_thr)
        for m in range(n_md):
            keep = rows_all[rank[rows_all] < max_dets[m]]
            for a in range(n_area):
                if npig[k, a] == 0:
                    continue
                _curve(matched[a], ignored[a], keep, npig[k, a], rec_thrs, prec, rec)
                precision[:, :, k, a, m] = prec
                recall[:, k, a, m] = rec
    return precision, recall


@njit(cache=True, nogil=True, parallel=True)
def block_curves(
    starts: np.ndarray,
    ends: np.ndarray,
    npig: np.ndarray,
    matched: np.ndarray,
    ignored: np.ndarray,
    rec_thrs: np.ndarray,
) -> np.ndarray:
    """Interpolated precision ``(B, T, R)`` of each block of consecutive, score-sorted rows.

    Block ``b`` is rows ``starts[b]:ends[b]`` of ``matched`` / ``ignored`` ``(T, rows)`` with
    ``npig[b] > 0`` scored objects (one video and category, for the per-video table).
    """
    n_thr, n_rec = matched.shape[0], rec_thrs.size
    out = np.zeros((starts.size, n_thr, n_rec))
    for b in prange(starts.size):
        rec = np.empty(n_thr)
        prec = np.empty((n_thr, n_rec))
        _curve(matched, ignored, np.arange(starts[b], ends[b]), npig[b], rec_thrs, prec, rec)
        out[b] = prec
    return out
