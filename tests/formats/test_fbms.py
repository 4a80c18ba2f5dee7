"""FBMS-59 release layout: definition file, sparse .pgm/.ppm ground truth, DAVIS conversion."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from vis_pipelines.formats import FormatError, read_image, read_mask_png, write_image
from vis_pipelines.formats.fbms import (
    convert_fbms_to_davis,
    list_fbms_sequences,
    parse_fbms_definition,
    read_fbms_labels,
    read_fbms_sequence,
)

H, W = 12, 16
WHITE, RED, BLUE = 0xFFFFFF, 0xFF0000, 0x0000FF


def _definition(colors: list[int], labeled: list[tuple[int, str, str]], n_frames: int) -> str:
    """A definition file in the release's layout (blank lines between the region colours)."""
    lines = [
        "Ground truth definition file; do not change!",
        "",
        "Total number of regions:",
        str(len(colors)),
    ]
    for c in colors:
        lines += ["", str(c)]
    lines += ["", "Confusion penality matrix"]
    lines += [
        " ".join("0" if i == j else "1" for j in range(len(colors))) for i in range(len(colors))
    ]
    lines += [
        "",
        "Total number of frames in this shot:",
        str(n_frames),
        "Total number of labeled frames for this shot:",
        str(len(labeled)),
    ]
    for number, gt, src in labeled:
        lines += ["Frame number:", str(number), "File name:", gt, "Input file name:", src]
    return "\n".join(lines) + "\n"


def _grey_gt(obj: tuple[int, int, int, int]) -> np.ndarray:
    """Grey label image: background 255 (white, the largest region), object 0 (black)."""
    img = np.full((H, W), 255, np.uint8)
    y0, y1, x0, x1 = obj
    img[y0:y1, x0:x1] = 0
    return img


@pytest.fixture()
def fbms_root(tmp_path: Path) -> Path:
    """Testset with 'cars1' (pgm + Def.dat, 5 frames) and 'people2' (ppm, no Def.dat, 4 frames)."""
    root = tmp_path / "FBMS"
    cars = root / "Testset" / "cars1"
    (cars / "GroundTruth").mkdir(parents=True)
    for k in range(1, 6):  # names cars1_1 .. cars1_5 sort naturally, not lexically, past 9
        write_image(cars / f"cars1_{k}.jpg", np.full((H, W, 3), 40 * k, np.uint8))
    Image.fromarray(_grey_gt((2, 6, 3, 9))).save(cars / "GroundTruth" / "cars1_1_gt.pgm")
    Image.fromarray(_grey_gt((5, 9, 6, 12))).save(cars / "GroundTruth" / "cars1_4_gt.pgm")
    (cars / "GroundTruth" / "cars1Def.dat").write_text(
        _definition(
            [0, 255],
            [(0, "cars1_1_gt.pgm", "cars1_1.ppm"), (3, "cars1_4_gt.pgm", "cars1_4.ppm")],
            5,
        )
    )

    people = root / "Testset" / "people2"
    (people / "GroundTruth").mkdir(parents=True)
    for k in range(4):
        write_image(people / f"people2_{k:03d}.jpg", np.full((H, W, 3), 30 * k, np.uint8))
    for k in (0, 2):
        rgb = np.full((H, W, 3), 255, np.uint8)
        rgb[0:4, 0:4] = (255, 0, 0)
        rgb[8:12, 10 + k : 14 + k] = (0, 0, 255)
        Image.fromarray(rgb).save(people / "GroundTruth" / f"people2_{k:03d}_gt.ppm")
        # A probability map beside the label image must be ignored.
        Image.fromarray(np.zeros((H, W), np.uint8)).save(
            people / "GroundTruth" / f"people2_{k:03d}_gt.pgm"
        )
    return root


def test_definition_file_is_parsed(fbms_root: Path) -> None:
    parsed = parse_fbms_definition(fbms_root / "Testset" / "cars1" / "GroundTruth" / "cars1Def.dat")
    assert parsed["colors"] == [0, 255]
    assert parsed["num_frames"] == 5
    assert parsed["labeled"] == [
        (0, "cars1_1_gt.pgm", "cars1_1.ppm"),
        (3, "cars1_4_gt.pgm", "cars1_4.ppm"),
    ]


def test_sequences_frames_and_sparse_ground_truth(fbms_root: Path) -> None:
    cars, people = list_fbms_sequences(fbms_root, "Testset")
    assert cars.name == "cars1" and [p.name for p in cars.frames][-1] == "cars1_5.jpg"
    assert sorted(cars.gt_files) == [0, 3]
    assert cars.background == 255 and cars.object_colors == (0,)
    assert people.definition is None and sorted(people.gt_files) == [0, 2]
    assert people.gt_files[0].suffix == ".ppm"  # the .pgm probability map is not the label
    assert people.background == WHITE and set(people.object_colors) == {RED, BLUE}


