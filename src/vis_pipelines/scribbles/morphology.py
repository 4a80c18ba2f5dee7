"""Disk morphology through exact Euclidean distance transforms, and block downsampling.

Opening a mask with a disk of radius ``r`` is two thresholds of distance transforms: the erosion
keeps the pixels farther than ``r`` from the background, the dilation of that set keeps the pixels
within ``r`` of it. Unlike a ``(2r+1)``-wide structuring element, the cost does not grow with ``r``,
and the largest radius whose opening is non-empty is read off the first transform, so the
"shrink the radius until the opening is not empty" search costs nothing.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

__all__ = [
    "distance_to_background",
    "open_with_disk",
    "opening_radius",
    "structuring_radius",
    "downsample",
]


def structuring_radius(area: float, factor: float, cap: float) -> float:
    """``min(factor * sqrt(area), cap)``: the disk radius for a mask of ``area`` pixels."""
    return min(factor * math.sqrt(max(area, 0.0)), cap)


def distance_to_background(mask: np.ndarray) -> np.ndarray:
    """Exact Euclidean distance (float32) of every pixel to the nearest 0 pixel, outside = 0.

    OpenCV counts pixels beyond the image as infinitely far; the mask is padded with one row and
    column of background on each side so the image border is background, as it is for the frame.
    """
    padded = cv2.copyMakeBorder(
        (mask != 0).astype(np.uint8), 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0
    )
    dist = cv2.distanceTransform(padded, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    return dist[1:-1, 1:-1]


def opening_radius(
    max_distance: float, radius: float, shrink: float, minimum: float = 1.0
) -> float:
    """The first of ``radius, radius*shrink, radius*shrink^2, ...`` whose opening is not empty.

    The opening with a disk of radius ``r`` is empty exactly when no pixel lies farther than ``r``
    from the background (``max_distance <= r``). Returns 0.0 when every radius ``>= minimum``
    fails: a disk smaller than one pixel is the pixel itself, so the "opening" is the mask.
    """
    if not 0.0 < shrink < 1.0:
        raise ValueError(f"shrink must be in (0, 1), got {shrink}")
    r = radius
    while r >= minimum:
        if max_distance > r:
            return r
        r *= shrink
    return 0.0


def open_with_disk(mask: np.ndarray, radius: float, dist: np.ndarray | None = None) -> np.ndarray:
    """Morphological opening of a binary mask with the disk ``{d : |d| <= radius}`` (uint8 0/1).

    Args:
        mask: binary ``(H, W)`` mask; pixels outside the array are background.
        radius: disk radius in pixels; below 1 the disk is one pixel and the mask is returned.
        dist: ``distance_to_background(mask)`` if already computed.
    """
    binary = (mask != 0).astype(np.uint8)
    if radius < 1.0:
        return binary
    if dist is None:
        dist = distance_to_background(binary)
    eroded = dist > radius
    if not eroded.any():
        return np.zeros_like(binary)
    # Distance of every pixel to the eroded set: zeros of the transform's input are its pixels.
    to_eroded = cv2.distanceTransform(
        (~eroded).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE
    )
    return ((to_eroded <= radius) & (binary != 0)).astype(np.uint8)


def downsample(mask: np.ndarray, scale: int) -> np.ndarray:
    """Block-average a binary mask by an integer ``scale`` and keep blocks at least half full.

    The mask is zero-padded to a multiple of ``scale`` so low-resolution pixel ``(i, j)`` covers
    exactly the full-resolution block ``[i*scale, (i+1)*scale) x [j*scale, (j+1)*scale)``.
    """
    if scale == 1:
        return (mask != 0).astype(np.uint8)
    h, w = mask.shape
    hs, ws = -(-h // scale), -(-w // scale)
    padded = cv2.copyMakeBorder(
        (mask != 0).astype(np.uint8) * 255,
        0,
        hs * scale - h,
        0,
        ws * scale - w,
        cv2.BORDER_CONSTANT,
        value=0,
    )
    small = cv2.resize(padded, (ws, hs), interpolation=cv2.INTER_AREA)
    return (small >= 128).astype(np.uint8)
