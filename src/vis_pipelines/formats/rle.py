"""Run-length encoding of binary masks, in pycocotools' compressed format (counts as str)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from pycocotools import mask as mask_utils

from .errors import FormatError

__all__ = [
    "encode_mask",
    "encode_masks",
    "decode_rle",
    "normalize_rle",
    "rle_area",
    "rle_bbox",
    "empty_rle",
]


def encode_mask(mask: np.ndarray) -> dict[str, Any]:
    """Encode one ``(H, W)`` binary mask as compressed RLE ``{"size": [h, w], "counts": str}``."""
    if mask.ndim != 2:
        raise ValueError(f"encode_mask expects a 2-D mask, got shape {mask.shape}")
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8, copy=False)))
    return {"size": [int(rle["size"][0]), int(rle["size"][1])], "counts": rle["counts"].decode()}


def encode_masks(masks: np.ndarray) -> list[dict[str, Any]]:
    """Encode a stack ``(N, H, W)`` of binary masks in one pycocotools call."""
    if masks.ndim != 3:
        raise ValueError(f"encode_masks expects (N, H, W), got shape {masks.shape}")
    arr = np.asfortranarray(np.moveaxis(masks.astype(np.uint8, copy=False), 0, -1))
    out = mask_utils.encode(arr)
    return [
        {"size": [int(r["size"][0]), int(r["size"][1])], "counts": r["counts"].decode()}
        for r in out
    ]


def empty_rle(height: int, width: int) -> dict[str, Any]:
    """RLE of an all-zero mask of the given size."""
    return encode_mask(np.zeros((height, width), dtype=np.uint8))


def normalize_rle(
    rle: Any,
    *,
    height: int | None = None,
    width: int | None = None,
    where: str = "",
    source: str | None = None,
) -> dict[str, Any]:
    """Return ``rle`` as compressed RLE with ``counts`` as str; accept uncompressed (list) counts.

    Raises ``FormatError`` naming ``source``/``where`` if the object is not an RLE or its size is not
    ``(height, width)``.
    """
    if not isinstance(rle, dict) or "counts" not in rle or "size" not in rle:
        raise FormatError(
            "segmentation is not an RLE dict with 'size' and 'counts'",
            source=source,
            record=where,
            field="segmentations",
        )
    size = rle["size"]
    if not (
        isinstance(size, (list, tuple)) and len(size) == 2 and all(isinstance(s, int) for s in size)
    ):
        raise FormatError(
            f"RLE 'size' must be [height, width], got {size!r}",
            source=source,
            record=where,
            field="segmentations",
        )
    h, w = int(size[0]), int(size[1])
    if height is not None and width is not None and (h, w) != (height, width):
        raise FormatError(
            f"RLE size {h}x{w} does not match the video size {height}x{width}",
            source=source,
            record=where,
            field="segmentations",
        )
    counts = rle["counts"]
    if isinstance(counts, list):
        if sum(int(c) for c in counts) != h * w:
            raise FormatError(
                f"uncompressed RLE counts sum to {sum(counts)}, expected {h * w}",
                source=source,
                record=where,
                field="segmentations",
            )
        conv = mask_utils.frPyObjects({"size": [h, w], "counts": counts}, h, w)
        return {"size": [h, w], "counts": conv["counts"].decode()}
    if isinstance(counts, bytes):
        counts = counts.decode("ascii", errors="replace")  # non-ASCII is rejected below
    if not isinstance(counts, str):
        raise FormatError(
            f"RLE 'counts' must be str or list, got {type(counts).__name__}",
            source=source,
            record=where,
            field="segmentations",
        )
    if not counts.isascii():  # pycocotools writes characters 48-111 only
        raise FormatError(
            "RLE 'counts' holds non-ASCII characters",
            source=source,
            record=where,
            field="segmentations",
        )
    return {"size": [h, w], "counts": counts}


_AREA_CHUNK = 255


def _coco(rle: dict[str, Any]) -> dict[str, Any]:
    counts = rle["counts"]
    return {
        "size": list(rle["size"]),
        "counts": counts.encode() if isinstance(counts, str) else counts,
    }


def decode_rle(rle: dict[str, Any]) -> np.ndarray:
    """Decode compressed RLE to a ``(H, W)`` uint8 mask of 0/1."""
    return mask_utils.decode(_coco(rle))


def rle_area(rles: dict[str, Any] | Sequence[dict[str, Any]]) -> np.ndarray | int:
    """Pixel count of one RLE (int) or of several (array)."""
    if isinstance(rles, dict):
        return int(mask_utils.area(_coco(rles)))
    coco = [_coco(r) for r in rles]
    # pycocotools' area() builds a uint8 array from the RLE count, so it fails on more than 255
    # RLEs with numpy 2: call it in chunks.
    chunks = [mask_utils.area(coco[i : i + _AREA_CHUNK]) for i in range(0, len(coco), _AREA_CHUNK)]
    return np.concatenate(chunks).astype(np.int64) if chunks else np.zeros(0, np.int64)


def rle_bbox(rle: dict[str, Any]) -> list[float]:
    """Bounding box ``[x, y, w, h]`` of one RLE (all zeros for an empty mask)."""
    return [float(v) for v in mask_utils.toBbox(_coco(rle))]
