"""Procedural textures: patterned object textures per colour family and muted noise backgrounds.

Textures are float32 RGB images in [0, 255]. The renderer samples them bilinearly, so each one
defines a continuous surface that moves rigidly; fine grain on top of every pattern gives flow
estimators (block matching, DIS, Farneback) texture to track inside uniform-looking regions.
"""

from __future__ import annotations

import colorsys
from collections.abc import Callable

import cv2
import numpy as np

__all__ = ["TEXTURE_STYLES", "object_texture", "background_texture", "smooth_noise"]


def smooth_noise(rng: np.random.Generator, shape: tuple[int, int], sigma: float) -> np.ndarray:
    """Zero-mean, unit-std Gaussian-filtered white noise of ``shape`` (float32)."""
    noise = rng.standard_normal(shape, dtype=np.float32)
    noise = cv2.GaussianBlur(noise, (0, 0), sigmaX=sigma, borderType=cv2.BORDER_REFLECT)
    return (noise - noise.mean()) / max(float(noise.std()), 1e-6)


def _low_frequency(rng: np.random.Generator, shape: tuple[int, int], cell: float) -> np.ndarray:
    """Unit-std noise varying over ``cell`` pixels: a coarse random grid upsampled bicubically."""
    h, w = shape
    grid = rng.standard_normal((int(h / cell) + 3, int(w / cell) + 3), dtype=np.float32)
    big = cv2.resize(
        grid, (int(grid.shape[1] * cell), int(grid.shape[0] * cell)), interpolation=cv2.INTER_CUBIC
    )
    big = big[:h, :w]
    return (big - big.mean()) / max(float(big.std()), 1e-6)


def _squash(z: np.ndarray, gain: float = 1.0) -> np.ndarray:
    """Map unbounded values to (0, 1) smoothly (keeps edges sharp but not aliased)."""
    return 0.5 + 0.5 * np.tanh(gain * z)


# Each style maps rotated coordinates (u, v) to a pattern in [0, 1]. (u, v) are in reference pixels
# (pixels of a 96-pixel-high frame); ``scale`` reference->frame pixels serves noise-based styles.
Pattern = Callable[[np.random.Generator, np.ndarray, np.ndarray, float], np.ndarray]


def _stripes(rng: np.random.Generator, u: np.ndarray, v: np.ndarray, scale: float) -> np.ndarray:
    period = rng.uniform(4.0, 8.0)
    return _squash(np.sin(2 * np.pi * u / period), 2.5)


def _waves(rng: np.random.Generator, u: np.ndarray, v: np.ndarray, scale: float) -> np.ndarray:
    period, wobble, amp = rng.uniform(4.0, 7.0), rng.uniform(8.0, 14.0), rng.uniform(1.5, 3.0)
    return _squash(np.sin(2 * np.pi * (u + amp * np.sin(2 * np.pi * v / wobble)) / period), 2.5)


def _checker(rng: np.random.Generator, u: np.ndarray, v: np.ndarray, scale: float) -> np.ndarray:
    cell = rng.uniform(3.0, 6.0)
    return ((np.floor(u / cell) + np.floor(v / cell)) % 2).astype(np.float32)


def _lattice(u: np.ndarray, v: np.ndarray, spacing: float) -> tuple[np.ndarray, np.ndarray]:
    """Offsets of (u, v) from the nearest point of a square lattice."""
    return u - spacing * np.round(u / spacing), v - spacing * np.round(v / spacing)


def _dots(rng: np.random.Generator, u: np.ndarray, v: np.ndarray, scale: float) -> np.ndarray:
    spacing = rng.uniform(5.0, 9.0)
    du, dv = _lattice(u, v, spacing)
    # Dark dots of radius 0.3 * spacing with a one-pixel soft edge.
    return np.clip(np.hypot(du, dv) - 0.3 * spacing + 0.5, 0.0, 1.0)


def _grid(rng: np.random.Generator, u: np.ndarray, v: np.ndarray, scale: float) -> np.ndarray:
    spacing = rng.uniform(5.0, 8.0)
    du, dv = _lattice(u, v, spacing)
    return np.clip(np.minimum(np.abs(du), np.abs(dv)) - 0.5, 0.0, 1.0)


