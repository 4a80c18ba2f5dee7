"""Video IoU of tracks: hand-computed counts, absent frames, exact intersections."""

from __future__ import annotations

import numpy as np
import pytest

from vis_pipelines.evaluation import video_iou
from vis_pipelines.evaluation.video_iou import (
    grouped_overlaps,
    rle_areas,
    track_frame_areas,
    track_iou,
    video_track_overlaps,
)
from vis_pipelines.formats.errors import FormatError
from vis_pipelines.formats.rle import encode_mask


def rect(y0: int, x0: int, y1: int, x1: int, h: int = 30, w: int = 30) -> dict:
    m = np.zeros((h, w), np.uint8)
    m[y0:y1, x0:x1] = 1
    return encode_mask(m)


def test_overlaps_sum_intersections_over_frames_and_skip_absent_frames() -> None:
    # frame 0: 10x10 vs the same shifted by 5 columns → inter 50; frame 1: only the GT (100 px);
    # frame 2: both absent.
    dt = [[rect(0, 0, 10, 10), None, None]]
    gt = [[rect(0, 5, 10, 15), rect(0, 0, 10, 10), None]]
    dt_a, gt_a, inter, compared = video_track_overlaps(dt, [1], gt, [1], 3, min_iou=0.0)
    assert dt_a.tolist() == [[100, 0, 0]] and gt_a.tolist() == [[100, 100, 0]]
    assert inter.tolist() == [[50]] and compared.tolist() == [[True]]
    iou = track_iou(inter, dt_a.sum(1), gt_a.sum(1))
    assert iou[0, 0] == 50 / (100 + 200 - 50)


def test_pairs_of_different_categories_are_not_compared() -> None:
    dt = [[rect(0, 0, 10, 10)], [rect(0, 0, 10, 10)]]
    gt = [[rect(0, 0, 10, 10)]]
    _, _, inter, compared = video_track_overlaps(dt, [1, 2], gt, [2], 1)
    assert inter.tolist() == [[0], [100]] and compared.tolist() == [[False], [True]]


def test_pairs_that_cannot_reach_min_iou_are_skipped() -> None:
    # areas 100 vs 30: IoU <= 30/100 < 0.5, so the pair is not compared at min_iou 0.5
    dt = [[rect(0, 0, 10, 10)], [rect(0, 0, 10, 5)]]
    gt = [[rect(0, 0, 10, 3)], [rect(0, 0, 10, 6)]]
    _, _, inter, compared = video_track_overlaps(dt, [1, 1], gt, [1, 1], 1, min_iou=0.5)
    assert compared.tolist() == [[False, True], [True, True]]
    assert inter[0, 1] == 60 and inter[1, 0] == 30 and inter[1, 1] == 50


def test_exact_intersections_on_random_masks() -> None:
    rng = np.random.default_rng(3)
    masks_d = rng.random((5, 4, 37, 41)) < 0.4
    masks_g = rng.random((3, 4, 37, 41)) < 0.5
    dt = [[encode_mask(m.astype(np.uint8)) for m in trk] for trk in masks_d]
    gt = [[encode_mask(m.astype(np.uint8)) for m in trk] for trk in masks_g]
    dt_a, gt_a, inter, _ = video_track_overlaps(dt, [1] * 5, gt, [1] * 3, 4, min_iou=0.0)
    expected = np.einsum("dthw,gthw->dg", masks_d.astype(np.int64), masks_g.astype(np.int64))
    assert np.array_equal(inter, expected)
    assert np.array_equal(dt_a, masks_d.sum((2, 3)))


def test_zero_union_gives_zero_iou() -> None:
    iou = track_iou(np.zeros((1, 1), np.int64), np.zeros(1, np.int64), np.zeros(1, np.int64))
    assert iou[0, 0] == 0.0


def test_size_mismatch_is_a_format_error() -> None:
    with pytest.raises(FormatError, match=r"video 7, object track 0.*covers 400 pixels, unlike"):
        video_track_overlaps(
            [[rect(0, 0, 5, 5, 30, 30)]], [1], [[rect(0, 0, 5, 5, 20, 20)]], [1], 1, where="video 7"
        )


