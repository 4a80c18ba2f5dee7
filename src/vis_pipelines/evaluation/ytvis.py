"""Video instance segmentation AP as the official YouTube-VIS API (``ytvos.py`` / ``ytvoseval.py``).

One implementation serves YouTube-VIS 2019/2021, OVIS, SynthVIS, LV-VIS (AP over base / novel
categories) and BURST converted to YouTube-VIS format (AP over common / uncommon categories).

Conventions followed to the letter (they decide the last digits):

* IoU of a prediction and an object is the video IoU of :mod:`.video_iou` (crowd objects get the
  plain IoU too: the official ``computeIoU`` ignores ``iscrowd``).
* Object size ``avg_area`` is the mean of the non-null, non-zero entries of ``areas`` (ground truth:
  the json field; predictions: pycocotools areas of the non-null frames), 0 when there are none.
* Area ranges all / small / medium / large are ``[0, 1e10]``, ``[0, 128²]``, ``[128², 256²]``,
  ``[256², 1e10]`` with inclusive bounds; a ground truth is ignored when it is a crowd or outside
  the range; an unmatched prediction outside the range is ignored.
* Per (video, category) the predictions are sorted by score with a stable mergesort (ties keep
  file order) and cut to ``maxDets[-1]`` = 100; matching is cocoeval's greedy loop (best IoU, ties
  to the later ground truth, non-ignored ground truth preferred, crowds matchable many times).
* Accumulation concatenates the videos in increasing id order, sorts by score with a stable
  mergesort, uses 101 recall points and the interpolated (monotone) precision; categories of the
  ground-truth ``categories`` list without any non-ignored object give -1 and are left out of means.
* A prediction matched to a ground truth whose ``id`` is 0 counts as unmatched, as in the official
  code that stores the matched id and tests it for truth.

The speed comes from parsing each video's RLEs once and counting all its intersections in compiled
kernels (:mod:`.video_iou`, :mod:`vis_pipelines.formats.rle_kernels`), and running the greedy
matching for all videos, IoU thresholds and area ranges at once in numpy.
"""

from __future__ import annotations

import logging
import math
import multiprocessing as mp
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from ..formats.errors import FormatError
from ..formats.results import validate_results
from ..formats.ytvis import validate_ytvis
from .video_iou import track_iou, video_track_overlaps

__all__ = [
    "APParams",
    "STAT_NAMES",
    "YTVISEvaluation",
    "run_ytvis_eval",
    "evaluate_ytvis",
    "format_summary",
    "category_split_ap",
    "pr_curve_table",
]

log = logging.getLogger(__name__)

#: The twelve cocoeval summary numbers, in the order of ``COCOeval.stats``.
STAT_NAMES = (
    "AP",
    "AP50",
    "AP75",
    "APs",
    "APm",
    "APl",
    "AR1",
    "AR10",
    "AR100",
    "ARs",
    "ARm",
    "ARl",
)


def _iou_thresholds() -> np.ndarray:
    # Same construction as cocoeval: np.arange would put 0.75 a hair off and break the AP75 lookup.
    return np.linspace(0.5, 0.95, int(np.round((0.95 - 0.5) / 0.05)) + 1, endpoint=True)


def _recall_thresholds() -> np.ndarray:
    return np.linspace(0.0, 1.0, int(np.round((1.0 - 0.0) / 0.01)) + 1, endpoint=True)


@dataclass(frozen=True)
class APParams:
    """Evaluation parameters; the defaults are the official YouTube-VIS ones."""

    iou_thrs: np.ndarray = field(default_factory=_iou_thresholds)
    rec_thrs: np.ndarray = field(default_factory=_recall_thresholds)
    max_dets: tuple[int, ...] = (1, 10, 100)
    area_rngs: tuple[tuple[float, float], ...] = (
        (0.0**2, 1e5**2),
        (0.0**2, 128.0**2),
        (128.0**2, 256.0**2),
        (256.0**2, 1e5**2),
    )
    area_labels: tuple[str, ...] = ("all", "small", "medium", "large")


