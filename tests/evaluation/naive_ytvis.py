"""Slow, straightforward YouTube-VIS AP: per-pair, per-frame Python loops in the shape of the
official ``ytvos.py`` + ``ytvoseval.py`` (loadRes, computeIoU, evaluateVid, accumulate, summarize).

Written independently of ``vis_pipelines.evaluation`` so that the fast implementation can be
checked against it number for number; the benchmark uses it as the "official-like" baseline.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
from pycocotools import mask as mask_utils

IOU_THRS = np.linspace(0.5, 0.95, int(np.round((0.95 - 0.5) / 0.05)) + 1, endpoint=True)
REC_THRS = np.linspace(0.0, 1.0, int(np.round((1.0 - 0.0) / 0.01)) + 1, endpoint=True)
MAX_DETS = [1, 10, 100]
AREA_RNG = [[0**2, 1e5**2], [0**2, 128**2], [128**2, 256**2], [256**2, 1e5**2]]
AREA_LBL = ["all", "small", "medium", "large"]


def _mean_truthy(values: list[Any]) -> float:
    kept = [a for a in values if a]
    return np.array(kept).mean() if kept else 0


def load_results(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What ``YTVOS.loadRes`` does to a results list: areas, boxes, ids, avg_area, iscrowd."""
    # The official loadRes mutates the records in place; shallow copies keep the caller's data
    # intact without the cost of a deep copy (which would flatter the fast implementation).
    anns = [dict(r) for r in results]
    for i, ann in enumerate(anns):
        ann["areas"] = []
        ann["bboxes"] = []
        for seg in ann["segmentations"]:
            if seg:
                ann["areas"].append(mask_utils.area(seg))
                ann["bboxes"].append(mask_utils.toBbox(seg))
            else:
                ann["areas"].append(None)
                ann["bboxes"].append(None)
        ann["id"] = i + 1
        ann["avg_area"] = _mean_truthy(ann["areas"])
        ann["iscrowd"] = 0
    return anns


def _video_iou(d_seq: list[Any], g_seq: list[Any]) -> float:
    inter = 0.0
    union = 0.0
    for d, g in zip(d_seq, g_seq, strict=True):
        if d and g:
            inter += mask_utils.area(mask_utils.merge([d, g], True))
            union += mask_utils.area(mask_utils.merge([d, g], False))
        elif g:
            union += mask_utils.area(g)
        elif d:
            union += mask_utils.area(d)
    return inter / union if union > 0 else 0.0


