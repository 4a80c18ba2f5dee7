"""Local held-out split carved from a labelled YouTube-VIS training set.

Official *valid* labels are not public (scores come from an evaluation server), so model selection
and the tables of this project use a held-out part of *train*. Such scores are not comparable to
server scores; the manifest says so in its ``label``.

Stratification (``stratify_by_category=True``): each video joins the stratum of its rarest
category (the one present in the fewest videos; ties to the smaller id), videos without annotated
categories form one more stratum. Each stratum gives ``fraction`` of its videos (largest-remainder
rounding so the total is ``round(fraction * N)``, at least 1 and at most N - 1). Videos are sorted
by id before any random draw, so the split depends only on the content, the seed and the fraction,
never on the order of the input videos.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from collections import Counter
from typing import Any

import numpy as np

from .formats.errors import FormatError

__all__ = ["SPLIT_VERSION", "SPLIT_LABEL", "holdout_split", "dataset_hash"]

logger = logging.getLogger(__name__)

SPLIT_VERSION = "holdout-v1"  # bump when the selection rule changes (same seed → other videos)
SPLIT_LABEL = "local split, not comparable to server"


def _canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str).encode()


def dataset_hash(data: dict[str, Any]) -> str:
    """SHA-256 of a dataset's content, independent of the order of its videos and annotations."""
    digest = hashlib.sha256()
    rest = {k: v for k, v in data.items() if k not in ("videos", "annotations")}
    digest.update(_canonical(rest))
    for key in ("videos", "annotations"):
        records = data.get(key)
        digest.update(f"|{key}|".encode())
        if records is None:
            digest.update(b"null")
            continue
        # Hash records one by one (sorted by their canonical bytes) to avoid one giant string.
        for blob in sorted(_canonical(r) for r in records):
            digest.update(hashlib.sha256(blob).digest())
    return digest.hexdigest()


def _video_ids(data: Any) -> list[int]:
    if not isinstance(data, dict) or not isinstance(data.get("videos"), list):
        raise FormatError("expected a YouTube-VIS dict with a 'videos' list", field="videos")
    ids = []
    for i, v in enumerate(data["videos"]):
        vid = v.get("id") if isinstance(v, dict) else None
        if isinstance(vid, bool) or not isinstance(vid, int):
            raise FormatError(
                f"video id must be an integer, got {vid!r}", record=f"videos[{i}]", field="id"
            )
        ids.append(vid)
    if len(set(ids)) != len(ids):
        dup = sorted(k for k, n in Counter(ids).items() if n > 1)
        raise FormatError(f"duplicate video ids {dup[:5]}", field="videos")
    return ids


def _strata(data: dict[str, Any], ids: list[int]) -> dict[tuple[int, int], list[int]]:
    """Video ids grouped by stratum key: ``(0, rarest category id)`` or ``(1, 0)`` for none."""
    cats_of: dict[int, set[int]] = {v: set() for v in ids}
    for ann in data.get("annotations") or []:
        if not isinstance(ann, dict):
            continue
        vid, cat = ann.get("video_id"), ann.get("category_id")
        if vid in cats_of and isinstance(cat, int) and not isinstance(cat, bool):
            cats_of[vid].add(cat)
    freq = Counter(c for cats in cats_of.values() for c in cats)
    strata: dict[tuple[int, int], list[int]] = {}
    for vid in sorted(ids):
        cats = cats_of[vid]
        key = (0, min(cats, key=lambda c: (freq[c], c))) if cats else (1, 0)
        strata.setdefault(key, []).append(vid)
    return dict(sorted(strata.items()))


def _allocate(sizes: list[int], total: int, rng: np.random.Generator) -> list[int]:
    """Split ``total`` over strata proportionally to ``sizes`` (largest remainder, random ties)."""
    n = sum(sizes)
    quotas = [s * total / n for s in sizes]
    counts = [math.floor(q) for q in quotas]
    remainders = np.array([q - c for q, c in zip(quotas, counts, strict=True)])
    tie_break = rng.random(len(sizes))
    order = np.lexsort((tie_break, -remainders))  # largest remainder first, random among equals
    for i in order[: total - sum(counts)]:
        counts[int(i)] += 1
    return counts


def holdout_split(
    data: dict[str, Any],
    *,
    fraction: float = 0.1,
    seed: int = 0,
    stratify_by_category: bool = True,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Split a YouTube-VIS dict into (train, holdout, manifest) by video.

    Both parts keep every top-level key (categories, info, ...), their videos sorted by id and the
    annotations of those videos unchanged (ids kept). The manifest records what is needed to
    reproduce and recognise the split: version, label, seed, fraction, input hash and video ids.
    """
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0 < fraction < 1:
        raise ValueError(f"fraction must be a number in (0, 1), got {fraction!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    ids = _video_ids(data)
    if len(ids) < 2:
        raise ValueError(f"need at least 2 videos to split, got {len(ids)}")
    total = min(max(round(fraction * len(ids)), 1), len(ids) - 1)
    rng = np.random.default_rng(seed)

    if stratify_by_category:
        strata = _strata(data, ids)
    else:
        strata = {(0, 0): sorted(ids)}
    counts = _allocate([len(v) for v in strata.values()], total, rng)
    holdout: set[int] = set()
    for members, k in zip(strata.values(), counts, strict=True):
        holdout.update(int(v) for v in rng.permutation(np.asarray(members))[:k])

    def part(keep: set[int]) -> dict[str, Any]:
        videos = sorted((v for v in data["videos"] if v["id"] in keep), key=lambda v: v["id"])
        out = {**data, "videos": videos}
        anns = data.get("annotations")
        if anns is not None:
            out["annotations"] = [
                a for a in anns if isinstance(a, dict) and a.get("video_id") in keep
            ]
        return out

    train_ids = set(ids) - holdout
    train, held = part(train_ids), part(holdout)
    info = data.get("info") if isinstance(data.get("info"), dict) else {}
    held["info"] = {**info, "split": "local holdout", "label": SPLIT_LABEL}
    train["info"] = {**info, "split": "local train (holdout removed)", "label": SPLIT_LABEL}
    manifest = {
        "version": SPLIT_VERSION,
        "label": SPLIT_LABEL,
        "seed": seed,
        "fraction": float(fraction),
        "stratify_by_category": bool(stratify_by_category),
        "input_hash": dataset_hash(data),
        "num_videos": len(ids),
        "num_train": len(train_ids),
        "num_holdout": len(holdout),
        "holdout_video_ids": sorted(holdout),
        "train_video_ids": sorted(train_ids),
        "strata": {
            ("none" if key[0] else str(key[1])): {"videos": len(members), "holdout": k}
            for (key, members), k in zip(strata.items(), counts, strict=True)
        }
        if stratify_by_category
        else None,
    }
    logger.info(
        "holdout split (seed %d, fraction %.3f): %d train / %d holdout videos, %d strata",
        seed,
        fraction,
        len(train_ids),
        len(holdout),
        len(strata),
    )
    return train, held, manifest
