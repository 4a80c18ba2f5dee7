"""Scribbles for one video: every visible object on every selected frame, plus the background.

Input is one video record and its YouTube-VIS annotations (full masks as RLE); output is the same
annotations with 1-pixel strokes as RLE, one background annotation (``category_id: None``) drawn
in the pixels of no object, and one statistics row per annotation. Each mask gets its own random
generator seeded by ``(seed, video id, annotation id, frame)``, so a video's scribbles do not
depend on which other videos are processed, in which order or in which process.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vis_pipelines.formats import FormatError
from vis_pipelines.formats.rle_strict import checked_runs, decode_rle_box, encode_pixels

from .config import ScribbleConfig
from .morphology import structuring_radius
from .scribble import Scribble, scribble_box, scribble_mask

__all__ = ["VideoScribbles", "scribble_video", "check_video_masks", "mask_rng", "STAT_FIELDS"]

_OBJECT, _BACKGROUND = 0, 1

# Columns of a statistics row (one per annotation; the background row has annotation_id None).
STAT_FIELDS = (
    "video_id",
    "annotation_id",
    "category_id",
    "kind",  # object | background
    "frames",  # selected frames where the annotation is visible
    "mask_pixels",
    "scribble_pixels",
    "strokes",
    "frames_without_scribble",
    "shrunk_radius_frames",  # the opening radius had to shrink
    "mask_skeleton_frames",  # every radius failed: the mask itself was skeletonised
    "unsmoothed_frames",  # the smoothed curves left the mask: raw skeleton path drawn
    "deepest_pixel_frames",  # only the pixel farthest from the background could be given
)


@dataclass
class VideoScribbles:
    """Scribble annotations of one video and their statistics rows.

    Attributes:
        video_id: the video.
        annotations: scribble annotations of the objects (source ids), then the background one
            (``id`` None: ids are assigned when the dataset is assembled), if any.
        stats: one row per annotation (``STAT_FIELDS``), also for objects visible on no selected
            frame (``frames`` 0; they get no scribble annotation).
    """

    video_id: int
    annotations: list[dict[str, Any]] = field(default_factory=list)
    stats: list[dict[str, Any]] = field(default_factory=list)


def mask_rng(
    seed: int, video_id: int, kind: int, annotation_id: int, frame: int
) -> np.random.Generator:
    """The generator of one mask's tie-breaks, independent of processing order."""
    key = [seed, video_id, kind, annotation_id, frame]
    return np.random.default_rng([int(k) & 0xFFFFFFFFFFFFFFFF for k in key])


class _Track:
    """Accumulates one annotation's strokes and statistics."""

    def __init__(self, length: int, row: dict[str, Any]) -> None:
        self.segmentations: list[dict[str, Any] | None] = [None] * length
        self.areas: list[float | None] = [None] * length
        self.bboxes: list[list[float] | None] = [None] * length
        self.row = {name: 0 for name in STAT_FIELDS} | row

    def add(
        self, t: int, scribble: Scribble, mask_pixels: int, radius0: float, h: int, w: int
    ) -> None:
        self.segmentations[t] = encode_pixels(scribble.ys, scribble.xs, h, w)
        self.areas[t] = float(scribble.pixels)
        if scribble.pixels:
            x0, y0 = int(scribble.xs.min()), int(scribble.ys.min())
            bw, bh = int(scribble.xs.max()) - x0 + 1, int(scribble.ys.max()) - y0 + 1
            self.bboxes[t] = [float(x0), float(y0), float(bw), float(bh)]
        else:
            self.bboxes[t] = [0.0, 0.0, 0.0, 0.0]
        row = self.row
        row["frames"] += 1
        row["mask_pixels"] += mask_pixels
        row["scribble_pixels"] += scribble.pixels
        row["strokes"] += scribble.strokes
        row["frames_without_scribble"] += scribble.pixels == 0
        row["shrunk_radius_frames"] += 0.0 < scribble.radius < radius0
        row["mask_skeleton_frames"] += scribble.radius == 0.0
        row["unsmoothed_frames"] += scribble.fallback == "unsmoothed"
        row["deepest_pixel_frames"] += scribble.fallback == "deepest_pixel"

    def annotation(self, base: dict[str, Any]) -> dict[str, Any]:
        return {
            **base,
            "segmentations": self.segmentations,
            "areas": self.areas,
            "bboxes": self.bboxes,
        }


