"""DAVIS-layout video object segmentation data (DAVIS-2016/2017, FBMS and SegTrackV2 converted).

Layout: ``JPEGImages/<res>/<seq>/<frame>.jpg``, ``Annotations/<res>/<seq>/<frame>.png`` (palette
PNG, index = object id, 0 background, 255 void; DAVIS-2016's grey 0/255 PNGs read as 0/1) and
``ImageSets/<year>/{train,val}.txt`` (one sequence per line). The original DAVIS-2016 release keeps
its lists in ``ImageSets/<res>/`` with frame-path lines; both are read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from kedro.io import AbstractDataset
from tqdm.auto import tqdm

from vis_pipelines.formats import (
    FormatError,
    atomic_write_bytes,
    read_image,
    read_mask_png,
    write_image,
    write_mask_png,
)

from .errors import kedro_passthrough, with_context

__all__ = ["DAVISSequences", "DAVISDataset", "SequenceSource"]

logger = logging.getLogger(__name__)

# seq -> (frames uint8 [T,H,W,3], masks uint8 [T,H,W]) or (..., annotated bool [T])
SequenceSource = Callable[[], tuple[np.ndarray, ...]]
_FRAME_SUFFIXES = (".jpg", ".jpeg", ".png")


def _parse_imageset(text: str) -> list[str]:
    """Sequence names of an ImageSets file: one name per line, or DAVIS-2016 frame-path lines."""
    names: list[str] = []
    seen: set[str] = set()
    for line in text.splitlines():
        tokens = line.split()
        if not tokens:
            continue
        # "/JPEGImages/480p/bear/00000.jpg /Annotations/480p/bear/00000.png" -> "bear"
        name = Path(tokens[0]).parts[-2] if "/" in tokens[0] else tokens[0]
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


class DAVISSequences:
    """DAVIS-layout video object segmentation data: JPEGImages/<res>/<seq>/%05d.jpg,
    Annotations/<res>/<seq>/%05d.png, ImageSets/<year>/{train,val}.txt.

    Give ``root`` (files) or ``sequences`` (in memory / generated: ``seq -> callable`` returning
    ``(frames, masks)`` or ``(frames, masks, annotated)``). ``split`` is the default for
    ``names()``. Nothing is read until a sequence is asked for.
    """

    def __init__(
        self,
        *,
        root: str | Path | None = None,
        resolution: str = "480p",
        year: str = "2016",
        sequences: Mapping[str, SequenceSource] | None = None,
        imagesets: Mapping[str, list[str]] | None = None,
        split: str | None = None,
    ) -> None:
        if (root is None) == (sequences is None):
            raise ValueError("give exactly one of root (files) or sequences (in memory)")
        self.root = Path(root) if root is not None else None
        self.resolution = str(resolution)
        self.year = str(year)
        self.split = split
        self._sequences = dict(sequences) if sequences is not None else None
        self._imagesets = (
            {k: list(v) for k, v in imagesets.items()} if imagesets is not None else None
        )
        self._source = str(self.root) if self.root is not None else "<memory>"

    def __repr__(self) -> str:
        return (
            f"DAVISSequences(root={self._source!r}, resolution={self.resolution!r}, "
            f"year={self.year!r}, split={self.split!r})"
        )

    # ------------------------------------------------------------------ folders
    def _frames_dir(self, seq: str) -> Path:
        return self.root / "JPEGImages" / self.resolution / seq  # type: ignore[operator]

    def _masks_dir(self, seq: str) -> Path:
        return self.root / "Annotations" / self.resolution / seq  # type: ignore[operator]

    def _imageset_dir(self) -> Path:
        base = self.root / "ImageSets"  # type: ignore[operator]
        for candidate in (base / self.year, base / self.resolution):
            if candidate.is_dir():
                return candidate
        return base / self.year

    # ------------------------------------------------------------------ names
    @property
    def imagesets(self) -> dict[str, list[str]]:
        """Split name -> sequence names (``ImageSets/<year>/*.txt`` or the in-memory mapping)."""
        if self._imagesets is not None or self.root is None:
            return {k: list(v) for k, v in (self._imagesets or {}).items()}
        folder = self._imageset_dir()
        if not folder.is_dir():
            return {}
        return {p.stem: _parse_imageset(p.read_text()) for p in sorted(folder.glob("*.txt"))}

    def names(self, split: str | None = None) -> list[str]:
        """Sequences of ``split`` (default: the set's own split; all sequences when neither)."""
        split = split or self.split
        if split is not None:
            if self._imagesets is not None or self.root is None:
                sets = self._imagesets or {}
                if split not in sets:
                    raise FormatError(
                        f"unknown split {split!r} (have {sorted(sets)})",
                        source=self._source,
                        field="imagesets",
                    )
                return list(sets[split])
            path = self._imageset_dir() / f"{split}.txt"
            if not path.is_file():
                raise FormatError(f"no ImageSets list for split {split!r}", source=path)
            return _parse_imageset(path.read_text())
        if self._sequences is not None:
            return sorted(self._sequences)
        folder = self.root / "JPEGImages" / self.resolution  # type: ignore[operator]
        if not folder.is_dir():
            raise FormatError("frames folder not found", source=folder)
        return sorted(p.name for p in folder.iterdir() if p.is_dir())

    # ------------------------------------------------------------------ in-memory form
    def _generate(self, seq: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if seq not in self._sequences:  # type: ignore[operator]
            raise FormatError(
                f"unknown sequence {seq!r}",
                source=self._source,
                record=f"sequence {seq}",
                field="sequences",
            )
        out = self._sequences[seq]()  # type: ignore[index]
        frames, masks = np.asarray(out[0]), np.asarray(out[1])
        annotated = (
            np.asarray(out[2], dtype=bool) if len(out) > 2 else np.ones(len(frames), dtype=bool)
        )
        t = len(frames)
        if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[3] != 3:
            raise ValueError(
                f"sequence {seq}: frames must be uint8 [T,H,W,3], got {frames.dtype} {frames.shape}"
            )
        if masks.shape != frames.shape[:3] or annotated.shape != (t,):
            raise ValueError(
                f"sequence {seq}: masks {masks.shape} / annotated {annotated.shape} "
                f"do not match frames {frames.shape}"
            )
        if masks.size and (masks.min() < 0 or masks.max() > 255):
            raise ValueError(f"sequence {seq}: mask ids must be in 0..255")
        masks = masks.astype(np.uint8)
        masks[~annotated] = 0
        return frames, masks, annotated

    # ------------------------------------------------------------------ frames and masks
    def frame_paths(self, seq: str) -> list[Path]:
        """Frame files of a sequence, sorted by name."""
        if self.root is None:
            raise ValueError("in-memory DAVISSequences have no frame files")
        folder = self._frames_dir(seq)
        if not folder.is_dir():
            raise FormatError("sequence folder not found", source=folder, record=f"sequence {seq}")
        paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in _FRAME_SUFFIXES)
        if not paths:
            raise FormatError(
                "no frames (.jpg/.png) in the sequence folder",
                source=folder,
                record=f"sequence {seq}",
            )
        return paths

    def frame_names(self, seq: str) -> list[str]:
        """Frame names without suffix (``00000``...); masks and flows are named after them."""
        if self.root is None:
            return [f"{t:05d}" for t in range(len(self._generate(seq)[0]))]
        return [p.stem for p in self.frame_paths(seq)]

    def load_frames(self, seq: str) -> np.ndarray:
        """All frames of a sequence as uint8 ``[T, H, W, 3]`` RGB (all the size of the first)."""
        if self.root is None:
            return self._generate(seq)[0]
        paths = self.frame_paths(seq)
        first = read_image(paths[0])
        out = np.empty((len(paths), *first.shape), dtype=np.uint8)
        out[0] = first
        for t, path in enumerate(paths[1:], start=1):
            out[t] = read_image(path, expected_size=first.shape[:2])
        return out

    def load_masks(self, seq: str) -> tuple[np.ndarray, np.ndarray]:
        """Object ids uint8 ``[T, H, W]`` and ``annotated`` bool ``[T]``.

        ids: 0 background, object ids, 255 void kept; DAVIS-2016 grey 0/255 PNGs give 0/1. Frames
        without an annotation PNG (DAVIS-2017 test-dev, FBMS sparse ground truth) are all-zero with
        ``annotated[t] = False``. A PNG whose size differs from its frame raises ``FormatError``.
        """
        if self.root is None:
            _, masks, annotated = self._generate(seq)
            return masks, annotated
        paths = self.frame_paths(seq)
        h, w = read_image(paths[0]).shape[:2]
        ids = np.zeros((len(paths), h, w), dtype=np.uint8)
        annotated = np.zeros(len(paths), dtype=bool)
        folder = self._masks_dir(seq)
        present = {p.stem: p for p in folder.glob("*.png")} if folder.is_dir() else {}
        for t, frame in enumerate(paths):
            png = present.get(frame.stem)
            if png is None:
                continue
            try:
                ids[t] = read_mask_png(png, expected_size=(h, w))
            except FormatError as err:
                raise with_context(
                    err, record=f"sequence {seq} frame {frame.stem}", field="Annotations"
                ) from None
            annotated[t] = True
        return ids, annotated


class DAVISDataset(AbstractDataset[DAVISSequences, DAVISSequences]):
    """DAVIS-layout folder as ``DAVISSequences`` (lazy); save writes frames, masks and ImageSets.

    Save writes per sequence: frames (copied byte for byte from a folder source, JPEG for in-memory
    ones), masks of annotated frames as DAVIS palette PNGs, and the ImageSets lists last. Every file
    is written atomically.
    """

    def __init__(
        self,
        *,
        root: str,
        resolution: str = "480p",
        year: str = "2016",
        split: str | None = None,
        jpeg_quality: int = 90,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        if not 1 <= int(jpeg_quality) <= 100:
            raise ValueError(f"jpeg_quality must be in 1..100, got {jpeg_quality}")
        self._root = Path(root)
        self._resolution = str(resolution)
        self._year = str(year)
        self._split = split
        self._jpeg_quality = int(jpeg_quality)
        self.metadata = metadata

    def _describe(self) -> dict[str, Any]:
        return {
            "root": str(self._root),
            "resolution": self._resolution,
            "year": self._year,
            "split": self._split,
            "jpeg_quality": self._jpeg_quality,
        }

    def _exists(self) -> bool:
        return (self._root / "JPEGImages" / self._resolution).is_dir()

    def _load(self) -> DAVISSequences:
        with kedro_passthrough():
            folder = self._root / "JPEGImages" / self._resolution
            if not folder.is_dir():
                raise FormatError("DAVIS frames folder not found", source=folder)
            seqs = DAVISSequences(
                root=self._root, resolution=self._resolution, year=self._year, split=self._split
            )
            if self._split is not None:
                seqs.names()  # a missing ImageSets list fails now, naming the file
            return seqs

    def _save(self, data: DAVISSequences) -> None:
        with kedro_passthrough():
            if not isinstance(data, DAVISSequences):
                raise ValueError(f"DAVISDataset saves DAVISSequences, got {type(data).__name__}")
            names = data.names()
            in_place = (
                data.root is not None
                and data.root.resolve() == self._root.resolve()
                and data.resolution == self._resolution
            )
            if not in_place:
                for seq in tqdm(names, desc=f"DAVIS -> {self._root}", unit="seq"):
                    self._save_sequence(data, seq)
            # Lists name only the sequences written here (a split's subset must not list absent
            # sequences); a source without lists gets one for its split, or "all".
            kept = set(names)
            imagesets = {
                split: [n for n in members if n in kept]
                for split, members in data.imagesets.items()
            }
            imagesets = {k: v for k, v in imagesets.items() if v} or {self._split or "all": names}
            for split, members in imagesets.items():
                text = "".join(f"{name}\n" for name in members)
                atomic_write_bytes(
                    self._root / "ImageSets" / self._year / f"{split}.txt", text.encode()
                )
            logger.info("Saved %d DAVIS sequences to %s", len(names), self._root)

    def _save_sequence(self, data: DAVISSequences, seq: str) -> None:
        frames_dir = self._root / "JPEGImages" / self._resolution / seq
        masks_dir = self._root / "Annotations" / self._resolution / seq
        if data.root is not None:
            names = []
            for src in data.frame_paths(seq):
                atomic_write_bytes(frames_dir / src.name, src.read_bytes())
                names.append(src.stem)
            ids, annotated = data.load_masks(seq)
        else:
            # Generate once: frames, masks and annotated flags come from one call.
            frames, ids, annotated = data._generate(seq)
            names = [f"{t:05d}" for t in range(len(frames))]
            for name, frame in zip(names, frames, strict=True):
                write_image(frames_dir / f"{name}.jpg", frame, quality=self._jpeg_quality)
        for t in np.flatnonzero(annotated):
            write_mask_png(masks_dir / f"{names[t]}.png", ids[t])
