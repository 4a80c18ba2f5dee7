"""BURST → YouTube-VIS conversion on a hand-built two-sequence BURST file."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

from vis_pipelines.formats import FormatError, decode_rle, encode_mask, load_ytvis_json
from vis_pipelines.formats.burst import (
    BURST_COMMON_CATEGORY_IDS,
    convert_burst,
    convert_burst_file,
    load_burst_class_split,
)

H, W = 6, 8


def _box(y0: int, y1: int, x0: int, x1: int) -> np.ndarray:
    m = np.zeros((H, W), np.uint8)
    m[y0:y1, x0:x1] = 1
    return m


MASKS = {  # (sequence, frame, track) → mask
    ("cat-1", 0, "1"): _box(0, 2, 0, 3),  # area 6, box [0, 0, 3, 2]
    ("cat-1", 0, "2"): _box(3, 6, 4, 8),  # area 12
    ("cat-1", 1, "1"): _box(1, 3, 1, 4),
    ("cat-1", 2, "1"): _box(2, 4, 2, 5),
    ("cat-1", 2, "2"): _box(0, 1, 0, 1),  # area 1
    ("v_abc", 0, "7"): _box(0, 6, 0, 8),  # full frame, area 48
}


def _rle(key: tuple[str, int, str], **extra: object) -> dict:
    return {"rle": encode_mask(MASKS[key])["counts"], "is_gt": True, "score": 1.0, **extra}


def burst_dict() -> dict:
    """Two sequences; ids 5 and 3 so that sorting by id reverses the file order."""
    return {
        "split": "val",
        "categories": [
            {
                "id": 3,
                "name": "aerosol_can",
                "synset": "a.n.01",
                "synonyms": ["spray"],
                "def": "...",
            },
            {"id": 4, "name": "airplane", "synset": "b.n.01", "synonyms": [], "def": "..."},
            {"id": 13, "name": "apron", "synset": "c.n.01", "synonyms": [], "def": "..."},
        ],
        "sequences": [
            {
                "id": 5,
                "dataset": "LaSOT",
                "seq_name": "cat-1",
                "fps": 30,
                "width": W,
                "height": H,
                "all_image_paths": [f"frame{i:04d}.jpg" for i in range(6)],
                "annotated_image_paths": ["frame0000.jpg", "frame0002.jpg", "frame0004.jpg"],
                "neg_category_ids": [13],
                "not_exhaustive_category_ids": [],
                "track_category_ids": {"1": 4, "2": 3},
                "segmentations": [
                    {"1": _rle(("cat-1", 0, "1")), "2": _rle(("cat-1", 0, "2"))},
                    {"1": _rle(("cat-1", 1, "1"))},
                    {"1": _rle(("cat-1", 2, "1")), "2": _rle(("cat-1", 2, "2"))},
                ],
            },
            {
                "id": 3,
                "dataset": "HACS",
                "seq_name": "v_abc",
                "fps": 30,
                "width": W,
                "height": H,
                "all_image_paths": ["0.jpg", "1.jpg"],
                "annotated_image_paths": ["1.jpg"],
                "neg_category_ids": [],
                "not_exhaustive_category_ids": [4],
                "track_category_ids": {"7": 13},
                "segmentations": [{"7": _rle(("v_abc", 0, "7"))}],
            },
        ],
    }


def test_videos_follow_the_annotated_frames_with_stable_ids() -> None:
    out = convert_burst(burst_dict(), source="val/all_classes.json")
    assert [v["id"] for v in out["videos"]] == [3, 5]
    cat1 = out["videos"][1]
    assert cat1["file_names"] == [
        "val/LaSOT/cat-1/frame0000.jpg",
        "val/LaSOT/cat-1/frame0002.jpg",
        "val/LaSOT/cat-1/frame0004.jpg",
    ]
    assert (
        cat1["length"] == 3 and cat1["frame_indices"] == [0, 2, 4] and cat1["num_all_frames"] == 6
    )
    assert (cat1["height"], cat1["width"]) == (H, W)
    assert cat1["name"] == "LaSOT/cat-1" and cat1["neg_category_ids"] == [13]
    assert out["videos"][0]["not_exhaustive_category_ids"] == [4]


def test_one_annotation_per_track_with_masks_areas_and_boxes() -> None:
    out = convert_burst(burst_dict())
    anns = out["annotations"]
    # Ids follow (video id, track id): HACS track 7, then LaSOT tracks 1 and 2.
    assert [(a["id"], a["video_id"], a["track_id"], a["category_id"]) for a in anns] == [
        (1, 3, 7, 13),
        (2, 5, 1, 4),
        (3, 5, 2, 3),
    ]
    track2 = anns[2]
    assert track2["segmentations"][1] is None  # absent on the second annotated frame
    assert track2["areas"] == [12.0, None, 1.0]
    assert track2["bboxes"][0] == [4.0, 3.0, 4.0, 3.0]
    np.testing.assert_array_equal(decode_rle(track2["segmentations"][2]), MASKS[("cat-1", 2, "2")])
    assert anns[1]["areas"] == [6.0, 6.0, 6.0] and anns[1]["bboxes"][0] == [0.0, 0.0, 3.0, 2.0]
    assert anns[0]["areas"] == [48.0]


def test_categories_carry_the_common_uncommon_frequency() -> None:
    out = convert_burst(burst_dict())
    freq = {c["id"]: c["frequency"] for c in out["categories"]}
    assert freq == {3: "uncommon", 4: "common", 13: "common"}  # 4 and 13 are COCO classes
    assert {4, 13} <= BURST_COMMON_CATEGORY_IDS and 3 not in BURST_COMMON_CATEGORY_IDS
    assert len(BURST_COMMON_CATEGORY_IDS) == 78
    assert out["categories"][0]["synonyms"] == ["spray"]
    custom = convert_burst(
        burst_dict(), class_split={"common": ["aerosol_can"], "uncommon": [4, 13]}
    )
    assert {c["id"]: c["frequency"] for c in custom["categories"]} == {
        3: "common",
        4: "uncommon",
        13: "uncommon",
    }


def test_input_order_does_not_change_the_output() -> None:
    data = burst_dict()
    flipped = copy.deepcopy(data)
    flipped["sequences"].reverse()
    assert convert_burst(flipped) == convert_burst(data)


def test_human_only_drops_propagated_masks_and_empty_tracks() -> None:
    data = burst_dict()
    data["sequences"][0]["segmentations"][0]["2"]["is_gt"] = False
    data["sequences"][0]["segmentations"][2]["2"]["is_gt"] = False
    out = convert_burst(data, human_only=True)
    assert [a["track_id"] for a in out["annotations"]] == [7, 1]  # track 2 lost all its masks
    assert len(convert_burst(data)["annotations"]) == 3


def test_file_round_trip(tmp_path) -> None:
    src = tmp_path / "all_classes.json"
    src.write_text(json.dumps(burst_dict()))
    split = tmp_path / "class_split.json"
    split.write_text(json.dumps({"common": [4], "uncommon": [3, 13]}))
    out = convert_burst_file(src, tmp_path / "out" / "burst_val.json", class_split_path=split)
    assert load_ytvis_json(tmp_path / "out" / "burst_val.json") == out
    assert {c["id"]: c["frequency"] for c in out["categories"]}[13] == "uncommon"
    assert load_burst_class_split(split)["common"] == [4]


def _corrupt(mutate) -> dict:
    data = burst_dict()
    mutate(data)
    return data


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda d: d["sequences"][0]["segmentations"].pop(),
            ["sequences[0] (LaSOT/cat-1)", "segmentations", "one entry per annotated frame (3)"],
        ),
        (
            lambda d: d["sequences"][0]["segmentations"][1].update(
                {"9": d["sequences"][0]["segmentations"][1]["1"]}
            ),
            ["frame 1 track 9", "no entry in 'track_category_ids'"],
        ),
        (
            lambda d: d["sequences"][1]["segmentations"][0]["7"].update({"rle": "bad rle!"}),
            ["HACS/v_abc", "frame 0 track 7", "compressed RLE"],
        ),
        (
            lambda d: d["sequences"][1]["track_category_ids"].update({"7": 999}),
            ["category 999 is not in 'categories'", "track_category_ids"],
        ),
        (lambda d: d["sequences"][0].pop("height"), ["sequences[0]", "field 'height'", "missing"]),
        (lambda d: d["sequences"][1].update({"id": 5}), ["duplicate sequence id"]),
        (
            lambda d: d["sequences"][0]["annotated_image_paths"].__setitem__(1, "nope.jpg"),
            ["'nope.jpg' is not in 'all_image_paths'"],
        ),
        (lambda d: d.pop("categories"), ["field 'categories'"]),
    ],
)
def test_bad_input_names_file_record_and_field(mutate, expected) -> None:
    with pytest.raises(FormatError) as err:
        convert_burst(_corrupt(mutate), source="val/all_classes.json")
    msg = str(err.value)
    assert msg.startswith("val/all_classes.json")
    for part in expected:
        assert part in msg


def test_rle_of_the_wrong_size_is_refused() -> None:
    data = burst_dict()
    big = np.ones((H + 4, W + 4), np.uint8)
    data["sequences"][1]["segmentations"][0]["7"]["rle"] = encode_mask(big)["counts"]
    with pytest.raises(FormatError, match="more than 6x8 pixels"):
        convert_burst(data)


def test_category_names_mapping_is_accepted() -> None:
    data = burst_dict()
    data.pop("categories")
    data["category_names"] = {"3": "aerosol_can", "4": "airplane", "13": "apron"}
    out = convert_burst(data)
    assert [(c["id"], c["name"]) for c in out["categories"]] == [
        (3, "aerosol_can"),
        (4, "airplane"),
        (13, "apron"),
    ]


def test_long_tracks_beyond_pycocotools_batch_limit() -> None:
    """pycocotools' area() overflows past 255 RLEs in one call; 300 annotated frames must work."""
    data = burst_dict()
    seq = data["sequences"][1]
    seq["all_image_paths"] = seq["annotated_image_paths"] = [f"{i}.jpg" for i in range(300)]
    seq["segmentations"] = [{"7": _rle(("cat-1", 0, "1"))} for _ in range(300)]
    out = convert_burst(data)
    track = next(a for a in out["annotations"] if a["track_id"] == 7)
    assert track["areas"] == [6.0] * 300
