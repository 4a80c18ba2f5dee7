"""The compiled RLE kernels against pycocotools and hand-computed masks."""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest
import torch
from pycocotools import mask as mask_utils

from vis_pipelines.formats.errors import FormatError
from vis_pipelines.formats.rle_kernels import (
    KERNEL_LOCK,
    pair_intersections,
    parse_rles,
    parse_strings,
)


def _rle(mask: np.ndarray) -> dict:
    r = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {"size": r["size"], "counts": r["counts"].decode()}


def test_areas_match_pycocotools_on_random_masks() -> None:
    rng = np.random.default_rng(0)
    masks = [rng.random((37, 53)) < p for p in (0.0, 0.01, 0.3, 0.7, 0.99, 1.0)]
    # Large runs need multi-character counts with delta coding (and negative deltas).
    big = np.zeros((400, 700), bool)
    big[50:390, 10:650] = True
    big[100:120, 300:310] = False
    masks.append(big)
    rles = [_rle(m) for m in masks]
    parsed = parse_rles(rles)
    assert parsed.areas.tolist() == [int(m.sum()) for m in masks]
    assert parsed.areas.tolist() == mask_utils.area(rles).tolist()
    assert parsed.lengths.tolist() == [m.size for m in masks]
    assert len(parsed) == len(masks)


def test_intersections_match_dense_masks() -> None:
    rng = np.random.default_rng(1)
    h, w = 31, 45
    masks = []
    for _ in range(12):
        m = np.zeros((h, w), bool)
        y0, x0 = rng.integers(0, h - 5), rng.integers(0, w - 5)
        m[y0 : y0 + rng.integers(3, 20), x0 : x0 + rng.integers(3, 30)] = True
        m ^= rng.random((h, w)) < 0.05  # holes and specks: many short runs
        masks.append(m)
    masks.append(np.zeros((h, w), bool))
    masks.append(np.ones((h, w), bool))
    rles = [_rle(m) for m in masks]
    parsed = parse_rles(rles)
    a, b = np.meshgrid(np.arange(len(masks)), np.arange(len(masks)), indexing="ij")
    got = pair_intersections(parsed, a.ravel(), b.ravel()).reshape(a.shape)
    dense = np.stack(masks).reshape(len(masks), -1).astype(np.int64)
    assert np.array_equal(got, dense @ dense.T)


def test_none_bytes_and_uncompressed_counts() -> None:
    m = np.zeros((4, 5), bool)
    m[1:3, 1:4] = True  # 6 pixels
    rle = _rle(m)
    as_bytes = {"size": rle["size"], "counts": rle["counts"].encode()}
    # Uncompressed: column-major runs 5 off, 2 on, 2 off, 2 on, 2 off, 2 on, 5 off.
    raw = {"size": [4, 5], "counts": [5, 2, 2, 2, 2, 2, 5]}
    parsed = parse_rles([rle, None, as_bytes, raw])
    assert parsed.areas.tolist() == [6, 0, 6, 6]
    assert pair_intersections(parsed, np.array([0, 0, 1]), np.array([2, 3, 0])).tolist() == [
        6,
        6,
        0,
    ]


def test_hand_computed_overlap() -> None:
    a = np.zeros((3, 3), bool)
    a[:, 0] = True  # column 0: pixels 0, 1, 2
    b = np.zeros((3, 3), bool)
    b[1:, :2] = True  # pixels 1, 2 (column 0) and 4, 5 (column 1)
    parsed = parse_rles([_rle(a), _rle(b)])
    assert pair_intersections(parsed, np.array([0, 1]), np.array([1, 0])).tolist() == [2, 2]
    assert pair_intersections(parsed, np.array([], int), np.array([], int)).size == 0


