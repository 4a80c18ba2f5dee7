"""BURST (Athar et al., WACV 2023) annotations converted into the YouTube-VIS contract.

BURST ships one JSON per split (``train/all_classes.json``, ``val/all_classes.json``, ...)::

    {"split": "val",
     "categories": [{"id", "name", "synset", "synonyms", "def"}],   # LVIS ids
     "sequences": [{"id", "dataset", "seq_name", "fps", "width", "height",
                    "all_image_paths": [...], "annotated_image_paths": [...],
                    "neg_category_ids": [...], "not_exhaustive_category_ids": [...],
                    "track_category_ids": {track_id (str): category_id},
                    "segmentations": [{track_id (str): {"rle": str, "is_gt", "score"}}
                                      per annotated frame]}]}

Frames live at ``<images_root>/<split>/<dataset>/<seq_name>/<image_path>``.

Conversion rules (stated here because they differ from a dense YouTube-VIS file):

* BURST annotates a *subset* of frames (about 1 fps of TAO's 30 fps videos). A converted video's
  ``file_names`` are the **annotated frames only**, as ``<split>/<dataset>/<seq_name>/<frame>``
  relative to the BURST image root; ``frame_indices`` gives each one's index in the full
  ``all_image_paths`` list and ``num_all_frames`` its length.
* One annotation per track (``track_id`` keeps BURST's per-sequence id); ``segmentations`` has one
  entry per annotated frame, ``null`` where the track has no mask. Tracks without any mask are
  dropped (logged), since a YouTube-VIS ground truth with no mask cannot be matched.
* Video ids are BURST's sequence ids; annotation ids count up over (video id, track id) order, so
  the same input always gives the same ids.
* Categories keep their LVIS ids and metadata plus ``"frequency": "common" | "uncommon"``: BURST's
  class split (the ``split`` key of the contract means base/novel, so it is not reused). The default
  split is the one BURST's evaluation uses: the 78 LVIS categories that overlap COCO are common.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .errors import FormatError
from .rle import rle_area, rle_bbox
from .ytvis import load_json, save_ytvis_json, validate_ytvis

__all__ = [
    "BURST_COMMON_CATEGORY_IDS",
    "convert_burst",
    "convert_burst_file",
    "load_burst_class_split",
]

logger = logging.getLogger(__name__)

# LVIS ids of BURST's "common" classes (those shared with COCO), as listed by the benchmark's
# evaluation script; every other category is "uncommon" (long tail).
BURST_COMMON_CATEGORY_IDS: frozenset[int] = frozenset(
    {
        4,
        13,
        34,
        35,
        36,
        41,
        45,
        58,
        60,
        78,
        79,
        81,
        91,
        95,
        99,
        118,
        126,
        133,
        139,
        154,
        174,
        185,
        211,
        221,
        229,
        235,
        237,
        276,
        299,
        347,
        371,
        382,
        392,
        428,
        429,
        452,
        475,
        480,
        502,
        544,
        579,
        621,
        625,
        642,
        699,
        714,
        717,
        729,
        747,
        779,
        805,
        829,
        852,
        896,
        926,
        937,
        961,
        979,
        980,
        982,
        993,
        1001,
        1018,
        1038,
        1057,
        1091,
        1097,
        1099,
        1115,
        1117,
        1122,
        1132,
        1135,
        1144,
        1155,
        1162,
        1215,
        1229,
    }
)  # 78 ids

# pycocotools writes compressed counts with characters '0'..'o' (ASCII 48..111).
_RLE_CHARS = re.compile(r"^[0-o]+$")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _categories(burst: dict[str, Any], source: str) -> list[dict[str, Any]]:
    """Categories from the official ``categories`` list or a ``category_names`` {id: name} dict."""
    if "categories" in burst:
        cats = burst["categories"]
        if not isinstance(cats, list):
            raise FormatError("must be a list", source=source, field="categories")
        out = []
        for i, cat in enumerate(cats):
            if (
                not isinstance(cat, dict)
                or not _is_int(cat.get("id"))
                or not isinstance(cat.get("name"), str)
            ):
                raise FormatError(
                    "must be an object with integer 'id' and string 'name'",
                    source=source,
                    record=f"categories[{i}]",
                )
            out.append(dict(cat))
        return out
    names = burst.get("category_names")
    if not isinstance(names, dict):
        raise FormatError(
            "missing: need 'categories' (list) or 'category_names' ({id: name})",
            source=source,
            field="categories",
        )
    out = []
    for key, name in names.items():
        try:
            cid = int(key)
        except (TypeError, ValueError):
            raise FormatError(
                f"key {key!r} is not an integer id", source=source, field="category_names"
            ) from None
        if not isinstance(name, str) or not name:
            raise FormatError(
                f"id {cid}: name must be a non-empty string", source=source, field="category_names"
            )
        out.append({"id": cid, "name": name})
    return sorted(out, key=lambda c: c["id"])


def _common_ids(
    class_split: Mapping[str, Iterable[int | str]] | None,
    categories: list[dict[str, Any]],
    source: str,
) -> set[int]:
    """Resolve a ``{"common": [...], "uncommon": [...]}`` split (ids or names) to common ids."""
    if class_split is None:
        return set(BURST_COMMON_CATEGORY_IDS)
    keys = {str(k).lower(): v for k, v in class_split.items()}
    if "common" not in keys:
        raise FormatError(
            "class split needs a 'common' list (ids or names)", source=source, field="class_split"
        )
    by_name = {c["name"]: c["id"] for c in categories}
    common: set[int] = set()
    for item in keys["common"]:
        if _is_int(item):
            common.add(item)
        elif isinstance(item, str) and item in by_name:
            common.add(by_name[item])
        else:
            raise FormatError(
                f"'common' entry {item!r} is neither an id nor a known category name",
                source=source,
                field="class_split",
            )
    return common


def load_burst_class_split(path: str | Path) -> dict[str, list[int | str]]:
    """Read a class-split JSON ``{"common": [...], "uncommon": [...]}`` (ids or names)."""
    data = load_json(path)
    if not isinstance(data, dict) or not any(str(k).lower() == "common" for k in data):
        raise FormatError(
            "expected an object with a 'common' list of category ids or names", source=path
        )
    for key, value in data.items():
        if not isinstance(value, list):
            raise FormatError(
                "must be a list of category ids or names", source=path, field=str(key)
            )
    return data


def _sequence_ids(seqs: list[Any], source: str) -> list[int]:
    """BURST's own sequence ids; if no sequence has one, 1..N in (dataset, seq_name) order."""
    have = [isinstance(s, dict) and "id" in s for s in seqs]
    if all(have):
        ids = []
        for i, s in enumerate(seqs):
            if not _is_int(s["id"]):
                raise FormatError(
                    f"must be an integer, got {s['id']!r}",
                    source=source,
                    record=f"sequences[{i}]",
                    field="id",
                )
            ids.append(s["id"])
        dup = {i for i in ids if ids.count(i) > 1}
        if dup:
            raise FormatError(
                f"duplicate sequence id(s) {sorted(dup)}", source=source, field="sequences"
            )
        return ids
    if any(have):
        raise FormatError(
            "either every sequence has an 'id' or none does",
            source=source,
            record=f"sequences[{have.index(False)}]",
            field="id",
        )
    order = sorted(
        range(len(seqs)), key=lambda i: (str(seqs[i].get("dataset")), str(seqs[i].get("seq_name")))
    )
    ids = [0] * len(seqs)
    for rank, i in enumerate(order):
        ids[i] = rank + 1
    return ids


