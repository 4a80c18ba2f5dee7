"""Masks, track ids and scribbles drawn over video frames; animated GIFs (PIL).

Tracks are blended in one vectorised pass over a chunk of frames (the later track on top where
masks overlap, a full-colour outline for each); only the text labels, placed above each mask, are
drawn frame by frame. Every
frame carries its index, so no two GIF frames are identical (PIL would merge identical ones).
"""

from __future__ import annotations

import colorsys
import io
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from vis_pipelines.formats.errors import FormatError
from vis_pipelines.formats.rle import decode_rle

from .config import OverlayParams

__all__ = [
    "track_colours",
    "blend_masks",
    "video_tracks",
    "render_overlay",
    "gif_bytes",
    "prediction_overlay_gif",
    "annotation_tracks",
]

_GOLDEN = 0.618033988749895
_CHUNK = 16  # frames blended at once
_STROKE_SHADE = 0.4  # brightness of scribble pixels drawn on a tinted mask


def track_colours(n: int) -> np.ndarray:
    """``n`` well-separated saturated colours ``(n, 3)`` uint8, the same for the same ``n``."""
    hues = (np.arange(n) * _GOLDEN + 0.05) % 1.0
    rgb = [colorsys.hsv_to_rgb(h, 0.85, 1.0) for h in hues]
    return (np.asarray(rgb, dtype=np.float64).reshape(n, 3) * 255).round().astype(np.uint8)


def _check(frames: np.ndarray, masks: np.ndarray, name: str = "masks") -> None:
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError(f"frames must be uint8 (T, H, W, 3), got {frames.dtype} {frames.shape}")
    if masks.ndim != 4 or masks.shape[1:] != frames.shape[:3]:
        raise ValueError(
            f"{name} must be (K, {', '.join(map(str, frames.shape[:3]))}), got {masks.shape}"
        )


def _top_label(masks: np.ndarray) -> np.ndarray:
    """``(T, H, W)`` index of the last track covering each pixel, -1 where none does."""
    if masks.shape[0] == 0:
        return np.full(masks.shape[1:], -1, dtype=np.int64)
    rev = masks[::-1].astype(bool)
    return np.where(rev.any(0), masks.shape[0] - 1 - rev.argmax(0), -1)


def blend_masks(
    frames: np.ndarray, masks: np.ndarray, colours: np.ndarray, *, alpha: float = 0.5
) -> np.ndarray:
    """Frames with each track's mask tinted by its colour and outlined in it.

    Args:
        frames: uint8 ``(T, H, W, 3)``.
        masks: ``(K, T, H, W)`` 0/1; where masks overlap the later track is drawn on top.
        colours: uint8 ``(K, 3)``.
        alpha: tint opacity inside the masks.
    """
    _check(frames, masks)
    if masks.shape[0] == 0:
        return frames.copy()
    label = _top_label(masks)
    inside = label >= 0
    colour = np.asarray(colours, dtype=np.float32)[np.maximum(label, 0)]  # (T, H, W, 3)
    out = frames.astype(np.float32)
    out = np.where(inside[..., None], (1 - alpha) * out + alpha * colour, out)
    # Outline: pixels of a track whose right or lower neighbour is not the same track.
    edge = np.zeros_like(inside)
    edge[:, :, :-1] |= label[:, :, :-1] != label[:, :, 1:]
    edge[:, :-1, :] |= label[:, :-1, :] != label[:, 1:, :]
    edge &= inside
    out = np.where(edge[..., None], colour, out)
    return np.clip(out.round(), 0, 255).astype(np.uint8)


def video_tracks(
    predictions: Sequence[Mapping[str, Any]],
    video: Mapping[str, Any],
    categories: Sequence[Mapping[str, Any]],
    *,
    max_tracks: int = 5,
    min_score: float = 0.0,
    source: str = "<memory>",
) -> tuple[np.ndarray, list[str]]:
    """The video's best predictions as masks ``(K, T, H, W)`` uint8 and labels
    ``"#<rank> <category> <score>"`` (rank 1 = highest score), at most ``max_tracks`` with
    ``score >= min_score``. ``null`` frames stay empty."""
    names = {c["id"]: str(c.get("name", c["id"])) for c in categories}
    mine = [p for p in predictions if p.get("video_id") == video["id"]]
    mine = sorted(mine, key=lambda p: -float(p["score"]))  # stable: ties keep file order
    mine = [p for p in mine if float(p["score"]) >= min_score][:max_tracks]
    t, h, w = video["length"], video["height"], video["width"]
    masks = np.zeros((len(mine), t, h, w), dtype=np.uint8)
    labels = []
    for k, pred in enumerate(mine):
        segs = pred.get("segmentations")
        if not isinstance(segs, list) or len(segs) != t:
            raise FormatError(
                f"{len(segs) if isinstance(segs, list) else segs!r} frames, video has {t}",
                source=source,
                record=f"prediction for video {video['id']}",
                field="segmentations",
            )
        for i, rle in enumerate(segs):
            if rle is not None:
                masks[k, i] = decode_rle(rle)
        category = names.get(pred.get("category_id"), str(pred.get("category_id")))
        labels.append(f"#{k + 1} {category} {float(pred['score']):.2f}")
    return masks, labels


