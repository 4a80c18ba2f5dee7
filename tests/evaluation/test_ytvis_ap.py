"""YouTube-VIS AP on hand-computed cases and against the naive reference on random data."""

from __future__ import annotations

import math

import numpy as np
import pytest
from naive_ytvis import naive_ytvis_eval
from ytvis_synthetic import random_case

from vis_pipelines.evaluation.ytvis import (
    STAT_NAMES,
    category_split_ap,
    evaluate_ytvis,
    format_summary,
    run_ytvis_eval,
)
from vis_pipelines.formats.errors import FormatError
from vis_pipelines.formats.rle import encode_mask

H, W = 40, 50


def box(y0: int, x0: int, y1: int, x1: int, h: int = H, w: int = W) -> dict:
    m = np.zeros((h, w), np.uint8)
    m[y0:y1, x0:x1] = 1
    return encode_mask(m)


def video(vid: int, length: int, h: int = H, w: int = W) -> dict:
    return {
        "id": vid,
        "height": h,
        "width": w,
        "length": length,
        "file_names": [f"{vid}/{t}.jpg" for t in range(length)],
    }


def track(*boxes: tuple | None) -> list:
    return [None if b is None else box(*b) for b in boxes]


def dataset(videos: list, anns: list, n_cats: int = 2, **cat_fields) -> dict:
    cats = [
        {"id": c, "name": f"c{c}", **{k: v[c - 1] for k, v in cat_fields.items()}}
        for c in range(1, n_cats + 1)
    ]
    for i, a in enumerate(anns):
        a.setdefault("id", i + 1)
        a.setdefault("iscrowd", 0)
    return {"videos": videos, "categories": cats, "annotations": anns}


def pred(vid: int, cat: int, score: float, segs: list) -> dict:
    return {"video_id": vid, "category_id": cat, "score": score, "segmentations": segs}


A = (0, 0, 10, 10)  # 100 px
B = (20, 20, 30, 40)  # 200 px


def test_perfect_prediction_scores_100() -> None:
    gt = dataset(
        [video(1, 3), video(2, 2)],
        [
            {"video_id": 1, "category_id": 1, "segmentations": track(A, A, None)},
            {"video_id": 1, "category_id": 2, "segmentations": track(B, B, B)},
            {"video_id": 2, "category_id": 1, "segmentations": track(None, B)},
        ],
    )
    res = [
        pred(a["video_id"], a["category_id"], 0.9, a["segmentations"]) for a in gt["annotations"]
    ]
    s = evaluate_ytvis(gt, res)["summary"]
    for key in ("AP", "AP50", "AP75", "APs", "AR1", "AR10", "AR100", "ARs"):
        assert s[key] == pytest.approx(100.0)
    # every object is small (< 128²): medium/large have no ground truth → undefined, not 0
    assert s["APm"] is None and s["APl"] is None and s["ARm"] is None


def test_one_missing_object_halves_recall() -> None:
    gt = dataset(
        [video(1, 2)],
        [
            {"video_id": 1, "category_id": 1, "segmentations": track(A, A)},
            {"video_id": 1, "category_id": 1, "segmentations": track(B, B)},
        ],
    )
    ev = run_ytvis_eval(gt, [pred(1, 1, 0.5, track(A, A))])
    # precision 1 on recall points 0.00 .. 0.50 (51 of 101), 0 above
    assert ev.stats["AP"] == pytest.approx(51 / 101)
    assert ev.stats["AR100"] == pytest.approx(0.5)


def test_duplicate_predictions_count_as_false_positives() -> None:
    gt = dataset([video(1, 1)], [{"video_id": 1, "category_id": 1, "segmentations": track(A)}])
    dup_after = [pred(1, 1, 0.9, track(A)), pred(1, 1, 0.8, track(A))]
    assert run_ytvis_eval(gt, dup_after).stats["AP"] == pytest.approx(1.0)
    wrong_first = [pred(1, 1, 0.9, track(B)), pred(1, 1, 0.8, track(A))]
    assert run_ytvis_eval(gt, wrong_first).stats["AP"] == pytest.approx(0.5)
    # AR1 looks at the best-scoring prediction only
    assert run_ytvis_eval(gt, wrong_first).stats["AR1"] == pytest.approx(0.0)


def test_score_ties_keep_file_order() -> None:
    gt = dataset([video(1, 1)], [{"video_id": 1, "category_id": 1, "segmentations": track(A)}])
    good, bad = pred(1, 1, 0.7, track(A)), pred(1, 1, 0.7, track(B))
    assert run_ytvis_eval(gt, [good, bad]).stats["AP"] == pytest.approx(1.0)
    assert run_ytvis_eval(gt, [bad, good]).stats["AP"] == pytest.approx(0.5)


