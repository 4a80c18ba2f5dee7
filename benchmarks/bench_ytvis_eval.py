"""Speed of the YouTube-VIS AP evaluation against a naive official-style implementation.

Builds a seeded synthetic case (default: 1000 videos x 100 predictions, 10-20 frames of 360x640,
40 categories; per video 1-3 categories present and 1-6 objects of those categories, each present
in a random span of frames; 60 % of the predictions are jittered copies of an object, mostly with
its category, the rest random blobs), passes it through JSON text (so the objects lie in memory as
they do when a results file is read; dicts built one by one are scattered, and walking them costs
about twice as much), then times

* ``run_ytvis_eval`` (fast path: one thread with and without input validation, and with
  ``workers`` threads; best of ``--repeat`` runs after one warm-up that loads the compiled
  kernels),
* the naive per-pair, per-frame loop of ``tests/evaluation/naive_ytvis.py``, which follows the
  official ``ytvos.py`` / ``ytvoseval.py`` structure (loadRes areas and boxes, computeIoU with
  ``mask.merge``/``mask.area`` per pair and frame, evaluateVid triple loop, accumulate),

checks that both give identical numbers and prints pairs/s and the speed-up.

    python benchmarks/bench_ytvis_eval.py [--videos 1000] [--preds 100] [--naive-videos 1000]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from pycocotools import mask as mask_utils

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "evaluation"))

from naive_ytvis import naive_ytvis_eval  # noqa: E402

from vis_pipelines.evaluation.ytvis import STAT_NAMES, format_summary, run_ytvis_eval  # noqa: E402


def _ellipse(cx: float, cy: float, rx: float, ry: float, n: int = 24) -> list[float]:
    ang = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return np.stack([cx + rx * np.cos(ang), cy + ry * np.sin(ang)], 1).ravel().tolist()


def _rles(polys: list[list[float]], h: int, w: int) -> list[dict[str, Any]]:
    # One pycocotools call rasterises every polygon of a frame.
    return [
        {"size": [h, w], "counts": r["counts"].decode()}
        for r in mask_utils.frPyObjects(polys, h, w)
    ]


#: Scene presets: (categories per video, objects per video), both as [low, high] inclusive.
SCENES = {"ytvis": ((1, 3), (1, 6)), "crowded": ((1, 2), (4, 12))}


def build_case(
    seed: int,
    n_videos: int,
    n_preds: int,
    h: int,
    w: int,
    n_cats: int = 40,
    scene: str = "ytvis",
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Seeded synthetic ground truth and predictions (see module docstring)."""
    (c_lo, c_hi), (o_lo, o_hi) = SCENES[scene]
    rng = np.random.default_rng(seed)
    empty = {
        "size": [h, w],
        "counts": mask_utils.encode(np.zeros((h, w, 1), np.uint8, order="F"))[0]["counts"].decode(),
    }
    videos, anns, results = [], [], []
    aid = 1
    for v in range(n_videos):
        length = int(rng.integers(10, 21))
        videos.append(
            {
                "id": v + 1,
                "width": w,
                "height": h,
                "length": length,
                "file_names": [f"{v:05d}/{t:05d}.jpg" for t in range(length)],
            }
        )
        present_cats = rng.choice(
            np.arange(1, n_cats + 1), size=int(rng.integers(c_lo, c_hi + 1)), replace=False
        )
        objs = []
        for _ in range(int(rng.integers(o_lo, o_hi + 1))):
            start = int(rng.integers(0, length // 2))
            stop = int(rng.integers(start + length // 2, length + 1))
            c0 = rng.uniform([0.15 * w, 0.15 * h], [0.85 * w, 0.85 * h])
            radii = rng.uniform([8, 8], [0.2 * w, 0.2 * h])
            objs.append(
                (int(rng.choice(present_cats)), start, stop, c0, rng.normal(0, 2, 2), radii)
            )
        # 60 % of the predictions follow an object (jittered), the rest are random blobs.
        preds = []
        for _ in range(n_preds):
            u = rng.random()
            if rng.random() < 0.6:
                src = int(rng.integers(len(objs)))
                cat = (
                    objs[src][0]
                    if u < 0.8
                    else int(rng.choice(present_cats) if u < 0.9 else rng.integers(1, n_cats + 1))
                )
                radii = objs[src][5]
                preds.append((cat, src, rng.normal(0, 0.1, 2) * radii, rng.uniform(0.85, 1.15, 2)))
            else:
                cat = int(rng.choice(present_cats) if u < 0.5 else rng.integers(1, n_cats + 1))
                preds.append(
                    (cat, -1, rng.uniform([0, 0], [w, h]), rng.uniform(5, 0.2 * min(h, w), 2))
                )
        gt_segs: list[list[Any]] = [[] for _ in objs]
        pr_segs: list[list[Any]] = [[] for _ in preds]
        for t in range(length):
            polys, owners = [], []
            for j, (_c, start, stop, c0, vel, radii) in enumerate(objs):
                if start <= t < stop:
                    polys.append(_ellipse(*(c0 + vel * t), *radii))
                    owners.append((0, j))
                else:
                    gt_segs[j].append(None)
            for i, (_c, src, a, b) in enumerate(preds):
                if src >= 0 and not objs[src][1] <= t < objs[src][2] and rng.random() < 0.8:
                    pr_segs[i].append(empty)  # the tracked object is absent: mostly an empty mask
                    continue
                if src >= 0:
                    _c0, _s, _e, c0, vel, radii = objs[src]
                    centre = c0 + vel * t + a + rng.normal(0, 0.03, 2) * radii
                    polys.append(_ellipse(*centre, *(radii * b)))
                else:
                    polys.append(_ellipse(*a, *b))
                owners.append((1, i))
            for (kind, j), rle in zip(owners, _rles(polys, h, w), strict=True):
                (pr_segs if kind else gt_segs)[j].append(rle)
        for j, o in enumerate(objs):
            areas = [None if s is None else int(mask_utils.area(s)) for s in gt_segs[j]]
            anns.append(
                {
                    "id": aid,
                    "video_id": v + 1,
                    "category_id": o[0],
                    "iscrowd": 0,
                    "segmentations": gt_segs[j],
                    "areas": areas,
                    "bboxes": [None] * length,
                }
            )
            aid += 1
        scores = rng.random(len(preds))
        for i, p in enumerate(preds):
            results.append(
                {
                    "video_id": v + 1,
                    "category_id": p[0],
                    "score": float(scores[i]),
                    "segmentations": pr_segs[i],
                }
            )
    categories = [{"id": c + 1, "name": f"class{c + 1}"} for c in range(n_cats)]
    return {"videos": videos, "categories": categories, "annotations": anns}, results


def _pairs(gt: dict[str, Any], results: list[dict[str, Any]]) -> tuple[int, int]:
    """(prediction, ground truth) pairs of equal video and category, and those pairs x frames."""
    length = {v["id"]: v["length"] for v in gt["videos"]}
    n_gt: dict[tuple[int, int], int] = {}
    for a in gt["annotations"]:
        key = (a["video_id"], a["category_id"])
        n_gt[key] = n_gt.get(key, 0) + 1
    pairs = frames = 0
    for r in results:
        k = n_gt.get((r["video_id"], r["category_id"]), 0)
        pairs += k
        frames += k * length[r["video_id"]]
    return pairs, frames


def _timed(fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0


def _best(repeat: int, fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    """Result and fastest wall time of ``repeat`` calls (timings on shared VMs are noisy)."""
    runs = [_timed(fn, *args, **kwargs) for _ in range(max(1, repeat))]
    return runs[0][0], min(t for _, t in runs)


def main() -> None:
    """Build the case, time both implementations, print the figures."""
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--videos", type=int, default=1000)
    ap.add_argument("--preds", type=int, default=100, help="predictions per video")
    ap.add_argument("--height", type=int, default=360)
    ap.add_argument("--width", type=int, default=640)
    ap.add_argument(
        "--scene",
        choices=sorted(SCENES),
        default="ytvis",
        help="ytvis: 1-3 categories, 1-6 objects per video; crowded (OVIS-like): "
        "1-2 categories, 4-12 objects",
    )
    ap.add_argument("--workers", type=int, default=2, help="also time run_ytvis_eval(workers=N)")
    ap.add_argument(
        "--naive-videos",
        type=int,
        default=None,
        help="time the naive loop on the first N videos only (default: all)",
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=3, help="time the fast path best of N runs")
    args = ap.parse_args()

    (gt, results), t_build = _timed(
        build_case, args.seed, args.videos, args.preds, args.height, args.width, scene=args.scene
    )
    (gt, results), t_json = _timed(
        lambda case: tuple(json.loads(json.dumps(part)) for part in case), (gt, results)
    )
    n_rle = sum(len(r["segmentations"]) for r in results)
    pairs, pair_frames = _pairs(gt, results)
    print(
        f"case ({args.scene}, seed {args.seed}): {args.videos} videos x {args.preds} predictions, "
        f"{args.height}x{args.width}, {len(gt['annotations'])} objects, {n_rle} prediction RLEs "
        f"(built in {t_build:.1f} s, read from JSON in {t_json:.1f} s)"
    )
    print(
        f"same-category (prediction, object) pairs: {pairs}, pair-frames: {pair_frames} "
        f"({pair_frames / n_rle:.2f} per prediction RLE)"
    )

    _, t_warm = _timed(run_ytvis_eval, gt, results, validate=False)  # loads / compiles kernels
    fast, t_fast = _best(args.repeat, run_ytvis_eval, gt, results, validate=False)
    _, t_val = _timed(run_ytvis_eval, gt, results, validate=True)
    fast_w, t_w = _best(
        args.repeat, run_ytvis_eval, gt, results, validate=False, workers=args.workers
    )
    print(f"first call (loads or compiles the kernels): {t_warm:.2f} s")
    print(
        f"fast, 1 thread:  {t_fast:7.2f} s ({pairs / t_fast:,.0f} pairs/s, "
        f"{pair_frames / t_fast:,.0f} pair-frames/s); with input validation {t_val:.2f} s"
    )
    print(
        f"fast, {args.workers} threads: {t_w:7.2f} s ({pairs / t_w:,.0f} pairs/s); same numbers: "
        f"{fast_w.stats == fast.stats}"
    )
    print(format_summary(fast.stats))

    n_naive = args.naive_videos or args.videos
    if n_naive < args.videos:
        keep = {v["id"] for v in gt["videos"][:n_naive]}
        gt = {
            **gt,
            "videos": gt["videos"][:n_naive],
            "annotations": [a for a in gt["annotations"] if a["video_id"] in keep],
        }
        results = [r for r in results if r["video_id"] in keep]
        pairs, _ = _pairs(gt, results)
        fast, t_fast = _best(args.repeat, run_ytvis_eval, gt, results, validate=False)
        _, t_w = _best(
            args.repeat, run_ytvis_eval, gt, results, validate=False, workers=args.workers
        )
    naive, t_naive = _timed(naive_ytvis_eval, gt, results)
    same = naive["stats"] == fast.stats and np.array_equal(naive["precision"], fast.precision)
    print(f"naive: {t_naive:7.2f} s on {n_naive} videos ({pairs / t_naive:,.0f} pairs/s)")
    print(
        f"speed-up: {t_naive / t_fast:.1f}x (1 thread), {t_naive / t_w:.1f}x ({args.workers} "
        f"threads); identical numbers: {same}"
    )
    if not same:
        for name in STAT_NAMES:
            print(f"  {name}: naive {naive['stats'][name]!r} fast {fast.stats[name]!r}")


if __name__ == "__main__":
    main()
