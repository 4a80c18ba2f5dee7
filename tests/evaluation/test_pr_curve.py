"""The category-averaged precision/recall curve that the reporting plots draw."""

from __future__ import annotations

import numpy as np
import pytest
from ytvis_synthetic import random_case

from vis_pipelines.evaluation.ytvis import evaluate_ytvis, pr_curve_table, run_ytvis_eval
from vis_pipelines.formats.rle import encode_mask

H, W = 30, 40


def _box(y0: int, x0: int, y1: int, x1: int) -> dict:
    m = np.zeros((H, W), np.uint8)
    m[y0:y1, x0:x1] = 1
    return encode_mask(m)


def _case() -> tuple[dict, list]:
    """Two objects of one category in one video; predictions TP 0.9, FP 0.8, TP 0.7."""
    video = {"id": 1, "height": H, "width": W, "length": 1, "file_names": ["1/0.jpg"]}
    a, b, far = _box(0, 0, 10, 10), _box(15, 20, 25, 35), _box(0, 30, 5, 40)
    gt = {
        "videos": [video],
        "categories": [{"id": 1, "name": "c1"}, {"id": 2, "name": "c2"}],  # c2: no objects
        "annotations": [
            {"id": 1, "video_id": 1, "category_id": 1, "segmentations": [a], "iscrowd": 0},
            {"id": 2, "video_id": 1, "category_id": 1, "segmentations": [b], "iscrowd": 0},
        ],
    }
    preds = [
        {"video_id": 1, "category_id": 1, "score": s, "segmentations": [m]}
        for s, m in ((0.9, a), (0.8, far), (0.7, b))
    ]
    return gt, preds


def test_hand_computed_curve() -> None:
    gt, preds = _case()
    table = pr_curve_table(run_ytvis_eval(gt, preds))
    assert list(table.columns) == ["recall", "precision_iou50", "precision_iou75"]
    assert len(table) == 101
    np.testing.assert_allclose(table["recall"], np.linspace(0, 100, 101))
    # Precision 1, 1/2, 2/3 at recall 1/2, 1/2, 1; the envelope gives 1 up to recall .5, then 2/3.
    expected = np.where(np.arange(101) <= 50, 100.0, 200.0 / 3)
    np.testing.assert_allclose(table["precision_iou50"], expected)
    np.testing.assert_allclose(table["precision_iou75"], expected)  # exact boxes: IoU 1


@pytest.mark.parametrize("seed", [0, 3, 7])
def test_column_means_are_ap50_and_ap75(seed: int) -> None:
    gt, res = random_case(seed)
    out = evaluate_ytvis(gt, res)
    curve = out["pr_curve"]
    for column, key in (("precision_iou50", "AP50"), ("precision_iou75", "AP75")):
        if out["summary"][key] is None:
            assert curve[column].isna().all()
        else:
            assert curve[column].mean() == pytest.approx(out["summary"][key])


def test_no_defined_category_gives_empty_columns() -> None:
    gt, preds = _case()
    gt["annotations"] = [{**a, "iscrowd": 1} for a in gt["annotations"]]  # crowds are ignored
    table = pr_curve_table(run_ytvis_eval(gt, preds))
    assert table["precision_iou50"].isna().all() and len(table) == 101


def test_unknown_threshold_is_refused() -> None:
    gt, preds = _case()
    with pytest.raises(ValueError, match="IoU threshold 0.42"):
        pr_curve_table(run_ytvis_eval(gt, preds), iou_thresholds=(0.42,))
