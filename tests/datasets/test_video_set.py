"""VideoSet: lazy frames, masks decoded from RLE, subsets and annotation swaps."""

from __future__ import annotations

import json

import numpy as np
import pytest
from datasets_layouts import GT_MASKS, VIDEO_NAMES, H, T, W, coco_rle, read_rgb, rgb_frames

from vis_pipelines.datasets import VideoSet
from vis_pipelines.formats import FormatError


@pytest.fixture
def train_set(ytvis19) -> VideoSet:
    data = json.loads(ytvis19["train_json"].read_text())
    return VideoSet(data, frames_root=ytvis19["train_frames"], name="ytvis19_train")


def _gt(video_id: int, instance: int) -> np.ndarray:
    return np.stack(
        [np.zeros((H, W), np.uint8) if m is None else m for m in GT_MASKS[video_id][instance]]
    )


def test_json_views(train_set: VideoSet) -> None:
    assert len(train_set) == 2 and train_set.video_ids == [1, 2]
    assert train_set.labeled
    assert [c["name"] for c in train_set.categories] == ["person", "dog"]
    assert [a["id"] for a in train_set.annotations_for(1)] == [1, 2]
    assert train_set.video(2)["file_names"][1] == f"{VIDEO_NAMES[2]}/00005.jpg"
    # validation derived areas and boxes from the RLE: rows 2..10 x cols 3..12 -> 8*9 px
    ann = train_set.annotations_for(1)[0]
    assert ann["areas"] == [72.0, None, 72.0]
    assert ann["bboxes"][0] == [3.0, 2.0, 9.0, 8.0]


def test_masks_decode_with_nulls_as_zeros(train_set: VideoSet) -> None:
    ann = train_set.annotations_for(1)[0]
    masks = train_set.masks(ann)
    assert masks.dtype == np.uint8 and masks.shape == (T, H, W)
    np.testing.assert_array_equal(masks, _gt(1, 0))
    assert masks[1].sum() == 0
    np.testing.assert_array_equal(train_set.masks(ann, indices=[2, 0]), _gt(1, 0)[[2, 0]])


def test_instance_masks_stack_all_annotations(train_set: VideoSet) -> None:
    masks, anns = train_set.instance_masks(1)
    assert masks.shape == (2, T, H, W)
    assert [a["category_id"] for a in anns] == [1, 2]
    np.testing.assert_array_equal(masks[0], _gt(1, 0))
    np.testing.assert_array_equal(masks[1], _gt(1, 1))
    sub, _ = train_set.instance_masks(1, indices=[1])
    np.testing.assert_array_equal(sub[:, 0], np.stack([_gt(1, 0)[1], _gt(1, 1)[1]]))


def test_load_frames_reads_only_requested(train_set: VideoSet, ytvis19) -> None:
    paths = train_set.frame_paths(1)
    assert paths[0] == ytvis19["train_frames"] / VIDEO_NAMES[1] / "00000.jpg"
    everything = train_set.load_frames(1)
    assert everything.shape == (T, H, W, 3) and everything.dtype == np.uint8
    np.testing.assert_array_equal(everything[2], read_rgb(paths[2]))
    paths[1].unlink()  # a frame nobody asks for may be missing
    picked = train_set.load_frames(1, indices=[2, 0])
    np.testing.assert_array_equal(picked, everything[[2, 0]])
    with pytest.raises(FormatError) as err:
        train_set.load_frames(1, indices=[1])
    assert "00005.jpg" in str(err.value) and "video 1 frame 1" in str(err.value)
    assert "file_names" in str(err.value)


