"""Compiled (numba) kernels on pycocotools' compressed RLE strings: parse, areas, intersections.

pycocotools re-parses every RLE string on every ``area`` / ``iou`` call and pays Python overhead
per call and per object; the evaluation asks for the same masks many times (once for the areas, once
per frame and category for the intersections). Here many RLE strings are parsed at once, in one
compiled pass over one byte buffer, and the intersections of (prediction, object) frame pairs are
counted by a linear merge of their runs.

The string format is pycocotools' ``rleToString``: counts alternate background / foreground runs
of the column-major mask starting with background; each count is written as 5-bit groups (least
significant first) as ``chr(48 + group)`` with bit 0x20 meaning "more groups follow" and bit 0x10
of the last group the sign; from the fourth count on, the value stored is the difference to the
count two places earlier. The parser below follows ``rleFrString`` of ``maskApi.c`` step by step,
so areas and intersections are exact integers, the same that pycocotools' merge/area give.

Layout: RLE ``i`` owns the interval slots ``offsets[i] : offsets[i] + n_runs[i]`` of ``fg_start`` /
``fg_end``. Its slot block is sized from the string length alone (a foreground run takes at least
two characters: its own count and the background count before it), so every string can be parsed
independently, by several threads at once.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import Any

import numba
import numpy as np
from numba import njit, prange

from .errors import FormatError

__all__ = [
    "KERNEL_LOCK",
    "ParsedRLEs",
    "parse_rles",
    "parse_strings",
    "pair_intersections",
    "intersect_runs",
]

# numba's default threading layer on pip wheels is GNU OpenMP, after which a forked child that
# uses OpenMP (torch in a DataLoader worker or a process pool) hangs; the built-in workqueue
# layer is fork safe. Its one limit, no parallel launches from two threads at once, is met by
# holding KERNEL_LOCK around every launch. An explicit NUMBA_THREADING_LAYER is respected.
if "NUMBA_THREADING_LAYER" not in os.environ:
    numba.config.THREADING_LAYER = "workqueue"


class _KernelLock:
    """A re-entrant lock that a forked child gets back unlocked (a fork while another thread
    held it would otherwise leave the child's kernels waiting forever)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._lock = threading.RLock()

    def __enter__(self) -> bool:
        return self._lock.acquire()

    def __exit__(self, *exc: object) -> None:
        self._lock.release()


#: Held while a parallel kernel runs (re-entrant: callers may hold it around several launches).
KERNEL_LOCK = _KernelLock()

#: Appended to every buffer: a count that ends at once, so a truncated last string stops here.
_PAD = b"0"


@njit(cache=True, nogil=True, inline="always")
def _parse_one(
    buf: np.ndarray, p: int, end: int, fg_start: np.ndarray, fg_end: np.ndarray, q: int
) -> tuple[int, int, int]:
    """Parse ``buf[p:end]`` into slots from ``q`` on: (runs, area, length; -1 if not an RLE)."""
    q0 = q
    m = 0
    prev2 = np.int64(0)  # counts[m - 2] and counts[m - 1] of maskApi.c's delta coding
    prev1 = np.int64(0)
    pos = np.int64(0)
    area = np.int64(0)
    negative = False
    while p < end:
        x = np.int64(0)
        k = 0
        while True:  # the buffer ends in _PAD, so this stops even on a truncated string
            c = np.int64(buf[p]) - 48
            x |= (c & 0x1F) << (5 * k)
            p += 1
            k += 1
            if (c & 0x20) == 0:
                if (c & 0x10) != 0:
                    x |= np.int64(-1) << (5 * k)
                break
        if m > 2:
            x += prev2
        prev2 = prev1
        prev1 = x
        negative |= x < 0  # no run has a negative length: a corrupt string
        if (m & 1) == 1 and x > 0:
            fg_start[q] = pos
            fg_end[q] = pos + x
            q += 1
            area += x
        pos += x
        m += 1
    if p > end or negative:  # ran into the next string, or a negative run: not an RLE
        pos = -1
    return q - q0, area, pos


@njit(cache=True, nogil=True)
def _slot_offsets(starts: np.ndarray) -> np.ndarray:
    n = starts.size - 1
    offsets = np.empty(n + 1, dtype=np.int64)
    offsets[0] = 0
    for i in range(n):
        offsets[i + 1] = offsets[i] + (starts[i + 1] - starts[i]) // 2
    return offsets


@njit(cache=True, nogil=True, parallel=True)
def _parse(buf: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, ...]:
    """Foreground intervals, run counts, areas and lengths of every ``buf[starts[i]:starts[i+1]]``.

    Returns ``fg_start``, ``fg_end`` (int64 column-major pixel positions, empty runs left out),
    ``offsets``, ``n_runs``, ``areas`` and ``lengths`` (sum of all counts: h * w for a well-formed
    RLE, -1 for a truncated string or one with a negative run).
    """
    n = starts.size - 1
    offsets = _slot_offsets(starts)
    fg_start = np.empty(offsets[n], dtype=np.int64)
    fg_end = np.empty(offsets[n], dtype=np.int64)
    n_runs = np.empty(n, dtype=np.int64)
    areas = np.empty(n, dtype=np.int64)
    lengths = np.empty(n, dtype=np.int64)
    for i in prange(n):
        r, a, length = _parse_one(buf, starts[i], starts[i + 1], fg_start, fg_end, offsets[i])
        n_runs[i] = r
        areas[i] = a
        lengths[i] = length
    return fg_start, fg_end, offsets, n_runs, areas, lengths


@njit(cache=True, nogil=True, inline="always")
def intersect_runs(
    fg_start: np.ndarray, fg_end: np.ndarray, i: int, i_end: int, j: int, j_end: int
) -> int:
    """Pixels shared by the sorted intervals ``i:i_end`` and ``j:j_end``: one merge sweep."""
    if i == i_end or j == j_end:
        return 0
    stop = min(fg_end[i_end - 1], fg_end[j_end - 1])  # nothing overlaps past the earlier end
    # Jump to the first interval of each list that can meet the other (binary search).
    i += np.searchsorted(fg_end[i:i_end], fg_start[j], side="right")
    if i == i_end:
        return 0
    j += np.searchsorted(fg_end[j:j_end], fg_start[i], side="right")
    total = 0
    while i < i_end and j < j_end:
        lo = max(fg_start[i], fg_start[j])
        if lo >= stop:
            break
        hi = min(fg_end[i], fg_end[j])
        if hi > lo:
            total += hi - lo
        if fg_end[i] < fg_end[j]:
            i += 1
        else:
            j += 1
    return total


@njit(cache=True, nogil=True, parallel=True)
def _intersections(
    fg_start: np.ndarray,
    fg_end: np.ndarray,
    offsets: np.ndarray,
    n_runs: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
) -> np.ndarray:
    """``|rle[a[k]] & rle[b[k]]|`` for every k."""
    out = np.zeros(a.size, dtype=np.int64)
    for k in prange(a.size):
        i, j = offsets[a[k]], offsets[b[k]]
        out[k] = intersect_runs(fg_start, fg_end, i, i + n_runs[a[k]], j, j + n_runs[b[k]])
    return out


class ParsedRLEs:
    """Many RLEs (or ``None``: an absent mask) parsed once into foreground intervals and areas."""

    def __init__(self, parsed: tuple[np.ndarray, ...]) -> None:
        self.fg_start, self.fg_end, self.offsets, self.n_runs, self.areas, self.lengths = parsed

    def __len__(self) -> int:
        return int(self.areas.size)


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


def parse_strings(strings: Sequence[str]) -> ParsedRLEs:
    """Parse compressed counts strings (``""`` is an empty, absent mask) in one compiled call."""
    try:
        joined = "".join(strings).encode("ascii") + _PAD
    except UnicodeEncodeError as err:  # pycocotools' counts use characters 48-111 only
        raise FormatError(
            f"RLE counts hold a non-ASCII character ({err.object[err.start]!r})",
            field="segmentations",
        ) from None
    starts = np.zeros(len(strings) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, strings), dtype=np.int64, count=len(strings)), out=starts[1:])
    with KERNEL_LOCK:
        return ParsedRLEs(_parse(np.frombuffer(joined, dtype=np.uint8), starts))


def parse_rles(rles: Sequence[dict[str, Any] | None]) -> ParsedRLEs:
    """Parse RLE dicts (``{"size": [h, w], "counts": str | bytes}``, or ``None``) in one pass.

    ``None`` stands for an absent mask (area 0). Uncompressed RLEs (``counts`` as a list of ints)
    are compressed with pycocotools first.
    """
    try:
        return parse_strings([r["counts"] if r is not None else "" for r in rles])
    except TypeError:  # bytes or int lists among the counts
        try:
            strings = [_compressed(r) if r is not None else "" for r in rles]
        except UnicodeDecodeError:
            raise FormatError("RLE counts hold a non-ASCII byte", field="segmentations") from None
        return parse_strings(strings)


def pair_intersections(parsed: ParsedRLEs, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Exact pixel intersections ``|rle[a[k]] & rle[b[k]]|`` (int64) of index pairs into ``parsed``."""
    a = np.ascontiguousarray(a, dtype=np.int64)
    b = np.ascontiguousarray(b, dtype=np.int64)
    if not a.size:
        return np.zeros(0, dtype=np.int64)
    with KERNEL_LOCK:
        return _intersections(parsed.fg_start, parsed.fg_end, parsed.offsets, parsed.n_runs, a, b)
