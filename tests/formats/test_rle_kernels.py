"""The compiled RLE kernels against pycocotools and hand-computed masks."""

from __future__ import annotations

import numpy as np
from pycocotools import mask as mask_utils

from vis_pipelines.formats.rle_kernels import pair_intersections, parse_rles


def _rle(mask: np.ndarray) -> dict:
    r = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {"size": r["size"], "counts": r["counts"].decode()}


def test_areas_match_pycocotools_on_random_masks() -> None:
    rng = np.random.default_rng(0)
    masks = [rng.random((37, 53)) < p for p in (0.0, 0.01, 0.3, 0.7, 0.99, 1.0)]
    # Large runs need multi-character counts with delta coding (and negative deltas).
    big = np.zeros((400, 700), bool)
    big[50:390, 10:650] = True
    big[100:120, 300:310] = False
    masks.append(big)
    rles = [_rle(m) for m in masks]
    parsed = parse_rles(rles)
    assert parsed.areas.tolist() == [int(m.sum()) for m in masks]
    assert parsed.areas.tolist() == mask_utils.area(rles).tolist()
    assert parsed.lengths.tolist() == [m.size for m in masks]
    assert len(parsed) == len(masks)


def test_intersections_match_dense_masks() -> None:
    rng = np.random.default_rng(1)
    h, w = 31, 45
    masks = []
    for _ in range(12):
        m = np.zeros((h, w), bool)
        y0, x0 = rng.integers(0, h - 5), rng.integers(0, w - 5)
        m[y0 : y0 + rng.integers(3, 20), x0 : x0 + rng.integers(3, 30)] = True
        m ^= rng.random((h, w)) < 0.05  # holes and specks: many short runs
        masks.append(m)
    masks.append(np.zeros((h, w), bool))
    masks.append(np.ones((h, w), bool))
    rles = [_rle(m) for m in masks]
    parsed = parse_rles(rles)
    a, b = np.meshgrid(np.arange(len(masks)), np.arange(len(masks)), indexing="ij")
    got = pair_intersections(parsed, a.ravel(), b.ravel()).reshape(a.shape)
    dense = np.stack(masks).reshape(len(masks), -1).astype(np.int64)
    assert np.array_equal(got, dense @ dense.T)


def test_none_bytes_and_uncompressed_counts() -> None:
    m = np.zeros((4, 5), bool)
    m[1:3, 1:4] = True  # 6 pixels
    rle = _rle(m)
    as_bytes = {"size": rle["size"], "counts": rle["counts"].encode()}
    # Uncompressed: column-major runs 5 off, 2 on, 2 off, 2 on, 2 off, 2 on, 5 off.
    raw = {"size": [4, 5], "counts": [5, 2, 2, 2, 2, 2, 5]}
    parsed = parse_rles([rle, None, as_bytes, raw])
    assert parsed.areas.tolist() == [6, 0, 6, 6]
    assert pair_intersections(parsed, np.array([0, 0, 1]), np.array([2, 3, 0])).tolist() == [
        6,
        6,
        0,
    ]


def test_hand_computed_overlap() -> None:
    a = np.zeros((3, 3), bool)
    a[:, 0] = True  # column 0: pixels 0, 1, 2
    b = np.zeros((3, 3), bool)
    b[1:, :2] = True  # pixels 1, 2 (column 0) and 4, 5 (column 1)
    parsed = parse_rles([_rle(a), _rle(b)])
    assert pair_intersections(parsed, np.array([0, 1]), np.array([1, 0])).tolist() == [2, 2]
    assert pair_intersections(parsed, np.array([], int), np.array([], int)).size == 0
