"""Local held-out split: determinism, order independence, stratification, manifest."""

from __future__ import annotations

import copy
import random

import pytest

from vis_pipelines.formats import FormatError
from vis_pipelines.splits import SPLIT_LABEL, SPLIT_VERSION, dataset_hash, holdout_split


def _dataset() -> dict:
    """40 videos: 20 with only category 1, 10 with 1+2 (rarest: 2), 5 with 3, 5 unannotated."""
    videos, anns = [], []
    cats_of = {}
    for vid in range(1, 41):
        cats_of[vid] = [1] if vid <= 20 else [1, 2] if vid <= 30 else [3] if vid <= 35 else []
        videos.append(
            {"id": vid, "width": 4, "height": 4, "length": 1, "file_names": [f"v{vid}/0.jpg"]}
        )
    for vid, cats in cats_of.items():
        for cat in cats:
            anns.append(
                {
                    "id": len(anns) + 1,
                    "video_id": vid,
                    "category_id": cat,
                    "segmentations": [None],
                    "areas": [None],
                    "bboxes": [None],
                    "iscrowd": 0,
                }
            )
    return {
        "info": {"description": "toy"},
        "videos": videos,
        "annotations": anns,
        "categories": [{"id": c, "name": f"c{c}"} for c in (1, 2, 3)],
    }


def test_split_partitions_videos_and_annotations() -> None:
    data = _dataset()
    train, held, manifest = holdout_split(data, fraction=0.2, seed=3)
    held_ids = [v["id"] for v in held["videos"]]
    train_ids = [v["id"] for v in train["videos"]]
    assert len(held_ids) == 8 and len(train_ids) == 32
    assert sorted(held_ids + train_ids) == list(range(1, 41))
    assert held_ids == sorted(held_ids) and manifest["holdout_video_ids"] == held_ids
    assert manifest["train_video_ids"] == train_ids
    assert {a["video_id"] for a in held["annotations"]} <= set(held_ids)
    assert len(held["annotations"]) + len(train["annotations"]) == len(data["annotations"])
    assert held["categories"] == data["categories"]
    assert held["info"]["label"] == SPLIT_LABEL == "local split, not comparable to server"


def test_stratification_takes_the_fraction_of_every_stratum() -> None:
    train, held, manifest = holdout_split(_dataset(), fraction=0.2, seed=0)
    ids = set(manifest["holdout_video_ids"])
    # Strata (rarest category): 1 → videos 1-20, 2 → 21-30, 3 → 31-35, none → 36-40.
    assert len(ids & set(range(1, 21))) == 4
    assert len(ids & set(range(21, 31))) == 2
    assert len(ids & set(range(31, 36))) == 1
    assert len(ids & set(range(36, 41))) == 1
    assert manifest["strata"] == {
        "1": {"videos": 20, "holdout": 4},
        "2": {"videos": 10, "holdout": 2},
        "3": {"videos": 5, "holdout": 1},
        "none": {"videos": 5, "holdout": 1},
    }


def test_same_seed_same_split_whatever_the_input_order() -> None:
    data = _dataset()
    shuffled = copy.deepcopy(data)
    random.Random(7).shuffle(shuffled["videos"])
    random.Random(8).shuffle(shuffled["annotations"])
    a = holdout_split(data, fraction=0.1, seed=11)
    b = holdout_split(shuffled, fraction=0.1, seed=11)
    assert a[2] == b[2]
    assert a[1]["videos"] == b[1]["videos"] and a[0]["videos"] == b[0]["videos"]
    assert dataset_hash(data) == dataset_hash(shuffled)
    other = holdout_split(data, fraction=0.1, seed=12)[2]
    assert other["holdout_video_ids"] != a[2]["holdout_video_ids"]
    assert other["input_hash"] == a[2]["input_hash"]


def test_manifest_records_what_reproduces_the_split() -> None:
    data = _dataset()
    _, _, manifest = holdout_split(data, fraction=0.25, seed=5, stratify_by_category=False)
    assert manifest["version"] == SPLIT_VERSION
    assert (manifest["seed"], manifest["fraction"], manifest["stratify_by_category"]) == (
        5,
        0.25,
        False,
    )
    assert len(manifest["input_hash"]) == 64 and manifest["input_hash"] == dataset_hash(data)
    assert (manifest["num_videos"], manifest["num_holdout"], manifest["num_train"]) == (40, 10, 30)
    assert manifest["strata"] is None
    changed = copy.deepcopy(data)
    changed["annotations"][0]["category_id"] = 3
    assert dataset_hash(changed) != manifest["input_hash"]


def test_unlabeled_and_tiny_datasets() -> None:
    data = _dataset()
    data["annotations"] = None
    train, held, manifest = holdout_split(data, fraction=0.1)
    assert held["annotations"] is None and manifest["num_holdout"] == 4
    two = {"videos": data["videos"][:2], "annotations": []}
    assert holdout_split(two, fraction=0.01)[2]["num_holdout"] == 1  # at least one held out
    assert holdout_split(two, fraction=0.99)[2]["num_train"] == 1  # at least one kept for training
    with pytest.raises(ValueError, match="at least 2 videos"):
        holdout_split({"videos": data["videos"][:1]})


@pytest.mark.parametrize("fraction", [0, 1, -0.1, 1.5, True, "0.1", float("nan")])
def test_fraction_outside_0_1_is_refused(fraction) -> None:
    with pytest.raises(ValueError, match="fraction must be a number in"):
        holdout_split(_dataset(), fraction=fraction)


def test_bad_video_ids_are_named() -> None:
    data = _dataset()
    data["videos"][3]["id"] = "x"
    with pytest.raises(FormatError, match=r"videos\[3\], field 'id'"):
        holdout_split(data)
    data["videos"][3]["id"] = 1
    with pytest.raises(FormatError, match="duplicate video ids"):
        holdout_split(data)
    with pytest.raises(ValueError, match="seed"):
        holdout_split(_dataset(), seed=-1)
