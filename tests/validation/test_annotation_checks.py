"""Great Expectations validation of YouTube-VIS tables: a good dataset passes, each corruption
fails with the right check named (and never crashes on wrong types)."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from vis_pipelines.formats import encode_mask, rle_bbox
from vis_pipelines.validation import (
    ANNOTATION_COLUMNS,
    DataValidationError,
    annotation_table,
    validate_annotations,
    video_table,
)

H, W = 8, 10


def _mask(y0: int, y1: int, x0: int, x1: int, h: int = H, w: int = W) -> np.ndarray:
    m = np.zeros((h, w), np.uint8)
    m[y0:y1, x0:x1] = 1
    return m


def good_dataset() -> dict:
    """2 videos (3 and 2 frames), 3 annotations, one frame where an object is absent."""
    masks = [
        [_mask(0, 2, 0, 3), _mask(1, 3, 1, 4), None],
        [_mask(4, 8, 5, 10), None, _mask(0, 1, 0, 1)],
        [_mask(2, 5, 2, 6), _mask(2, 5, 3, 7)],
    ]
    videos = [
        {
            "id": 1,
            "width": W,
            "height": H,
            "length": 3,
            "file_names": [f"a/{i}.jpg" for i in range(3)],
        },
        {"id": 2, "width": W, "height": H, "length": 2, "file_names": ["b/0.jpg", "b/1.jpg"]},
    ]
    anns = []
    for aid, (vid, cat, ms) in enumerate(
        [(1, 1, masks[0]), (1, 2, masks[1]), (2, 1, masks[2])], start=1
    ):
        segs = [None if m is None else encode_mask(m) for m in ms]
        anns.append(
            {
                "id": aid,
                "video_id": vid,
                "category_id": cat,
                "segmentations": segs,
                "areas": [None if m is None else float(m.sum()) for m in ms],
                "bboxes": [None if s is None else rle_bbox(s) for s in segs],
                "iscrowd": 0,
            }
        )
    return {
        "videos": videos,
        "annotations": anns,
        "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}],
    }


def test_annotation_table_rows_and_flags() -> None:
    df = annotation_table(good_dataset())
    assert list(df.columns) == ANNOTATION_COLUMNS
    assert len(df) == 3 + 3 + 2  # one row per (annotation, frame)
    assert df["has_segmentation"].tolist() == [True, True, False, True, False, True, True, True]
    assert df["area"].tolist()[:2] == [6.0, 6.0] and df["rle_area"].tolist()[3] == 20.0
    assert df["video_known"].all() and df["category_known"].all() and df["type_error"].isna().all()
    assert df.loc[3, ["bbox_x", "bbox_y", "bbox_w", "bbox_h"]].tolist() == [5.0, 4.0, 5.0, 4.0]
    assert (df["rle_height"].dropna() == H).all() and (df["video_width"] == W).all()
    videos = video_table(good_dataset())
    assert videos["length"].tolist() == [3.0, 2.0] and videos["n_file_names"].tolist() == [3.0, 2.0]


def test_wrong_types_never_raise_in_the_table() -> None:
    data = good_dataset()
    data["annotations"][0]["areas"][0] = "big"
    data["annotations"][1]["segmentations"] = "oops"
    data["annotations"][2]["video_id"] = [2]
    data["annotations"].append(7)
    df = annotation_table(data)
    errors = df["type_error"].dropna().tolist()
    assert errors == [
        "areas[0]",
        "segmentations",
        "video_id",
        "video_id",
        "annotations[3] is not an object",
    ]
    assert not df["video_known"].iloc[-1]  # a broken row is never "known"


def test_good_dataset_passes_with_counts() -> None:
    summary = validate_annotations(good_dataset(), name="toy")
    assert summary["success"] and summary["labeled"]
    assert (summary["num_videos"], summary["num_annotations"], summary["num_rows"]) == (2, 3, 8)
    checks = summary["checks"]
    assert {
        "video_id_resolves",
        "category_known",
        "one_segmentation_per_frame",
        "area_non_negative",
        "area_matches_rle",
        "bbox_inside_frame",
        "rle_height_matches_video",
    } <= set(checks)
    assert all(c["success"] and c["unexpected_count"] == 0 for c in checks.values())
    assert checks["area_non_negative"]["element_count"] == 8
    assert checks["area_non_negative"]["expectation"] == "expect_column_values_to_be_between"


def _set(path: list, value) -> callable:
    def mutate(data: dict) -> None:
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return mutate


CORRUPTIONS = {
    "unknown video": (_set(["annotations", 2, "video_id"], 9), {"video_id_resolves"}),
    "unknown category": (_set(["annotations", 1, "category_id"], 5), {"category_known"}),
    "null category": (_set(["annotations", 1, "category_id"], None), {"category_known"}),
    "segmentation count": (
        lambda d: d["annotations"][2]["segmentations"].append(None),
        {"one_segmentation_per_frame", "no_type_errors"},
    ),
    "rle size": (
        _set(["annotations", 0, "segmentations", 1], encode_mask(_mask(0, 2, 0, 2, 9, 10))),
        {"rle_height_matches_video", "area_matches_rle"},
    ),
    "negative area": (
        _set(["annotations", 0, "areas", 0], -6.0),
        {"area_non_negative", "area_matches_rle"},
    ),
    "area mismatch": (_set(["annotations", 1, "areas", 0], 21.0), {"area_matches_rle"}),
    "box outside": (
        _set(["annotations", 1, "bboxes", 0], [5.0, 4.0, 7.0, 4.0]),
        {"bbox_inside_frame"},
    ),
    "negative box": (
        _set(["annotations", 1, "bboxes", 0], [5.0, 4.0, -1.0, 4.0]),
        {"bbox_size_non_negative"},
    ),
    "wrong types": (_set(["annotations", 0, "areas", 1], "six"), {"no_type_errors"}),
    "duplicate id": (_set(["annotations", 1, "id"], 1), {"annotation_frame_unique"}),
    # Counts of a 20x20 mask claimed to be 8x10: a valid string that decodes to too many pixels.
    "corrupt counts": (
        _set(
            ["annotations", 2, "segmentations", 0],
            {"size": [H, W], "counts": encode_mask(np.ones((20, 20), np.uint8))["counts"]},
        ),
        {"rle_area_within_frame", "area_matches_rle"},
    ),
    "video length": (
        _set(["videos", 1, "length"], 3),
        {"video_length_matches_file_names", "one_segmentation_per_frame"},
    ),
    "video size": (
        _set(["videos", 0, "width"], 0),
        {"video_size_positive", "rle_width_matches_video", "bbox_inside_frame"},
    ),
}


@pytest.mark.parametrize("case", list(CORRUPTIONS))
def test_each_corruption_fails_the_right_checks(case: str) -> None:
    mutate, expected = CORRUPTIONS[case]
    data = good_dataset()
    mutate(data)
    with pytest.raises(DataValidationError) as err:
        validate_annotations(data, name=f"toy-{case}")
    failed = {k for k, v in err.value.summary["checks"].items() if not v["success"]}
    assert failed == expected
    message = str(err.value)
    assert message.startswith(f"data validation of 'toy-{case}' failed {len(expected)} of ")
    for check in expected:
        assert f"- {check} (" in message


def test_message_lists_offending_rows_with_ids() -> None:
    data = good_dataset()
    for t in range(3):
        data["annotations"][0]["areas"][t] = -1.0
    data["annotations"][2]["areas"][1] = -2.0
    data["annotations"][2]["video_id"] = 9
    with pytest.raises(DataValidationError) as err:
        validate_annotations(data, name="toy", max_rows=2)
    lines = {line.split(" (")[0]: line for line in str(err.value).splitlines()[1:]}
    assert set(lines) == {"- area_non_negative", "- area_matches_rle", "- video_id_resolves"}
    area = lines["- area_non_negative"]
    assert "4 of 8 rows" in area
    assert "(annotation_id=1, video_id=1, frame=0, area=-1)" in area
    assert area.count("annotation_id=") == 2  # capped by max_rows
    assert (
        "(annotation_id=3, video_id=9, frame=0, video_known=False)" in lines["- video_id_resolves"]
    )


def test_null_category_allowed_for_scribble_background() -> None:
    data = good_dataset()
    data["annotations"][1]["category_id"] = None
    assert validate_annotations(data, name="scribbles", allow_null_category=True)["success"]


def test_one_pixel_box_tolerance() -> None:
    data = good_dataset()
    data["annotations"][1]["bboxes"][0] = [5.0, 4.0, 6.0, 4.0]  # right edge 11 > 10 by one pixel
    assert validate_annotations(data, name="toy")["success"]


def test_unlabeled_dataset_validates_videos_only() -> None:
    data = good_dataset()
    data["annotations"] = None
    summary = validate_annotations(data, name="valid")
    assert summary["success"] and not summary["labeled"] and summary["num_rows"] == 0
    assert set(summary["checks"]) == {
        "video_no_type_errors",
        "video_id_not_null",
        "video_id_unique",
        "video_size_positive",
        "video_length_matches_file_names",
    }
    data["videos"][1]["id"] = 1
    data["videos"][0]["file_names"] = None
    del data["videos"][1]["height"]
    with pytest.raises(DataValidationError, match="video_id_unique") as err:
        validate_annotations(data, name="valid")
    assert "(video_id=1, type_error='file_names')" in str(err.value)
    assert "(video_id=1, type_error='height')" in str(err.value)


def test_not_a_dataset() -> None:
    with pytest.raises(DataValidationError, match="'videos' list"):
        validate_annotations([1, 2], name="junk")
    data = copy.deepcopy(good_dataset())
    data["annotations"] = {"not": "a list"}
    with pytest.raises(DataValidationError, match="annotations_is_list"):
        validate_annotations(data, name="junk")
    assert issubclass(DataValidationError, ValueError)


def test_table_handles_more_rles_than_one_pycocotools_call() -> None:
    data = good_dataset()
    data["videos"][1]["length"] = 300
    data["videos"][1]["file_names"] = [f"b/{i}.jpg" for i in range(300)]
    rle = encode_mask(_mask(0, 2, 0, 3))
    data["annotations"][2].update(segmentations=[rle] * 300, areas=[6.0] * 300, bboxes=None)
    df = annotation_table(data)
    assert len(df) == 306 and (df["rle_area"].iloc[6:] == 6.0).all()
