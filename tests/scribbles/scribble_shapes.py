"""Hand-made masks and a toy video for the scribble tests (invariants are checked on each)."""

from __future__ import annotations

import cv2
import numpy as np

from vis_pipelines.formats import encode_mask

H, W = 120, 160


def disc() -> np.ndarray:
    m = np.zeros((H, W), np.uint8)
    cv2.circle(m, (80, 60), 30, 1, -1)
    return m


def ring() -> np.ndarray:
    m = np.zeros((H, W), np.uint8)
    cv2.circle(m, (80, 60), 40, 1, 12)
    return m


def thin_line() -> np.ndarray:
    m = np.zeros((H, W), np.uint8)
    cv2.line(m, (10, 100), (150, 20), 1, 1)
    return m


def two_blobs() -> np.ndarray:
    m = np.zeros((H, W), np.uint8)
    cv2.ellipse(m, (40, 60), (30, 12), 20, 0, 360, 1, -1)
    cv2.ellipse(m, (120, 60), (28, 14), -40, 0, 360, 1, -1)
    return m


def three_pixels() -> np.ndarray:
    m = np.zeros((H, W), np.uint8)
    m[50, 70:73] = 1
    return m


def empty() -> np.ndarray:
    return np.zeros((H, W), np.uint8)


def border() -> np.ndarray:
    """An ellipse cut by the left and top frame borders."""
    m = np.zeros((H, W), np.uint8)
    cv2.ellipse(m, (5, 10), (60, 35), 15, 0, 360, 1, -1)
    return m


def bar() -> np.ndarray:
    """A horizontal 14-pixel-thick bar, rows 53..66, columns 20..139."""
    m = np.zeros((H, W), np.uint8)
    m[53:67, 20:140] = 1
    return m


SHAPES = {
    "disc": disc,
    "ring": ring,
    "thin_line": thin_line,
    "two_blobs": two_blobs,
    "three_pixels": three_pixels,
    "border": border,
    "bar": bar,
}


def blocks(mask: np.ndarray) -> int:
    """2x2 windows fully inside ``mask`` (a 1-pixel-wide stroke has none)."""
    s = mask.astype(bool)
    return int(np.count_nonzero(s[:-1, :-1] & s[1:, :-1] & s[:-1, 1:] & s[1:, 1:]))


def components(mask: np.ndarray, connectivity: int = 8) -> int:
    """Number of connected components of the 1-pixels."""
    return cv2.connectedComponents(mask.astype(np.uint8), connectivity=connectivity)[0] - 1


VH, VW, VT = 60, 80, 4


def toy_video() -> tuple[dict, list[dict], np.ndarray]:
    """Video 7: a moving bar (id 11), a disc absent on frame 2 (id 12), an always-empty track (13)."""
    masks = np.zeros((3, VT, VH, VW), np.uint8)
    for t in range(VT):
        masks[0, t, 10:18, 5 + 5 * t : 45 + 5 * t] = 1
        if t != 2:
            cv2.circle(masks[1, t], (60, 40), 9, 1, -1)
    video = {
        "id": 7,
        "height": VH,
        "width": VW,
        "length": VT,
        "file_names": [f"v7/{t}.jpg" for t in range(VT)],
    }
    anns = []
    for n, aid in enumerate((11, 12, 13)):
        segs = [
            encode_mask(masks[n, t]) if masks[n, t].any() or n == 2 else None for t in range(VT)
        ]
        if n == 1:
            segs[2] = None
        anns.append(
            {"id": aid, "video_id": 7, "category_id": n + 1, "segmentations": segs, "iscrowd": 0}
        )
    return video, anns, masks