def test_crowd_objects_are_ignored_and_absorb_predictions() -> None:
    crowd_box = (0, 20, 20, 50)
    anns = [
        {"video_id": 1, "category_id": 1, "segmentations": track(A)},
        {"video_id": 1, "category_id": 1, "segmentations": track(crowd_box), "iscrowd": 1},
    ]
    res = [
        pred(1, 1, 0.9, track(crowd_box)),
        pred(1, 1, 0.8, track(crowd_box)),
        pred(1, 1, 0.5, track(A)),
    ]
    ev = run_ytvis_eval(dataset([video(1, 1)], anns), res)
    assert ev.stats["AP"] == pytest.approx(1.0)  # both crowd matches ignored, not false positives
    anns[1]["iscrowd"] = 0
    ev = run_ytvis_eval(dataset([video(1, 1)], anns), res)
    # now two regular objects: TP (recall .5), duplicate FP, TP (recall 1, precision 2/3)
    assert ev.stats["AP50"] == pytest.approx((51 + 50 * 2 / 3) / 101)


def test_video_iou_with_objects_present_in_some_frames() -> None:
    # GT on frames 0,1; prediction on frames 1,2 (same box): inter 100, union 300 → IoU 1/3
    gt = dataset(
        [video(1, 3)], [{"video_id": 1, "category_id": 1, "segmentations": track(A, A, None)}]
    )
    ev = run_ytvis_eval(gt, [pred(1, 1, 0.9, track(None, A, A))])
    assert ev.stats["AP50"] == 0.0 and ev.per_video["recall50"].iloc[0] == 0.0
    # prediction on frames 0,1,2: inter 200, union 300 → IoU 2/3: found at .5/.65, missed at .7+
    ev = run_ytvis_eval(gt, [pred(1, 1, 0.9, track(A, A, A))])
    assert ev.stats["AP50"] == pytest.approx(1.0) and ev.stats["AP75"] == 0.0
    assert ev.stats["AP"] == pytest.approx(4 / 10)  # thresholds .50 .55 .60 .65 of ten
    assert ev.per_video["recall50"].iloc[0] == 100.0
    # empty (all-zero) predicted masks count like absent frames
    empty = box(0, 0, 0, 0)
    ev = run_ytvis_eval(gt, [pred(1, 1, 0.9, [box(*A), box(*A), empty])])
    assert ev.stats["AP"] == pytest.approx(1.0)


def test_category_without_gt_and_video_without_predictions() -> None:
    gt = dataset(
        [video(1, 1), video(2, 1)],
        [
            {"video_id": 1, "category_id": 1, "segmentations": track(A)},
            {"video_id": 2, "category_id": 1, "segmentations": track(B)},
        ],
        n_cats=3,
    )
    res = [pred(1, 1, 0.9, track(A)), pred(1, 3, 0.95, track(B))]  # category 3 has no GT
    out = evaluate_ytvis(gt, res)
    assert out["summary"]["AR100"] == pytest.approx(50.0)
    assert out["summary"]["AP"] == pytest.approx(100 * 51 / 101)
    cats = out["per_category"].set_index("category_id")
    assert cats.loc[3, "AP"] is None or math.isnan(cats.loc[3, "AP"])
    assert cats.loc[3, "n_pred"] == 1 and cats.loc[1, "n_gt"] == 2
    vids = out["per_video"].set_index("video_id")
    assert vids.loc[2, "n_pred"] == 0 and vids.loc[2, "AP"] == pytest.approx(0.0)
    assert vids.loc[1, "AP"] == pytest.approx(100.0)


def test_area_ranges_use_mean_area_over_annotated_frames() -> None:
    big = (0, 0, 40, 50)  # 2000 px: still small; use a larger video for medium/large
    h, w = 300, 300
    med = (0, 0, 150, 150)  # 22500 px → medium
    large = (0, 0, 300, 300)  # 90000 px → large
    gt = dataset(
        [video(1, 2, h, w)],
        [
            {"video_id": 1, "category_id": 1, "segmentations": [box(*med, h, w), None]},
            {"video_id": 1, "category_id": 2, "segmentations": [box(*large, h, w)] * 2},
        ],
    )
    res = [pred(1, 1, 0.9, [box(*med, h, w), None]), pred(1, 2, 0.8, [box(*large, h, w)] * 2)]
    s = evaluate_ytvis(gt, res)["summary"]
    assert s["APm"] == pytest.approx(100.0) and s["APl"] == pytest.approx(100.0)
    assert s["APs"] is None
    assert big  # documents the small-object size used elsewhere


def test_split_ap_base_and_novel() -> None:
    gt = dataset(
        [video(1, 1)],
        [
            {"video_id": 1, "category_id": 1, "segmentations": track(A)},
            {"video_id": 1, "category_id": 2, "segmentations": track(B)},
        ],
        partition=["base", "novel"],
    )
    out = evaluate_ytvis(gt, [pred(1, 1, 0.9, track(A))], split_field="partition")
    assert out["summary"]["AP_base"] == pytest.approx(100.0)
    assert out["summary"]["AP_novel"] == pytest.approx(0.0)
    assert out["summary"]["AP"] == pytest.approx(50.0)


