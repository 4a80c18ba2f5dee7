"""Object shapes: crisp inside-tests in normalised object coordinates, plus their synonyms.

A shape is a set in the plane given by its indicator function on normalised coordinates
``u = q / radius`` (``q`` in object pixels, origin at the object's centre, y pointing down). Every
shape fits in the unit disc (circumradius <= 1), so ``radius`` bounds the object's extent; the
renderer relies on that to crop its work to a bounding box. Tests are exact comparisons (no
anti-aliasing), so a rendered mask holds exactly the pixels whose centres map inside the shape.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["Shape", "SHAPES", "inside_shape"]

InsideTest = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Shape:
    """A named shape: its inside-test on normalised coordinates and words that also name it."""

    name: str
    inside: InsideTest
    synonyms: tuple[str, ...]


def _regular_polygon(n: int, first_normal: float) -> InsideTest:
    """Regular ``n``-gon with circumradius 1 as the intersection of ``n`` half-planes."""
    angles = first_normal + 2.0 * np.pi * np.arange(n) / n
    normals = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    apothem = float(np.cos(np.pi / n))

    def inside(ux: np.ndarray, uy: np.ndarray) -> np.ndarray:
        result = np.ones(np.broadcast_shapes(ux.shape, uy.shape), dtype=bool)
        for nx, ny in normals:
            result &= ux * nx + uy * ny <= apothem
        return result

    return inside


def _circle(ux: np.ndarray, uy: np.ndarray) -> np.ndarray:
    return ux * ux + uy * uy <= 0.9**2


def _square(ux: np.ndarray, uy: np.ndarray) -> np.ndarray:
    return np.maximum(np.abs(ux), np.abs(uy)) <= 0.7


def _diamond(ux: np.ndarray, uy: np.ndarray) -> np.ndarray:
    # Elongated rhombus, so that it stays distinct from a rotated square.
    return np.abs(ux) / 0.6 + np.abs(uy) <= 1.0


def _cross(ux: np.ndarray, uy: np.ndarray) -> np.ndarray:
    ax, ay = np.abs(ux), np.abs(uy)
    return ((ax <= 0.28) & (ay <= 0.92)) | ((ax <= 0.92) & (ay <= 0.28))


def _ring(ux: np.ndarray, uy: np.ndarray) -> np.ndarray:
    # A hole shows the surface behind it: a non-convex, non-simply-connected mask.
    r2 = ux * ux + uy * uy
    return (r2 >= 0.5**2) & (r2 <= 0.95**2)


_STAR_POINTS = 5
_STAR_INNER = 0.45


def _star(ux: np.ndarray, uy: np.ndarray) -> np.ndarray:
    # Fold the angle into the half-sector [0, pi/5] between an outer tip (1, 0) and the next inner
    # vertex; there the star is the side of the tip-to-inner-vertex line that holds the origin.
    sector = 2.0 * np.pi / _STAR_POINTS
    phi = np.mod(np.arctan2(uy, ux) + np.pi / 2.0, sector)  # +pi/2: one tip points up (y down)
    beta = np.minimum(phi, sector - phi)
    rho = np.hypot(ux, uy)
    px, py = rho * np.cos(beta), rho * np.sin(beta)
    ix, iy = _STAR_INNER * np.cos(sector / 2.0), _STAR_INNER * np.sin(sector / 2.0)
    # Inside iff cross(I - O, P - O) has the origin's sign, which is +iy > 0.
    cross = (ix - 1.0) * py - iy * (px - 1.0)
    return cross >= 0.0


SHAPES: dict[str, Shape] = {
    s.name: s
    for s in (
        Shape("circle", _circle, ("disc", "round token")),
        Shape("square", _square, ("box", "block")),
        Shape("triangle", _regular_polygon(3, np.pi / 2.0), ("trigon", "wedge")),
        Shape("star", _star, ("pentagram", "five-pointed star")),
        Shape("cross", _cross, ("plus sign", "plus")),
        Shape("ring", _ring, ("annulus", "donut")),
        Shape("hexagon", _regular_polygon(6, 0.0), ("six-sided polygon", "hex")),
        Shape("diamond", _diamond, ("rhombus", "lozenge")),
    )
}


def inside_shape(name: str, ux: np.ndarray, uy: np.ndarray) -> np.ndarray:
    """Mask of the points ``(ux, uy)`` (normalised object coordinates) inside shape ``name``."""
    try:
        shape = SHAPES[name]
    except KeyError:
        raise ValueError(f"unknown shape {name!r}; known shapes: {sorted(SHAPES)}") from None
    return shape.inside(ux, uy)
