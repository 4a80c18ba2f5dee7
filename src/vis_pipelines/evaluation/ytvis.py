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

import gc
import logging
import math
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numba
import numpy as np
import pandas as pd

from ..formats.errors import FormatError
from ..formats.results import validate_results
from ..formats.rle_kernels import KERNEL_LOCK
from ..formats.ytvis import validate_ytvis
from .ap_kernels import block_curves, greedy_match, precision_recall
from .video_iou import cumulative_offsets, grouped_overlaps

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


@contextmanager
def _threads(workers: int) -> Iterator[None]:
    """Run the compiled kernels on ``workers`` threads (at most numba's pool size)."""
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be an integer >= 1, got {workers!r}")
    with KERNEL_LOCK:  # one evaluation's launches at a time (see formats.rle_kernels)
        old = numba.get_num_threads()
        numba.set_num_threads(min(workers, numba.config.NUMBA_NUM_THREADS))
        try:
            yield
        finally:
            numba.set_num_threads(old)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the duration (the evaluation makes no cycles)."""
    # With millions of RLE dicts alive, each full collection pass costs about a second.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _video_pixels(video: dict[str, Any]) -> int:
    """``height * width`` of a video record, -1 if it gives none (masks must then agree)."""
    h, w = video.get("height"), video.get("width")
    return int(h) * int(w) if isinstance(h, int) and isinstance(w, int) else -1


def _check_frames(
    tracks: list[Any], expected: np.ndarray, rows: list[int], what: str, source: str
) -> None:
    """Every track must have its video's number of frames: a FormatError names the first one."""
    lengths = np.fromiter(map(len, tracks), dtype=np.int64, count=len(tracks))
    _reject_first(
        lengths != expected,
        lambda i: f"{lengths[i]} frames, its video has {expected[i]}",
        lambda i: f"{what}[{rows[i]}]",
        "segmentations",
        source,
    )


