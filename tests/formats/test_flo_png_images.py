"""Middlebury .flo, DAVIS palette PNG, frame images, results json and atomic writes."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from vis_pipelines.formats import (
    FormatError,
    atomic_open,
    davis_palette,
    encode_mask,
    read_flo,
    read_image,
    read_mask_png,
    validate_results,
    write_flo,
    write_image,
    write_mask_png,
)


def test_flo_roundtrip_and_byte_layout(tmp_path) -> None:
    flow = np.arange(3 * 4 * 2, dtype=np.float32).reshape(3, 4, 2) - 5.5
    path = tmp_path / "a" / "00000.flo"
    write_flo(path, flow)
    raw = path.read_bytes()
    assert len(raw) == 12 + 3 * 4 * 2 * 4
    assert np.frombuffer(raw[:4], "<f4")[0] == np.float32(202021.25)
    assert tuple(np.frombuffer(raw[4:12], "<i4")) == (4, 3)  # width first, then height
    # u, v interleaved row-major: first pixel's u then v
    assert tuple(np.frombuffer(raw[12:20], "<f4")) == (-5.5, -4.5)
    np.testing.assert_array_equal(read_flo(path), flow)


@pytest.mark.parametrize(
    ("corrupt", "pattern"),
    [
        (lambda b: b[:-4], "truncated"),
        (lambda b: b"\0\0\0\0" + b[4:], "bad magic"),
        (lambda b: b[:5], "too short"),
    ],
)
def test_flo_corrupt_files(tmp_path, corrupt, pattern) -> None:
    path = tmp_path / "x.flo"
    write_flo(path, np.zeros((2, 2, 2), np.float32))
    path.write_bytes(corrupt(path.read_bytes()))
    with pytest.raises(FormatError, match=pattern) as err:
        read_flo(path)
    assert "x.flo" in str(err.value)


def test_palette_png_roundtrip_and_palette(tmp_path) -> None:
    ids = np.zeros((5, 6), np.uint8)
    ids[1:3, 1:3] = 1
    ids[3:, 4:] = 2
    ids[0, 0] = 255
    path = tmp_path / "00000.png"
    write_mask_png(path, ids)
    with Image.open(path) as img:
        assert img.mode == "P"
    np.testing.assert_array_equal(read_mask_png(path), ids)
    pal = davis_palette()
    # The VOC/DAVIS colour code: 1 = dark red, 2 = dark green, 3 = olive, 255 = (224, 224, 192).
    assert pal[1].tolist() == [128, 0, 0] and pal[2].tolist() == [0, 128, 0]
    assert pal[3].tolist() == [128, 128, 0] and pal[255].tolist() == [224, 224, 192]


def test_grey_davis2016_masks_and_size_check(tmp_path) -> None:
    grey = np.zeros((4, 4), np.uint8)
    grey[:2] = 255
    path = tmp_path / "00000.png"
    Image.fromarray(grey, mode="L").save(path)
    np.testing.assert_array_equal(read_mask_png(path), (grey > 0).astype(np.uint8))
    with pytest.raises(FormatError, match=r"00000\.png.*4x4, expected 5x4"):
        read_mask_png(path, expected_size=(5, 4))


def test_image_roundtrip_missing_and_corrupt(tmp_path) -> None:
    rgb = np.zeros((8, 10, 3), np.uint8)
    rgb[..., 0] = 200  # pure red stays red through the RGB/BGR conversion
    write_image(tmp_path / "f.png", rgb)
    np.testing.assert_array_equal(read_image(tmp_path / "f.png"), rgb)
    with pytest.raises(FormatError, match=r"nope\.jpg.*not found"):
        read_image(tmp_path / "nope.jpg")
    (tmp_path / "bad.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(FormatError, match=r"bad\.jpg.*cannot decode"):
        read_image(tmp_path / "bad.jpg")
    with pytest.raises(FormatError, match="expected 9x10"):
        read_image(tmp_path / "f.png", expected_size=(9, 10))


def test_atomic_open_leaves_no_partial_file(tmp_path) -> None:
    path = tmp_path / "out.bin"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_open(path) as handle:
            handle.write(b"half")
            raise RuntimeError("crash while writing")
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]


def test_results_validation_names_record() -> None:
    gt = {
        "videos": [{"id": 1, "width": 4, "height": 3, "length": 2, "file_names": ["a", "b"]}],
        "categories": [{"id": 1, "name": "x"}],
    }
    seg = encode_mask(np.ones((3, 4), np.uint8))
    good = [{"video_id": 1, "category_id": 1, "score": 0.5, "segmentations": [seg, None]}]
    assert validate_results(good, gt)[0]["score"] == 0.5
    cases = [
        ({"video_id": 2}, r"results\[0\].*unknown video_id 2"),
        ({"segmentations": [seg]}, r"1 frames, video 1 has 2"),
        ({"score": float("nan")}, r"score.*finite"),
        ({"segmentations": [encode_mask(np.ones((2, 4), np.uint8)), None]}, r"RLE size 2x4"),
        ({"category_id": 7}, r"unknown category_id 7"),
    ]
    for change, pattern in cases:
        with pytest.raises(FormatError, match=pattern):
            validate_results([{**good[0], **change}], gt, source="res.json")
