"""Flat tables of a YouTube-VIS dict, one row per (annotation, frame) and one per video.

These tables are what the Great Expectations suites check. They are built defensively: the dict
is *not* assumed to have passed :func:`vis_pipelines.formats.validate_ytvis`, so a value of the
wrong type never raises here; it becomes a missing value in its column and its field is named in
the row's ``type_error`` column (``None`` when the row is clean).
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pandas as pd

from ..formats.rle import rle_area

__all__ = ["ANNOTATION_COLUMNS", "VIDEO_COLUMNS", "annotation_table", "video_table"]

ANNOTATION_COLUMNS = [
    "annotation_id",
    "video_id",
    "category_id",
    "frame",
    "n_segmentations",
    "video_length",
    "has_segmentation",
    "area",
    "rle_area",
    "bbox_x",
    "bbox_y",
    "bbox_w",
    "bbox_h",
    "video_width",
    "video_height",
    "rle_height",
    "rle_width",
    "video_known",
    "category_known",
    "category_is_null",
    "type_error",
]
VIDEO_COLUMNS = ["video_id", "width", "height", "length", "n_file_names", "type_error"]

_INT_COLUMNS = (
    "annotation_id",
    "video_id",
    "category_id",
    "frame",
    "n_segmentations",
    "video_length",
)
_FLOAT_COLUMNS = (
    "area",
    "rle_area",
    "bbox_x",
    "bbox_y",
    "bbox_w",
    "bbox_h",
    "video_width",
    "video_height",
    "rle_height",
    "rle_width",
)
_RLE_CHARS = re.compile(r"^[0-o]+$")  # pycocotools' compressed-counts alphabet


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _rle_parts(seg: Any) -> tuple[int, int, Any] | None:
    """(height, width, counts) of a well-formed RLE dict, else None."""
    if not isinstance(seg, dict):
        return None
    size, counts = seg.get("size"), seg.get("counts")
    if not (isinstance(size, (list, tuple)) and len(size) == 2):
        return None
    h, w = _as_int(size[0]), _as_int(size[1])
    if h is None or w is None or h < 0 or w < 0:
        return None
    if isinstance(counts, bytes):
        counts = counts.decode("ascii", errors="replace")
    if isinstance(counts, str) and _RLE_CHARS.match(counts):
        return h, w, counts
    if isinstance(counts, list) and all(_as_int(c) is not None and c >= 0 for c in counts):
        return h, w, counts
    return None


def _frame_table(frame: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    df = pd.DataFrame(frame, columns=columns)
    for col in columns:
        if col in _INT_COLUMNS:
            df[col] = pd.array(df[col].tolist(), dtype="Int64")
        elif col in _FLOAT_COLUMNS or col in ("width", "height", "length", "n_file_names"):
            df[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")
        elif col == "type_error":
            df[col] = df[col].astype(object).where(df[col].notna(), None)
        else:
            # A row built from a broken record lacks the flag: it counts as False, never NaN→True.
            df[col] = pd.Series(
                [v is True or v is np.True_ for v in df[col]], index=df.index, dtype=bool
            )
    return df


def video_table(data: dict[str, Any]) -> pd.DataFrame:
    """One row per entry of ``videos``: id, width, height, length, number of file names."""
    rows = []
    videos = data.get("videos") if isinstance(data, dict) else None
    for v in videos if isinstance(videos, list) else []:
        errors = []
        if not isinstance(v, dict):
            rows.append({"type_error": "video is not an object"})
            continue
        vid = _as_int(v.get("id"))
        names = v.get("file_names")
        n_names = len(names) if isinstance(names, list) else None
        if n_names is None:
            errors.append("file_names")
        length = v.get("length", n_names)
        row = {"video_id": vid, "n_file_names": n_names}
        for key, value in (
            ("width", v.get("width")),
            ("height", v.get("height")),
            ("length", length),
        ):
            num = _as_int(value)
            # width and height are required; length may be absent (it defaults to len(file_names)).
            if num is None and (value is not None or key != "length"):
                errors.append(key)
            row[key] = num
        if vid is None:
            errors.append("id")
        row["type_error"] = ",".join(errors) or None
        rows.append(row)
    return _frame_table(rows, VIDEO_COLUMNS)


def annotation_table(data: dict[str, Any]) -> pd.DataFrame:
    """One row per (annotation, frame); see the module doc for how bad types are reported.

    Columns: ``annotation_id, video_id, category_id, frame, n_segmentations, video_length,
    has_segmentation, area, rle_area, bbox_x/y/w/h, video_width/height, rle_height/width,
    video_known, category_known, category_is_null, type_error``. An annotation whose
    ``segmentations`` is not a list (or is empty) still gets one row, with ``frame`` missing.
    """
    videos: dict[int, tuple[Any, Any, Any]] = {}
    raw_videos = data.get("videos") if isinstance(data, dict) else None
    for v in raw_videos if isinstance(raw_videos, list) else []:
        if isinstance(v, dict) and _as_int(v.get("id")) is not None:
            names = v.get("file_names")
            length = v.get("length", len(names) if isinstance(names, list) else None)
            videos[_as_int(v["id"])] = (
                _as_int(v.get("width")),
                _as_int(v.get("height")),
                _as_int(length),
            )
    raw_cats = data.get("categories") if isinstance(data, dict) else None
    cat_ids = {_as_int(c.get("id")) for c in raw_cats or [] if isinstance(c, dict)} - {None}
    anns = data.get("annotations") if isinstance(data, dict) else None

    rows: list[dict[str, Any]] = []
    rle_rows: list[int] = []  # rows whose compressed RLE area is computed in one batch
    rle_batch: list[dict[str, Any]] = []
    for idx, ann in enumerate(anns if isinstance(anns, list) else []):
        if not isinstance(ann, dict):
            rows.append({"type_error": f"annotations[{idx}] is not an object"})
            continue
        base_errors = []
        aid = _as_int(ann.get("id", idx + 1))
        if aid is None:
            base_errors.append("id")
        vid = _as_int(ann.get("video_id"))
        if vid is None:
            base_errors.append("video_id")
        raw_cat = ann.get("category_id")
        cat = _as_int(raw_cat)
        if raw_cat is not None and cat is None:
            base_errors.append("category_id")
        width, height, length = videos.get(vid, (None, None, None))
        base = {
            "annotation_id": aid,
            "video_id": vid,
            "category_id": cat,
            "video_length": length,
            "video_width": width,
            "video_height": height,
            "video_known": vid is not None and vid in videos,
            "category_known": cat is not None and cat in cat_ids,
            "category_is_null": raw_cat is None,
        }
        segs = ann.get("segmentations")
        if not isinstance(segs, list) or not segs:
            errs = base_errors + ["segmentations"]
            rows.append({**base, "has_segmentation": False, "type_error": ",".join(errs)})
            continue
        n = len(segs)
        areas, bboxes = ann.get("areas"), ann.get("bboxes")
        if areas is not None and not (isinstance(areas, list) and len(areas) == n):
            base_errors.append("areas")
            areas = None
        if bboxes is not None and not (isinstance(bboxes, list) and len(bboxes) == n):
            base_errors.append("bboxes")
            bboxes = None
        for t, seg in enumerate(segs):
            errors = list(base_errors)
            row = {**base, "frame": t, "n_segmentations": n, "has_segmentation": seg is not None}
            if seg is not None:
                parts = _rle_parts(seg)
                if parts is None:
                    errors.append(f"segmentations[{t}]")
                else:
                    h, w, counts = parts
                    row["rle_height"], row["rle_width"] = h, w
                    if isinstance(counts, list):
                        row["rle_area"] = float(sum(counts[1::2]))
                        if sum(counts) != h * w:
                            errors.append(f"segmentations[{t}].counts")
                    else:
                        rle_rows.append(len(rows))
                        rle_batch.append({"size": [h, w], "counts": counts})
            area = areas[t] if areas is not None else None
            if area is not None:
                row["area"] = _as_number(area)
                if row["area"] is None:
                    errors.append(f"areas[{t}]")
            box = bboxes[t] if bboxes is not None else None
            if box is not None:
                nums = (
                    [_as_number(b) for b in box]
                    if isinstance(box, list) and len(box) == 4
                    else None
                )
                if nums is None or None in nums:
                    errors.append(f"bboxes[{t}]")
                else:
                    row["bbox_x"], row["bbox_y"], row["bbox_w"], row["bbox_h"] = nums
            row["type_error"] = ",".join(errors) or None
            rows.append(row)
    if rle_batch:
        for i, a in zip(rle_rows, rle_area(rle_batch).tolist(), strict=True):
            rows[i]["rle_area"] = float(a)
    return _frame_table(rows, ANNOTATION_COLUMNS)
