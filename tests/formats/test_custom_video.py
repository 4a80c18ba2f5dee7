"""Custom frame folders / .mp4 files + instance-id PNGs → YouTube-VIS layout."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from vis_pipelines.formats import FormatError, decode_rle, load_ytvis_json, read_image, write_image
from vis_pipelines.formats.custom_video import (
    convert_custom_dataset,
    convert_custom_video,
    read_instance_png,
)

H, W = 12, 16


def _ids(t: int) -> np.ndarray:
    """Instance 1 moves right one pixel per frame; instance 2 is present on even frames only."""
    ids = np.zeros((H, W), np.uint8)
    ids[1:4, t : t + 3] = 1
    if t % 2 == 0:
        ids[6:10, 8:12] = 2
    ids[11, 0:5] = 255  # void: belongs to no instance
    return ids


def _palette_png(path: Path, ids: np.ndarray) -> None:
    img = Image.fromarray(ids, mode="P")
    img.putpalette([v for i in range(256) for v in (i, 255 - i, (7 * i) % 256)])
    img.save(path)


@pytest.fixture()
def folder_video(tmp_path: Path) -> tuple[Path, Path]:
    """4 PNG frames; masks for frames 0, 1, 3 (frame 2 unlabeled) + instances.json."""
    frames, masks = tmp_path / "clip" / "frames", tmp_path / "clip" / "masks"
    masks.mkdir(parents=True)
    for t in range(4):
        write_image(frames / f"img_{t}.png", np.full((H, W, 3), 60 * t, np.uint8))
        if t != 2:
            _palette_png(masks / f"img_{t}.png", _ids(t))
    (masks / "instances.json").write_text(json.dumps({"1": "person", "2": "dog"}))
    return frames, masks


def test_folder_video_to_ytvis(folder_video: tuple[Path, Path], tmp_path: Path) -> None:
    frames, masks = folder_video
    out = tmp_path / "out"
    data = convert_custom_video(frames, masks, out, name="walk", category_names=["person", "dog"])
    assert data == load_ytvis_json(out / "annotations.json")
    (video,) = data["videos"]
    assert (video["id"], video["length"], video["height"], video["width"]) == (1, 4, H, W)
    assert video["file_names"] == [f"walk/{t:05d}.jpg" for t in range(4)]
    assert video["unlabeled_frames"] == [2]
    assert [c["name"] for c in data["categories"]] == ["person", "dog"]
    person, dog = data["annotations"]
    assert (person["category_id"], dog["category_id"]) == (1, 2)
    assert person["segmentations"][2] is None and dog["segmentations"][2] is None  # unlabeled frame
    assert dog["segmentations"][1] is None and dog["segmentations"][3] is None  # not visible
    for t in (0, 1, 3):
        np.testing.assert_array_equal(decode_rle(person["segmentations"][t]), _ids(t) == 1)
    assert person["areas"] == [9.0, 9.0, None, 9.0] and dog["areas"][0] == 16.0
    assert person["bboxes"][3] == [3.0, 1.0, 3.0, 3.0]
    jpg = read_image(out / "JPEGImages" / "walk" / "00003.jpg")
    assert jpg.shape == (H, W, 3) and abs(float(jpg.mean()) - 180) < 2


def test_stride_keeps_every_kth_frame(folder_video: tuple[Path, Path], tmp_path: Path) -> None:
    frames, masks = folder_video
    data = convert_custom_video(
        frames, masks, tmp_path / "out", name="walk", category_names=["person", "dog"], fps_stride=2
    )
    (video,) = data["videos"]
    assert video["length"] == 2 and video["source_frame_indices"] == [0, 2]
    assert video["unlabeled_frames"] == [1]  # source frame 2 has no mask
    assert sorted(p.name for p in (tmp_path / "out" / "JPEGImages" / "walk").iterdir()) == [
        "00000.jpg",
        "00001.jpg",
    ]
    with pytest.raises(ValueError, match="fps_stride"):
        convert_custom_video(
            frames, masks, tmp_path / "out2", name="w", category_names=["a"], fps_stride=0
        )


def test_mp4_source_and_appending_a_second_video(
    folder_video: tuple[Path, Path], tmp_path: Path
) -> None:
    frames, masks = folder_video
    out = tmp_path / "out"
    convert_custom_video(frames, masks, out, name="walk", category_names=["person", "dog"])
    mp4 = tmp_path / "cam.mp4"
    writer = cv2.VideoWriter(str(mp4), cv2.VideoWriter_fourcc(*"mp4v"), 10, (W, H))
    for t in range(6):
        writer.write(np.full((H, W, 3), 40 * t, np.uint8))
    writer.release()
    mp4_masks = tmp_path / "cam_masks"
    mp4_masks.mkdir()
    for t in (0, 4):  # masks are named after the source frame index
        _palette_png(mp4_masks / f"{t:05d}.png", _ids(t) * (_ids(t) == 1))
    data = convert_custom_video(
        mp4,
        mp4_masks,
        out,
        name="cam",
        category_names=["person", "cat"],
        fps_stride=2,
        instance_categories={1: "cat"},
    )
    assert [v["id"] for v in data["videos"]] == [1, 2]
    cam = data["videos"][1]
    assert cam["length"] == 3 and cam["source_frame_indices"] == [0, 2, 4]
    assert cam["unlabeled_frames"] == [1] and cam["fps"] == pytest.approx(5.0)
    assert [c["name"] for c in data["categories"]] == ["person", "dog", "cat"]
    new = [a for a in data["annotations"] if a["video_id"] == 2]
    assert [a["id"] for a in new] == [3] and new[0]["category_id"] == 3
    np.testing.assert_array_equal(decode_rle(new[0]["segmentations"][2]), _ids(4) == 1)
    # The decoded frames are the video's frames (mp4v is lossy: compare grey levels loosely).
    assert abs(float(read_image(out / "JPEGImages" / "cam" / "00002.jpg").mean()) - 160) < 6

    with pytest.raises(ValueError, match="already in"):
        convert_custom_video(frames, masks, out, name="walk", category_names=["person", "dog"])
    again = convert_custom_video(
        frames,
        masks,
        out,
        name="walk",
        category_names=["person", "dog"],
        fps_stride=2,
        overwrite=True,
    )
    assert sorted(v["id"] for v in again["videos"]) == [1, 2]
    assert next(v for v in again["videos"] if v["id"] == 1)["length"] == 2
    assert len(again["annotations"]) == 3


def test_mask_size_mismatch_names_the_png_and_leaves_no_output(
    folder_video: tuple[Path, Path], tmp_path: Path
) -> None:
    frames, masks = folder_video
    _palette_png(masks / "img_3.png", np.zeros((H, W + 1), np.uint8))
    out = tmp_path / "out"
    with pytest.raises(FormatError, match=r"img_3\.png: mask is 12x17 but its frame is 12x16"):
        convert_custom_video(frames, masks, out, name="walk", category_names=["person", "dog"])
    assert not (out / "annotations.json").exists()
    assert not (out / "JPEGImages" / "walk").exists() and not list(out.rglob(".*"))


def test_instance_without_category_is_refused(
    folder_video: tuple[Path, Path], tmp_path: Path
) -> None:
    frames, masks = folder_video
    (masks / "instances.json").write_text(json.dumps({"1": "person"}))
    with pytest.raises(FormatError, match=r"img_0\.png: instance 2 has no category"):
        convert_custom_video(
            frames, masks, tmp_path / "out", name="walk", category_names=["person", "dog"]
        )
    (masks / "instances.json").write_text(json.dumps({"1": "person", "2": "horse"}))
    with pytest.raises(
        FormatError, match=r"instances\.json: instance 2: category 'horse' is not one of"
    ):
        convert_custom_video(
            frames, masks, tmp_path / "out", name="walk", category_names=["person", "dog"]
        )


def test_single_category_needs_no_mapping_and_grey_masks_work(tmp_path: Path) -> None:
    frames, masks = tmp_path / "f", tmp_path / "m"
    masks.mkdir()
    for t in range(2):
        write_image(frames / f"{t}.jpg", np.zeros((H, W, 3), np.uint8))
        Image.fromarray(_ids(0)).save(masks / f"{t}.png")  # grey 'L' PNG holding ids 0/1/2/255
    data = convert_custom_video(frames, masks, tmp_path / "out", name="v", category_names=["thing"])
    assert [a["category_id"] for a in data["annotations"]] == [1, 1]
    assert data["annotations"][0]["areas"] == [9.0, 9.0]


def test_read_instance_png_modes(tmp_path: Path) -> None:
    ids = _ids(1)
    Image.fromarray(np.stack([ids] * 3, -1)).save(tmp_path / "grey_rgb.png")
    np.testing.assert_array_equal(read_instance_png(tmp_path / "grey_rgb.png"), ids)
    rgb = np.zeros((H, W, 3), np.uint8)
    rgb[0, 0] = (255, 0, 0)
    Image.fromarray(rgb).save(tmp_path / "colour.png")
    with pytest.raises(FormatError, match=r"colour\.png: colour RGB mask"):
        read_instance_png(tmp_path / "colour.png")
    (tmp_path / "broken.png").write_bytes(b"not a png")
    with pytest.raises(FormatError, match=r"broken\.png: cannot decode"):
        read_instance_png(tmp_path / "broken.png")


def test_convert_custom_dataset(folder_video: tuple[Path, Path], tmp_path: Path) -> None:
    frames, masks = folder_video
    videos_root, masks_root = tmp_path / "videos", tmp_path / "masks"
    videos_root.mkdir()
    masks_root.mkdir()
    frames.rename(videos_root / "b_walk")
    masks.rename(masks_root / "b_walk")
    writer = cv2.VideoWriter(
        str(videos_root / "a_cam.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), 10, (W, H)
    )
    for _ in range(3):
        writer.write(np.zeros((H, W, 3), np.uint8))
    writer.release()
    data = convert_custom_dataset(
        videos_root, masks_root, tmp_path / "out", category_names=["person", "dog"]
    )
    assert [(v["id"], v["name"]) for v in data["videos"]] == [(1, "a_cam"), (2, "b_walk")]
    assert data["videos"][0]["unlabeled_frames"] == [0, 1, 2]  # no mask folder for a_cam
    assert {a["video_id"] for a in data["annotations"]} == {2}
    assert load_ytvis_json(tmp_path / "out" / "annotations.json") == data
