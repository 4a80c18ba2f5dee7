"""DAVIS-layout writing shared by the release-layout converters (FBMS-59, SegTrackV2, custom data).

Layout: ``JPEGImages/480p/<seq>/%05d.jpg``, ``Annotations/480p/<seq>/%05d.png`` (palette PNG of
object ids, annotated frames only) and ``ImageSets/<year>/<set>.txt``. Each sequence is written into a
hidden staging folder and moved into place only when complete.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from tqdm import tqdm

from .atomic import atomic_write_bytes, staged_directory
from .davis import VOID, write_mask_png
from .errors import FormatError
from .images import read_image, write_image

__all__ = [
    "FRAME_SUFFIXES",
    "natural_key",
    "match_frame",
    "update_image_set",
    "write_davis_sequence",
]

FRAME_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".ppm")


def natural_key(name: str) -> tuple[Any, ...]:
    """Sort key that orders ``x_2`` before ``x_10`` (numbers compared as numbers)."""
    return tuple(int(p) if p.isdigit() else p.lower() for p in re.split(r"(\d+)", name))


def check_size(size: Sequence[int] | None) -> tuple[int, int] | None:
    if size is None:
        return None
    if (
        not isinstance(size, (list, tuple))
        or len(size) != 2
        or not all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in size)
    ):
        raise ValueError(f"size must be [height, width] of positive integers or null, got {size!r}")
    return int(size[0]), int(size[1])


def update_image_set(out_root: str | Path, year: str, set_name: str, names: Iterable[str]) -> Path:
    """Add sequence names to ``ImageSets/<year>/<set_name>.txt`` (sorted, unique), atomically."""
    path = Path(out_root) / "ImageSets" / str(year) / f"{set_name}.txt"
    existing = set(path.read_text().split()) if path.is_file() else set()
    lines = sorted(existing | set(names), key=natural_key)
    atomic_write_bytes(path, ("\n".join(lines) + "\n").encode())
    return path


def _resize(arr: np.ndarray, size: tuple[int, int] | None, *, nearest: bool) -> np.ndarray:
    if size is None or arr.shape[:2] == size:
        return arr
    h, w = size
    if nearest:
        interp = cv2.INTER_NEAREST  # labels: never blend two ids into a third
    else:
        interp = cv2.INTER_AREA if h * w < arr.shape[0] * arr.shape[1] else cv2.INTER_LINEAR
    return cv2.resize(arr, (w, h), interpolation=interp)


def write_davis_sequence(
    out_root: str | Path,
    name: str,
    frames: Sequence[Path],
    annotated: Iterable[int],
    read_labels: Callable[[int, tuple[int, int]], np.ndarray],
    *,
    size: Sequence[int] | None = None,
    binary: bool = False,
    quality: int = 90,
) -> dict[str, Any]:
    """Write one sequence into the DAVIS layout; PNGs only for the ``annotated`` frame indices.

    ``read_labels(index, (h, w))`` returns uint8 object ids for a frame (0 background, 255 void)
    and must refuse a mask whose size is not the frame's. With ``binary`` the PNG holds the
    union foreground (1) instead of object ids. Returns a summary of what was written.
    """
    size = check_size(size)
    out_root = Path(out_root)
    annotated = sorted(set(annotated))
    if not frames:
        raise FormatError("sequence has no frames", record=name)
    frame_size: tuple[int, int] | None = None
    n_objects = 0
    with (
        staged_directory(out_root / "JPEGImages" / "480p" / name) as jpeg_dir,
        staged_directory(out_root / "Annotations" / "480p" / name) as ann_dir,
    ):
        for t, path in enumerate(tqdm(frames, desc=f"frames {name}", leave=False)):
            rgb = read_image(path, expected_size=frame_size)
            frame_size = frame_size or rgb.shape[:2]
            write_image(
                jpeg_dir / f"{t:05d}.jpg", _resize(rgb, size, nearest=False), quality=quality
            )
        assert frame_size is not None
        for t in annotated:
            if not 0 <= t < len(frames):
                raise FormatError(
                    f"annotated frame index {t} outside 0..{len(frames) - 1}", record=name
                )
            ids = read_labels(t, frame_size)
            n_objects = max(n_objects, int(ids[ids != VOID].max(initial=0)))
            if binary:
                ids = np.where(ids == VOID, VOID, ids > 0).astype(np.uint8)
            write_mask_png(ann_dir / f"{t:05d}.png", _resize(ids, size, nearest=True))
    return {
        "frames": len(frames),
        "annotated_frames": annotated,
        "objects": n_objects,
        "source_size": list(frame_size),
        "size": list(size) if size else list(frame_size),
        "source_frames": [p.name for p in frames],
    }


def _trailing_number(stem: str) -> int | None:
    m = re.search(r"(\d+)$", stem)
    return int(m.group(1)) if m else None


def match_frame(stem: str, frame_stems: Sequence[str]) -> int | None:
    """Index of the frame whose stem equals ``stem``, else whose trailing number equals it."""
    if stem in frame_stems:
        return frame_stems.index(stem)
    num = _trailing_number(stem)
    if num is None:
        return None
    hits = [i for i, s in enumerate(frame_stems) if _trailing_number(s) == num]
    return hits[0] if len(hits) == 1 else None
