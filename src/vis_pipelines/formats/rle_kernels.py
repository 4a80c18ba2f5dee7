"""Compiled (numba) kernels on pycocotools' compressed RLE strings: parse, areas, intersections.

pycocotools re-parses every RLE string on every ``area`` / ``iou`` call and pays Python overhead
per call and per object; the evaluation asks for the same masks many times (once for the areas, once
per frame and category for the intersections). Here all RLE strings of a video are parsed once,
in one compiled pass over one byte buffer, and the intersections of all requested
(prediction, object) frame pairs are counted by a linear merge of their runs in one more call.

The string format is pycocotools' ``rleToString``: counts alternate background / foreground runs
of the column-major mask starting with background; each count is written as 5-bit groups (least
significant first) as ``chr(48 + group)`` with bit 0x20 meaning "more groups follow" and bit 0x10
of the last group the sign; from the fourth count on, the value stored is the difference to the
count two places earlier. The parser below follows ``rleFrString`` of ``maskApi.c`` step by step,
so areas and intersections are exact integers, the same that pycocotools' merge/area give.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numba import njit

__all__ = ["ParsedRLEs", "parse_rles", "pair_intersections"]


@njit(cache=True, nogil=True)
def _parse(
    buf: np.ndarray, starts: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Foreground intervals of every string ``buf[starts[i]:starts[i+1]]``.

    Returns flat ``fg_start``, ``fg_end`` (int64 pixel positions in column-major order, empty
    runs left out), ``offsets`` (RLE i owns intervals ``offsets[i]:offsets[i+1]``), ``areas`` and
    ``lengths`` (sum of all counts, = h * w for a well-formed RLE).
    """
    n = starts.size - 1
    cap = (buf.size + 1) // 2 + n  # at most one foreground run per two characters
    fg_start = np.empty(cap, dtype=np.int64)
    fg_end = np.empty(cap, dtype=np.int64)
    offsets = np.empty(n + 1, dtype=np.int64)
    areas = np.zeros(n, dtype=np.int64)
    lengths = np.zeros(n, dtype=np.int64)
    q = 0
    for i in range(n):
        offsets[i] = q
        p = starts[i]
        end = starts[i + 1]
        m = 0
        prev2 = np.int64(0)  # counts[m - 2] and counts[m - 1] of maskApi.c's delta coding
        prev1 = np.int64(0)
        pos = np.int64(0)
        area = np.int64(0)
        while p < end:
            x = np.int64(0)
            k = 0
            more = True
            while more:
                c = np.int64(buf[p]) - 48
                x |= (c & 0x1F) << (5 * k)
                more = (c & 0x20) != 0
                p += 1
                k += 1
                if not more and (c & 0x10) != 0:
                    x |= np.int64(-1) << (5 * k)
                if more and p >= end:  # truncated string: stop rather than read the next one
                    more = False
            if m > 2:
                x += prev2
            prev2 = prev1
            prev1 = x
            if m % 2 == 1 and x > 0:
                fg_start[q] = pos
                fg_end[q] = pos + x
                q += 1
                area += x
            pos += x
            m += 1
        areas[i] = area
        lengths[i] = pos
    offsets[n] = q
    return fg_start[:q], fg_end[:q], offsets, areas, lengths


@njit(cache=True, nogil=True)
def _intersections(
    fg_start: np.ndarray, fg_end: np.ndarray, offsets: np.ndarray, a: np.ndarray, b: np.ndarray
) -> np.ndarray:
    """``|rle[a[k]] & rle[b[k]]|`` for every k: one sweep over both sorted interval lists."""
    out = np.zeros(a.size, dtype=np.int64)
    for k in range(a.size):
        i, i_end = offsets[a[k]], offsets[a[k] + 1]
        j, j_end = offsets[b[k]], offsets[b[k] + 1]
        if i == i_end or j == j_end:
            continue
        # Jump to the first interval of each list that can meet the other (binary search).
        i += np.searchsorted(fg_end[i:i_end], fg_start[j], side="right")
        if i == i_end:
            continue
        j += np.searchsorted(fg_end[j:j_end], fg_start[i], side="right")
        total = 0
        while i < i_end and j < j_end:
            lo = fg_start[i] if fg_start[i] > fg_start[j] else fg_start[j]
            hi = fg_end[i] if fg_end[i] < fg_end[j] else fg_end[j]
            if hi > lo:
                total += hi - lo
            if fg_end[i] < fg_end[j]:
                i += 1
            else:
                j += 1
        out[k] = total
    return out


class ParsedRLEs:
    """Many RLEs (or ``None``: an absent mask) parsed once into foreground intervals and areas."""

    def __init__(self, parsed: tuple[np.ndarray, ...]) -> None:
        self.fg_start, self.fg_end, self.offsets, self.areas, self.lengths = parsed

    def __len__(self) -> int:
        return int(self.offsets.size - 1)


def _compressed(rle: dict[str, Any]) -> str:
    """The compressed counts string of one RLE (bytes decoded, int lists compressed first)."""
    counts = rle["counts"]
    if isinstance(counts, bytes | bytearray):
        return counts.decode("ascii")
    if isinstance(counts, str):
        return counts
    from pycocotools import mask as mask_utils  # uncompressed RLE: rare, so compress lazily

    h, w = rle["size"]
    return mask_utils.frPyObjects(rle, h, w)["counts"].decode("ascii")


def parse_rles(rles: Sequence[dict[str, Any] | None]) -> ParsedRLEs:
    """Parse RLE dicts (``{"size": [h, w], "counts": str | bytes}``, or ``None``) in one pass.

    ``None`` stands for an absent mask (area 0). Uncompressed RLEs (``counts`` as a list of ints)
    are compressed with pycocotools first.
    """
    try:
        strings = [r["counts"] if r is not None else "" for r in rles]
        joined = "".join(strings)
    except TypeError:  # bytes or int lists among them
        strings = [_compressed(r) if r is not None else "" for r in rles]
        joined = "".join(strings)
    starts = np.zeros(len(strings) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, strings), dtype=np.int64, count=len(strings)), out=starts[1:])
    return ParsedRLEs(_parse(np.frombuffer(joined.encode("ascii"), dtype=np.uint8), starts))


def pair_intersections(parsed: ParsedRLEs, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Exact pixel intersections ``|rle[a[k]] & rle[b[k]]|`` (int64) of index pairs into ``parsed``."""
    a = np.ascontiguousarray(a, dtype=np.int64)
    b = np.ascontiguousarray(b, dtype=np.int64)
    if not a.size:
        return np.zeros(0, dtype=np.int64)
    return _intersections(parsed.fg_start, parsed.fg_end, parsed.offsets, a, b)