@dataclass
class YTVISEvaluation:
    """Everything one evaluation produced; ``stats`` are fractions with -1 where undefined."""

    params: APParams
    video_ids: list[int]
    category_ids: list[int]
    categories: list[dict[str, Any]]
    precision: np.ndarray  # (T, R, K, A, M), -1 where a category has no non-ignored object
    recall: np.ndarray  # (T, K, A, M)
    stats: dict[str, float]
    per_video: pd.DataFrame
    per_category: pd.DataFrame


# --------------------------------------------------------------------------------------------
# greedy matching, vectorised over groups, IoU thresholds and area ranges


@dataclass
class _Group:
    """One (video, category) with both predictions and ground truth."""

    iou: np.ndarray  # (D, G), predictions in score order
    gt_ignore: np.ndarray  # (A, G) bool
    gt_crowd: np.ndarray  # (G,) bool
    det_rows: np.ndarray  # (D,) rows in the prediction table
    gt_ids: np.ndarray  # (G,) annotation ids
    video_pos: int


def _match_groups(groups: list[_Group], thresholds: np.ndarray, n_area: int) -> list[np.ndarray]:
    """cocoeval's greedy matching for every group: matched ground-truth column ``(A, T, D)`` or -1.

    Prediction ``d`` takes, among the still free ground truths (crowds are always free) with IoU
    >= threshold, the one with the highest IoU, ties going to the later one; non-ignored ground
    truths win over ignored ones. Groups are batched by padded size so that each step handles the
    d-th prediction of every group at once.
    """
    n_thr = len(thresholds)
    out: list[np.ndarray] = [np.empty(0)] * len(groups)
    buckets: dict[int, list[int]] = defaultdict(list)
    for i, g in enumerate(groups):
        buckets[1 << (g.iou.shape[1] - 1).bit_length()].append(i)
    for width, members in buckets.items():
        members.sort(key=lambda i: -groups[i].iou.shape[0])
        n = len(members)
        n_det = np.array([groups[i].iou.shape[0] for i in members])
        iou = np.full((n, int(n_det[0]), width), -1.0)  # padding never passes a threshold
        ignore = np.ones((n, n_area, width), dtype=bool)
        crowd = np.zeros((n, width), dtype=bool)
        for r, i in enumerate(members):
            g = groups[i]
            d, c = g.iou.shape
            iou[r, :d, :c] = g.iou
            ignore[r, :, :c] = g.gt_ignore
            crowd[r, :c] = g.gt_crowd
        taken = np.zeros((n, n_area, n_thr, width), dtype=bool)
        match = np.full((n, n_area, n_thr, int(n_det[0])), -1, dtype=np.int64)
        thr = thresholds[None, None, :, None]
        for d in range(int(n_det[0])):
            k = int(np.count_nonzero(n_det > d))  # groups sorted by size: the first k have a d-th
            v = iou[:k, d]
            cand = (v[:, None, None, :] >= thr) & (~taken[:k] | crowd[:k, None, None, :])
            regular = cand & ~ignore[:k, :, None, :]
            use = np.where(regular.any(-1, keepdims=True), regular, cand)
            vals = np.where(use, v[:, None, None, :], -np.inf)
            hit = use & (vals == vals.max(-1, keepdims=True))
            found = hit.any(-1)
            col = np.where(found, width - 1 - np.argmax(hit[..., ::-1], axis=-1), -1)
            match[:k, :, :, d] = col
            kk, aa, tt = np.nonzero(found)
            taken[kk, aa, tt, col[kk, aa, tt]] = True
        for r, i in enumerate(members):
            out[i] = match[r, :, :, : n_det[r]]
    return out


# --------------------------------------------------------------------------------------------
# precision / recall


