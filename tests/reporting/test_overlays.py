"""Overlays: blending by hand-computed values, track selection, GIF frame counts."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from vis_pipelines.formats.errors import FormatError
from vis_pipelines.formats.rle import encode_mask
from vis_pipelines.reporting import (
    OverlayParams,
    annotation_tracks,
    blend_masks,
    gif_bytes,
    prediction_overlay_gif,
    render_overlay,
    track_colours,
    video_tracks,
)

T, H, W = 5, 12, 16


def _frames(t: int = T) -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(t, H, W, 3), dtype=np.uint8)


def _box(y0: int, x0: int, y1: int, x1: int) -> np.ndarray:
    m = np.zeros((H, W), np.uint8)
    m[y0:y1, x0:x1] = 1
    return m


VIDEO = {
    "id": 7,
    "length": T,
    "height": H,
    "width": W,
    "file_names": [f"v/{t}.jpg" for t in range(T)],
}
CATEGORIES = [{"id": 1, "name": "red star"}, {"id": 2, "name": "blue ring"}]


def _pred(cat: int, score: float, box: tuple, video_id: int = 7) -> dict:
    segs = [encode_mask(_box(*box)) for _ in range(T)]
    segs[1] = None  # a frame where the track is absent
    return {"video_id": video_id, "category_id": cat, "score": score, "segmentations": segs}


def test_colours_are_distinct_and_stable() -> None:
    c = track_colours(6)
    assert c.shape == (6, 3) and c.dtype == np.uint8
    assert len({tuple(x) for x in c}) == 6
    np.testing.assert_array_equal(c, track_colours(6))


def test_blend_inside_outline_and_outside() -> None:
    frames = np.full((1, H, W, 3), 100, np.uint8)
    masks = np.stack([_box(2, 2, 8, 8)])[:, None]  # (1, 1, H, W)
    colours = np.array([[200, 0, 50]], np.uint8)
    out = blend_masks(frames, masks, colours, alpha=0.5)
    np.testing.assert_array_equal(out[0, 4, 4], [150, 50, 75])  # inside: half tint
    np.testing.assert_array_equal(out[0, 4, 7], [200, 0, 50])  # right border: outline
    np.testing.assert_array_equal(out[0, 10, 10], [100, 100, 100])  # outside untouched
    # Overlap: the later track is on top.
    both = np.stack([_box(2, 2, 8, 8), _box(4, 4, 10, 10)])[:, None]
    two = np.array([[200, 0, 0], [0, 0, 200]], np.uint8)
    out = blend_masks(frames, both, two, alpha=1.0)
    np.testing.assert_array_equal(out[0, 5, 5], [0, 0, 200])
    np.testing.assert_array_equal(blend_masks(frames, masks[:0], colours[:0]), frames)


def test_video_tracks_selects_by_score() -> None:
    preds = [
        _pred(1, 0.2, (0, 0, 4, 4)),
        _pred(2, 0.9, (4, 4, 8, 8)),
        _pred(1, 0.6, (8, 8, 12, 12)),
        _pred(1, 0.99, (0, 0, 4, 4), video_id=8),  # another video
    ]
    masks, labels = video_tracks(preds, VIDEO, CATEGORIES, max_tracks=5, min_score=0.3)
    assert labels == ["#1 blue ring 0.90", "#2 red star 0.60"]
    assert masks.shape == (2, T, H, W)
    assert masks[0, 0].sum() == 16 and masks[0, 1].sum() == 0  # null frame stays empty
    masks, labels = video_tracks(preds, VIDEO, CATEGORIES, max_tracks=1)
    assert labels == ["#1 blue ring 0.90"]
    bad = dict(preds[0], segmentations=[None] * (T - 1))
    with pytest.raises(FormatError, match="segmentations"):
        video_tracks([bad], VIDEO, CATEGORIES, source="results.json")


def test_render_overlay_shape_and_scale() -> None:
    frames = _frames()
    masks = np.stack([np.stack([_box(2, 2, 8, 8)] * T)])
    out = render_overlay(frames, masks, ["#1 x"], scale=3)
    assert out.shape == (T, 3 * H, 3 * W, 3) and out.dtype == np.uint8
    with pytest.raises(ValueError, match="labels"):
        render_overlay(frames, masks, [])
    with pytest.raises(ValueError, match="masks"):
        render_overlay(frames, masks[:, :2], ["#1 x"])
    with pytest.raises(ValueError, match="stroke tracks"):
        render_overlay(frames, masks, ["#1 x"], strokes=np.concatenate([masks, masks]))
    with pytest.raises(ValueError, match="frame names"):
        render_overlay(frames, masks, ["#1 x"], frame_names=["1/9"])
    named = render_overlay(frames, masks, ["#1 x"], frame_names=[f"{t}/99" for t in range(T)])
    assert not np.array_equal(named, out)  # other corner text


def test_gif_has_one_frame_per_video_frame() -> None:
    preds = [_pred(1, 0.8, (2, 2, 8, 8)), _pred(2, 0.7, (4, 6, 10, 14))]
    # A constant video: the frame counter still makes every GIF frame distinct.
    frames = np.full((T, H, W, 3), 90, np.uint8)
    data = prediction_overlay_gif(frames, preds, VIDEO, CATEGORIES, OverlayParams(fps=5.0))
    img = Image.open(io.BytesIO(data))
    assert img.format == "GIF"
    assert img.n_frames == T
    assert img.size == (2 * W, 2 * H)  # default scale 2
    assert img.info["duration"] == 200
    with pytest.raises(ValueError, match="at least one frame"):
        gif_bytes([])


def test_annotation_tracks_align_scribbles_by_id() -> None:
    masks = np.stack([np.stack([_box(0, 0, 6, 6)] * T), np.stack([_box(6, 6, 12, 12)] * T)])
    anns = [{"id": 3, "category_id": 1}, {"id": 4, "category_id": 2}]
    strokes = np.zeros((3, T, H, W), np.uint8)
    strokes[0, :, 8, 8] = 1  # annotation 4
    strokes[0, :, 11, 11] = 1
    strokes[1, :, 2, 2] = 1  # annotation 3
    strokes[2, :, 0, 15] = 1  # background
    stroke_anns = [
        {"id": 4, "category_id": 2},
        {"id": 3, "category_id": 1},
        {"id": 9, "category_id": None},
    ]
    m, s, labels = annotation_tracks(masks, anns, CATEGORIES, strokes, stroke_anns)
    assert labels == ["3 red star", "4 blue ring", "background"]
    assert m.shape == (3, T, H, W) and m[2].sum() == 0
    assert s[0, 0, 2, 2] == 1 and s[1, 0, 8, 8] == 1 and s[2, 0, 0, 15] == 1
    # Empty masks: no label boxes drawn over the strokes, which are opaque in the track colour.
    drawn = render_overlay(
        _frames(), np.zeros_like(m), labels, strokes=s, scale=1, frame_index=False
    )
    colours = track_colours(3)
    for k, (y, x) in enumerate([(2, 2), (8, 8), (0, 15)]):
        np.testing.assert_array_equal(drawn[:, y, x], np.broadcast_to(colours[k], (T, 3)))
    # On its own (tinted) mask a stroke is darkened so that it stays visible.
    unlabelled = ["", "", ""]  # no label boxes over the pixel checked
    drawn = render_overlay(_frames(), m, unlabelled, strokes=s, scale=1, frame_index=False)
    np.testing.assert_array_equal(drawn[0, 11, 11], (colours[1] * 0.4).round().astype(np.uint8))
    only_masks = annotation_tracks(masks, anns, CATEGORIES)
    assert only_masks[1] is None and only_masks[2] == ["3 red star", "4 blue ring"]


def test_overlay_params_are_checked() -> None:
    assert OverlayParams(min_score=0, models=["a"]).models == ("a",)
    for bad in ({"videos": 0}, {"min_score": 2.0}, {"alpha": 0.0}, {"fps": 0}, {"results": ""}):
        with pytest.raises(ValueError):
            OverlayParams(**bad)