def annotation_tracks(
    masks: np.ndarray,
    annotations: Sequence[Mapping[str, Any]],
    categories: Sequence[Mapping[str, Any]],
    strokes: np.ndarray | None = None,
    stroke_annotations: Sequence[Mapping[str, Any]] | None = None,
) -> tuple[np.ndarray, np.ndarray | None, list[str]]:
    """Ground-truth tracks and their scribbles aligned for :func:`render_overlay`.

    Args:
        masks: ``(N, T, H, W)`` masks of ``annotations`` (``VideoSet.instance_masks``).
        annotations: the video's annotation records (labels ``"<id> <category>"``).
        categories: the dataset's categories.
        strokes: ``(M, T, H, W)`` scribbles of ``stroke_annotations`` (the scribble dataset's
            ``instance_masks``), or None.
        stroke_annotations: their records; a stroke joins the track with its annotation id, the
            rest (the background annotation, ``category_id: null``) become tracks of their own
            with an empty mask.

    Returns:
        ``(masks (K, T, H, W), strokes (K, T, H, W) or None, labels)``.
    """
    names = {c["id"]: str(c.get("name", c["id"])) for c in categories}
    labels = [f"{a['id']} {names.get(a.get('category_id'), 'object')}" for a in annotations]
    if strokes is None:
        return masks, None, labels
    stroke_annotations = list(stroke_annotations or [])
    if len(stroke_annotations) != len(strokes):
        raise ValueError(f"{len(strokes)} stroke masks for {len(stroke_annotations)} annotations")
    row = {a["id"]: k for k, a in enumerate(annotations)}
    extra = [j for j, a in enumerate(stroke_annotations) if a["id"] not in row]
    out_masks = np.concatenate([masks, np.zeros((len(extra), *masks.shape[1:]), dtype=masks.dtype)])
    out_strokes = np.zeros(out_masks.shape, dtype=np.uint8)
    for j, a in enumerate(stroke_annotations):
        if a["id"] in row:
            out_strokes[row[a["id"]]] = strokes[j]
    for k, j in enumerate(extra):
        out_strokes[len(annotations) + k] = strokes[j]
        category = stroke_annotations[j].get("category_id")
        labels.append("background" if category is None else names.get(category, str(category)))
    return out_masks, out_strokes, labels


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: the fixed bitmap font
        return ImageFont.load_default()


