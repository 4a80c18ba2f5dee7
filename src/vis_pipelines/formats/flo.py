"""Middlebury ``.flo`` optical flow files: float32 magic 202021.25, int32 width, height, then u,v."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .atomic import atomic_write_bytes
from .errors import FormatError

__all__ = ["FLO_MAGIC", "read_flo", "write_flo", "encode_flo"]

FLO_MAGIC = np.float32(202021.25)
_HEADER = 12


def encode_flo(flow: np.ndarray) -> bytes:
    """Bytes of a ``.flo`` file for a ``(H, W, 2)`` flow (u = x displacement, v = y displacement)."""
    if flow.ndim != 3 or flow.shape[2] != 2:
        raise ValueError(f"flow must have shape (H, W, 2), got {flow.shape}")
    h, w = flow.shape[:2]
    header = np.array([FLO_MAGIC], "<f4").tobytes() + np.array([w, h], "<i4").tobytes()
    return header + np.ascontiguousarray(flow, dtype="<f4").tobytes()


def write_flo(path: str | Path, flow: np.ndarray) -> None:
    """Write a ``(H, W, 2)`` flow as a Middlebury ``.flo`` file, atomically."""
    atomic_write_bytes(path, encode_flo(flow))


def read_flo(path: str | Path) -> np.ndarray:
    """Read a ``.flo`` file into a float32 ``(H, W, 2)`` array; a bad file raises ``FormatError``."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise FormatError("file not found", source=path) from None
    if len(raw) < _HEADER:
        raise FormatError(f"too short for a .flo header ({len(raw)} bytes)", source=path)
    magic = np.frombuffer(raw, "<f4", 1, 0)[0]
    if magic != FLO_MAGIC:
        raise FormatError(
            f"bad magic {magic!r}, expected 202021.25 (not a Middlebury .flo file)", source=path
        )
    w, h = (int(v) for v in np.frombuffer(raw, "<i4", 2, 4))
    if w <= 0 or h <= 0 or w > 100_000 or h > 100_000:
        raise FormatError(f"implausible size {w}x{h}", source=path)
    expected = _HEADER + 8 * w * h
    if len(raw) != expected:
        raise FormatError(
            f"{len(raw)} bytes, expected {expected} for {w}x{h} (truncated?)", source=path
        )
    return np.frombuffer(raw, "<f4", 2 * w * h, _HEADER).reshape(h, w, 2).astype(np.float32)
