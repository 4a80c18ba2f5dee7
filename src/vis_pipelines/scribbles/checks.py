"""Independent checks of a scribble dataset against the full masks it was drawn from.

Counts, over the whole dataset: stroke pixels outside their object's mask, (object, selected
frame) pairs where the object is visible but has no stroke pixel, strokes on frames where the
object is absent or that were not selected, background stroke pixels on an object, and 2x2 blocks
of stroke pixels (a 1-pixel-wide stroke has none). Every count must be 0; the validation node
fails the run otherwise. Strokes are read as pixel lists and masks as bounding boxes straight from
their runs, so checking costs a fraction of decoding every frame.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from vis_pipelines.formats.rle_strict import decode_rle_box, rle_pixels

__all__ = ["check_scribbles", "INVARIANTS"]

INVARIANTS = (
    "pixels_outside_mask",
    "visible_frames_without_scribble",
    "scribbles_where_absent",
    "scribbles_on_unselected_frames",
    "background_pixels_on_objects",
    "thick_blocks",
)

_Box = tuple[np.ndarray, int, int]


def _blocks(ys: np.ndarray, xs: np.ndarray) -> int:
    """Number of 2x2 windows fully covered by the pixels ``(ys, xs)``."""
    if ys.size < 4:
        return 0
    width = int(xs.max()) + 2
    flat = ys.astype(np.int64) * width + xs
    return int(
        np.count_nonzero(
            np.isin(flat + 1, flat) & np.isin(flat + width, flat) & np.isin(flat + width + 1, flat)
        )
    )


def _on_box(ys: np.ndarray, xs: np.ndarray, box: _Box | None) -> np.ndarray:
    """Which pixels lie on the mask given by its box (False for an empty mask)."""
    if box is None:
        return np.zeros(ys.size, bool)
    crop, y0, x0 = box
    ry, rx = ys - y0, xs - x0
    inside = (ry >= 0) & (ry < crop.shape[0]) & (rx >= 0) & (rx < crop.shape[1])
    out = np.zeros(ys.size, bool)
    out[inside] = crop[ry[inside], rx[inside]] != 0
    return out


def check_scribbles(
    source: Mapping[str, Any],
    scribbles: Mapping[str, Any],
    *,
    frame_step: int = 1,
    name: str = "<memory>",
) -> dict[str, int]:
    """Invariant violation counts (``INVARIANTS``) and ``checked_masks``; all 0 is success.

    Args:
        source: the YouTube-VIS dict with full masks.
        scribbles: the scribble dict made from it (object annotations keep the source ids,
            background annotations have ``category_id`` None).
        frame_step: the generator's frame step (frames ``0, k, 2k, ...`` carry scribbles).
        name: dataset name for error messages.
    """
    counts = dict.fromkeys(INVARIANTS, 0)
    counts["checked_masks"] = 0
    strokes_of: dict[Any, Mapping[str, Any]] = {}
    backgrounds: dict[int, list[Mapping[str, Any]]] = {}
    for ann in scribbles.get("annotations") or []:
        if ann.get("category_id") is None:
            backgrounds.setdefault(ann["video_id"], []).append(ann)
        else:
            strokes_of[ann["id"]] = ann
    sources: dict[int, list[Mapping[str, Any]]] = {}
    for ann in source.get("annotations") or []:
        sources.setdefault(ann["video_id"], []).append(ann)
    for video in source["videos"]:
        vid = video["id"]
        for t in range(video["length"]):
            boxes: list[_Box] = []
            for ann in sources.get(vid, []):
                where = f"video {vid} annotation {ann['id']} frame {t}"
                mask_rle = ann["segmentations"][t]
                box = (
                    None if mask_rle is None else decode_rle_box(mask_rle, source=name, where=where)
                )
                if box is not None:
                    boxes.append(box)
                scribble = strokes_of.get(ann["id"])
                stroke_rle = None if scribble is None else scribble["segmentations"][t]
                if stroke_rle is None:
                    counts["visible_frames_without_scribble"] += int(
                        box is not None and t % frame_step == 0
                    )
                    continue
                ys, xs = rle_pixels(stroke_rle, source=name, where=where)
                counts["checked_masks"] += 1
                if t % frame_step:
                    counts["scribbles_on_unselected_frames"] += int(ys.size > 0)
                elif box is None:
                    counts["scribbles_where_absent"] += int(ys.size > 0)
                else:
                    counts["pixels_outside_mask"] += int(np.count_nonzero(~_on_box(ys, xs, box)))
                    counts["visible_frames_without_scribble"] += int(ys.size == 0)
                counts["thick_blocks"] += _blocks(ys, xs)
            for ann in backgrounds.get(vid, []):
                stroke_rle = ann["segmentations"][t]
                if stroke_rle is None:
                    continue
                where = f"video {vid} background annotation {ann['id']} frame {t}"
                ys, xs = rle_pixels(stroke_rle, source=name, where=where)
                counts["checked_masks"] += 1
                if t % frame_step:
                    counts["scribbles_on_unselected_frames"] += int(ys.size > 0)
                on_objects = np.zeros(ys.size, bool)
                for box in boxes:
                    on_objects |= _on_box(ys, xs, box)
                counts["background_pixels_on_objects"] += int(np.count_nonzero(on_objects))
                counts["thick_blocks"] += _blocks(ys, xs)
    return counts