def test_bad_frames_and_indices(train_set: VideoSet, ytvis19) -> None:
    frame = ytvis19["train_frames"] / VIDEO_NAMES[2] / "00000.jpg"
    frame.write_bytes(b"\xff\xd8 not really a jpeg")
    with pytest.raises(FormatError, match="00000.jpg.*video 2 frame 0.*cannot decode"):
        train_set.load_frames(2, indices=[0])
    import cv2

    cv2.imwrite(str(frame), np.zeros((H + 1, W, 3), np.uint8))
    with pytest.raises(FormatError, match=f"00000.jpg.*image is {H + 1}x{W}"):
        train_set.load_frames(2, indices=[0])
    with pytest.raises(ValueError, match="frame index 3 out of range"):
        train_set.load_frames(2, indices=[3])


def test_unknown_video_id_names_source(ytvis19) -> None:
    data = json.loads(ytvis19["train_json"].read_text())
    vs = VideoSet(data, frames_root=ytvis19["train_frames"], source=ytvis19["train_json"])
    with pytest.raises(FormatError) as err:
        vs.load_frames(99)
    assert "train.json" in str(err.value) and "field 'video_id'" in str(err.value)
    with pytest.raises(FormatError, match="unknown video id 7"):
        vs.subset([1, 7])


def test_frame_source_generates_frames() -> None:
    data = {
        "videos": [
            {
                "id": 5,
                "width": W,
                "height": H,
                "length": T,
                "file_names": [f"v5/{t}.png" for t in range(T)],
            }
        ],
        "annotations": None,
        "categories": [],
    }
    frames = rgb_frames(3)
    calls = []

    def source(video):
        calls.append(video["id"])
        return frames

    vs = VideoSet(data, frame_source=source, name="synth")
    np.testing.assert_array_equal(vs.load_frames(5, indices=[1]), frames[[1]])
    assert calls == [5] and not vs.labeled and vs.annotations == []
    with pytest.raises(ValueError, match="no frames_root"):
        vs.frame_paths(5)
    bad = VideoSet(data, frame_source=lambda v: frames[:, :, :-1], name="synth")
    with pytest.raises(FormatError, match=r"synth, video 5.*frame_source returned uint8"):
        bad.load_frames(5)


def test_subset_keeps_file_order_and_frames(train_set: VideoSet) -> None:
    sub = train_set.subset([2], name="one")
    assert sub.video_ids == [2] and sub.name == "one"
    assert [a["video_id"] for a in sub.annotations] == [2]
    assert sub.frames_root == train_set.frames_root
    np.testing.assert_array_equal(sub.load_frames(2, [0]), train_set.load_frames(2, [0]))
    assert train_set.subset([2, 1]).video_ids == [1, 2]


def test_with_data_swaps_annotations(train_set: VideoSet) -> None:
    scribble = np.zeros((H, W), np.uint8)
    scribble[5, 4:9] = 1
    new = {
        **train_set.data,
        "videos": [train_set.video(1)],
        "annotations": [
            {
                "id": 1,
                "video_id": 1,
                "category_id": 1,
                "segmentations": [coco_rle(scribble), None, None],
            }
        ],
    }
    swapped = train_set.with_data(new)
    assert swapped.video_ids == [1] and swapped.frames_root == train_set.frames_root
    np.testing.assert_array_equal(swapped.masks(swapped.annotations[0])[0], scribble)
    moved = {**new, "videos": [{**train_set.video(1), "width": W + 2}], "annotations": []}
    with pytest.raises(FormatError, match="field 'width'"):
        train_set.with_data(moved)
    foreign = {**new, "videos": [{**train_set.video(1), "id": 42}], "annotations": []}
    with pytest.raises(FormatError, match="video id 42 is not in"):
        train_set.with_data(foreign)


def test_wrong_segmentation_count_is_refused(ytvis19) -> None:
    data = json.loads(ytvis19["train_json"].read_text())
    data["annotations"][1]["segmentations"].pop()
    with pytest.raises(FormatError) as err:
        VideoSet(data, source="train.json")
    msg = str(err.value)
    assert "train.json" in msg and "annotations[1]" in msg and "field 'segmentations'" in msg
