"""Strict RLE decoding (corrupt counts are errors, not random masks) and sparse encoding."""

from __future__ import annotations

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from vis_pipelines.formats import FormatError, encode_mask
from vis_pipelines.formats.rle_strict import (
    decode_rle_box,
    decode_rle_strict,
    encode_pixels,
    rle_run_lengths,
)


def _masks(n: int = 150) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    out = [np.zeros((7, 5), np.uint8), np.ones((3, 4), np.uint8)]
    for i in range(n):
        h, w = (int(v) for v in rng.integers(1, 50, 2))
        m = np.zeros((h, w), np.uint8)
        if i % 3 == 0:
            m = (rng.random((h, w)) < rng.random()).astype(np.uint8)
        else:
            y, x = int(rng.integers(0, h)), int(rng.integers(0, w))
            m[y : y + int(rng.integers(1, h + 1)), x : x + int(rng.integers(1, w + 1))] = 1
        out.append(m)
    big = np.zeros((720, 1280), np.uint8)
    big[100:600, 200:900] = 1
    return out + [big]


def test_run_lengths_match_pycocotools() -> None:
    for m in _masks():
        rle = encode_mask(m)
        runs = rle_run_lengths(rle["counts"])
        # Independent: pycocotools' own uncompressed runs of the same mask.
        expected = mask_utils.encode(np.asfortranarray(m))
        flat = m.flatten(order="F")
        change = np.flatnonzero(np.diff(flat)) + 1
        bounds = np.concatenate([[0], change, [flat.size]])
        ref = np.diff(bounds).tolist()
        if flat[0] == 1:
            ref = [0, *ref]
        assert runs.tolist() == ref
        assert expected["counts"].decode() == rle["counts"]


def test_strict_decode_equals_mask_and_box_decode_equals_region() -> None:
    for m in _masks():
        rle = encode_mask(m)
        np.testing.assert_array_equal(decode_rle_strict(rle), m)
        box = decode_rle_box(rle)
        if not m.any():
            assert box is None
            continue
        crop, y0, x0 = box
        full = np.zeros_like(m)
        full[y0 : y0 + crop.shape[0], x0 : x0 + crop.shape[1]] = crop
        np.testing.assert_array_equal(full, m)
        xs = np.nonzero(m.any(axis=0))[0]
        assert (x0, crop.shape[1]) == (xs[0], xs[-1] - xs[0] + 1)  # tight in x
        ys = np.nonzero(m.any(axis=1))[0]
        assert y0 <= ys[0] and y0 + crop.shape[0] - 1 >= ys[-1]


def test_uncompressed_counts_are_accepted() -> None:
    rle = {"size": [2, 3], "counts": [1, 2, 3]}
    np.testing.assert_array_equal(decode_rle_strict(rle), [[0, 1, 0], [1, 0, 0]])


@pytest.mark.parametrize(
    "counts, message",
    [
        ("", "runs cover 0 pixels"),
        ("52", "runs cover 7 pixels"),
        ("0k", "ends inside a number"),
        ("\x01\x02", "outside the RLE alphabet"),
        ("0@", "negative run length"),
    ],
)
def test_corrupt_counts_raise_one_clear_error(counts, message) -> None:
    with pytest.raises(FormatError, match=message) as err:
        decode_rle_strict(
            {"size": [4, 5], "counts": counts},
            source="train.json",
            where="video 3 annotation 7 frame 2",
        )
    text = str(err.value)
    assert (
        "train.json" in text and "video 3 annotation 7 frame 2" in text and "segmentations" in text
    )


def test_truncated_real_rle_is_caught() -> None:
    m = np.zeros((720, 1280), np.uint8)
    m[100:300, 200:500] = 1
    rle = encode_mask(m)
    for cut in (1, 2, 3):
        bad = {"size": rle["size"], "counts": rle["counts"][:-cut]}
        with pytest.raises(FormatError, match="corrupt RLE"):
            decode_rle_box(bad)


def test_encode_pixels_equals_full_encode() -> None:
    for m in _masks():
        ys, xs = np.nonzero(m)
        assert encode_pixels(ys, xs, *m.shape) == encode_mask(m)
    # Duplicates and unordered pixels are fine.
    m = np.zeros((4, 6), np.uint8)
    m[1, 2] = m[3, 5] = 1
    assert encode_pixels(np.array([3, 1, 1]), np.array([5, 2, 2]), 4, 6) == encode_mask(m)


def test_rle_pixels_lists_the_ones_in_column_major_order() -> None:
    from vis_pipelines.scribbles import rle_pixels

    for m in _masks():
        ys, xs = rle_pixels(encode_mask(m))
        ref_x, ref_y = np.nonzero(m.T)  # column-major order
        np.testing.assert_array_equal(ys, ref_y)
        np.testing.assert_array_equal(xs, ref_x)
