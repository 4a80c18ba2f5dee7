"""Per-sequence parts of a ClusterNet run: masks (RLE), figures and two fingerprints.

A part holds one sequence's masks for one (flow source, mode) with ``params_hash`` (what the masks
depend on, see ``ClusterNetParams.hashed``) and ``input_hash`` (the flows, and for the oracle the
ground truth). A re-run recomputes a sequence only if a fingerprint changed, so interrupted or
extended runs resume where they stopped and never mix masks of different settings.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from vis_pipelines.formats import FormatError
from vis_pipelines.formats.rle import decode_rle, encode_masks

from .sequence import SequenceMasks

__all__ = ["PART_FORMAT", "arrays_hash", "make_part", "part_is_current", "part_masks"]

PART_FORMAT = "vis_pipelines.clusternet_part/1"


def arrays_hash(arrays: Iterable[np.ndarray | None]) -> str:
    """12-hex fingerprint of a sequence of arrays (shape, dtype and bytes; None counts too)."""
    digest = hashlib.blake2b(digest_size=16)
    for arr in arrays:
        if arr is None:
            digest.update(b"none;")
            continue
        arr = np.ascontiguousarray(arr)
        digest.update(f"{arr.dtype.str}{arr.shape};".encode())
        digest.update(arr.tobytes())
    return digest.hexdigest()[:12]


def make_part(
    result: SequenceMasks,
    *,
    key: str,
    frames: Sequence[str],
    params: str,
    source: str,
    info: Mapping[str, Any],
) -> dict[str, Any]:
    """The JSON part of one sequence (``params``/``source``: its two fingerprints)."""
    if len(frames) != len(result.masks):
        raise ValueError(f"{key}: {len(result.masks)} masks for {len(frames)} frames")
    return {
        "format": PART_FORMAT,
        "key": key,
        "params_hash": params,
        "input_hash": source,
        "frames": list(frames),
        "size": [int(result.masks.shape[1]), int(result.masks.shape[2])],
        "masks": encode_masks(result.masks.astype(np.uint8)),
        "per_frame": result.frames,
        "seconds": result.seconds,
        "pretrain_steps": result.pretrain_steps,
        **dict(info),
    }


def part_is_current(
    part: Any, *, params: str, source: str | None = None, frames: Sequence[str] | None = None
) -> bool:
    """True if ``part`` is complete and made with these fingerprints (and these frames)."""
    return (
        isinstance(part, dict)
        and part.get("format") == PART_FORMAT
        and part.get("params_hash") == params
        and (source is None or part.get("input_hash") == source)
        and (frames is None or part.get("frames") == list(frames))
        and isinstance(part.get("masks"), list)
        and len(part["masks"]) == len(part.get("frames") or [])
    )


def part_masks(part: Mapping[str, Any], *, source: str = "<part>") -> np.ndarray:
    """The masks of a part, uint8 ``[T, H, W]`` (0/1)."""
    h, w = part["size"]
    out = np.zeros((len(part["masks"]), h, w), dtype=np.uint8)
    for t, rle in enumerate(part["masks"]):
        mask = decode_rle(rle)
        if mask.shape != (h, w):
            raise FormatError(
                f"mask {t} is {mask.shape}, the part says {h}x{w}", source=source, field="masks"
            )
        out[t] = mask
    return out