def naive_ytvis_eval(gt: dict[str, Any], results: list[dict[str, Any]]) -> dict[str, Any]:
    """Return ``{"stats": {12 names: fraction}, "precision": array, "recall": array}``."""
    vid_ids = sorted(v["id"] for v in gt["videos"])
    cat_ids = sorted(c["id"] for c in gt["categories"])
    dts = load_results(results)
    gts = [dict(a) for a in gt["annotations"] if a["category_id"] in cat_ids]
    for g in gts:
        g["avg_area"] = _mean_truthy(g["areas"])
        g["ignore"] = int(bool(g.get("iscrowd", 0)))
    g_by: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
    d_by: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
    for g in gts:
        g_by[g["video_id"], g["category_id"]].append(g)
    d_by_video: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for d in dts:
        d_by_video[d["video_id"]].append(d)
    for vid in vid_ids:
        for d in d_by_video[vid]:
            if d["category_id"] in cat_ids:
                d_by[vid, d["category_id"]].append(d)

    ious: dict[tuple[int, int], Any] = {}
    for vid in vid_ids:
        for cat in cat_ids:
            g, d = g_by[vid, cat], d_by[vid, cat]
            if not g and not d:
                ious[vid, cat] = []
                continue
            order = np.argsort([-x["score"] for x in d], kind="mergesort")
            d = [d[i] for i in order][: MAX_DETS[-1]]
            mat = np.zeros((len(d), len(g)))
            for i in range(len(d)):
                for j in range(len(g)):
                    mat[i, j] = _video_iou(d[i]["segmentations"], g[j]["segmentations"])
            ious[vid, cat] = mat

    def evaluate_video(vid: int, cat: int, rng: list[float], max_det: int) -> dict[str, Any] | None:
        g, d = g_by[vid, cat], d_by[vid, cat]
        if not g and not d:
            return None
        for x in g:
            x["_ignore"] = (
                1 if x["ignore"] or x["avg_area"] < rng[0] or x["avg_area"] > rng[1] else 0
            )
        g_order = np.argsort([x["_ignore"] for x in g], kind="mergesort")
        g = [g[i] for i in g_order]
        d_order = np.argsort([-x["score"] for x in d], kind="mergesort")
        d = [d[i] for i in d_order[:max_det]]
        crowd = [int(x.get("iscrowd", 0)) for x in g]
        mat = ious[vid, cat]
        mat = mat[:, g_order] if len(mat) > 0 else mat
        n_t = len(IOU_THRS)
        gtm = np.zeros((n_t, len(g)))
        dtm = np.zeros((n_t, len(d)))
        g_ig = np.array([x["_ignore"] for x in g])
        dt_ig = np.zeros((n_t, len(d)))
        if len(mat) > 0:
            for ti, thr in enumerate(IOU_THRS):
                for di, det in enumerate(d):
                    best = min([thr, 1 - 1e-10])
                    m = -1
                    for gi in range(len(g)):
                        if gtm[ti, gi] > 0 and not crowd[gi]:
                            continue
                        if m > -1 and g_ig[m] == 0 and g_ig[gi] == 1:
                            break
                        if mat[di, gi] < best:
                            continue
                        best = mat[di, gi]
                        m = gi
                    if m == -1:
                        continue
                    dt_ig[ti, di] = g_ig[m]
                    dtm[ti, di] = g[m]["id"]
                    gtm[ti, m] = det["id"]
        out_rng = np.array([x["avg_area"] < rng[0] or x["avg_area"] > rng[1] for x in d]).reshape(
            1, len(d)
        )
        dt_ig = np.logical_or(dt_ig, np.logical_and(dtm == 0, np.repeat(out_rng, n_t, 0)))
        return {
            "dtMatches": dtm,
            "dtScores": [x["score"] for x in d],
            "gtIgnore": g_ig,
            "dtIgnore": dt_ig,
        }

    evals = {
        (cat, ai, vid): evaluate_video(vid, cat, rng, MAX_DETS[-1])
        for cat in cat_ids
        for ai, rng in enumerate(AREA_RNG)
        for vid in vid_ids
    }

    n_t, n_r, n_k, n_a, n_m = (
        len(IOU_THRS),
        len(REC_THRS),
        len(cat_ids),
        len(AREA_RNG),
        len(MAX_DETS),
    )
    precision = -np.ones((n_t, n_r, n_k, n_a, n_m))
    recall = -np.ones((n_t, n_k, n_a, n_m))
    for k, cat in enumerate(cat_ids):
        for a in range(n_a):
            for m, max_det in enumerate(MAX_DETS):
                es = [evals[cat, a, vid] for vid in vid_ids]
                es = [e for e in es if e is not None]
                if not es:
                    continue
                scores = np.concatenate([e["dtScores"][:max_det] for e in es])
                inds = np.argsort(-scores, kind="mergesort")
                dtm = np.concatenate([e["dtMatches"][:, :max_det] for e in es], axis=1)[:, inds]
                dt_ig = np.concatenate([e["dtIgnore"][:, :max_det] for e in es], axis=1)[:, inds]
                g_ig = np.concatenate([e["gtIgnore"] for e in es])
                npig = np.count_nonzero(g_ig == 0)
                if npig == 0:
                    continue
                tps = np.logical_and(dtm, np.logical_not(dt_ig))
                fps = np.logical_and(np.logical_not(dtm), np.logical_not(dt_ig))
                tp_sum = np.cumsum(tps, axis=1).astype(np.float64)
                fp_sum = np.cumsum(fps, axis=1).astype(np.float64)
                for t, (tp, fp) in enumerate(zip(tp_sum, fp_sum, strict=True)):
                    nd = len(tp)
                    rc = tp / npig
                    pr = (tp / (fp + tp + np.spacing(1))).tolist()
                    q = [0.0] * n_r
                    recall[t, k, a, m] = rc[-1] if nd else 0
                    for i in range(nd - 1, 0, -1):
                        if pr[i] > pr[i - 1]:
                            pr[i - 1] = pr[i]
                    for ri, pi in enumerate(np.searchsorted(rc, REC_THRS, side="left")):
                        if pi >= nd:
                            break
                        q[ri] = pr[pi]
                    precision[t, :, k, a, m] = np.array(q)

    def summarize(
        ap: int, thr: float | None = None, area: str = "all", max_det: int = 100
    ) -> float:
        ai = [i for i, lbl in enumerate(AREA_LBL) if lbl == area]
        mi = [i for i, md in enumerate(MAX_DETS) if md == max_det]
        s = precision if ap else recall
        if thr is not None:
            s = s[np.where(thr == IOU_THRS)[0]]
        s = s[:, :, :, ai, mi] if ap else s[:, :, ai, mi]
        return float(np.mean(s[s > -1])) if len(s[s > -1]) else -1.0

    stats = {
        "AP": summarize(1),
        "AP50": summarize(1, 0.5),
        "AP75": summarize(1, 0.75),
        "APs": summarize(1, area="small"),
        "APm": summarize(1, area="medium"),
        "APl": summarize(1, area="large"),
        "AR1": summarize(0, max_det=1),
        "AR10": summarize(0, max_det=10),
        "AR100": summarize(0, max_det=100),
        "ARs": summarize(0, area="small"),
        "ARm": summarize(0, area="medium"),
        "ARl": summarize(0, area="large"),
    }
    return {"stats": stats, "precision": precision, "recall": recall}
