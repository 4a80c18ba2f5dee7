"""SegTrack v2 (Li et al., ICCV 2013) release layout: reader and converter to the DAVIS layout.

Release layout::

    <root>/JPEGImages/<seq>/<frame>.png|.bmp|.jpg       frames (natural order of the names)
    <root>/GroundTruth/<seq>/<frame>.png|.bmp           single-object sequences
    <root>/GroundTruth/<seq>/1/<frame>.png, 2/...       multi-object: one folder per object

Masks are binary images (grey 0/255, or equal-channel RGB; foreground = value >= ``threshold``,
palette masks: index > 0). A mask is matched to the frame with the same stem (extensions differ
between frames and masks in the release), else to the frame with the same trailing number. Every
frame that has at least one object mask is labelled; object ids are the per-object folder numbers
(1 for single-object sequences). Where two object masks overlap the higher id wins (logged).
The binary DAVIS-2016-style foreground is the union of the objects (``ids > 0``).

:func:`convert_segtrackv2_to_davis` writes ``JPEGImages/480p/<seq>/%05d.jpg``,
``Annotations/480p/<seq>/%05d.png`` (DAVIS palette, object ids; labelled frames only) and
``ImageSets/2016/val.txt``, keeping the original resolution unless ``size=[h, w]`` is given.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from .davis import VOID, read_mask_png
from .davis_layout import (
    FRAME_SUFFIXES,
    match_frame,
    natural_key,
    update_image_set,
    write_davis_sequence,
)
from .errors import FormatError

__all__ = [
    "SegTrackV2Sequence",
    "read_segtrackv2_sequence",
    "list_segtrackv2_sequences",
    "read_segtrackv2_labels",
    "convert_segtrackv2_to_davis",
]

logger = logging.getLogger(__name__)

_MASK_SUFFIXES = (".png", ".bmp", ".jpg", ".jpeg", ".pgm")


@dataclass(frozen=True)
class SegTrackV2Sequence:
    """One SegTrackV2 sequence: frames and, per object id, its masks by frame index."""

    name: str
    frames: tuple[Path, ...]
    objects: dict[int, dict[int, Path]]  # object id → {frame index → mask file}

    @property
    def annotated(self) -> list[int]:
        """Frame indices with at least one object mask."""
        return sorted({t for masks in self.objects.values() for t in masks})


def _files(folder: Path, suffixes: tuple[str, ...]) -> list[Path]:
    files = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in suffixes]
    return sorted(files, key=lambda p: natural_key(p.name))


def _match_masks(folder: Path, stems: Sequence[str]) -> dict[int, Path]:
    masks = _files(folder, _MASK_SUFFIXES)
    if not masks:
        raise FormatError("no mask images (*.png|*.bmp)", source=folder)
    out: dict[int, Path] = {}
    for p in masks:
        idx = match_frame(p.stem, stems)
        if idx is None:
            raise FormatError("no frame of the sequence matches this mask's name", source=p)
        if idx in out:
            raise FormatError(
                f"two masks for frame {stems[idx]!r} (also {out[idx].name})", source=p
            )
        out[idx] = p
    return out


def read_segtrackv2_sequence(root: str | Path, name: str) -> SegTrackV2Sequence:
    """Read one sequence's frame list and per-object masks."""
    root = Path(root)
    frame_dir = root / "JPEGImages" / name
    gt_dir = root / "GroundTruth" / name
    if not frame_dir.is_dir():
        raise FormatError("frame folder not found", source=frame_dir)
    if not gt_dir.is_dir():
        raise FormatError("ground-truth folder not found", source=gt_dir)
    frames = _files(frame_dir, FRAME_SUFFIXES)
    if not frames:
        raise FormatError("no frames (*.png|*.bmp|*.jpg)", source=frame_dir)
    stems = [p.stem for p in frames]
    subdirs = sorted(
        (d for d in gt_dir.iterdir() if d.is_dir() and not d.name.startswith(".")),
        key=lambda d: natural_key(d.name),
    )
    if subdirs:
        objects: dict[int, dict[int, Path]] = {}
        for rank, d in enumerate(subdirs, start=1):
            # Folder names are the object numbers in the release; fall back to their rank otherwise.
            oid = int(d.name) if d.name.isdigit() else rank
            if not 0 < oid < VOID:
                raise FormatError(f"object folder number {oid} must be in 1..254", source=d)
            if oid in objects:
                raise FormatError(f"object id {oid} given twice", source=d)
            objects[oid] = _match_masks(d, stems)
    else:
        objects = {1: _match_masks(gt_dir, stems)}
    return SegTrackV2Sequence(name=name, frames=tuple(frames), objects=objects)