def _plaid(rng: np.random.Generator, u: np.ndarray, v: np.ndarray, scale: float) -> np.ndarray:
    p1, p2 = rng.uniform(4.0, 8.0, size=2)
    return 0.5 + 0.25 * (np.sin(2 * np.pi * u / p1) + np.sin(2 * np.pi * v / p2))


def _blotches(rng: np.random.Generator, u: np.ndarray, v: np.ndarray, scale: float) -> np.ndarray:
    return _squash(smooth_noise(rng, u.shape, rng.uniform(1.5, 2.5) * scale), 1.5)


def _speckle(rng: np.random.Generator, u: np.ndarray, v: np.ndarray, scale: float) -> np.ndarray:
    return _squash(smooth_noise(rng, u.shape, 0.9 * scale), 1.2)


TEXTURE_STYLES: dict[str, Pattern] = {
    "stripes": _stripes,
    "waves": _waves,
    "checker": _checker,
    "dots": _dots,
    "grid": _grid,
    "plaid": _plaid,
    "blotches": _blotches,
    "speckle": _speckle,
}


def object_texture(
    style: str,
    rgb: tuple[int, int, int],
    size: int,
    contrast: float,
    rng: np.random.Generator,
    scale: float = 1.0,
) -> np.ndarray:
    """Square float32 texture ``[size, size, 3]``: a ``style`` pattern shading base colour ``rgb``.

    The pattern darkens the base colour by up to ``contrast`` (hue is kept), at a random orientation
    and phase; its features are ``scale`` times their size at 96-pixel frames (objects keep their
    look across resolutions). Fine grain of ~1 pixel is added at every scale, for flow estimators.
    """
    if style not in TEXTURE_STYLES:
        raise ValueError(f"unknown texture style {style!r}; known: {sorted(TEXTURE_STYLES)}")
    angle = rng.uniform(0.0, np.pi)
    offset = rng.uniform(0.0, 64.0, size=2)
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    u = (np.cos(angle) * x + np.sin(angle) * y) / scale + offset[0]
    v = (-np.sin(angle) * x + np.cos(angle) * y) / scale + offset[1]
    pattern = TEXTURE_STYLES[style](rng, u, v, scale).astype(np.float32)
    shade = 1.0 - contrast * (1.0 - pattern)
    grain = smooth_noise(rng, (size, size), 0.7) * (10.0 * contrast)
    texture = np.asarray(rgb, dtype=np.float32) * shade[..., None] + grain[..., None]
    return np.clip(texture, 0.0, 255.0).astype(np.float32)


def _muted_colour(rng: np.random.Generator) -> np.ndarray:
    """A random low-saturation, mid-value colour (backgrounds never look like object colours)."""
    hue, sat, val = rng.uniform(0.0, 1.0), rng.uniform(0.08, 0.3), rng.uniform(0.3, 0.7)
    return np.asarray(colorsys.hsv_to_rgb(hue, sat, val), dtype=np.float32) * 255.0


def background_texture(
    height: int, width: int, contrast: float, rng: np.random.Generator, blob_scale: float = 96.0
) -> np.ndarray:
    """Float32 ``[height, width, 3]`` background: two muted colours mixed by large blobs + detail.

    Unlike the regular object patterns this is isotropic multi-scale noise: blobs of 15-30% of
    ``blob_scale`` (the shorter frame side), mid-scale mottling and fine grain (the last two, in
    pixels, make camera motion trackable everywhere).
    """
    shape = (height, width)
    a, b = _muted_colour(rng), _muted_colour(rng)
    cell = max(4.0, rng.uniform(0.15, 0.3) * blob_scale)
    mix = _squash(_low_frequency(rng, shape, cell), 1.5)[..., None]
    base = a * (1.0 - mix) + b * mix
    mottle = smooth_noise(rng, shape, 2.5)
    detail = contrast * (35.0 * mottle + 15.0 * smooth_noise(rng, shape, 0.8))
    return np.clip(base + detail[..., None], 0.0, 255.0).astype(np.float32)