def _convert_sequence(
    seq: Any, idx: int, vid: int, split: str, source: str, human_only: bool
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One BURST sequence → (YouTube-VIS video, its annotations without ids)."""
    record = f"sequences[{idx}]"
    if not isinstance(seq, dict):
        raise FormatError("must be an object", source=source, record=record)
    for key in ("dataset", "seq_name", "width", "height", "annotated_image_paths", "segmentations"):
        if key not in seq:
            raise FormatError("missing", source=source, record=record, field=key)
    record = f"sequences[{idx}] ({seq['dataset']}/{seq['seq_name']})"
    h, w = seq["height"], seq["width"]
    if not (_is_int(h) and _is_int(w) and h > 0 and w > 0):
        raise FormatError(
            f"width/height must be positive integers, got {w!r}x{h!r}",
            source=source,
            record=record,
            field="width",
        )
    paths = seq["annotated_image_paths"]
    if not isinstance(paths, list) or not paths or not all(isinstance(p, str) and p for p in paths):
        raise FormatError(
            "must be a non-empty list of frame names",
            source=source,
            record=record,
            field="annotated_image_paths",
        )
    segs = seq["segmentations"]
    if not isinstance(segs, list) or len(segs) != len(paths):
        got = len(segs) if isinstance(segs, list) else type(segs).__name__
        raise FormatError(
            f"expected one entry per annotated frame ({len(paths)}), got {got}",
            source=source,
            record=record,
            field="segmentations",
        )
    # Older BURST files name the per-sequence track → category map 'categories'.
    track_cats = seq.get("track_category_ids", seq.get("categories"))
    if not isinstance(track_cats, dict):
        raise FormatError(
            "missing or not a {track_id: category_id} object",
            source=source,
            record=record,
            field="track_category_ids",
        )
    tracks: dict[int, int] = {}
    for key, cat in track_cats.items():
        try:
            tid = int(key)
        except (TypeError, ValueError):
            raise FormatError(
                f"track id {key!r} is not an integer",
                source=source,
                record=record,
                field="track_category_ids",
            ) from None
        if not _is_int(cat):
            raise FormatError(
                f"track {tid}: category must be an integer, got {cat!r}",
                source=source,
                record=record,
                field="track_category_ids",
            )
        tracks[tid] = cat

    all_paths = seq.get("all_image_paths")
    frame_indices = None
    if isinstance(all_paths, list):
        position = {p: i for i, p in enumerate(all_paths)}
        missing = [p for p in paths if p not in position]
        if missing:
            raise FormatError(
                f"annotated frame {missing[0]!r} is not in 'all_image_paths'",
                source=source,
                record=record,
                field="annotated_image_paths",
            )
        frame_indices = [position[p] for p in paths]

    n = len(paths)
    rles: dict[int, list[dict[str, Any] | None]] = {tid: [None] * n for tid in tracks}
    dropped_auto = 0
    for t, frame in enumerate(segs):
        if not isinstance(frame, dict):
            raise FormatError(
                f"frame {t}: must be a {{track_id: mask}} object",
                source=source,
                record=record,
                field="segmentations",
            )
        for key, ann in frame.items():
            where = f"{record} frame {t} track {key}"
            try:
                tid = int(key)
            except (TypeError, ValueError):
                raise FormatError(
                    "track id is not an integer", source=source, record=where, field="segmentations"
                ) from None
            if tid not in tracks:
                raise FormatError(
                    "track has a mask but no entry in 'track_category_ids'",
                    source=source,
                    record=where,
                    field="segmentations",
                )
            counts = ann.get("rle") if isinstance(ann, dict) else None
            if not isinstance(counts, str) or not _RLE_CHARS.match(counts):
                raise FormatError(
                    "'rle' must be a pycocotools compressed RLE string",
                    source=source,
                    record=where,
                    field="segmentations",
                )
            if human_only and ann.get("is_gt") is False:
                dropped_auto += 1
                continue
            rles[tid][t] = {"size": [h, w], "counts": counts}
    if dropped_auto:
        logger.info(
            "%s: dropped %d automatically propagated masks (human_only)", record, dropped_auto
        )

    video = {
        "id": vid,
        "name": f"{seq['dataset']}/{seq['seq_name']}",
        "dataset": seq["dataset"],
        "seq_name": seq["seq_name"],
        "width": w,
        "height": h,
        "length": n,
        "file_names": [f"{split}/{seq['dataset']}/{seq['seq_name']}/{p}" for p in paths],
        "fps": seq.get("fps"),
        "neg_category_ids": seq.get("neg_category_ids", []),
        "not_exhaustive_category_ids": seq.get("not_exhaustive_category_ids", []),
    }
    if frame_indices is not None:
        video["frame_indices"] = frame_indices
        video["num_all_frames"] = len(all_paths)

    anns = []
    empty = []
    for tid in sorted(tracks):
        seg = rles[tid]
        present = [s for s in seg if s is not None]
        if not present:
            empty.append(tid)
            continue
        areas_present = rle_area(present).tolist()
        if max(areas_present) > h * w:
            raise FormatError(
                f"track {tid}: an RLE decodes to more than {h}x{w} pixels (corrupt counts)",
                source=source,
                record=record,
                field="segmentations",
            )
        areas_iter = iter(areas_present)
        anns.append(
            {
                "video_id": vid,
                "track_id": tid,
                "category_id": tracks[tid],
                "segmentations": seg,
                "areas": [None if s is None else next(areas_iter) for s in seg],
                "bboxes": [None if s is None else rle_bbox(s) for s in seg],
                "iscrowd": 0,
            }
        )
    if empty:
        logger.warning("%s: dropped %d track(s) without any mask: %s", record, len(empty), empty)
    return video, anns


def convert_burst(
    burst: dict[str, Any],
    *,
    source: str = "<memory>",
    class_split: Mapping[str, Iterable[int | str]] | None = None,
    human_only: bool = False,
) -> dict[str, Any]:
    """Convert a BURST annotation dict into a validated YouTube-VIS dict (rules in the module doc).

    Args:
        burst: the parsed BURST JSON.
        source: file name used in error messages.
        class_split: ``{"common": [...], "uncommon": [...]}`` (ids or names); default: BURST's
            evaluation split (:data:`BURST_COMMON_CATEGORY_IDS`).
        human_only: drop masks with ``is_gt: false`` (train-set masks propagated automatically).
    """
    source = str(source)
    if not isinstance(burst, dict):
        raise FormatError("top level must be a JSON object", source=source)
    seqs = burst.get("sequences")
    if not isinstance(seqs, list):
        raise FormatError("missing or not a list", source=source, field="sequences")
    split = burst.get("split", "")
    if not isinstance(split, str):
        raise FormatError(f"must be a string, got {split!r}", source=source, field="split")
    categories = _categories(burst, source)
    common = _common_ids(class_split, categories, source)
    cat_ids = {c["id"] for c in categories}
    for c in categories:
        c["frequency"] = "common" if c["id"] in common else "uncommon"

    ids = _sequence_ids(seqs, source)
    converted = [
        _convert_sequence(s, i, ids[i], split, source, human_only) for i, s in enumerate(seqs)
    ]
    converted.sort(key=lambda va: va[0]["id"])
    videos = [v for v, _ in converted]
    annotations = []
    for video, anns in converted:
        for ann in anns:
            if ann["category_id"] not in cat_ids:
                raise FormatError(
                    f"track {ann['track_id']}: category {ann['category_id']} is not in "
                    "'categories'",
                    source=source,
                    record=f"sequence {video['name']}",
                    field="track_category_ids",
                )
            annotations.append({"id": len(annotations) + 1, **ann})
    out = {
        "info": {
            "description": "BURST converted to YouTube-VIS (annotated frames only)",
            "burst_split": split,
        },
        "videos": videos,
        "annotations": annotations,
        "categories": categories,
    }
    logger.info(
        "BURST %s: %d videos, %d tracks, %d categories (%d common)",
        split or "?",
        len(videos),
        len(annotations),
        len(categories),
        sum(c["frequency"] == "common" for c in categories),
    )
    return validate_ytvis(out, source=source)


def convert_burst_file(
    path: str | Path,
    out_json: str | Path,
    *,
    class_split_path: str | Path | None = None,
    human_only: bool = False,
) -> dict[str, Any]:
    """Read a BURST JSON, convert it and write the YouTube-VIS JSON atomically; returns the dict."""
    class_split = load_burst_class_split(class_split_path) if class_split_path is not None else None
    data = convert_burst(
        load_json(path), source=str(path), class_split=class_split, human_only=human_only
    )
    save_ytvis_json(data, out_json, validate=False)
    return data