def test_areas_of_more_than_255_rles() -> None:
    rles = [rect(0, 0, 1 + i % 20, 3) for i in range(600)]
    assert rle_areas(rles).tolist() == [3 * (1 + i % 20) for i in range(600)]
    assert track_frame_areas([rles[:3], [None, rles[4], None]], 3).tolist() == [
        [3, 6, 9],
        [0, 15, 0],
    ]


def test_grouped_overlaps_hand_computed_groups() -> None:
    # Group 0 (2 frames): 2 predictions x 1 object; group 1 (1 frame): no prediction, 1 object;
    # group 2 (1 frame): 1 prediction x 2 objects.
    a, b = rect(0, 0, 10, 10), rect(0, 5, 10, 15)  # 100 px each, 50 in common
    c = rect(20, 20, 30, 30)  # disjoint from a and b
    dt = [[a, a], [c, None], [b]]
    gt = [[b, None], [a], [a], [b]]
    res = grouped_overlaps(dt, gt, [2, 0, 1], [1, 1, 2], [2, 1, 1], [900, 900, 900], min_iou=0.1)
    assert res.dt_areas.tolist() == [100, 100, 100, 0, 100]
    assert res.gt_areas.tolist() == [100, 0, 100, 100, 100]
    assert res.pair_offsets.tolist() == [0, 2, 2, 4]
    # (a a | b -) : inter 50, union 200 + 100 - 50; (c - | b -): disjoint spans, bound 0 < 0.1.
    # group 2: b vs a: 50 / 150; b vs b: 100 / 100.
    assert res.inter.tolist() == [50, 0, 50, 100]
    assert res.iou.tolist() == [50 / 250, 0.0, 50 / 150, 1.0]
    assert res.compared.tolist() == [True, False, True, True]


def test_grouped_overlaps_same_across_chunk_sizes(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(5)
    masks = rng.random((40, 3, 12, 9)) < 0.5
    tracks = [[encode_mask(m.astype(np.uint8)) for m in trk] for trk in masks]
    group_dt, group_gt = np.array([3, 0, 5, 2, 4, 1]), np.array([2, 4, 1, 3, 0, 2])
    dt, gt = tracks[: group_dt.sum()], tracks[group_dt.sum() : group_dt.sum() + group_gt.sum()]
    frames = np.full(6, 3)
    whole = grouped_overlaps(dt, gt, group_dt, group_gt, frames, min_iou=0.0)
    monkeypatch.setattr(video_iou, "CHUNK_RLES", (4, 1, 4))  # a group or two per chunk
    chunked = grouped_overlaps(dt, gt, group_dt, group_gt, frames, min_iou=0.0)
    for field in ("dt_areas", "gt_areas", "inter", "iou", "compared"):
        assert np.array_equal(getattr(whole, field), getattr(chunked, field)), field
    # Against dense masks, group by group.
    dm, gm = masks[: group_dt.sum()], masks[group_dt.sum() :]
    d0, g0 = np.cumsum([0, *group_dt]), np.cumsum([0, *group_gt])
    for k in range(6):
        want = np.einsum(
            "dthw,gthw->dg",
            dm[d0[k] : d0[k + 1]].astype(np.int64),
            gm[g0[k] : g0[k + 1]].astype(np.int64),
        )
        block = whole.inter[whole.pair_offsets[k] : whole.pair_offsets[k + 1]]
        assert np.array_equal(block, want.ravel()), k


def test_grouped_overlaps_checks_the_video_size_and_cut_short_counts() -> None:
    a = rect(0, 0, 10, 10)
    labels = ["video 3", "video 8"]
    want = (
        r"video 8, prediction track 1.*frame 0: RLE covers 900 pixels, not the video's h\*w \(800\)"
    )
    with pytest.raises(FormatError, match=want):
        grouped_overlaps(
            [[a], [a]], [[a], [a]], [1, 1], [1, 1], [1, 1], [900, 800], label=labels.__getitem__
        )
    cut = {"size": [30, 30], "counts": a["counts"][:-1]}
    with pytest.raises(FormatError, match=r"results\[5\].*frame 1: not an RLE \(counts cut short"):
        grouped_overlaps(
            [[a, a]],
            [[a, cut]],
            [1],
            [1],
            [2],
            [900],
            track_label=lambda kind, i: f"results[5] ({kind} {i})",
        )
    with pytest.raises(ValueError, match="frames"):
        grouped_overlaps([[a, a]], [[a]], [1], [1], [1])
