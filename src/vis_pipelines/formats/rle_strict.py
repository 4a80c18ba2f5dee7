"""Strict decoding of input RLE and sparse encoding of strokes, for the scribble generator.

pycocotools decodes a compressed RLE whose run lengths do not add up to ``height * width``
without complaint and returns uninitialised memory for the missing pixels, so a corrupt count
string would turn into random masks (and random scribbles). ``rle_run_lengths`` parses the string
(pycocotools' LEB128-like code: 5 bits per character from ``0`` = 48, bit 0x20 = "more", sign
bit 0x10 on the last character, runs after the second coded relative to the run two before),
vectorised, and ``decode_rle_strict`` decodes only RLE whose runs cover the frame exactly.
Strokes are sparse, so ``encode_pixels`` writes their runs from the pixel list instead of
encoding a full frame.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import FormatError
from .rle import decode_rle, normalize_rle

__all__ = [
    "rle_pixels",
    "rle_run_lengths",
    "checked_runs",
    "decode_rle_strict",
    "decode_rle_box",
    "encode_pixels",
]


def rle_run_lengths(counts: str) -> np.ndarray:
    """Run lengths (int64) coded in a compressed RLE ``counts`` string; ValueError if malformed."""
    raw = np.frombuffer(counts.encode("ascii", errors="replace"), dtype=np.uint8).astype(np.int64)
    if raw.size == 0:
        return np.zeros(0, np.int64)
    chunk = raw - 48
    if chunk.min() < 0 or chunk.max() > 63:
        raise ValueError("character outside the RLE alphabet")
    last = (chunk & 0x20) == 0  # the character that ends a number
    if not last[-1]:
        raise ValueError("string ends inside a number (truncated?)")
    number = np.concatenate([[0], np.cumsum(last)[:-1]])  # which number each character belongs to
    starts = np.flatnonzero(np.concatenate([[True], last[:-1]]))
    position = np.arange(raw.size) - starts[number]
    if position.max() > 11:  # 12 chunks = 60 bits: no real run is that long
        raise ValueError("run length out of range")
    values = np.add.reduceat((chunk & 0x1F) << (5 * position), starts)
    ends = np.flatnonzero(last)
    negative = (chunk[ends] & 0x10) != 0
    values[negative] -= np.int64(1) << (5 * (position[ends][negative] + 1))
    # Runs 3, 4, ... are stored relative to the run two places before (odd and even chains).
    runs = values.copy()
    if runs.size > 3:
        runs[3::2] = runs[1] + np.cumsum(values[3::2])
    if runs.size > 4:
        runs[4::2] = runs[2] + np.cumsum(values[4::2])
    return runs


def checked_runs(
    rle: dict[str, Any], *, source: str | None = None, where: str = ""
) -> tuple[np.ndarray, int, int]:
    """``(run lengths, height, width)`` of an RLE whose runs cover its frame exactly.

    Raises:
        FormatError: naming ``source`` and ``where`` (e.g. ``video 3 annotation 7 frame 2``) if
            the RLE is malformed, has negative runs, or its runs do not sum to ``height * width``.
    """
    rle = normalize_rle(rle, where=where, source=source)  # list counts -> compressed str
    h, w = rle["size"]
    try:
        runs = rle_run_lengths(rle["counts"])
    except ValueError as err:
        raise FormatError(
            f"corrupt RLE counts: {err}", source=source, record=where, field="segmentations"
        ) from None
    if runs.size and runs.min() < 0:
        raise FormatError(
            "corrupt RLE counts: negative run length",
            source=source,
            record=where,
            field="segmentations",
        )
    total = int(runs.sum())
    if total != h * w:
        raise FormatError(
            f"corrupt RLE counts: runs cover {total} pixels, the {h}x{w} frame has {h * w}",
            source=source,
            record=where,
            field="segmentations",
        )
    return runs, h, w


def decode_rle_strict(
    rle: dict[str, Any], *, source: str | None = None, where: str = ""
) -> np.ndarray:
    """Decode one RLE to a uint8 ``(H, W)`` 0/1 mask after ``checked_runs`` (FormatError if bad)."""
    checked_runs(rle, source=source, where=where)
    return np.ascontiguousarray(decode_rle(normalize_rle(rle, source=source, where=where)))


def decode_rle_box(
    rle: dict[str, Any], *, source: str | None = None, where: str = ""
) -> tuple[np.ndarray, int, int] | None:
    """The mask's bounding box only: ``(box uint8 0/1, y0, x0)``, or None for an empty mask.

    Decoding just the columns the object spans, straight from the checked runs, costs a fraction
    of a full-frame decode for the small objects that make up most of a video dataset.
    """
    runs, h, _ = checked_runs(rle, source=source, where=where)
    ends = np.cumsum(runs)
    starts = ends - runs
    ones = (np.arange(runs.size) % 2 == 1) & (runs > 0)  # runs alternate 0s and 1s, 0s first
    if not ones.any():
        return None
    fg_start, fg_end = starts[ones], ends[ones]
    x0, x1 = int(fg_start[0] // h), int((fg_end[-1] - 1) // h)
    one_column = fg_start // h == (fg_end - 1) // h
    if one_column.all():
        y0, y1 = int((fg_start % h).min()), int(((fg_end - 1) % h).max())
    else:
        y0, y1 = 0, h - 1  # a run across a column boundary covers both ends of the column
    lo, hi = x0 * h, (x1 + 1) * h
    lengths = np.clip(ends, lo, hi) - np.clip(starts, lo, hi)
    values = (np.arange(runs.size) % 2).astype(np.uint8)
    columns = np.repeat(values, lengths).reshape(x1 - x0 + 1, h)  # column-major pixel order
    return np.ascontiguousarray(columns.T[y0 : y1 + 1]), y0, x0


def rle_pixels(
    rle: dict[str, Any], *, source: str | None = None, where: str = ""
) -> tuple[np.ndarray, np.ndarray]:
    """``(ys, xs)`` of the 1-pixels of a checked RLE, from its runs (cheap for sparse strokes)."""
    runs, h, _ = checked_runs(rle, source=source, where=where)
    ends = np.cumsum(runs)
    ones = (np.arange(runs.size) % 2 == 1) & (runs > 0)
    starts, lengths = (ends - runs)[ones], runs[ones]
    first = np.cumsum(lengths) - lengths  # position of each run's first pixel in the output
    flat = np.repeat(starts - first, lengths) + np.arange(int(lengths.sum()))
    return flat % h, flat // h


def encode_pixels(ys: np.ndarray, xs: np.ndarray, height: int, width: int) -> dict[str, Any]:
    """Compressed RLE of the mask whose 1-pixels are ``(ys, xs)`` (duplicates allowed)."""
    # RLE runs alternate 0s and 1s over the column-major (Fortran) pixel order.
    height, width = int(height), int(width)
    flat = np.unique(np.asarray(xs, np.int64) * height + np.asarray(ys, np.int64))
    if flat.size == 0:
        return normalize_rle({"size": [height, width], "counts": [height * width]})
    breaks = np.flatnonzero(np.diff(flat) != 1) + 1
    run_starts = flat[np.concatenate([[0], breaks])]
    run_ends = flat[np.concatenate([breaks - 1, [flat.size - 1]])] + 1
    zeros = run_starts - np.concatenate([[0], run_ends[:-1]])
    ones = run_ends - run_starts
    counts = np.empty(2 * run_starts.size + 1, np.int64)
    counts[0:-1:2] = zeros
    counts[1::2] = ones
    counts[-1] = height * width - run_ends[-1]
    if counts[-1] == 0:
        counts = counts[:-1]
    return normalize_rle({"size": [height, width], "counts": counts.tolist()})
