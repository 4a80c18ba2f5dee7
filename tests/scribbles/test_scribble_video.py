"""Scribbles of one video: per-object strokes, background, frame selection, stats, errors."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scribble_shapes import VH, VT, VW, toy_video

from vis_pipelines.formats import FormatError, decode_rle, encode_mask
from vis_pipelines.scribbles import ScribbleConfig, scribble_video
from vis_pipelines.scribbles.video import STAT_FIELDS

H, W, T = VH, VW, VT


def test_strokes_inside_masks_and_background_outside_objects() -> None:
    video, anns, masks = toy_video()
    out = scribble_video(video, anns, ScribbleConfig(), source="v.json")
    by_id = {a["id"]: a for a in out.annotations}
    assert set(by_id) == {11, 12, None}  # the never-visible track gets no scribble annotation
    union = masks.max(axis=0)
    for n, aid in enumerate((11, 12)):
        ann = by_id[aid]
        assert ann["category_id"] == n + 1 and ann["iscrowd"] == 0
        for t in range(T):
            seg = ann["segmentations"][t]
            if not masks[n, t].any():
                assert seg is None and ann["areas"][t] is None and ann["bboxes"][t] is None
                continue
            stroke = decode_rle(seg)
            assert stroke.any() and not (stroke & (masks[n, t] == 0)).any()
            assert ann["areas"][t] == stroke.sum()
            ys, xs = np.nonzero(stroke)
            assert ann["bboxes"][t] == [
                xs.min(),
                ys.min(),
                xs.max() - xs.min() + 1,
                ys.max() - ys.min() + 1,
            ]
    bg = by_id[None]
    assert bg["category_id"] is None and bg["video_id"] == 7
    for t in range(T):
        stroke = decode_rle(bg["segmentations"][t])
        assert stroke.any() and not (stroke & union[t]).any()


def test_stats_rows() -> None:
    video, anns, masks = toy_video()
    out = scribble_video(video, anns, ScribbleConfig(), source="v.json")
    rows = {r["annotation_id"]: r for r in out.stats}
    assert all(set(r) == set(STAT_FIELDS) for r in out.stats)
    assert rows[11]["frames"] == 4 and rows[12]["frames"] == 3 and rows[13]["frames"] == 0
    assert rows[11]["mask_pixels"] == int(masks[0].sum())
    strokes = next(a for a in out.annotations if a["id"] == 11)
    assert rows[11]["scribble_pixels"] == sum(strokes["areas"])
    assert rows[11]["strokes"] == 4 and rows[11]["frames_without_scribble"] == 0
    bg = rows[None]
    assert bg["kind"] == "background" and bg["frames"] == 4
    assert bg["mask_pixels"] == int((masks.max(axis=0) == 0).sum())


def test_frame_step_and_background_switch() -> None:
    video, anns, _ = toy_video()
    cfg = ScribbleConfig(frame_step=2, background=False)
    out = scribble_video(video, anns, cfg)
    assert all(a["category_id"] is not None for a in out.annotations)
    bar = next(a for a in out.annotations if a["id"] == 11)
    assert [s is not None for s in bar["segmentations"]] == [True, False, True, False]
    disc = next(a for a in out.annotations if a["id"] == 12)
    assert [s is not None for s in disc["segmentations"]] == [True, False, False, False]


def test_same_seed_same_output_and_order_independence() -> None:
    video, anns, _ = toy_video()
    a = scribble_video(video, anns, ScribbleConfig(seed=3))
    b = scribble_video(video, anns, ScribbleConfig(seed=3))
    assert a.annotations == b.annotations
    # An object's strokes do not depend on the other annotations (each mask has its own seed).
    alone = scribble_video(
        video, [anns[1]], dataclasses.replace(ScribbleConfig(seed=3), background=False)
    )
    assert alone.annotations[0]["segmentations"] == a.annotations[1]["segmentations"]


def test_corrupt_rle_and_size_mismatch_name_video_annotation_frame() -> None:
    video, anns, _ = toy_video()
    anns[1]["segmentations"][3] = {"size": [H, W], "counts": "52"}
    with pytest.raises(FormatError, match="corrupt RLE") as err:
        scribble_video(video, anns, ScribbleConfig(), source="data/train.json")
    assert "data/train.json" in str(err.value) and "video 7 annotation 12 frame 3" in str(err.value)
    video, anns, _ = toy_video()
    anns[0]["segmentations"][1] = encode_mask(np.ones((H, W + 1), np.uint8))
    with pytest.raises(FormatError, match="does not match the video size") as err:
        scribble_video(video, anns, ScribbleConfig(), source="data/train.json")
    assert "video 7 annotation 11 frame 1" in str(err.value)