def _pr_curves(
    tps: np.ndarray, fps: np.ndarray, npig: int, rec_thrs: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Interpolated precision ``(T, R)`` and final recall ``(T,)`` of score-sorted TP/FP flags."""
    n_thr, nd = tps.shape
    precision = np.zeros((n_thr, len(rec_thrs)))
    if nd == 0:
        return precision, np.zeros(n_thr)
    tp_sum = np.cumsum(tps, axis=1).astype(np.float64)
    fp_sum = np.cumsum(fps, axis=1).astype(np.float64)
    rc = tp_sum / npig
    pr = tp_sum / (fp_sum + tp_sum + np.spacing(1))
    # Precision envelope: each point takes the best precision at any higher recall.
    pr = np.maximum.accumulate(pr[:, ::-1], axis=1)[:, ::-1]
    for t in range(n_thr):
        inds = np.searchsorted(rc[t], rec_thrs, side="left")
        ok = inds < nd  # recall points never reached keep precision 0
        precision[t, ok] = pr[t, inds[ok]]
    return precision, rc[:, -1].copy()


def _mean_defined(s: np.ndarray) -> float:
    vals = s[s > -1]
    return float(np.mean(vals)) if vals.size else -1.0


def _summarize(precision: np.ndarray, recall: np.ndarray, params: APParams) -> dict[str, float]:
    thr = params.iou_thrs
    a_of = {lbl: i for i, lbl in enumerate(params.area_labels)}
    m_of = {m: i for i, m in enumerate(params.max_dets)}

    def ap(
        iou_thr: float | None = None, area: str = "all", max_det: int = params.max_dets[-1]
    ) -> float:
        s = precision if iou_thr is None else precision[np.where(iou_thr == thr)[0]]
        return _mean_defined(s[:, :, :, a_of[area], m_of[max_det]])

    def ar(area: str = "all", max_det: int = params.max_dets[-1]) -> float:
        return _mean_defined(recall[:, :, a_of[area], m_of[max_det]])

    md = params.max_dets
    return {
        "AP": ap(),
        "AP50": ap(0.5),
        "AP75": ap(0.75),
        "APs": ap(area="small"),
        "APm": ap(area="medium"),
        "APl": ap(area="large"),
        "AR1": ar(max_det=md[0]),
        "AR10": ar(max_det=md[1]),
        "AR100": ar(max_det=md[2]),
        "ARs": ar("small"),
        "ARm": ar("medium"),
        "ARl": ar("large"),
    }


def category_split_ap(evaluation: YTVISEvaluation, split_field: str) -> dict[str, float]:
    """AP (fraction, -1 if undefined) over the categories sharing each value of ``split_field``.

    LV-VIS ``partition`` / SynthVIS ``split`` give ``AP_base`` / ``AP_novel``; BURST ``frequency``
    gives ``AP_common`` / ``AP_uncommon``. Categories without the field are in no split.
    """
    by_value: dict[str, list[int]] = defaultdict(list)
    for k, cat in enumerate(evaluation.categories):
        value = cat.get(split_field)
        if value is not None:
            by_value[str(value)].append(k)
    a_all, m_last = 0, len(evaluation.params.max_dets) - 1
    return {
        f"AP_{value}": _mean_defined(evaluation.precision[:, :, ks, a_all, m_last])
        for value, ks in sorted(by_value.items())
    }


def pr_curve_table(
    evaluation: YTVISEvaluation, iou_thresholds: Sequence[float] = (0.5, 0.75)
) -> pd.DataFrame:
    """Category-averaged precision (percent) at each recall point, one column per IoU threshold.

    Area ``all`` and the largest ``maxDets``, averaged over the categories with a defined curve,
    exactly the numbers that AP50 / AP75 average over recall (so the column means equal them).
    Columns: ``recall`` (0-100), ``precision_iou50``, ``precision_iou75`` (None where no category
    is defined).
    """
    params = evaluation.params
    table: dict[str, Any] = {"recall": 100.0 * params.rec_thrs}
    for thr in iou_thresholds:
        hits = np.flatnonzero(np.isclose(params.iou_thrs, thr))
        if hits.size == 0:
            raise ValueError(f"IoU threshold {thr} is not one of {params.iou_thrs.tolist()}")
        p = evaluation.precision[hits[0], :, :, 0, -1]  # (R, K)
        defined = p[0] > -1  # an undefined category is -1 at every recall point
        column = 100.0 * p[:, defined].mean(axis=1) if defined.any() else [None] * len(p)
        table[f"precision_iou{round(100 * thr)}"] = column
    return pd.DataFrame(table)


# --------------------------------------------------------------------------------------------
# the evaluation


def _avg_area(areas: Sequence[Any] | None) -> float:
    """Mean of the truthy entries (non-null, non-zero), 0 if none, exactly as ``ytvoseval``."""
    vals = [a for a in (areas or []) if a]
    return float(np.array(vals).mean()) if vals else 0.0


def _check_unvalidated(gt: dict[str, Any], results: list[dict[str, Any]]) -> None:
    # Cheap structural checks for callers that pass validate=False (already-validated inputs).
    if not isinstance(gt, dict) or not isinstance(gt.get("videos"), list):
        raise FormatError("ground truth must be a YouTube-VIS dict with 'videos'", field="videos")
    if not isinstance(results, list):
        raise FormatError("results must be a list of predictions")


@dataclass
class _VideoJob:
    """What one video's IoU stage needs: predictions kept (score order per category) and objects."""

    vid: int
    length: int
    det_idx: list[int]  # rows of ``results``
    det_cat: list[int]
    gt_idx: list[int]  # rows of ``gt["annotations"]``


# Inputs of the IoU stage, set before worker processes fork so that they inherit them.
_SHARED: dict[str, Any] = {}


def _video_ious(job: _VideoJob) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-frame areas of the predictions ``(D, T)``, of the objects ``(G, T)`` and IoUs ``(D, G)``.

    IoUs of pairs that cannot reach the lowest threshold (or differ in category) are 0.
    """
    results, anns = _SHARED["results"], _SHARED["annotations"]
    dt_tracks = [results[i]["segmentations"] for i in job.det_idx]
    gt_tracks = [anns[j]["segmentations"] for j in job.gt_idx]
    for i, trk in zip(job.det_idx, dt_tracks, strict=True):
        if len(trk) != job.length:
            raise FormatError(
                f"{len(trk)} frames, video {job.vid} has {job.length}",
                source=_SHARED["source"],
                record=f"results[{i}]",
                field="segmentations",
            )
    dt_fa, gt_fa, inter, compared = video_track_overlaps(
        dt_tracks,
        job.det_cat,
        gt_tracks,
        [anns[j]["category_id"] for j in job.gt_idx],
        job.length,
        min_iou=_SHARED["min_iou"],
        where=f"video {job.vid}",
    )
    ious = np.where(compared, track_iou(inter, dt_fa.sum(1), gt_fa.sum(1)), 0.0)
    return dt_fa, gt_fa, ious


def _map_videos(jobs: list[_VideoJob], workers: int) -> list[tuple[np.ndarray, ...]]:
    """Run :func:`_video_ious` over the videos, in worker processes when ``workers > 1``."""
    progress = {"desc": "ytvis IoU", "unit": "video", "total": len(jobs), "disable": None}
    if workers > 1 and len(jobs) >= 2 * workers and not mp.current_process().daemon:
        try:
            ctx = mp.get_context("fork")  # workers inherit _SHARED without pickling the masks
        except ValueError:
            ctx = None
        if ctx is not None:
            chunk = max(1, len(jobs) // (8 * workers))
            with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
                return list(tqdm(pool.map(_video_ious, jobs, chunksize=chunk), **progress))
    return [_video_ious(job) for job in tqdm(jobs, **progress)]


def run_ytvis_eval(
    gt: dict[str, Any],
    results: list[dict[str, Any]],
    *,
    params: APParams | None = None,
    validate: bool = True,
    workers: int = 1,
    source: str = "<memory>",
) -> YTVISEvaluation:
    """Evaluate predictions against a labelled YouTube-VIS dict; return the full evaluation.

    ``validate`` runs the format checks (unknown video, wrong frame count, RLE size, bad score,
    unknown category → ``FormatError``); pass False only for inputs that were validated already.
    ``workers > 1`` computes the IoUs in that many forked processes (same numbers, POSIX only).
    """
    params = params or APParams()
    if validate:
        gt = validate_ytvis(gt, source=f"{source} (ground truth)")
        results = validate_results(results, gt, source=f"{source} (results)")
    else:
        _check_unvalidated(gt, results)
    if gt.get("annotations") is None:
        raise FormatError(
            "ground truth has no annotations (an unlabeled split cannot be scored)",
            field="annotations",
        )
    n_area, n_thr = len(params.area_rngs), len(params.iou_thrs)
    max_det = params.max_dets[-1]
    lo = np.array([r[0] for r in params.area_rngs])[:, None]
    hi = np.array([r[1] for r in params.area_rngs])[:, None]
    # Matching thresholds as cocoeval applies them (an IoU of exactly 1 still matches at .95).
    thresholds = np.minimum(params.iou_thrs, 1 - 1e-10)

    videos = {v["id"]: v for v in gt["videos"]}
    video_ids = sorted(videos)
    categories = sorted(gt.get("categories") or [], key=lambda c: c["id"])
    cat_ids = [c["id"] for c in categories]
    cat_pos = {c: k for k, c in enumerate(cat_ids)}
    anns = gt["annotations"]

    gts_by_video: dict[int, list[int]] = defaultdict(list)
    for j, ann in enumerate(anns):
        if ann.get("category_id") in cat_pos:
            gts_by_video[ann["video_id"]].append(j)
    dets_by_video: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    n_pred_video: dict[int, int] = defaultdict(int)
    for i, rec in enumerate(results):
        vid = rec["video_id"]
        if vid not in videos:
            raise FormatError(
                f"unknown video_id {vid!r}", source=source, record=f"results[{i}]", field="video_id"
            )
        n_pred_video[vid] += 1
        if rec["category_id"] in cat_pos:  # the official API drops other categories silently
            dets_by_video[vid][rec["category_id"]].append(i)
    scores = np.array([rec["score"] for rec in results], dtype=np.float64)

    # Per (video, category): stable sort by score, keep maxDets[-1]; rank = position in that order.
    jobs: list[_VideoJob] = []
    ranks: list[list[int]] = []
    for vid in video_ids:
        det_idx: list[int] = []
        det_cat: list[int] = []
        rank: list[int] = []
        for cat in sorted(dets_by_video.get(vid, {})):
            idx = np.array(dets_by_video[vid][cat])
            kept = idx[np.argsort(-scores[idx], kind="mergesort")[:max_det]]
            det_idx.extend(kept.tolist())
            det_cat.extend([cat] * len(kept))
            rank.extend(range(len(kept)))
        jobs.append(
            _VideoJob(vid, videos[vid]["length"], det_idx, det_cat, gts_by_video.get(vid, []))
        )
        ranks.append(rank)

    _SHARED.update(
        results=results, annotations=anns, source=source, min_iou=float(thresholds.min())
    )
    try:
        parts = _map_videos(jobs, workers)
    finally:
        _SHARED.clear()

    # Prediction table (each video a contiguous block) and object table.
    det_cat_l, det_vid_l, det_area_l, gt_ignore_l = [], [], [], []
    gt_cat_l: list[int] = []
    gt_video_l: list[int] = []
    groups: list[_Group] = []
    n_rows = 0
    for vpos, (job, (dt_fa, gt_fa, ious)) in enumerate(zip(jobs, parts, strict=True)):
        cnt = np.count_nonzero(dt_fa, axis=1)
        # Mean over the non-empty frames, as ytvos.py averages the truthy per-frame areas.
        det_area_l.append(np.where(cnt > 0, dt_fa.sum(1) / np.maximum(cnt, 1), 0.0))
        g_anns = [anns[j] for j in job.gt_idx]
        g_avg = np.array(
            [
                _avg_area(a["areas"]) if a.get("areas") is not None else _avg_area(list(gt_fa[k]))
                for k, a in enumerate(g_anns)
            ],
            dtype=np.float64,
        )
        g_crowd = np.array([bool(a.get("iscrowd", 0)) for a in g_anns], dtype=bool)
        g_ign = g_crowd[None, :] | (g_avg[None, :] < lo) | (g_avg[None, :] > hi)  # (A, G)
        g_cat = np.array([a["category_id"] for a in g_anns], dtype=np.int64)
        d_cat = np.array(job.det_cat, dtype=np.int64)
        for cat in np.unique(g_cat):
            cols = np.flatnonzero(g_cat == cat)
            rows = np.flatnonzero(d_cat == cat)
            if rows.size:
                groups.append(
                    _Group(
                        iou=ious[np.ix_(rows, cols)],
                        gt_ignore=g_ign[:, cols],
                        gt_crowd=g_crowd[cols],
                        det_rows=n_rows + rows,
                        gt_ids=np.array([g_anns[c]["id"] for c in cols], dtype=np.int64),
                        video_pos=vpos,
                    )
                )
        det_cat_l.append(np.array([cat_pos[c] for c in job.det_cat], dtype=np.int64))
        det_vid_l.append(np.full(len(job.det_idx), vpos, dtype=np.int64))
        gt_cat_l.extend(cat_pos[c] for c in g_cat.tolist())
        gt_ignore_l.append(g_ign)
        gt_video_l.extend([vpos] * len(g_anns))
        n_rows += len(job.det_idx)

    def cat_or_empty(arrs: list[np.ndarray], dtype: Any) -> np.ndarray:
        return np.concatenate(arrs).astype(dtype) if arrs else np.zeros(0, dtype=dtype)

    cat_arr = cat_or_empty(det_cat_l, np.int64)
    vid_arr = cat_or_empty(det_vid_l, np.int64)
    rank_arr = np.array([r for rank in ranks for r in rank], dtype=np.int64)
    score_arr = scores[[i for job in jobs for i in job.det_idx]] if n_rows else np.zeros(0)
    area_arr = cat_or_empty(det_area_l, np.float64)
    gcat_arr = np.array(gt_cat_l, dtype=np.int64)
    gign_arr = np.concatenate(gt_ignore_l, axis=1) if gt_ignore_l else np.zeros((n_area, 0), bool)
    gvid_arr = np.array(gt_video_l, dtype=np.int64)

    # Matching: matched gt id (0 = none) and ignore flag per area range, threshold, prediction.
    matched_id = np.zeros((n_area, n_thr, n_rows), dtype=np.int64)
    ignored = np.zeros((n_area, n_thr, n_rows), dtype=bool)
    found50 = np.zeros(len(video_ids), dtype=np.int64)  # objects found at IoU .5, area all
    for g, cols in zip(groups, _match_groups(groups, thresholds, n_area), strict=True):
        c50 = np.unique(cols[0, 0][cols[0, 0] >= 0])
        found50[g.video_pos] += int(np.count_nonzero(~g.gt_ignore[0, c50]))
        hit = cols >= 0
        safe = np.where(hit, cols, 0)
        matched_id[:, :, g.det_rows] = np.where(hit, g.gt_ids[safe], 0)
        ignored[:, :, g.det_rows] = hit & g.gt_ignore[np.arange(n_area)[:, None, None], safe]
    out_of_range = (area_arr[None, :] < lo) | (area_arr[None, :] > hi)  # (A, N)
    ignored |= (matched_id == 0) & out_of_range[:, None, :]
    matched = matched_id != 0

    # Accumulate: per category, videos in id order, then a stable sort by score.
    n_cat, n_rec, n_md = len(cat_ids), len(params.rec_thrs), len(params.max_dets)
    precision = -np.ones((n_thr, n_rec, n_cat, n_area, n_md))
    recall = -np.ones((n_thr, n_cat, n_area, n_md))
    order = np.lexsort((rank_arr, vid_arr, -score_arr, cat_arr))
    bounds = np.searchsorted(cat_arr[order], np.arange(n_cat + 1))
    npig = np.zeros((n_cat, n_area), dtype=np.int64)
    for a in range(n_area):
        npig[:, a] = np.bincount(gcat_arr[~gign_arr[a]], minlength=n_cat) if gcat_arr.size else 0
    for k in range(n_cat):
        rows = order[bounds[k] : bounds[k + 1]]
        for a in range(n_area):
            if npig[k, a] == 0:
                continue
            mt, ig = matched[a][:, rows], ignored[a][:, rows]
            for m, md in enumerate(params.max_dets):
                keep = rank_arr[rows] < md
                mk, ik = mt[:, keep], ig[:, keep]
                p, r = _pr_curves(mk & ~ik, ~mk & ~ik, int(npig[k, a]), params.rec_thrs)
                precision[:, :, k, a, m] = p
                recall[:, k, a, m] = r
    stats = _summarize(precision, recall, params)

    per_video = _per_video_table(
        video_ids,
        vid_arr,
        cat_arr,
        matched[0],
        ignored[0],
        gvid_arr,
        gcat_arr,
        gign_arr[0],
        n_pred_video,
        found50,
        params,
    )
    per_category = _per_category_table(
        categories, precision, recall, npig, cat_arr, gcat_arr, params
    )
    return YTVISEvaluation(
        params=params,
        video_ids=video_ids,
        category_ids=cat_ids,
        categories=categories,
        precision=precision,
        recall=recall,
        stats=stats,
        per_video=per_video,
        per_category=per_category,
    )


def _pct(x: float) -> float | None:
    """Fraction (-1 = undefined) to percent (None = undefined)."""
    return None if x is None or x < 0 or math.isnan(x) else 100.0 * x


def _per_video_table(
    video_ids: list[int],
    vid_arr: np.ndarray,
    cat_arr: np.ndarray,
    matched: np.ndarray,
    ignored: np.ndarray,
    gvid: np.ndarray,
    gcat: np.ndarray,
    gign: np.ndarray,
    n_pred: dict[int, int],
    found50: np.ndarray,
    params: APParams,
) -> pd.DataFrame:
    """AP of each video on its own (area all, maxDets 100), counts, and recall at IoU .5."""
    rows = []
    starts = np.searchsorted(vid_arr, np.arange(len(video_ids) + 1))
    for vpos, vid in enumerate(video_ids):
        sl = slice(starts[vpos], starts[vpos + 1])
        cats = cat_arr[sl]
        mine = gvid == vpos
        curves = []
        for k in np.unique(gcat[mine]):
            npig = int(np.count_nonzero(mine & (gcat == k) & ~gign))
            if npig == 0:
                continue
            cols = np.flatnonzero(cats == k) + starts[vpos]  # already in score (rank) order
            mt, ig = matched[:, cols], ignored[:, cols]
            curves.append(_pr_curves(mt & ~ig, ~mt & ~ig, npig, params.rec_thrs)[0])
        prec = np.stack(curves, axis=2) if curves else None
        n_scored = int(np.count_nonzero(mine & ~gign))
        rows.append(
            {
                "video_id": vid,
                "n_gt": int(np.count_nonzero(mine)),
                "n_pred": int(n_pred.get(vid, 0)),
                "AP": _pct(_mean_defined(prec)) if prec is not None else None,
                "AP50": _pct(_mean_defined(prec[0])) if prec is not None else None,
                "recall50": 100.0 * found50[vpos] / n_scored if n_scored else None,
            }
        )
    return pd.DataFrame(rows, columns=["video_id", "n_gt", "n_pred", "AP", "AP50", "recall50"])


def _per_category_table(
    categories: list[dict[str, Any]],
    precision: np.ndarray,
    recall: np.ndarray,
    npig: np.ndarray,
    cat_arr: np.ndarray,
    gcat: np.ndarray,
    params: APParams,
) -> pd.DataFrame:
    """Official per-category AP (area all, maxDets 100) beside object and prediction counts."""
    t50 = np.where(params.iou_thrs == 0.5)[0]
    t75 = np.where(params.iou_thrs == 0.75)[0]
    n_pred = np.bincount(cat_arr, minlength=len(categories)) if categories else []
    n_gt = np.bincount(gcat, minlength=len(categories)) if categories else []
    rows = []
    for k, cat in enumerate(categories):
        p = precision[:, :, k, 0, -1]
        rows.append(
            {
                "category_id": cat["id"],
                "name": cat.get("name"),
                "split": cat.get("split", cat.get("partition", cat.get("frequency"))),
                "n_gt": int(n_gt[k]),
                "n_gt_scored": int(npig[k, 0]),
                "n_pred": int(n_pred[k]),
                "AP": _pct(_mean_defined(p)),
                "AP50": _pct(_mean_defined(p[t50])),
                "AP75": _pct(_mean_defined(p[t75])),
                "AR100": _pct(_mean_defined(recall[:, k, 0, -1])),
            }
        )
    cols = [
        "category_id",
        "name",
        "split",
        "n_gt",
        "n_gt_scored",
        "n_pred",
        "AP",
        "AP50",
        "AP75",
        "AR100",
    ]
    return pd.DataFrame(rows, columns=cols)


def evaluate_ytvis(
    gt: dict[str, Any],
    results: list[dict[str, Any]],
    *,
    split_field: str | None = None,
    validate: bool = True,
    workers: int = 1,
) -> dict[str, Any]:
    """Kedro-facing YouTube-VIS evaluation: percent summary plus per-video and per-category tables.

    ``summary`` holds AP AP50 AP75 APs APm APl AR1 AR10 AR100 ARs ARm ARl in percent (0-100) and,
    with ``split_field`` (``partition``, ``split``, ``frequency``), ``AP_<value>`` per category
    group. Undefined numbers (no ground truth in that range) are ``None``, never 0 or NaN.
    ``pr_curve`` is :func:`pr_curve_table` (precision over recall at IoU .50 and .75).
    """
    ev = run_ytvis_eval(gt, results, validate=validate, workers=workers)
    summary: dict[str, float | None] = {name: _pct(ev.stats[name]) for name in STAT_NAMES}
    if split_field:
        summary.update({k: _pct(v) for k, v in category_split_ap(ev, split_field).items()})
    log.info(
        "YouTube-VIS AP %s over %d videos, %d categories",
        _fmt(summary.get("AP")),
        len(ev.video_ids),
        len(ev.category_ids),
    )
    return {
        "summary": summary,
        "per_video": ev.per_video,
        "per_category": ev.per_category,
        "pr_curve": pr_curve_table(ev),
    }


def _fmt(x: float | None) -> str:
    return "undefined" if x is None else f"{x:.2f}"


def format_summary(stats: dict[str, float], params: APParams | None = None) -> str:
    """The 12-line cocoeval summary of fraction ``stats``, as ``COCOeval.summarize`` prints it."""
    params = params or APParams()
    md = params.max_dets
    lines = []
    spec = [
        (1, None, "all", md[2]),
        (1, 0.5, "all", md[2]),
        (1, 0.75, "all", md[2]),
        (1, None, "small", md[2]),
        (1, None, "medium", md[2]),
        (1, None, "large", md[2]),
        (0, None, "all", md[0]),
        (0, None, "all", md[1]),
        (0, None, "all", md[2]),
        (0, None, "small", md[2]),
        (0, None, "medium", md[2]),
        (0, None, "large", md[2]),
    ]
    for name, (is_ap, thr, area, max_det) in zip(STAT_NAMES, spec, strict=True):
        title = "Average Precision" if is_ap else "Average Recall"
        kind = "(AP)" if is_ap else "(AR)"
        iou = (
            f"{params.iou_thrs[0]:0.2f}:{params.iou_thrs[-1]:0.2f}"
            if thr is None
            else f"{thr:0.2f}"
        )
        lines.append(
            f" {title:<18} {kind} @[ IoU={iou:<9} | area={area:>6s} | maxDets={max_det:>3d} ]"
            f" = {stats[name]:0.3f}"
        )
    return "\n".join(lines)
