"""YouTube-VIS results JSON ``[{video_id, category_id, score, segmentations}]``: read, check, write."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from .atomic import atomic_write_json
from .errors import FormatError
from .rle import normalize_rle
from .ytvis import load_json

__all__ = ["validate_results", "load_results", "save_results"]


def _plain_rles(segs: list[Any], size: list[int]) -> bool:
    """Whether every frame is ``None`` or a compressed RLE (str counts) of the video's ``size``.

    Such a track needs no normalising, so it is kept as it is: this check is what keeps the
    validation of a million frames at a fraction of a second (the full one builds a dict each).
    """
    for s in segs:
        if s is not None and not (
            type(s) is dict
            and type(counts := s.get("counts")) is str
            and counts.isascii()
            and s.get("size") == size
        ):
            return False
    return True


def validate_results(
    results: Any, gt: dict[str, Any] | None = None, source: str | Path = "<memory>"
) -> list[dict[str, Any]]:
    """Check predictions (and, given the ground-truth dict, their videos, frames, sizes, categories).

    Returns the records (new dicts, scores as float) with RLE counts normalised to compressed
    strings; tracks already in that form are shared with the input, not copied.
    """
    source = str(source)
    if not isinstance(results, list):
        raise FormatError("top level must be a list of predictions", source=source)
    videos = {v["id"]: v for v in gt["videos"]} if gt is not None else None
    cats = {c["id"] for c in gt.get("categories") or []} if gt is not None else None
    out = []
    for i, rec in enumerate(results):
        record = f"results[{i}]"
        if not isinstance(rec, dict):
            raise FormatError("must be an object", source=source, record=record)
        for key in ("video_id", "category_id", "score", "segmentations"):
            if key not in rec:
                raise FormatError("missing", source=source, record=record, field=key)
        vid, score = rec["video_id"], rec["score"]
        record = f"results[{i}] (video_id {vid})"
        if (
            not isinstance(score, (int, float))
            or isinstance(score, bool)
            or not math.isfinite(score)
        ):
            raise FormatError(
                f"must be a finite number, got {score!r}",
                source=source,
                record=record,
                field="score",
            )
        if cats and rec["category_id"] not in cats:
            raise FormatError(
                f"unknown category_id {rec['category_id']!r}",
                source=source,
                record=record,
                field="category_id",
            )
        segs = rec["segmentations"]
        if not isinstance(segs, list):
            raise FormatError("must be a list", source=source, record=record, field="segmentations")
        h = w = None
        if videos is not None:
            if vid not in videos:
                raise FormatError(
                    f"unknown video_id {vid!r}", source=source, record=record, field="video_id"
                )
            video = videos[vid]
            h, w = video["height"], video["width"]
            if len(segs) != video["length"]:
                raise FormatError(
                    f"{len(segs)} frames, video {vid} has {video['length']}",
                    source=source,
                    record=record,
                    field="segmentations",
                )
        if h is None or not _plain_rles(segs, [h, w]):
            segs = [
                None
                if s is None
                else normalize_rle(s, height=h, width=w, where=f"{record} frame {t}", source=source)
                for t, s in enumerate(segs)
            ]
        out.append({**rec, "score": float(score), "segmentations": segs})
    return out


def load_results(path: str | Path, gt: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Read and check a results file."""
    return validate_results(load_json(path), gt, source=path)


def save_results(results: list[dict[str, Any]], path: str | Path) -> None:
    """Write predictions atomically."""
    atomic_write_json(path, results)