def _label_anchors(masks: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mask areas ``(K, T)``, the top row of each mask and its mean column ``(K, T)``, from row
    and column sums (no full-size float copy of the masks)."""
    rows = masks.sum(axis=3, dtype=np.int64)  # (K, T, H)
    cols = masks.sum(axis=2, dtype=np.int64)  # (K, T, W)
    area = rows.sum(axis=2)
    top = np.argmax(rows > 0, axis=2)
    cx = cols @ np.arange(masks.shape[3], dtype=np.float64) / np.maximum(area, 1)
    return area, top, cx


def render_overlay(
    frames: np.ndarray,
    masks: np.ndarray,
    labels: Sequence[str],
    *,
    strokes: np.ndarray | None = None,
    alpha: float = 0.5,
    scale: int = 2,
    frame_index: bool = True,
    frame_names: Sequence[str] | None = None,
) -> np.ndarray:
    """Frames with tracks (tint, outline, label at the centroid) and, optionally, scribbles.

    Args:
        frames: uint8 ``(T, H, W, 3)``.
        masks: ``(K, T, H, W)`` 0/1 masks, one per track; ``labels[k]`` is written above track k.
        strokes: ``(K, T, H, W)`` 0/1 scribbles drawn opaque in the track's colour, darkened
            where they lie on a tinted mask so they stay visible (the dataset browser), or None.
        alpha: tint opacity.
        scale: integer enlargement (nearest neighbour) so labels stay legible on small frames.
        frame_index: write the frame's name in the corner.
        frame_names: one name per frame (e.g. ``"7/18"`` for frames picked out of a video);
            default ``"t/T"`` counting the given frames.

    Returns:
        uint8 ``(T, H * scale, W * scale, 3)``.
    """
    _check(frames, masks)
    if len(labels) != masks.shape[0]:
        raise ValueError(f"{len(labels)} labels for {masks.shape[0]} tracks")
    if scale < 1:
        raise ValueError(f"scale must be >= 1, got {scale}")
    if strokes is not None:
        _check(frames, strokes, "strokes")
        if strokes.shape[0] != masks.shape[0]:
            raise ValueError(f"{strokes.shape[0]} stroke tracks for {masks.shape[0]} mask tracks")
    n = len(frames)
    names = [f"{t + 1}/{n}" for t in range(n)] if frame_names is None else list(frame_names)
    if len(names) != n:
        raise ValueError(f"{len(names)} frame names for {n} frames")
    colours = track_colours(max(masks.shape[0], 1))[: masks.shape[0]]
    area, mask_top, cx = _label_anchors(masks)
    font = _font(max(10, 5 * scale))
    images = []
    # Frames in chunks: whole-video float buffers of real (720p) videos would take gigabytes.
    chunks = []
    for start in range(0, n, _CHUNK):
        sl = slice(start, start + _CHUNK)
        part = blend_masks(frames[sl], masks[:, sl], colours, alpha=alpha)
        if strokes is not None and strokes.shape[0]:
            stroke_of = _top_label(strokes[:, sl])
            ink = colours[np.maximum(stroke_of, 0)].astype(np.float32)
            # On a mask tinted in the same colour a stroke would vanish: darken it there.
            on_mask = (_top_label(masks[:, sl]) >= 0)[..., None]
            ink = np.where(on_mask, ink * _STROKE_SHADE, ink).round().astype(np.uint8)
            part = np.where((stroke_of >= 0)[..., None], ink, part)
        chunks.append(part.repeat(scale, axis=1).repeat(scale, axis=2))
    out = np.concatenate(chunks) if chunks else frames
    for t in range(n):
        img = Image.fromarray(out[t])
        draw = ImageDraw.Draw(img)
        for k, text in enumerate(labels):
            if area[k, t] == 0:
                continue
            # Above the mask, not on it: the mask (and its scribble) stays visible.
            x, y = float((cx[k, t] + 0.5) * scale), float(mask_top[k, t] * scale)
            box = draw.textbbox((x, y), text, font=font, anchor="mb")
            x -= min(box[0], 0) + max(box[2] - img.width, 0)  # keep it inside the frame
            y -= min(box[1], 0)
            xy = (x, y)
            box = draw.textbbox(xy, text, font=font, anchor="mb")
            draw.rectangle(box, fill=(0, 0, 0))
            draw.text(xy, text, font=font, anchor="mb", fill=tuple(int(c) for c in colours[k]))
        if frame_index:
            corner = names[t]
            box = draw.textbbox((2, 2), corner, font=font)
            draw.rectangle(box, fill=(0, 0, 0))
            draw.text((2, 2), corner, font=font, fill=(255, 255, 255))
        images.append(np.asarray(img))
    return np.stack(images) if images else out


def gif_bytes(frames: np.ndarray | Sequence[np.ndarray], *, fps: float = 4.0) -> bytes:
    """An animated GIF (looping) of uint8 RGB frames, ``fps`` frames per second."""
    images = [Image.fromarray(np.asarray(f, dtype=np.uint8)) for f in frames]
    if not images:
        raise ValueError("a GIF needs at least one frame")
    buf = io.BytesIO()
    images[0].save(
        buf,
        format="GIF",
        save_all=True,
        append_images=images[1:],
        duration=int(round(1000.0 / fps)),
        loop=0,
    )
    return buf.getvalue()


def prediction_overlay_gif(
    frames: np.ndarray,
    predictions: Sequence[Mapping[str, Any]],
    video: Mapping[str, Any],
    categories: Sequence[Mapping[str, Any]],
    params: OverlayParams,
    *,
    source: str = "<memory>",
) -> bytes:
    """GIF of one video's best predicted tracks (``params``: tracks, score floor, look)."""
    masks, labels = video_tracks(
        predictions,
        video,
        categories,
        max_tracks=params.max_tracks,
        min_score=params.min_score,
        source=source,
    )
    drawn = render_overlay(frames, masks, labels, alpha=params.alpha, scale=params.scale)
    return gif_bytes(drawn, fps=params.fps)
