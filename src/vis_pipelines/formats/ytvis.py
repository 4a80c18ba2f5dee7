"""YouTube-VIS JSON (also OVIS, LV-VIS, SynthVIS, scribbles): read, schema check, write.

The contract (shared/DESIGN.md): ``videos[{id, width, height, length, file_names}]``,
``annotations[{id, video_id, category_id, segmentations: [RLE|null per frame], areas: [..|null],
bboxes: [[x, y, w, h]|null], iscrowd}]`` and ``categories[{id, name}]`` with optional ``synonyms``,
``split`` (base/novel) and LV-VIS ``partition``. Official *valid*/*test* files ship
``"annotations": null``; they load as unlabeled (``annotations`` stays ``None``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .atomic import atomic_write_json
from .errors import FormatError
from .rle import normalize_rle, rle_area, rle_bbox

__all__ = [
    "load_json",
    "load_ytvis_json",
    "save_ytvis_json",
    "validate_ytvis",
    "is_labeled",
    "annotations_of",
]


def load_json(path: str | Path) -> Any:
    """Read a JSON file; a missing, truncated or malformed file raises ``FormatError`` naming it."""
    path = Path(path)
    if not path.is_file():
        raise FormatError("file not found", source=path)
    try:
        with path.open("rb") as handle:
            return json.load(handle)
    except json.JSONDecodeError as err:
        raise FormatError(
            f"invalid JSON (line {err.lineno}, column {err.colno}: {err.msg}); "
            "the file may be truncated",
            source=path,
        ) from None
    except UnicodeDecodeError as err:
        raise FormatError(f"not UTF-8 text ({err.reason})", source=path) from None


def is_labeled(data: dict[str, Any]) -> bool:
    """True if the dataset carries annotations (official valid/test jsons have ``annotations: null``)."""
    return data.get("annotations") is not None


def annotations_of(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The annotation list, empty for an unlabeled dataset."""
    return data.get("annotations") or []