def test_labels_are_object_ids_with_background_zero(fbms_root: Path) -> None:
    cars = read_fbms_sequence(fbms_root / "Testset" / "cars1")
    ids = read_fbms_labels(cars, 3, expected_size=(H, W))
    expected = np.zeros((H, W), np.uint8)
    expected[5:9, 6:12] = 1
    np.testing.assert_array_equal(ids, expected)
    people = read_fbms_sequence(fbms_root / "Testset" / "people2")
    ids = read_fbms_labels(people, 2)
    assert ids[0, 0] != ids[9, 13] and {int(ids[0, 0]), int(ids[9, 13])} == {1, 2}
    assert ids[6, 6] == 0
    assert (ids > 0).sum() == 32  # union foreground: two 4x4 squares


def test_background_can_be_forced(fbms_root: Path) -> None:
    cars = read_fbms_sequence(fbms_root / "Testset" / "cars1", background=0)
    assert cars.object_colors == (255,)
    with pytest.raises(ValueError, match="not a region colour"):
        read_fbms_sequence(fbms_root / "Testset" / "cars1", background=7)


def test_convert_to_davis_layout(fbms_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "davis"
    summary = convert_fbms_to_davis(fbms_root, out, split="Testset")
    assert set(summary["sequences"]) == {"cars1", "people2"}
    jpgs = sorted(p.name for p in (out / "JPEGImages" / "480p" / "cars1").iterdir())
    assert jpgs == [f"{i:05d}.jpg" for i in range(5)]
    pngs = sorted(p.name for p in (out / "Annotations" / "480p" / "cars1").iterdir())
    assert pngs == ["00000.png", "00003.png"]  # only the labelled frames
    ids = read_mask_png(out / "Annotations" / "480p" / "cars1" / "00000.png")
    assert ids.shape == (H, W) and ids[3, 4] == 1 and ids.sum() == 4 * 6
    # Frame order is natural: frame 4 of the output is cars1_5.jpg (grey level 200).
    assert (
        abs(int(read_image(out / "JPEGImages" / "480p" / "cars1" / "00004.jpg").mean()) - 200) <= 2
    )
    assert (out / "ImageSets" / "2016" / "val.txt").read_text().split() == ["cars1", "people2"]
    assert summary["sequences"]["cars1"]["annotated_frames"] == [0, 3]
    assert not list(out.rglob(".*"))  # no staging leftovers


def test_resize_and_binary(fbms_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "davis"
    convert_fbms_to_davis(fbms_root, out, size=[6, 8], binary=True, sequences=["people2"])
    assert read_image(out / "JPEGImages" / "480p" / "people2" / "00001.jpg").shape == (6, 8, 3)
    ids = read_mask_png(out / "Annotations" / "480p" / "people2" / "00002.png")
    assert ids.shape == (6, 8) and set(np.unique(ids).tolist()) == {0, 1}
    assert (ids == 1).sum() == 8  # two 4x4 squares at half size
    with pytest.raises(ValueError, match="size must be"):
        convert_fbms_to_davis(fbms_root, out, size=[6])


def test_label_of_the_wrong_size_names_the_file_and_writes_nothing(
    fbms_root: Path, tmp_path: Path
) -> None:
    gt = fbms_root / "Testset" / "cars1" / "GroundTruth" / "cars1_4_gt.pgm"
    Image.fromarray(np.zeros((H + 1, W), np.uint8)).save(gt)
    out = tmp_path / "davis"
    with pytest.raises(FormatError, match=r"cars1_4_gt\.pgm.*13x16, expected 12x16"):
        convert_fbms_to_davis(fbms_root, out, sequences=["cars1"])
    assert not (out / "JPEGImages" / "480p" / "cars1").exists()
    assert not (out / "Annotations" / "480p" / "cars1").exists()
    assert not list(out.rglob(".*"))


def test_bad_definition_files(fbms_root: Path) -> None:
    seq = fbms_root / "Testset" / "cars1"
    dat = seq / "GroundTruth" / "cars1Def.dat"
    dat.write_text(_definition([0, 255], [(9, "cars1_1_gt.pgm", "gone.ppm")], 5))
    with pytest.raises(
        FormatError, match=r"cars1Def\.dat, field 'Frame number': frame number 9 outside"
    ):
        read_fbms_sequence(seq)
    dat.write_text("Ground truth definition file; do not change!\nTotal number of regions:\ntwo\n")
    with pytest.raises(FormatError, match=r"cars1Def\.dat, field 'Total number of regions'"):
        read_fbms_sequence(seq)
    with pytest.raises(FormatError, match="no 'Trainingset' folder"):
        list_fbms_sequences(fbms_root, "Trainingset")


def test_unknown_colours_count_as_background(fbms_root: Path, caplog) -> None:
    gt = fbms_root / "Testset" / "cars1" / "GroundTruth" / "cars1_1_gt.pgm"
    img = _grey_gt((2, 6, 3, 9))
    img[0, 0] = 77  # not a region colour of the definition
    Image.fromarray(img).save(gt)
    seq = read_fbms_sequence(fbms_root / "Testset" / "cars1")
    with caplog.at_level(logging.WARNING):
        ids = read_fbms_labels(seq, 0)
    assert ids[0, 0] == 0 and ids.sum() == 24
    assert "missing from the definition" in caplog.text
