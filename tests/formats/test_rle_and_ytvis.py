"""RLE codec and YouTube-VIS json: round-trips, derived fields and the errors of bad files."""

from __future__ import annotations

import json

import numpy as np
import pytest

from vis_pipelines.formats import (
    FormatError,
    decode_rle,
    encode_mask,
    encode_masks,
    is_labeled,
    load_ytvis_json,
    normalize_rle,
    rle_area,
    rle_bbox,
    save_ytvis_json,
    validate_ytvis,
)


def _mask(h: int = 6, w: int = 8) -> np.ndarray:
    m = np.zeros((h, w), np.uint8)
    m[1:4, 2:7] = 1  # 3 rows x 5 cols
    return m


def _dataset() -> dict:
    m = _mask()
    return {
        "videos": [
            {"id": 1, "width": 8, "height": 6, "length": 2, "file_names": ["v1/0.jpg", "v1/1.jpg"]}
        ],
        "categories": [
            {"id": 3, "name": "red star", "split": "base", "synonyms": ["crimson star"]}
        ],
        "annotations": [
            {
                "id": 10,
                "video_id": 1,
                "category_id": 3,
                "iscrowd": 0,
                "segmentations": [encode_mask(m), None],
            }
        ],
    }


def test_rle_roundtrip_area_bbox() -> None:
    m = _mask()
    rle = encode_mask(m)
    assert isinstance(rle["counts"], str) and rle["size"] == [6, 8]
    np.testing.assert_array_equal(decode_rle(rle), m)
    assert rle_area(rle) == 15
    assert rle_bbox(rle) == [2.0, 1.0, 5.0, 3.0]
    stack = np.stack([m, 1 - m, np.zeros_like(m)])
    rles = encode_masks(stack)
    np.testing.assert_array_equal(rle_area(rles), [15, 33, 0])
    for r, expected in zip(rles, stack, strict=True):
        np.testing.assert_array_equal(decode_rle(r), expected)


def test_area_of_many_rles() -> None:
    """pycocotools' area() overflows past 255 RLEs under numpy 2; rle_area must not."""
    masks = np.zeros((300, 4, 5), np.uint8)
    for i in range(300):
        masks[i].flat[: i % 21] = 1
    np.testing.assert_array_equal(rle_area(encode_masks(masks)), [i % 21 for i in range(300)])
    assert rle_area([]).shape == (0,)


def test_uncompressed_rle_is_normalised() -> None:
    m = _mask()
    # Column-major run lengths, as OVIS/COCO "uncompressed" RLE stores them.
    flat = m.flatten(order="F")
    runs, current, count = [], 0, 0
    for v in flat:
        if v == current:
            count += 1
        else:
            runs.append(count)
            current, count = v, 1
    runs.append(count)
    norm = normalize_rle({"size": [6, 8], "counts": runs})
    np.testing.assert_array_equal(decode_rle(norm), m)
    with pytest.raises(FormatError, match="sum to"):
        normalize_rle({"size": [6, 8], "counts": runs[:-1]})


def test_validate_derives_areas_and_boxes() -> None:
    data = validate_ytvis(_dataset())
    ann = data["annotations"][0]
    assert ann["areas"] == [15.0, None]
    assert ann["bboxes"] == [[2.0, 1.0, 5.0, 3.0], None]
    assert data["videos"][0]["length"] == 2


def test_save_load_roundtrip(tmp_path) -> None:
    path = tmp_path / "train.json"
    save_ytvis_json(_dataset(), path)
    loaded = load_ytvis_json(path)
    assert loaded == validate_ytvis(_dataset())
    assert not list(tmp_path.glob(".*tmp"))  # no temp file left behind


def test_unlabeled_valid_json(tmp_path) -> None:
    data = _dataset()
    data["annotations"] = None
    path = tmp_path / "valid.json"
    path.write_text(json.dumps(data))
    loaded = load_ytvis_json(path)
    assert not is_labeled(loaded) and loaded["annotations"] is None


def test_truncated_json_names_file(tmp_path) -> None:
    path = tmp_path / "train.json"
    path.write_text(json.dumps(_dataset())[:-40])
    with pytest.raises(FormatError, match=r"train\.json.*invalid JSON.*truncated"):
        load_ytvis_json(path)


@pytest.mark.parametrize(
    ("mutate", "pattern"),
    [
        (
            lambda d: d["annotations"][0]["segmentations"].pop(),
            r"annotations\[0\] \(id 10\).*segmentations.*expected 2",
        ),
        (
            lambda d: d["annotations"][0].__setitem__("video_id", 5),
            r"video_id.*5 is not in 'videos'",
        ),
        (
            lambda d: d["annotations"][0].__setitem__("category_id", 9),
            r"category_id.*9 is not in 'categories'",
        ),
        (lambda d: d["videos"][0].__setitem__("length", 3), r"videos\[0\] \(id 1\).*length"),
        (
            lambda d: d["videos"][0].__setitem__("width", 9),
            r"RLE size 6x8 does not match the video size 6x9",
        ),
        (lambda d: d["annotations"][0].__setitem__("areas", [-1, None]), r"areas.*>= 0"),
        (lambda d: d["categories"][0].__setitem__("split", "old"), r"categories\[0\].*split"),
        (lambda d: d["annotations"].append(dict(d["annotations"][0])), r"duplicate id 10"),
    ],
)
def test_bad_records_name_record_and_field(tmp_path, mutate, pattern) -> None:
    data = _dataset()
    mutate(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(FormatError, match=pattern) as err:
        load_ytvis_json(path)
    assert "bad.json" in str(err.value)


def test_save_refuses_invalid_and_keeps_old_file(tmp_path) -> None:
    path = tmp_path / "train.json"
    save_ytvis_json(_dataset(), path)
    before = path.read_bytes()
    bad = _dataset()
    bad["annotations"][0]["video_id"] = 42
    with pytest.raises(FormatError):
        save_ytvis_json(bad, path)
    assert path.read_bytes() == before