def _reject_first(
    bad: np.ndarray,
    message: Callable[[int], str],
    record: Callable[[int], str],
    field: str,
    source: str,
) -> None:
    """Raise a FormatError on the first ``i`` where ``bad[i]`` (message and record of ``i``)."""
    hits = np.flatnonzero(bad)
    if hits.size:
        i = int(hits[0])
        raise FormatError(message(i), source=source, record=record(i), field=field)


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
    ``workers > 1`` runs the compiled IoU, matching and accumulation kernels on that many
    threads (same numbers).
    """
    params = params or APParams()
    with _threads(workers), _gc_paused():
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
        return _evaluate(gt, results, params, source)


def _evaluate(
    gt: dict[str, Any], results: list[dict[str, Any]], params: APParams, source: str
) -> YTVISEvaluation:
    n_area = len(params.area_rngs)
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

    n_videos, n_cat = len(video_ids), len(cat_ids)
    vpos_of = {vid: k for k, vid in enumerate(video_ids)}
    d_vpos = np.array([vpos_of.get(rec["video_id"], -1) for rec in results], dtype=np.int64)
    _reject_first(
        d_vpos < 0,
        lambda i: f"unknown video_id {results[i]['video_id']!r}",
        lambda i: f"results[{i}]",
        "video_id",
        source,
    )
    # The official API drops predictions (and objects) of other categories silently.
    d_cat = np.array([cat_pos.get(rec["category_id"], -1) for rec in results], dtype=np.int64)
    scores = np.array([rec["score"] for rec in results], dtype=np.float64)
    g_vpos = np.array([vpos_of.get(a["video_id"], -1) for a in anns], dtype=np.int64)
    g_cat = np.array([cat_pos.get(a.get("category_id"), -1) for a in anns], dtype=np.int64)
    n_pred_video = np.bincount(d_vpos, minlength=n_videos)

    # Groups (video, category) in video-id then category order; per group the predictions sorted
    # by score (ties in file order, as a stable sort), cut to maxDets[-1], and the objects in
    # file order. Rank = place in group.
    n_key = max(n_cat, 1)
    idx = np.flatnonzero(d_cat >= 0)
    idx = idx[np.lexsort((idx, -scores[idx], d_cat[idx], d_vpos[idx]))]
    d_key = d_vpos[idx] * n_key + d_cat[idx]
    kept = np.arange(idx.size) - np.searchsorted(d_key, d_key) < max_det
    det_rows, d_key = idx[kept].tolist(), d_key[kept]
    jdx = np.flatnonzero((g_vpos >= 0) & (g_cat >= 0))
    jdx = jdx[np.lexsort((jdx, g_cat[jdx], g_vpos[jdx]))]
    gt_rows, g_key = jdx.tolist(), g_vpos[jdx] * n_key + g_cat[jdx]
    keys = np.union1d(d_key, g_key)
    group_dt = np.bincount(np.searchsorted(keys, d_key), minlength=keys.size).astype(np.int64)
    group_gt = np.bincount(np.searchsorted(keys, g_key), minlength=keys.size).astype(np.int64)
    group_vpos, group_cat = keys // n_key, keys % n_key
    video_frames = np.array([videos[v]["length"] for v in video_ids], dtype=np.int64)
    video_pixels = np.array([_video_pixels(videos[v]) for v in video_ids], dtype=np.int64)
    group_frames = video_frames[group_vpos]
    n_rows = len(det_rows)

    dt_tracks = [results[i]["segmentations"] for i in det_rows]
    gt_tracks = [anns[j]["segmentations"] for j in gt_rows]
    _check_frames(dt_tracks, np.repeat(group_frames, group_dt), det_rows, "results", source)
    _check_frames(gt_tracks, np.repeat(group_frames, group_gt), gt_rows, "annotations", source)
    ov = grouped_overlaps(
        dt_tracks,
        gt_tracks,
        group_dt,
        group_gt,
        group_frames,
        video_pixels[group_vpos],
        min_iou=float(thresholds.min()),
        label=lambda k: f"video {video_ids[group_vpos[k]]}",
        track_label=lambda kind, i: (
            f"results[{det_rows[i]}]" if kind == "prediction" else f"annotations[{gt_rows[i]}]"
        ),
        source=source,
        progress="ytvis IoU",
    )

    # Prediction table: one row per kept prediction, groups one after the other.
    det_first = cumulative_offsets(group_dt)
    rank_arr = np.arange(n_rows, dtype=np.int64) - np.repeat(det_first[:-1], group_dt)
    vid_arr = np.repeat(group_vpos, group_dt)
    cat_arr = np.repeat(group_cat, group_dt)
    score_arr = scores[det_rows] if n_rows else np.zeros(0)
    # Mean area over the non-empty frames, as ytvos.py averages the truthy per-frame areas.
    dt_rle = cumulative_offsets(np.repeat(group_frames, group_dt))
    area_sum = cumulative_offsets(ov.dt_areas)
    nonempty = cumulative_offsets(ov.dt_areas > 0)
    tot, cnt = (
        area_sum[dt_rle[1:]] - area_sum[dt_rle[:-1]],
        nonempty[dt_rle[1:]] - nonempty[dt_rle[:-1]],
    )
    area_arr = np.where(cnt > 0, tot / np.maximum(cnt, 1), 0.0)

    # Object table, in group order.
    gt_rle = cumulative_offsets(np.repeat(group_frames, group_gt))
    g_avg = np.array(
        [
            _avg_area(anns[j]["areas"])
            if anns[j].get("areas") is not None
            else _avg_area(ov.gt_areas[gt_rle[n] : gt_rle[n + 1]].tolist())
            for n, j in enumerate(gt_rows)
        ],
        dtype=np.float64,
    )
    gt_crowd = np.array([bool(anns[j].get("iscrowd", 0)) for j in gt_rows], dtype=bool)
    gign_arr = gt_crowd[None, :] | (g_avg[None, :] < lo) | (g_avg[None, :] > hi)  # (A, G)
    gt_ids = np.array([anns[j]["id"] for j in gt_rows], dtype=np.int64)
    gvid_arr = np.repeat(group_vpos, group_gt)
    gcat_arr = np.repeat(group_cat, group_gt)

    # Matching: matched gt id (0 = none) and ignore flag per area range, threshold, prediction.
    matched_id, ignored, found = greedy_match(
        ov.iou,
        ov.pair_offsets,
        det_first,
        group_dt,
        cumulative_offsets(group_gt),
        group_gt,
        np.ascontiguousarray(gign_arr),
        gt_crowd,
        gt_ids,
        np.ascontiguousarray(thresholds, dtype=np.float64),
        n_rows,
    )
    found50 = np.bincount(group_vpos, weights=found, minlength=n_videos).astype(np.int64)
    out_of_range = (area_arr[None, :] < lo) | (area_arr[None, :] > hi)  # (A, N)
    ignored |= (matched_id == 0) & out_of_range[:, None, :]
    matched = matched_id != 0

    # Accumulate: per category, videos in id order, then a stable sort by score.
    order = np.lexsort((rank_arr, vid_arr, -score_arr, cat_arr))
    bounds = np.searchsorted(cat_arr[order], np.arange(n_cat + 1))
    npig = np.zeros((n_cat, n_area), dtype=np.int64)
    for a in range(n_area):
        npig[:, a] = np.bincount(gcat_arr[~gign_arr[a]], minlength=n_cat) if gcat_arr.size else 0
    precision, recall = precision_recall(
        order,
        bounds,
        rank_arr,
        matched,
        ignored,
        npig,
        np.array(params.max_dets, dtype=np.int64),
        np.ascontiguousarray(params.rec_thrs, dtype=np.float64),
    )
    stats = _summarize(precision, recall, params)

    per_video = _per_video_table(
        video_ids,
        group_vpos,
        group_gt,
        det_first,
        matched[0],
        ignored[0],
        gvid_arr,
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
    group_vpos: np.ndarray,
    group_gt: np.ndarray,
    det_first: np.ndarray,
    matched: np.ndarray,
    ignored: np.ndarray,
    gvid: np.ndarray,
    gign: np.ndarray,
    n_pred: np.ndarray,
    found50: np.ndarray,
    params: APParams,
) -> pd.DataFrame:
    """AP of each video on its own (area all, maxDets 100), counts, and recall at IoU .5."""
    # Scored objects per group (video, category): the groups with a precision curve. Objects
    # come group after group, so each one's group follows from the group sizes.
    obj_group = np.repeat(np.arange(group_vpos.size), group_gt)
    scored = np.bincount(obj_group[~gign], minlength=group_vpos.size)
    curved = np.flatnonzero(scored > 0)
    curves = block_curves(
        det_first[curved],
        det_first[curved + 1],
        scored[curved],
        np.ascontiguousarray(matched),
        np.ascontiguousarray(ignored),
        np.ascontiguousarray(params.rec_thrs, dtype=np.float64),
    )
    n_videos = len(video_ids)
    bounds = np.searchsorted(group_vpos[curved], np.arange(n_videos + 1))
    n_gt = np.bincount(gvid, minlength=n_videos)
    n_scored = np.bincount(gvid[~gign], minlength=n_videos)
    rows = []
    for vpos, vid in enumerate(video_ids):
        mine = curves[bounds[vpos] : bounds[vpos + 1]]
        # (T, R, categories): the layout the category-wise AP averages over.
        prec = np.ascontiguousarray(mine.transpose(1, 2, 0)) if len(mine) else None
        rows.append(
            {
                "video_id": vid,
                "n_gt": int(n_gt[vpos]),
                "n_pred": int(n_pred[vpos]),
                "AP": _pct(_mean_defined(prec)) if prec is not None else None,
                "AP50": _pct(_mean_defined(prec[0])) if prec is not None else None,
                "recall50": 100.0 * found50[vpos] / n_scored[vpos] if n_scored[vpos] else None,
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