def list_segtrackv2_sequences(root: str | Path) -> list[SegTrackV2Sequence]:
    """All sequences under ``<root>/JPEGImages`` (each must have ground truth), in name order."""
    root = Path(root)
    frame_root = root / "JPEGImages"
    if not frame_root.is_dir():
        raise FormatError("no JPEGImages folder (expected <root>/JPEGImages/<seq>/)", source=root)
    names = sorted(
        (d.name for d in frame_root.iterdir() if d.is_dir() and not d.name.startswith(".")),
        key=natural_key,
    )
    if not names:
        raise FormatError("no sequence folders", source=frame_root)
    return [read_segtrackv2_sequence(root, n) for n in names]


def read_segtrackv2_labels(
    seq: SegTrackV2Sequence,
    index: int,
    *,
    expected_size: tuple[int, int] | None = None,
    threshold: int = 128,
) -> np.ndarray:
    """Object ids ``(H, W)`` uint8 of frame ``index``: 0 background, else the object's id."""
    ids: np.ndarray | None = None
    overlap = 0
    for oid in sorted(seq.objects):
        path = seq.objects[oid].get(index)
        if path is None:
            continue  # this object has no mask on this frame: absent
        raw = read_mask_png(path, expected_size=expected_size, binary_threshold=threshold)
        fg = (raw > 0) & (raw != VOID)
        if ids is None:
            ids = np.zeros(raw.shape, dtype=np.uint8)
        elif raw.shape != ids.shape:
            raise FormatError(
                f"mask is {raw.shape[0]}x{raw.shape[1]}, other objects' masks of this frame are "
                f"{ids.shape[0]}x{ids.shape[1]}",
                source=path,
            )
        overlap += int((fg & (ids > 0)).sum())
        ids[fg] = oid
    if ids is None:
        raise KeyError(f"{seq.name}: frame {index} has no ground truth")
    if overlap:
        logger.debug(
            "%s frame %d: %d pixels claimed by two objects; higher id kept",
            seq.name,
            index,
            overlap,
        )
    return ids


def convert_segtrackv2_to_davis(
    root: str | Path,
    out_root: str | Path,
    *,
    size: Sequence[int] | None = None,
    binary: bool = False,
    quality: int = 90,
    threshold: int = 128,
    image_set: str = "val",
    sequences: Iterable[str] | None = None,
) -> dict[str, Any]:
    """Convert SegTrackV2 into the DAVIS layout under ``out_root``; returns a summary."""
    seqs = list_segtrackv2_sequences(root)
    if sequences is not None:
        wanted = set(sequences)
        missing = wanted - {s.name for s in seqs}
        if missing:
            raise ValueError(f"sequences not in SegTrackV2: {sorted(missing)}")
        seqs = [s for s in seqs if s.name in wanted]
    summary: dict[str, Any] = {}
    for seq in tqdm(seqs, desc="SegTrackV2"):
        summary[seq.name] = write_davis_sequence(
            out_root,
            seq.name,
            seq.frames,
            seq.annotated,
            lambda t, hw, seq=seq: read_segtrackv2_labels(
                seq, t, expected_size=hw, threshold=threshold
            ),
            size=size,
            binary=binary,
            quality=quality,
        )
        summary[seq.name]["object_ids"] = sorted(seq.objects)
    update_image_set(out_root, "2016", image_set, summary)
    logger.info("SegTrackV2: %d sequences written to %s", len(summary), out_root)
    return {"dataset": "segtrackv2", "sequences": summary}
