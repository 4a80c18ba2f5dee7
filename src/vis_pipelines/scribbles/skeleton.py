"""Skeletons of binary masks by two-subiteration parallel thinning (Guo & Hall, CACM 1989).

Each subiteration deletes, all at once, the border pixels whose 3x3 neighbourhood makes them
deletable; a pixel's neighbourhood is packed into one byte with a 3x3 correlation (OpenCV) and
looked up in a 256-entry table built once from the paper's conditions. The result is a thin (no
2x2 block), 8-connected skeleton that keeps the topology of the mask (a ring stays a ring) and its
end points: an approximation of the medial axis that costs a handful of vectorised calls per
iteration, iterations being half the mask's thickness. Parallel peeling shortens the axis a little
at blunt ends: on 720p ellipses the longest paths are ~8% shorter than those of a
distance-ordered medial axis (``skimage.morphology.medial_axis``; benchmarks/bench_scribbles.py).
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["thin", "NEIGHBOUR_OFFSETS"]

# Guo & Hall number the neighbours x1..x8 counter-clockwise from the east one; bit i-1 of a
# pixel's code holds x_i. Offsets are (dy, dx) with y growing downwards.
NEIGHBOUR_OFFSETS: tuple[tuple[int, int], ...] = (
    (0, 1),  # x1 E
    (-1, 1),  # x2 NE
    (-1, 0),  # x3 N
    (-1, -1),  # x4 NW
    (0, -1),  # x5 W
    (1, -1),  # x6 SW
    (1, 0),  # x7 S
    (1, 1),  # x8 SE
)


def _code_kernel() -> np.ndarray:
    kernel = np.zeros((3, 3), np.float32)
    for bit, (dy, dx) in enumerate(NEIGHBOUR_OFFSETS):
        kernel[1 + dy, 1 + dx] = 1 << bit
    return kernel


def _deletable_tables() -> tuple[np.ndarray, np.ndarray]:
    """``(table1, table2)``: 1 where a pixel with that neighbour code is deleted in subiteration k."""
    codes = np.arange(256)
    x = [None] + [(codes >> bit) & 1 for bit in range(8)]  # x[1]..x[8], 1-based as in the paper
    x.append(x[1])  # x9 = x1
    # C(p): number of 8-connected components of object pixels around p.
    conn = sum((1 - x[2 * i - 1]) & (x[2 * i] | x[2 * i + 1]) for i in range(1, 5))
    n1 = sum(x[2 * k - 1] | x[2 * k] for k in range(1, 5))
    n2 = sum(x[2 * k] | x[2 * k + 1] for k in range(1, 5))
    n = np.minimum(n1, n2)
    base = (conn == 1) & (n >= 2) & (n <= 3)  # N >= 2 keeps end points
    first = base & (((x[2] | x[3] | (1 - x[8])) & x[1]) == 0)
    second = base & (((x[6] | x[7] | (1 - x[4])) & x[5]) == 0)
    return first.astype(np.uint8), second.astype(np.uint8)


_KERNEL = _code_kernel()
_TABLES = _deletable_tables()


def thin(mask: np.ndarray) -> np.ndarray:
    """Thin a binary ``(H, W)`` mask (nonzero = foreground) to its skeleton (uint8 0/1).

    Pixels outside the array count as background.
    """
    if mask.ndim != 2:
        raise ValueError(f"thin expects a 2-D mask, got shape {mask.shape}")
    img = (np.asarray(mask) != 0).astype(np.uint8)
    if not img.any():
        return img
    changed = True
    while changed:
        changed = False
        for table in _TABLES:
            # The code of every pixel at once; the sum of distinct powers of two fits a byte.
            code = cv2.filter2D(img, -1, _KERNEL, borderType=cv2.BORDER_CONSTANT)
            delete = cv2.LUT(code, table)
            delete &= img
            if cv2.countNonZero(delete):
                img -= delete
                changed = True
    return img