@pytest.mark.parametrize("seed", range(12))
def test_matches_naive_reference_exactly(seed: int) -> None:
    gt, res = random_case(
        seed,
        score_levels=3 if seed % 3 == 0 else None,
        crowd_p=0.3 if seed % 2 else 0.0,
        gt_id_start=0 if seed % 4 == 1 else 1,
        h=40 if seed % 4 == 0 else 20,
        w=420 if seed % 4 == 0 else 24,
    )
    ref = naive_ytvis_eval(gt, res)
    ev = run_ytvis_eval(gt, res)
    assert ev.stats == ref["stats"]  # identical floats, not approximately equal
    assert np.array_equal(ev.precision, ref["precision"])
    assert np.array_equal(ev.recall, ref["recall"])


def test_matches_naive_reference_beyond_max_dets() -> None:
    gt, res = random_case(7, n_videos=2, n_cats=2, h=300, w=300, max_len=2, crowd_p=0.2)
    rng = np.random.default_rng(0)
    res = res + [dict(r, score=float(rng.random())) for r in res for _ in range(60)]
    ref = naive_ytvis_eval(gt, res)
    ev = run_ytvis_eval(gt, res)
    assert ev.stats == ref["stats"]
    assert np.array_equal(ev.precision, ref["precision"])


def test_bad_inputs_raise_format_error() -> None:
    gt = dataset([video(1, 2)], [{"video_id": 1, "category_id": 1, "segmentations": track(A, A)}])
    with pytest.raises(FormatError, match="video_id"):
        run_ytvis_eval(gt, [pred(9, 1, 0.5, track(A, A))])
    with pytest.raises(FormatError, match="frames"):
        run_ytvis_eval(gt, [pred(1, 1, 0.5, track(A))])
    with pytest.raises(FormatError, match="size"):
        run_ytvis_eval(gt, [pred(1, 1, 0.5, [box(*A, h=10, w=10)] * 2)])
    with pytest.raises(FormatError, match="score"):
        run_ytvis_eval(gt, [pred(1, 1, float("nan"), track(A, A))])
    with pytest.raises(FormatError, match="unlabeled"):
        run_ytvis_eval({**gt, "annotations": None}, [])


def test_corrupt_masks_name_their_record_and_frame() -> None:
    gt = dataset([video(1, 2)], [{"video_id": 1, "category_id": 1, "segmentations": track(A, A)}])
    ok = pred(1, 1, 0.9, track(A, A))
    small = pred(1, 1, 0.5, [box(*A), box(*A, h=10, w=10)])
    cut = pred(1, 1, 0.5, [box(*A), {**box(*A), "counts": box(*A)["counts"][:-1]}])
    # validate=False: the kernels' own size check still names the record and frame.
    with pytest.raises(FormatError, match=r"results\[1\].*frame 1: RLE covers 100 pixels"):
        run_ytvis_eval(gt, [ok, small], validate=False)
    with pytest.raises(FormatError, match=r"results\[1\].*frame 1: not an RLE"):
        run_ytvis_eval(gt, [ok, cut], validate=False)
    bad_gt = dataset(
        [video(1, 2)],
        [{"video_id": 1, "category_id": 1, "segmentations": [box(*A), box(*A, h=10, w=10)]}],
    )
    with pytest.raises(FormatError, match=r"annotations\[0\].*frame 1"):
        run_ytvis_eval(bad_gt, [ok], validate=False)
    odd = pred(1, 1, 0.5, [box(*A), {**box(*A), "counts": "é"}])
    with pytest.raises(FormatError, match=r"results\[1\].*frame 1.*non-ASCII"):
        run_ytvis_eval(gt, [ok, odd])


def test_format_summary_has_the_twelve_cocoeval_lines() -> None:
    stats = {name: 0.5 for name in STAT_NAMES} | {"APl": -1.0}
    lines = format_summary(stats).splitlines()
    assert len(lines) == 12
    assert lines[0] == (
        " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.500"
    )
    assert lines[5].endswith("area= large | maxDets=100 ] = -1.000")
    assert lines[6] == (
        " Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=  1 ] = 0.500"
    )


def test_split_ap_ignores_categories_without_the_field() -> None:
    gt = dataset(
        [video(1, 1)],
        [{"video_id": 1, "category_id": 1, "segmentations": track(A)}],
        frequency=["common", None],
    )
    ev = run_ytvis_eval(gt, [pred(1, 1, 0.9, track(A))])
    assert category_split_ap(ev, "frequency") == {"AP_common": pytest.approx(1.0)}


def test_worker_threads_give_identical_numbers() -> None:
    gt, res = random_case(21, n_videos=10)
    one = run_ytvis_eval(gt, res)
    two = run_ytvis_eval(gt, res, workers=2)
    assert one.stats == two.stats and np.array_equal(one.precision, two.precision)
    assert one.per_video.equals(two.per_video)


@pytest.mark.parametrize("workers", [0, -1, 1.5, True])
def test_workers_must_be_a_positive_integer(workers: object) -> None:
    gt, res = random_case(21, n_videos=1)
    with pytest.raises(ValueError, match="workers"):
        run_ytvis_eval(gt, res, workers=workers)  # type: ignore[arg-type]
