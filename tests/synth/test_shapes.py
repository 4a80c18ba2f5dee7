"""Shape inside-tests: areas against closed-form values, and every shape inside the unit disc."""

from __future__ import annotations

import math

import numpy as np
import pytest

from vis_pipelines.synth.shapes import SHAPES, inside_shape

_N = 2001  # grid points per axis over [-1, 1]
_STAR = 5 * 1.0 * 0.45 * math.sin(math.pi / 5)  # 10 triangles (outer 1, inner 0.45, 36 degrees)
AREAS = {
    "circle": math.pi * 0.9**2,
    "square": 1.4**2,
    "triangle": 3 * math.sqrt(3) / 4,  # equilateral, circumradius 1
    "hexagon": 3 * math.sqrt(3) / 2,  # regular, circumradius 1
    "star": _STAR,
    "cross": 2 * (0.56 * 1.84) - 0.56**2,
    "ring": math.pi * (0.95**2 - 0.5**2),
    "diamond": 2 * 0.6 * 1.0,
}


@pytest.fixture(scope="module")
def grid() -> tuple[np.ndarray, np.ndarray]:
    """Dense grid over [-1.05, 1.05]^2."""
    axis = np.linspace(-1.05, 1.05, _N)
    return np.meshgrid(axis, axis)


def test_all_shapes_have_reference_areas() -> None:
    assert set(AREAS) == set(SHAPES)


@pytest.mark.parametrize("name", sorted(AREAS))
def test_area_matches_closed_form(name: str, grid: tuple[np.ndarray, np.ndarray]) -> None:
    ux, uy = grid
    cell = (2.1 / (_N - 1)) ** 2
    area = inside_shape(name, ux, uy).sum() * cell
    assert area == pytest.approx(AREAS[name], rel=0.01)


@pytest.mark.parametrize("name", sorted(AREAS))
def test_shape_fits_unit_disc_and_contains_something_near_centre(
    name: str, grid: tuple[np.ndarray, np.ndarray]
) -> None:
    ux, uy = grid
    inside = inside_shape(name, ux, uy)
    assert not inside[ux**2 + uy**2 > 1.0 + 1e-9].any()
    # Symmetric under a half turn except the odd-pointed shapes.
    if name not in ("triangle", "star"):
        assert np.array_equal(inside, inside[::-1, ::-1])


def test_star_and_triangle_point_up() -> None:
    # y points down: "up" is negative y. The tip at (0, -0.97) is inside, (0, +0.97) is not.
    for name in ("star", "triangle"):
        assert inside_shape(name, np.array([0.0]), np.array([-0.97]))[0]
        assert not inside_shape(name, np.array([0.0]), np.array([0.97]))[0]


def test_unknown_shape() -> None:
    with pytest.raises(ValueError, match="blob"):
        inside_shape("blob", np.zeros(1), np.zeros(1))