def test_cut_short_counts_have_length_minus_one() -> None:
    m = np.zeros((40, 40), bool)
    m[5:30, 7:33] = True
    counts = _rle(m)["counts"]
    assert counts.startswith("m8")  # first count: 29 | 8 << 5 = 285 background pixels
    # A string cut inside a multi-character count, and one cut after a whole count (its
    # length is short of h * w: the evaluation's size check rejects it).
    parsed = parse_strings([counts, counts[:-1], "", counts[:2]])
    assert parsed.lengths[0] == 1600 and parsed.areas[0] == 25 * 26
    assert parsed.lengths[1] == -1 and parsed.lengths[3] == 285
    assert parsed.lengths[2] == 0 and parsed.areas[2] == 0 and parsed.n_runs[2] == 0


def _child_work(queue: Any, counts: str) -> None:
    torch.set_num_threads(2)
    x = torch.ones(200, 200)
    queue.put((int(parse_strings([counts] * 300).areas.sum()), float((x @ x)[0, 0])))


def test_forked_children_still_run_kernels_and_torch() -> None:
    # Under GNU OpenMP (numba's default layer on pip wheels) such a child hangs or aborts.
    m = np.zeros((20, 20), bool)
    m[2:9, 3:7] = True
    counts = _rle(m)["counts"]
    assert parse_strings([counts] * 300).areas.sum() == 300 * 28  # the parent's thread pool
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_child_work, args=(queue, counts))
    child.start()
    child.join(120)
    if child.is_alive():
        child.kill()
        pytest.fail("the forked child hung")
    assert child.exitcode == 0
    assert queue.get(timeout=5) == (300 * 28, 200.0)


def test_kernels_from_several_threads_at_once() -> None:
    rng = np.random.default_rng(7)
    masks = [rng.random((30, 30)) < 0.3 for _ in range(50)]
    strings = [_rle(m)["counts"] for m in masks]
    want = [int(m.sum()) for m in masks]
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda _: parse_strings(strings).areas.tolist(), range(16)))
    assert got == [want] * 16


def _counts_string(counts: list[int]) -> str:
    """pycocotools' rleToString, written out from maskApi.c's description (for corrupt cases)."""
    out = []
    for i, x in enumerate(counts):
        if i > 2:
            x -= counts[i - 2]
        more = True
        while more:
            c = x & 0x1F
            x >>= 5
            more = x != -1 if c & 0x10 else x != 0
            out.append(chr(48 + (c | 0x20 if more else c)))
    return "".join(out)


def test_negative_runs_are_not_an_rle() -> None:
    m = np.zeros((20, 24), bool)
    m[3:15, 5:20] = True
    m[7:9, 10:12] = False
    ok = _rle(m)["counts"]
    # The helper reproduces pycocotools on a real mask (runs from the dense column-major mask).
    flat = m.T.ravel()
    edges = np.flatnonzero(np.diff(np.r_[0, flat.astype(int), 0]) != 0)
    bounds = np.r_[0, edges, flat.size]
    counts = np.diff(bounds).tolist()
    counts = counts[:-1] if counts[-1] == 0 else counts
    assert _counts_string(counts) == ok
    # Counts that add up to h * w but hold a negative run (overlapping intervals).
    bad = _counts_string([0, 250, -10, 240])
    parsed = parse_strings([ok, bad])
    assert parsed.lengths.tolist() == [480, -1]


def test_non_ascii_counts_are_a_format_error() -> None:
    with pytest.raises(FormatError, match="non-ASCII"):
        parse_strings(["0c9", "é"])
    with pytest.raises(FormatError, match="non-ASCII"):
        parse_rles([{"size": [2, 2], "counts": "é".encode()}])


def _child_parses(queue: Any) -> None:
    queue.put(parse_strings(["04"]).areas.tolist())


def test_fork_while_another_thread_holds_the_kernel_lock() -> None:
    held, done = threading.Event(), threading.Event()

    def hold() -> None:
        with KERNEL_LOCK:
            held.set()
            done.wait(60)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(10)
        ctx = multiprocessing.get_context("fork")
        queue = ctx.Queue()
        child = ctx.Process(target=_child_parses, args=(queue,))
        child.start()
        child.join(60)
        if child.is_alive():
            child.kill()
            pytest.fail("the forked child waited on the parent's lock")
        assert child.exitcode == 0 and queue.get(timeout=5) == [4]  # counts 0, 4: four pixels
    finally:
        done.set()
        holder.join()
