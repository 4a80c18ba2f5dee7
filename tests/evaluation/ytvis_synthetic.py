"""Small seeded random YouTube-VIS ground truth and predictions for the evaluation tests."""

from __future__ import annotations

from typing import Any

import numpy as np

from vis_pipelines.formats.rle import encode_mask


def _box_mask(
    rng: np.random.Generator, h: int, w: int, near: tuple[int, int, int, int] | None = None
) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    if near is None:
        y0, x0 = int(rng.integers(0, h - 2)), int(rng.integers(0, w - 2))
        y1, x1 = int(rng.integers(y0 + 1, h + 1)), int(rng.integers(x0 + 1, w + 1))
    else:
        y0, x0, y1, x1 = (
            int(np.clip(v + rng.integers(-2, 3), 0, lim))
            for v, lim in zip(near, (h - 1, w - 1, h, w), strict=True)
        )
        y1, x1 = max(y1, y0 + 1), max(x1, x0 + 1)
    m = np.zeros((h, w), np.uint8)
    m[y0:y1, x0:x1] = 1
    return m, (y0, x0, y1, x1)


def random_case(
    seed: int,
    *,
    n_videos: int = 6,
    n_cats: int = 4,
    h: int = 20,
    w: int = 24,
    max_len: int = 5,
    crowd_p: float = 0.1,
    score_levels: int | None = None,
    gt_id_start: int = 1,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """GT with partial tracks, crowds, an empty category; predictions: noisy copies or junk."""
    rng = np.random.default_rng(seed)
    videos, anns, results = [], [], []
    cats = [
        {"id": c + 1, "name": f"c{c + 1}", "split": "base" if c % 2 else "novel"}
        for c in range(n_cats + 1)
    ]  # the last category never gets ground truth
    aid = gt_id_start
    for v in range(n_videos):
        length = int(rng.integers(1, max_len + 1))
        videos.append(
            {
                "id": 100 + v,
                "width": w,
                "height": h,
                "length": length,
                "file_names": [f"v{v}/{t:05d}.jpg" for t in range(length)],
            }
        )
        for _ in range(int(rng.integers(0, 4))):
            cat = int(rng.integers(1, n_cats + 1))
            segs, boxes = [], []
            for _t in range(length):
                if rng.random() < 0.25:
                    segs.append(None)
                    boxes.append(None)
                else:
                    m, box = _box_mask(rng, h, w)
                    segs.append(m)
                    boxes.append(box)
            anns.append(
                {
                    "id": aid,
                    "video_id": 100 + v,
                    "category_id": cat,
                    "iscrowd": int(rng.random() < crowd_p),
                    "segmentations": [None if s is None else encode_mask(s) for s in segs],
                    "areas": [None if s is None else float(s.sum()) for s in segs],
                    "bboxes": [None] * length,
                }
            )
            aid += 1
            for _ in range(int(rng.integers(0, 3))):  # noisy copies, sometimes the wrong category
                pc = cat if rng.random() < 0.8 else int(rng.integers(1, n_cats + 2))
                psegs = []
                for t in range(length):
                    if boxes[t] is None:
                        psegs.append(
                            None if rng.random() < 0.5 else encode_mask(_box_mask(rng, h, w)[0])
                        )
                    else:
                        psegs.append(encode_mask(_box_mask(rng, h, w, boxes[t])[0]))
                results.append({"video_id": 100 + v, "category_id": pc, "segmentations": psegs})
        for _ in range(int(rng.integers(0, 4))):  # junk predictions
            results.append(
                {
                    "video_id": 100 + v,
                    "category_id": int(rng.integers(1, n_cats + 2)),
                    "segmentations": [encode_mask(_box_mask(rng, h, w)[0]) for _ in range(length)],
                }
            )
    order = rng.permutation(len(results))
    results = [results[i] for i in order]
    for r in results:
        s = rng.random()
        r["score"] = float(np.round(s * score_levels) / score_levels) if score_levels else float(s)
    gt = {"videos": videos, "categories": cats, "annotations": anns}
    return gt, results
