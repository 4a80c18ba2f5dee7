"""Building blocks: thinning, disk opening, longest paths, Bézier smoothing, digital curves."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from scribble_shapes import SHAPES, blocks, components

from vis_pipelines.scribbles.bezier import bezier_curve, digital_curve, resample_path
from vis_pipelines.scribbles.morphology import (
    distance_to_background,
    downsample,
    open_with_disk,
    opening_radius,
    structuring_radius,
)
from vis_pipelines.scribbles.paths import longest_paths
from vis_pipelines.scribbles.skeleton import thin


# ----------------------------------------------------------------------------- thinning
def _holes(mask: np.ndarray) -> int:
    """Background components not touching the border (4-connected background)."""
    bg = np.pad(mask == 0, 1, constant_values=True).astype(np.uint8)
    return cv2.connectedComponents(bg, connectivity=4)[0] - 2


def test_thin_rectangle_is_its_centre_line() -> None:
    m = np.zeros((20, 40), np.uint8)
    m[5:12, 3:35] = 1  # 7 rows: centre row 8
    s = thin(m)
    ys, xs = np.nonzero(s)
    assert set(ys.tolist()) == {8}
    assert xs.min() <= 7 and xs.max() >= 30


def test_thin_keeps_topology_and_is_thin(shape) -> None:
    _, mask = shape
    s = thin(mask)
    assert not (s & (mask == 0)).any()
    assert blocks(s) == 0
    assert components(s) == components(mask)
    assert _holes(s) == _holes(mask)


def test_thin_small_cases() -> None:
    square = np.zeros((6, 6), np.uint8)
    square[2:4, 2:4] = 1
    assert thin(square).sum() == 1  # Guo-Hall keeps one pixel of a 2x2 block (Zhang-Suen loses it)
    single = np.zeros((3, 3), np.uint8)
    single[1, 1] = 1
    np.testing.assert_array_equal(thin(single), single)
    assert thin(np.zeros((4, 4))).sum() == 0
    line = SHAPES["thin_line"]()
    np.testing.assert_array_equal(thin(line), line)  # already thin: unchanged


# ----------------------------------------------------------------------------- morphology
def _disk(radius: float) -> np.ndarray:
    k = int(np.floor(radius))
    yy, xx = np.mgrid[-k : k + 1, -k : k + 1]
    return (yy**2 + xx**2 <= radius * radius).astype(np.uint8)


@pytest.mark.parametrize("radius", [1.0, 1.5, 2.9, 4.0, 6.3])
def test_open_with_disk_equals_erode_dilate_with_a_disk(shape, radius) -> None:
    _, mask = shape
    padded = np.pad(mask, 10)  # the brute force needs background beyond the mask, as we assume
    kernel = _disk(radius)
    expected = cv2.dilate(cv2.erode(padded, kernel, borderValue=0), kernel)[10:-10, 10:-10]
    np.testing.assert_array_equal(open_with_disk(mask, radius), expected)


def test_open_with_small_radius_is_identity_and_border_is_background() -> None:
    mask = SHAPES["border"]()
    np.testing.assert_array_equal(open_with_disk(mask, 0.9), mask)
    d = distance_to_background(np.ones((5, 7), np.uint8))
    assert d[2, 3] == 3.0 and d[0, 0] == 1.0  # the frame edge is background


def test_opening_radius_and_structuring_radius() -> None:
    assert structuring_radius(400, 0.075, 16) == pytest.approx(1.5)
    assert structuring_radius(10**6, 0.075, 16) == 16
    assert opening_radius(10.0, 8.0, 0.9) == 8.0
    assert opening_radius(3.0, 8.0, 0.5) == 2.0  # 8 -> 4 -> 2 (< 3)
    assert opening_radius(1.0, 8.0, 0.5) == 0.0  # every radius >= 1 fails
    with pytest.raises(ValueError):
        opening_radius(3.0, 8.0, 1.0)


def test_downsample_averages_blocks() -> None:
    m = np.zeros((7, 9), np.uint8)
    m[0:3, 0:3] = 1  # block (0, 0) full
    m[3, 3] = 1  # block (1, 1): 1 of 9
    m[3:6, 6:8] = 1  # block (1, 2): 6 of 9
    m[6, 0:2] = 1  # block (2, 0): 2 of 3 real pixels, padded block -> 2 of 9
    np.testing.assert_array_equal(downsample(m, 3), [[1, 0, 0], [0, 0, 1], [0, 0, 0]])
    np.testing.assert_array_equal(downsample(m, 1), m)


# ----------------------------------------------------------------------------- paths
def test_longest_path_of_a_line_and_an_l() -> None:
    s = np.zeros((10, 12), np.uint8)
    s[2, 1:9] = 1
    s[3:8, 8] = 1  # L: 8 + 5 pixels
    (path,) = longest_paths(s, min_size=4, rng=np.random.default_rng(0))
    ends = {tuple(path[0]), tuple(path[-1])}
    assert ends == {(2, 1), (7, 8)}
    assert len(path) == 13 - 1 or len(path) == 13  # the corner may be cut diagonally
    assert (np.abs(np.diff(path, axis=0)).max(axis=1) == 1).all()  # an 8-connected walk


def test_components_are_filtered_and_sorted() -> None:
    s = np.zeros((20, 20), np.uint8)
    s[2, 2:12] = 1  # 10 pixels
    s[10, 5:11] = 1  # 6 pixels
    s[15, 15:17] = 1  # 2 pixels: dropped
    paths = longest_paths(s, min_size=4, rng=np.random.default_rng(0))
    assert [len(p) for p in paths] == [10, 6]
    tiny = np.zeros((5, 5), np.uint8)
    tiny[1, 1:3] = 1
    tiny[3, 3] = 1
    (only,) = longest_paths(tiny, min_size=4, rng=np.random.default_rng(0))  # all small: largest
    assert len(only) == 2
    assert longest_paths(np.zeros((3, 3)), min_size=4, rng=np.random.default_rng(0)) == []


def test_loop_is_cut_once() -> None:
    s = thin(SHAPES["ring"]())
    (path,) = longest_paths(s, min_size=4, rng=np.random.default_rng(0))
    assert len(path) >= s.sum() - 3  # the whole loop but the cut


@pytest.mark.parametrize("seed", range(6))
def test_python_and_scipy_solvers_agree(seed) -> None:
    rng = np.random.default_rng(seed)
    noise = (rng.random((60, 80)) < 0.55).astype(np.uint8)
    skeleton = thin(cv2.morphologyEx(noise, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8)))
    a = longest_paths(skeleton, min_size=4, rng=np.random.default_rng(seed), small_graph=10**9)
    b = longest_paths(skeleton, min_size=4, rng=np.random.default_rng(seed), small_graph=0)
    assert len(a) == len(b) > 0
    for pa, pb in zip(a, b, strict=True):
        np.testing.assert_array_equal(pa, pb)


# ----------------------------------------------------------------------------- Bézier
def test_resample_path_spacing_and_ends() -> None:
    path = np.stack([np.zeros(41), np.arange(41.0)], 1)  # 40 pixels long
    out = resample_path(path, 8.0)
    np.testing.assert_allclose(out[:, 1], [0, 8, 16, 24, 32, 40])
    assert len(resample_path(path[:3], 8.0)) == 2
    assert len(resample_path(path[:1], 8.0)) == 1


def test_bezier_passes_through_controls_and_keeps_lines_straight() -> None:
    controls = np.array([[0.0, 0.0], [5.0, 10.0], [0.0, 20.0], [8.0, 30.0]])
    curve = bezier_curve(controls, 8)
    assert len(curve) == 3 * 8 + 1
    np.testing.assert_allclose(curve[::8], controls)
    line = np.stack([np.zeros(5), np.linspace(0, 40, 5)], 1)
    assert np.abs(bezier_curve(line, 6)[:, 0]).max() < 1e-12
    np.testing.assert_array_equal(bezier_curve(controls[:2], 8), controls[:2])


def test_digital_curve_is_thin_and_8_connected() -> None:
    t = np.linspace(0, 2 * np.pi, 200)
    curve = np.stack([30 + 20 * np.sin(t), 40 + 30 * np.cos(1.5 * t)], 1)
    pixels = digital_curve(curve)
    steps = np.abs(np.diff(pixels, axis=0))
    assert steps.max() == 1 and (steps.sum(axis=1) > 0).all()  # 8-connected, no repeats
    canvas = np.zeros((70, 90), np.uint8)
    canvas[pixels[:, 0], pixels[:, 1]] = 1
    # No corner pixel: no pixel whose path neighbours touch diagonally via an L.
    for a, b, c in zip(pixels[:-2], pixels[1:-1], pixels[2:], strict=True):
        assert not (
            np.abs(a - c).max() == 1 and (a != c).all() and ((b == a).any() and (b == c).any())
        )
    np.testing.assert_array_equal(digital_curve(np.array([[2.2, 3.7]])), [[2, 4]])
    with pytest.raises(ValueError):
        digital_curve(curve, step=2.0)
