"""SegTrackV2 release layout: multi-object folders, single-object sequences, DAVIS conversion."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from vis_pipelines.formats import FormatError, read_image, read_mask_png, write_image
from vis_pipelines.formats.segtrackv2 import (
    convert_segtrackv2_to_davis,
    list_segtrackv2_sequences,
    read_segtrackv2_labels,
    read_segtrackv2_sequence,
)

H, W = 10, 14


def _mask(y0: int, y1: int, x0: int, x1: int) -> np.ndarray:
    m = np.zeros((H, W), np.uint8)
    m[y0:y1, x0:x1] = 255
    return m


@pytest.fixture()
def stv2_root(tmp_path: Path) -> Path:
    """'bmx': 4 png frames, object 1 on every frame, object 2 (bmp masks) on frames 1-2 only;
    'frog': 3 bmp frames, single-object png masks on frames 0 and 2."""
    root = tmp_path / "SegTrackv2"
    for k in range(4):
        write_image(
            root / "JPEGImages" / "bmx" / f"bmx_{6085 + k:05d}.png",
            np.full((H, W, 3), 50 * k, np.uint8),
        )
        obj1 = root / "GroundTruth" / "bmx" / "1"
        obj1.mkdir(parents=True, exist_ok=True)
        Image.fromarray(_mask(0, 4, 0, 5 + k)).save(obj1 / f"bmx_{6085 + k:05d}.png")
    obj2 = root / "GroundTruth" / "bmx" / "2"
    obj2.mkdir(parents=True)
    for k in (1, 2):
        Image.fromarray(_mask(2, 8, 3, 9)).save(
            obj2 / f"bmx_{6085 + k:05d}.bmp"
        )  # overlaps object 1
    frog_gt = root / "GroundTruth" / "frog"
    frog_gt.mkdir(parents=True)
    for k in range(3):
        (root / "JPEGImages" / "frog").mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.full((H, W, 3), 20 * k, np.uint8)).save(
            root / "JPEGImages" / "frog" / f"frog_{k}.bmp"
        )
    for k in (0, 2):
        Image.fromarray(_mask(5, 10, 7, 14)).save(frog_gt / f"frog_{k}.png")
    return root


def test_sequences_objects_and_annotated_frames(stv2_root: Path) -> None:
    bmx, frog = list_segtrackv2_sequences(stv2_root)
    assert bmx.name == "bmx" and len(bmx.frames) == 4
    assert sorted(bmx.objects) == [1, 2]
    assert sorted(bmx.objects[2]) == [1, 2] and bmx.annotated == [0, 1, 2, 3]
    assert frog.objects.keys() == {1} and frog.annotated == [0, 2]


def test_labels_keep_object_ids_and_union_is_the_foreground(stv2_root: Path) -> None:
    bmx = read_segtrackv2_sequence(stv2_root, "bmx")
    ids = read_segtrackv2_labels(bmx, 1, expected_size=(H, W))
    expected = np.zeros((H, W), np.uint8)
    expected[0:4, 0:6] = 1
    expected[2:8, 3:9] = 2  # the higher id wins where the objects overlap
    np.testing.assert_array_equal(ids, expected)
    union = (_mask(0, 4, 0, 6) > 0) | (_mask(2, 8, 3, 9) > 0)
    np.testing.assert_array_equal(ids > 0, union)
    only_one = read_segtrackv2_labels(bmx, 3)
    assert set(np.unique(only_one).tolist()) == {0, 1} and only_one.sum() == 4 * 8


def test_convert_to_davis_layout(stv2_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "davis"
    summary = convert_segtrackv2_to_davis(stv2_root, out)
    assert summary["sequences"]["bmx"]["objects"] == 2
    assert summary["sequences"]["frog"]["object_ids"] == [1]
    assert sorted(p.name for p in (out / "JPEGImages" / "480p" / "frog").iterdir()) == [
        "00000.jpg",
        "00001.jpg",
        "00002.jpg",
    ]
    assert sorted(p.name for p in (out / "Annotations" / "480p" / "frog").iterdir()) == [
        "00000.png",
        "00002.png",
    ]
    ids = read_mask_png(out / "Annotations" / "480p" / "bmx" / "00002.png")
    assert set(np.unique(ids).tolist()) == {0, 1, 2}
    assert (out / "ImageSets" / "2016" / "val.txt").read_text().split() == ["bmx", "frog"]
    assert (
        abs(float(read_image(out / "JPEGImages" / "480p" / "bmx" / "00003.jpg").mean()) - 150) < 2
    )


def test_convert_with_resize_and_binary_masks(stv2_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "davis"
    convert_segtrackv2_to_davis(stv2_root, out, size=[20, 28], binary=True, sequences=["bmx"])
    ids = read_mask_png(out / "Annotations" / "480p" / "bmx" / "00001.png")
    assert ids.shape == (20, 28) and set(np.unique(ids).tolist()) == {0, 1}
    union = ((_mask(0, 4, 0, 6) > 0) | (_mask(2, 8, 3, 9) > 0)).repeat(2, 0).repeat(2, 1)
    np.testing.assert_array_equal(ids == 1, union)  # nearest-neighbour upscaling by 2
    assert read_image(out / "JPEGImages" / "480p" / "bmx" / "00000.jpg").shape == (20, 28, 3)


def test_mask_of_the_wrong_size_names_the_mask(stv2_root: Path, tmp_path: Path) -> None:
    bad = stv2_root / "GroundTruth" / "bmx" / "2" / "bmx_06086.bmp"
    Image.fromarray(np.zeros((H, W + 2), np.uint8)).save(bad)
    with pytest.raises(FormatError, match=r"bmx_06086\.bmp: mask is 10x16, expected 10x14"):
        convert_segtrackv2_to_davis(stv2_root, tmp_path / "davis")
    assert not (tmp_path / "davis" / "JPEGImages" / "480p" / "bmx").exists()


def test_mask_without_a_frame_is_refused(stv2_root: Path) -> None:
    Image.fromarray(_mask(0, 1, 0, 1)).save(stv2_root / "GroundTruth" / "frog" / "toad_x.png")
    with pytest.raises(FormatError, match=r"toad_x\.png: no frame of the sequence matches"):
        read_segtrackv2_sequence(stv2_root, "frog")
    (stv2_root / "GroundTruth" / "frog" / "toad_x.png").unlink()
    (stv2_root / "JPEGImages" / "nope").mkdir()
    with pytest.raises(FormatError, match=r"GroundTruth/nope: ground-truth folder not found"):
        list_segtrackv2_sequences(stv2_root)