def check_video_masks(
    video: dict[str, Any], annotations: list[dict[str, Any]], *, source: str | None = None
) -> None:
    """Raise ``FormatError`` (naming video, annotation and frame) for any unusable mask RLE.

    Checks each RLE's size against the video and its run lengths against the frame, without
    decoding: cheap enough to run on a whole shard before any work starts.
    """
    vid, h, w, length = video["id"], video["height"], video["width"], video["length"]
    for ann in annotations:
        segs = ann["segmentations"]
        if not isinstance(segs, list) or len(segs) != length:
            raise FormatError(
                f"expected {length} segmentations (one per frame)",
                source=source,
                record=f"video {vid} annotation {ann.get('id')}",
                field="segmentations",
            )
        for t, rle in enumerate(segs):
            if rle is None:
                continue
            where = f"video {vid} annotation {ann.get('id')} frame {t}"
            _check_size(rle, h, w, source=source, where=where)
            checked_runs(rle, source=source, where=where)


def _radius0(pixels: int, config: ScribbleConfig) -> float:
    return structuring_radius(pixels, config.radius_factor, config.radius_cap)


def _check_size(rle: Any, h: int, w: int, *, source: str | None, where: str) -> None:
    size = rle.get("size") if isinstance(rle, dict) else None
    if isinstance(size, list | tuple) and list(size) != [h, w]:
        raise FormatError(
            f"RLE size {list(size)} does not match the video size {h}x{w}",
            source=source,
            record=where,
            field="segmentations",
        )


def scribble_video(
    video: dict[str, Any],
    annotations: list[dict[str, Any]],
    config: ScribbleConfig,
    *,
    source: str | None = None,
) -> VideoScribbles:
    """Scribble every visible object of ``video`` on the selected frames, and its background.

    Args:
        video: YouTube-VIS video record (``id``, ``height``, ``width``, ``length``).
        annotations: the video's annotations with full-mask RLE ``segmentations``.
        config: generator parameters (``frame_step`` selects frames, ``background`` toggles it).
        source: the dataset file, named in errors.

    Raises:
        FormatError: an RLE is corrupt or not the video's size; the message names the video, the
            annotation and the frame.
    """
    vid, h, w, length = video["id"], video["height"], video["width"], video["length"]
    frames = range(0, length, config.frame_step)
    tracks = []
    for ann in annotations:
        segs = ann["segmentations"]
        if not isinstance(segs, list) or len(segs) != length:
            raise FormatError(
                f"expected {length} segmentations (one per frame)",
                source=source,
                record=f"video {vid} annotation {ann.get('id')}",
                field="segmentations",
            )
        row = {
            "video_id": vid,
            "annotation_id": ann.get("id"),
            "category_id": ann.get("category_id"),
            "kind": "object",
        }
        tracks.append(_Track(length, row))
    background = _Track(
        length, {"video_id": vid, "annotation_id": None, "category_id": None, "kind": "background"}
    )
    for t in frames:
        union = np.zeros((h, w), np.uint8) if config.background else None
        for ann, track in zip(annotations, tracks, strict=True):
            rle = ann["segmentations"][t]
            if rle is None:
                continue
            where = f"video {vid} annotation {ann.get('id')} frame {t}"
            _check_size(rle, h, w, source=source, where=where)
            decoded = decode_rle_box(rle, source=source, where=where)
            if decoded is None:
                continue  # an empty mask: the object is not visible
            box, y0, x0 = decoded
            pixels = int(np.count_nonzero(box))
            if union is not None:
                union[y0 : y0 + box.shape[0], x0 : x0 + box.shape[1]] |= box
            rng = mask_rng(config.seed, vid, _OBJECT, ann.get("id", 0), t)
            scribble = scribble_box(box, y0, x0, config, rng)
            track.add(t, scribble, pixels, _radius0(pixels, config), h, w)
        if union is not None:
            free = (union == 0).astype(np.uint8)
            pixels = int(np.count_nonzero(free))
            if pixels:
                rng = mask_rng(config.seed, vid, _BACKGROUND, 0, t)
                scribble = scribble_mask(free, config, rng)
                background.add(t, scribble, pixels, _radius0(pixels, config), h, w)
    out = VideoScribbles(vid)
    for ann, track in zip(annotations, tracks, strict=True):
        out.stats.append(track.row)
        if track.row["frames"] == 0:
            continue  # not visible on any selected frame: no scribble annotation
        base = {k: v for k, v in ann.items() if k not in ("segmentations", "areas", "bboxes")}
        out.annotations.append(track.annotation(base))
    if background.row["frames"]:
        base = {"id": None, "video_id": vid, "category_id": None, "iscrowd": 0}
        out.annotations.append(background.annotation(base))
        out.stats.append(background.row)
    return out
