"""Per-video parts of a scribble dataset: keys, fingerprints, and assembly into one dataset.

A part holds one video's scribble annotations and statistics together with two fingerprints:
``params_hash`` (generator parameters + algorithm version) and ``input_hash`` (the video record and
its source annotations). A re-run recomputes a video only if a fingerprint changed, so interrupted
or extended runs resume where they stopped and never mix scribbles of different parameters.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from vis_pipelines.formats import FormatError
from vis_pipelines.provenance import params_hash

from .config import ScribbleConfig
from .video import VideoScribbles

__all__ = [
    "ALGORITHM_VERSION",
    "PART_FORMAT",
    "scribble_params_hash",
    "input_hash",
    "video_keys",
    "make_part",
    "part_is_current",
    "assemble_scribbles",
    "load_current_parts",
]

# Bump when a code change alters the scribbles produced for the same parameters: parts made by an
# older version then count as stale and are recomputed.
ALGORITHM_VERSION = 1
PART_FORMAT = "vis_pipelines.scribble_part/1"

_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]+")


def scribble_params_hash(config: ScribbleConfig) -> str:
    """12-hex fingerprint of the generator parameters and the algorithm version."""
    return params_hash({"generator": dataclasses.asdict(config), "algorithm": ALGORITHM_VERSION})


def input_hash(video: Mapping[str, Any], annotations: Iterable[Mapping[str, Any]]) -> str:
    """12-hex fingerprint of what a video's scribbles are computed from."""
    payload = {
        "video": {k: video[k] for k in ("id", "height", "width", "length")},
        "annotations": [
            [a.get("id"), a.get("category_id"), a["segmentations"]] for a in annotations
        ],
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def video_keys(videos: Iterable[Mapping[str, Any]]) -> dict[int, str]:
    """A file-name-safe, unique key per video id: its frame folder name (``video_<id>`` if none).

    YouTube-VIS, OVIS and SynthVIS name a video by the folder of its frames; where two videos
    share a name (or a name is unusable), the id is appended.
    """
    names: dict[int, str] = {}
    for video in videos:
        names_list = video.get("file_names") or []
        folder = names_list[0].rpartition("/")[0] if names_list else ""
        name = _UNSAFE.sub("_", folder.strip("/")).strip("._-")
        names[video["id"]] = name or f"video_{video['id']}"
    counts: dict[str, int] = {}
    for name in names.values():
        counts[name] = counts.get(name, 0) + 1
    keys = {vid: name if counts[name] == 1 else f"{name}__{vid}" for vid, name in names.items()}
    if len(set(keys.values())) < len(keys):  # a folder happens to be named like a suffixed key
        keys = {vid: f"video_{vid}" for vid in names}
    return keys


def make_part(result: VideoScribbles, *, key: str, params: str, source: str) -> dict[str, Any]:
    """The JSON part of one video (``params``/``source``: its two fingerprints)."""
    return {
        "format": PART_FORMAT,
        "key": key,
        "video_id": result.video_id,
        "params_hash": params,
        "input_hash": source,
        "annotations": result.annotations,
        "stats": result.stats,
    }


def part_is_current(part: Any, *, params: str, source: str) -> bool:
    """True if ``part`` is a complete part made with these fingerprints."""
    return (
        isinstance(part, dict)
        and part.get("format") == PART_FORMAT
        and part.get("params_hash") == params
        and part.get("input_hash") == source
        and isinstance(part.get("annotations"), list)
        and isinstance(part.get("stats"), list)
    )


def assemble_scribbles(
    data: Mapping[str, Any],
    parts: Mapping[int, Mapping[str, Any]],
    *,
    info: Mapping[str, Any],
    source: str = "<memory>",
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Build the scribble dataset from the source dict and one part per video.

    Object annotations keep their source ids; background annotations get fresh ids after the
    largest source id, in video order. ``info`` is stored under ``info.scribbles``.

    Returns:
        ``(YouTube-VIS dict, statistics rows)``; the rows carry the new background ids.

    Raises:
        FormatError: a video has no part.
    """
    source_anns = data.get("annotations") or []
    next_id = max((a["id"] for a in source_anns), default=0) + 1
    annotations: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    for video in data["videos"]:
        part = parts.get(video["id"])
        if part is None:
            raise FormatError(
                "no scribble part for this video (run the scribble shards first)",
                source=source,
                record=f"video {video['id']}",
            )
        background_id = None
        for ann in part["annotations"]:
            if ann.get("category_id") is None and ann.get("id") is None:
                background_id = next_id
                next_id += 1
                ann = {**ann, "id": background_id}
            annotations.append(ann)
        for row in part["stats"]:
            if row.get("kind") == "background":
                row = {**row, "annotation_id": background_id}
            rows.append(row)
    base_info = data.get("info") if isinstance(data.get("info"), dict) else {}
    out = {
        **{k: v for k, v in data.items() if k != "annotations"},
        "info": {**base_info, "scribbles": dict(info)},
        "annotations": annotations,
    }
    return out, rows


def load_current_parts(
    loaders: Mapping[str, Callable[[], Any]],
    keys: Mapping[int, str],
    *,
    params: str,
    hashes: Mapping[int, str],
    source: str = "<memory>",
) -> dict[int, dict[str, Any]]:
    """Load the part of every video, checking both fingerprints (FormatError if missing/stale)."""
    parts: dict[int, dict[str, Any]] = {}
    for vid, key in keys.items():
        loader = loaders.get(key)
        part = loader() if loader is not None else None
        if not part_is_current(part, params=params, source=hashes[vid]):
            state = "missing" if part is None else "stale (other parameters or input)"
            raise FormatError(
                f"scribble part '{key}' is {state}; re-run the scribble shard nodes",
                source=source,
                record=f"video {vid}",
            )
        parts[vid] = part
    return parts