def _int(value: Any, *, source: str, record: str, field: str, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise FormatError(
                f"must be an integer, got {value!r}", source=source, record=record, field=field
            )
    if minimum is not None and value < minimum:
        raise FormatError(
            f"must be >= {minimum}, got {value}", source=source, record=record, field=field
        )
    return value


def _validate_video(video: Any, idx: int, source: str) -> dict[str, Any]:
    record = f"videos[{idx}]"
    if not isinstance(video, dict):
        raise FormatError("must be an object", source=source, record=record)
    for key in ("id", "width", "height", "file_names"):
        if key not in video:
            raise FormatError("missing", source=source, record=record, field=key)
    vid = _int(video["id"], source=source, record=record, field="id")
    record = f"videos[{idx}] (id {vid})"
    width = _int(video["width"], source=source, record=record, field="width", minimum=1)
    height = _int(video["height"], source=source, record=record, field="height", minimum=1)
    names = video["file_names"]
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        raise FormatError(
            "must be a list of frame paths", source=source, record=record, field="file_names"
        )
    length = video.get("length", len(names))
    length = _int(length, source=source, record=record, field="length", minimum=1)
    if length != len(names):
        raise FormatError(
            f"length {length} but {len(names)} file_names",
            source=source,
            record=record,
            field="length",
        )
    return {**video, "id": vid, "width": width, "height": height, "length": length}


def _validate_category(cat: Any, idx: int, source: str) -> dict[str, Any]:
    record = f"categories[{idx}]"
    if not isinstance(cat, dict):
        raise FormatError("must be an object", source=source, record=record)
    for key in ("id", "name"):
        if key not in cat:
            raise FormatError("missing", source=source, record=record, field=key)
    cid = _int(cat["id"], source=source, record=record, field="id")
    if not isinstance(cat["name"], str) or not cat["name"]:
        raise FormatError("must be a non-empty string", source=source, record=record, field="name")
    split = cat.get("split")
    if split is not None and split not in ("base", "novel"):
        raise FormatError(
            f"must be 'base' or 'novel', got {split!r}", source=source, record=record, field="split"
        )
    syn = cat.get("synonyms")
    if syn is not None and not (isinstance(syn, list) and all(isinstance(s, str) for s in syn)):
        raise FormatError(
            "must be a list of strings", source=source, record=record, field="synonyms"
        )
    return {**cat, "id": cid}


def _validate_annotation(
    ann: Any, idx: int, source: str, videos: dict[int, dict[str, Any]], categories: set[int]
) -> dict[str, Any]:
    record = f"annotations[{idx}]"
    if not isinstance(ann, dict):
        raise FormatError("must be an object", source=source, record=record)
    for key in ("video_id", "segmentations"):
        if key not in ann:
            raise FormatError("missing", source=source, record=record, field=key)
    aid = _int(ann.get("id", idx + 1), source=source, record=record, field="id")
    record = f"annotations[{idx}] (id {aid})"
    vid = _int(ann["video_id"], source=source, record=record, field="video_id")
    if vid not in videos:
        raise FormatError(
            f"video_id {vid} is not in 'videos'", source=source, record=record, field="video_id"
        )
    video = videos[vid]
    cat = ann.get("category_id")
    if cat is not None:
        cat = _int(cat, source=source, record=record, field="category_id")
        if categories and cat not in categories:
            raise FormatError(
                f"category_id {cat} is not in 'categories'",
                source=source,
                record=record,
                field="category_id",
            )
    segs = ann["segmentations"]
    n = video["length"]
    if not isinstance(segs, list) or len(segs) != n:
        got = len(segs) if isinstance(segs, list) else type(segs).__name__
        raise FormatError(
            f"expected {n} entries (one per frame of video {vid}), got {got}",
            source=source,
            record=record,
            field="segmentations",
        )
    h, w = video["height"], video["width"]
    norm = [
        None
        if s is None
        else normalize_rle(s, height=h, width=w, where=f"{record} frame {t}", source=source)
        for t, s in enumerate(segs)
    ]
    areas = ann.get("areas")
    if areas is None:
        areas = [None if s is None else float(rle_area(s)) for s in norm]
    elif not isinstance(areas, list) or len(areas) != n:
        raise FormatError(f"expected {n} entries", source=source, record=record, field="areas")
    else:
        for t, a in enumerate(areas):
            if a is not None and (
                not isinstance(a, (int, float))
                or isinstance(a, bool)
                or not math.isfinite(a)
                or a < 0
            ):
                raise FormatError(
                    f"frame {t}: area must be a number >= 0, got {a!r}",
                    source=source,
                    record=record,
                    field="areas",
                )
    bboxes = ann.get("bboxes")
    if bboxes is None:
        bboxes = [None if s is None else rle_bbox(s) for s in norm]
    elif not isinstance(bboxes, list) or len(bboxes) != n:
        raise FormatError(f"expected {n} entries", source=source, record=record, field="bboxes")
    else:
        for t, b in enumerate(bboxes):
            if b is not None and not (
                isinstance(b, list) and len(b) == 4 and all(isinstance(v, (int, float)) for v in b)
            ):
                raise FormatError(
                    f"frame {t}: box must be [x, y, w, h] or null, got {b!r}",
                    source=source,
                    record=record,
                    field="bboxes",
                )
    iscrowd = ann.get("iscrowd", 0)
    if iscrowd not in (0, 1, True, False):
        raise FormatError(
            f"must be 0 or 1, got {iscrowd!r}", source=source, record=record, field="iscrowd"
        )
    return {
        **ann,
        "id": aid,
        "video_id": vid,
        "category_id": cat,
        "segmentations": norm,
        "areas": areas,
        "bboxes": bboxes,
        "iscrowd": int(iscrowd),
    }


def _unique(ids: Iterable[int], what: str, source: str) -> None:
    seen: set[int] = set()
    for i in ids:
        if i in seen:
            raise FormatError(f"duplicate id {i}", source=source, record=what, field="id")
        seen.add(i)


def validate_ytvis(data: Any, source: str | Path = "<memory>") -> dict[str, Any]:
    """Check a YouTube-VIS dict against the contract and return it normalised.

    Normalisation: RLE counts become compressed strings, missing ``areas``/``bboxes``/``length`` are
    derived, ``iscrowd`` defaults to 0. ``annotations: null`` (unlabeled valid/test files) is kept.
    """
    source = str(source)
    if not isinstance(data, dict):
        raise FormatError("top level must be a JSON object", source=source)
    if "videos" not in data or not isinstance(data["videos"], list):
        raise FormatError("missing or not a list", source=source, field="videos")
    videos = [_validate_video(v, i, source) for i, v in enumerate(data["videos"])]
    _unique((v["id"] for v in videos), "videos", source)
    cats_raw = data.get("categories") or []
    if not isinstance(cats_raw, list):
        raise FormatError("must be a list", source=source, field="categories")
    categories = [_validate_category(c, i, source) for i, c in enumerate(cats_raw)]
    _unique((c["id"] for c in categories), "categories", source)
    out = {**data, "videos": videos, "categories": categories}
    anns_raw = data.get("annotations")
    if anns_raw is None:
        out["annotations"] = None
        return out
    if not isinstance(anns_raw, list):
        raise FormatError("must be a list or null", source=source, field="annotations")
    by_id = {v["id"]: v for v in videos}
    cat_ids = {c["id"] for c in categories}
    anns = [_validate_annotation(a, i, source, by_id, cat_ids) for i, a in enumerate(anns_raw)]
    _unique((a["id"] for a in anns), "annotations", source)
    out["annotations"] = anns
    return out


def load_ytvis_json(path: str | Path) -> dict[str, Any]:
    """Read and validate a YouTube-VIS-format JSON file."""
    return validate_ytvis(load_json(path), source=path)


def save_ytvis_json(data: dict[str, Any], path: str | Path, *, validate: bool = True) -> None:
    """Write a YouTube-VIS dict atomically (validated first, so a bad dict never reaches disk)."""
    if validate:
        data = validate_ytvis(data, source=path)
    atomic_write_json(path, data)
