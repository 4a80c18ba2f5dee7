"""FBMS-59 (Ochs, Malik & Brox, TPAMI 2014) release layout: reader, converter to the DAVIS layout.

Release layout::

    <root>/Trainingset|Testset/<seq>/<seq>_<k>.jpg          frames (natural order of the names)
    <root>/Trainingset|Testset/<seq>/GroundTruth/<seq>Def.dat  ground-truth definition
    <root>/Trainingset|Testset/<seq>/GroundTruth/<seq>_<k>_gt.pgm|ppm  sparse label images

Ground truth is sparse (every ~20th frame). The definition file lists the regions by colour (grey
value for ``.pgm``, ``r*65536 + g*256 + b`` for ``.ppm``) and, per labelled frame, its 0-based
``Frame number``, label ``File name`` and ``Input file name``. A labelled frame is matched to the
frame whose name stem equals the input file's stem, else to the frame number. Without a definition
file the label images in ``GroundTruth/`` are matched to frames by stem (``_gt`` removed); a
``.ppm`` wins over a ``.pgm`` of the same stem (a ``.pgm`` beside a ``.ppm`` is a probability map).

FBMS labels regions, not "objects": the background is the region covering most pixels over the
labelled frames (``background="largest"``; pass a colour to override). The other regions become
object ids 1..K in definition order; colours missing from the definition (a known glitch of a few
release files) count as background, as in the official evaluation, with a warning. The binary
DAVIS-2016-style foreground is ``ids > 0``.

:func:`convert_fbms_to_davis` writes ``JPEGImages/480p/<seq>/%05d.jpg`` for every frame,
``Annotations/480p/<seq>/%05d.png`` (DAVIS palette, object ids) for labelled frames only, and
``ImageSets/2016/{train,val}.txt`` (Trainingset → train, Testset → val). Frames keep their original
resolution unless ``size=[h, w]`` is given (the ClusterNet paper evaluates FBMS and SegTrackV2 at
480x640); the ``480p`` folder name is the layout's, not a promise about the size.

The DAVIS-layout writer lives in :mod:`.davis_layout` (shared with :mod:`.segtrackv2` and
:mod:`.custom_video`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from tqdm import tqdm

from .davis_layout import (
    FRAME_SUFFIXES,
    check_size,
    match_frame,
    natural_key,
    update_image_set,
    write_davis_sequence,
)
from .errors import FormatError

__all__ = [
    "FbmsSequence",
    "parse_fbms_definition",
    "read_fbms_sequence",
    "list_fbms_sequences",
    "read_fbms_labels",
    "convert_fbms_to_davis",
]

logger = logging.getLogger(__name__)

_GT_SUFFIXES = (".ppm", ".pgm", ".png", ".bmp")  # preference order for one stem
_IMAGE_SETS = {"Trainingset": "train", "Testset": "val"}


# ---------------------------------------------------------------------------------------------
# FBMS reading


@dataclass(frozen=True)
class FbmsSequence:
    """One FBMS sequence: its frames, sparse label files and region colours."""

    name: str
    frames: tuple[Path, ...]
    gt_files: dict[int, Path]  # frame index → label image
    colors: tuple[int, ...]  # region colours; colors[0] need not be the background
    background: int  # colour of the background region
    definition: Path | None

    @property
    def object_colors(self) -> tuple[int, ...]:
        """Colours of the object regions, in id order (id = position + 1)."""
        return tuple(c for c in self.colors if c != self.background)


def _lines(path: Path) -> list[str]:
    try:
        text = path.read_text(errors="replace")
    except OSError as err:
        raise FormatError(f"cannot read ({err.strerror})", source=path) from None
    return [ln.strip() for ln in text.splitlines() if ln.strip()]


def parse_fbms_definition(path: str | Path) -> dict[str, Any]:
    """Parse a ``*Def.dat``: region colours, frame count and the labelled frames.

    Returns ``{"colors": [int], "num_frames": int | None, "labeled": [(frame_number, file_name,
    input_file_name | None)]}``.
    """
    path = Path(path)
    lines = _lines(path)

    def value_after(i: int, field: str) -> str:
        if i + 1 >= len(lines):
            raise FormatError("file ends before the value", source=path, field=field)
        return lines[i + 1]

    def int_after(i: int, field: str) -> int:
        text = value_after(i, field)
        try:
            return int(text)
        except ValueError:
            raise FormatError(
                f"expected an integer, got {text!r}", source=path, field=field
            ) from None

    colors: list[int] | None = None
    num_frames = None
    labeled: list[tuple[int, str, str | None]] = []
    i = 0
    while i < len(lines):
        low = lines[i].lower()
        if low.startswith("total number of regions"):
            n = int_after(i, "Total number of regions")
            raw = lines[i + 2 : i + 2 + n]
            try:
                colors = [int(c) for c in raw]
            except ValueError:
                raise FormatError(
                    f"expected {n} integer region colours, got {raw!r}",
                    source=path,
                    field="Total number of regions",
                ) from None
            if len(colors) != n:
                raise FormatError(
                    f"expected {n} region colours, got {len(colors)}",
                    source=path,
                    field="Total number of regions",
                )
            i += 2 + n
            continue
        if low.startswith("total number of frames"):
            num_frames = int_after(i, "Total number of frames")
        elif low.startswith("frame number"):
            number = int_after(i, "Frame number")
            if i + 2 >= len(lines) or not lines[i + 2].lower().startswith("file name"):
                raise FormatError(
                    f"'Frame number: {number}' is not followed by 'File name:'",
                    source=path,
                    field="File name",
                )
            file_name = value_after(i + 2, "File name")
            input_name = None
            if i + 4 < len(lines) and lines[i + 4].lower().startswith("input file name"):
                input_name = value_after(i + 4, "Input file name")
            labeled.append((number, file_name, input_name))
        i += 1
    if colors is None:
        raise FormatError(
            "no 'Total number of regions' section", source=path, field="Total number of regions"
        )
    if not labeled:
        raise FormatError(
            "no labelled frame ('Frame number:' entries)", source=path, field="Frame number"
        )
    return {"colors": colors, "num_frames": num_frames, "labeled": labeled}


def _color_codes(path: Path) -> np.ndarray:
    """Label image as int64 colour codes: grey value, or ``r*65536 + g*256 + b`` for colour."""
    if not path.is_file():
        raise FormatError("label image not found", source=path)
    try:
        with Image.open(path) as img:
            img.load()
            if img.mode == "P":
                img = img.convert("RGB")
            arr = np.array(img)
    except (OSError, SyntaxError) as err:
        raise FormatError(f"cannot decode label image ({err})", source=path) from None
    if arr.ndim == 2:
        return arr.astype(np.int64)
    rgb = arr[..., :3].astype(np.int64)
    return (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]


def _frame_files(folder: Path) -> list[Path]:
    files = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in FRAME_SUFFIXES]
    return sorted(files, key=lambda p: natural_key(p.name))


def read_fbms_sequence(seq_dir: str | Path, *, background: str | int = "largest") -> FbmsSequence:
    """Read one FBMS sequence folder (frames + ``GroundTruth/``)."""
    seq_dir = Path(seq_dir)
    if not seq_dir.is_dir():
        raise FormatError("sequence folder not found", source=seq_dir)
    frames = _frame_files(seq_dir)
    if not frames:
        raise FormatError("no frames (*.jpg|*.png|*.bmp|*.ppm)", source=seq_dir)
    stems = [p.stem for p in frames]
    gt_dir = seq_dir / "GroundTruth"
    if not gt_dir.is_dir():
        raise FormatError("no GroundTruth folder", source=seq_dir)
    defs = sorted(gt_dir.glob("*Def.dat")) or sorted(gt_dir.glob("*.dat"))
    gt_files: dict[int, Path] = {}
    colors: list[int]
    if defs:
        definition: Path | None = defs[0]
        parsed = parse_fbms_definition(definition)
        colors = parsed["colors"]
        for number, file_name, input_name in parsed["labeled"]:
            idx = match_frame(Path(input_name).stem, stems) if input_name else None
            if idx is None:
                if not 0 <= number < len(frames):
                    raise FormatError(
                        f"frame number {number} outside the {len(frames)} frames of {seq_dir.name}",
                        source=definition,
                        field="Frame number",
                    )
                idx = number
            gt_files[idx] = gt_dir / file_name
    else:
        definition = None
        by_stem: dict[str, Path] = {}
        for p in sorted(gt_dir.iterdir()):
            if p.suffix.lower() not in _GT_SUFFIXES:
                continue
            stem = re.sub(r"_gt$", "", p.stem)
            prev = by_stem.get(stem)
            if prev is None or _GT_SUFFIXES.index(p.suffix.lower()) < _GT_SUFFIXES.index(
                prev.suffix.lower()
            ):
                by_stem[stem] = p
        if not by_stem:
            raise FormatError("no label images (*.pgm|*.ppm|*.png) and no *Def.dat", source=gt_dir)
        for stem, p in by_stem.items():
            idx = match_frame(stem, stems)
            if idx is None:
                raise FormatError("no frame matches this label image's name", source=p)
            gt_files[idx] = p
        colors = sorted({int(c) for p in by_stem.values() for c in np.unique(_color_codes(p))})
    gt_files = dict(sorted(gt_files.items()))
    if background == "largest":
        totals: dict[int, int] = {}
        for p in gt_files.values():
            vals, counts = np.unique(_color_codes(p), return_counts=True)
            for v, c in zip(vals.tolist(), counts.tolist(), strict=True):
                totals[v] = totals.get(v, 0) + c
        known = {c: totals.get(c, 0) for c in colors}
        bg = max(known, key=lambda c: (known[c], -c))
    elif isinstance(background, int) and not isinstance(background, bool):
        if background not in colors:
            raise ValueError(
                f"background colour {background} is not a region colour of {seq_dir.name}: {colors}"
            )
        bg = background
    else:
        raise ValueError(f"background must be 'largest' or a colour code, got {background!r}")
    return FbmsSequence(
        name=seq_dir.name,
        frames=tuple(frames),
        gt_files=gt_files,
        colors=tuple(colors),
        background=bg,
        definition=definition,
    )


def list_fbms_sequences(
    root: str | Path, split: str = "Testset", *, background: str | int = "largest"
) -> list[FbmsSequence]:
    """All sequences of one FBMS split (``Trainingset`` or ``Testset``), in name order."""
    split_dir = Path(root) / split
    if not split_dir.is_dir():
        raise FormatError(
            f"no '{split}' folder (expected <root>/Trainingset|Testset/<seq>/)", source=root
        )
    dirs = sorted(
        (d for d in split_dir.iterdir() if d.is_dir() and not d.name.startswith(".")),
        key=lambda d: natural_key(d.name),
    )
    if not dirs:
        raise FormatError("no sequence folders", source=split_dir)
    return [read_fbms_sequence(d, background=background) for d in dirs]


def read_fbms_labels(
    seq: FbmsSequence, index: int, *, expected_size: tuple[int, int] | None = None
) -> np.ndarray:
    """Object ids ``(H, W)`` uint8 of a labelled frame: 0 background, 1..K the regions."""
    if index not in seq.gt_files:
        raise KeyError(f"{seq.name}: frame {index} has no ground truth")
    path = seq.gt_files[index]
    codes = _color_codes(path)
    if expected_size is not None and codes.shape != tuple(expected_size):
        raise FormatError(
            f"label image is {codes.shape[0]}x{codes.shape[1]}, expected "
            f"{expected_size[0]}x{expected_size[1]} (the size of its frame)",
            source=path,
        )
    objects = np.asarray(seq.object_colors, dtype=np.int64)
    if objects.size > 254:
        raise FormatError(f"{objects.size} regions do not fit in a uint8 palette PNG", source=path)
    ids = np.zeros(codes.shape, dtype=np.uint8)
    if objects.size:
        order = np.argsort(objects)
        pos = np.clip(np.searchsorted(objects[order], codes), 0, objects.size - 1)
        hit = objects[order][pos] == codes
        ids[hit] = (order[pos[hit]] + 1).astype(np.uint8)
    unknown = ~np.isin(codes, np.asarray(seq.colors, dtype=np.int64))
    if unknown.any():
        logger.warning(
            "%s: %d pixels have colours %s missing from the definition; counted as background",
            path,
            int(unknown.sum()),
            np.unique(codes[unknown])[:5].tolist(),
        )
    return ids


def convert_fbms_to_davis(
    root: str | Path,
    out_root: str | Path,
    *,
    split: str = "Testset",
    size: Sequence[int] | None = None,
    binary: bool = False,
    quality: int = 90,
    background: str | int = "largest",
    sequences: Iterable[str] | None = None,
) -> dict[str, Any]:
    """Convert one FBMS split into the DAVIS layout under ``out_root``; returns a summary."""
    check_size(size)
    seqs = list_fbms_sequences(root, split, background=background)
    if sequences is not None:
        wanted = set(sequences)
        missing = wanted - {s.name for s in seqs}
        if missing:
            raise ValueError(f"sequences not in FBMS {split}: {sorted(missing)}")
        seqs = [s for s in seqs if s.name in wanted]
    summary: dict[str, Any] = {}
    for seq in tqdm(seqs, desc=f"FBMS {split}"):
        summary[seq.name] = write_davis_sequence(
            out_root,
            seq.name,
            seq.frames,
            seq.gt_files,
            lambda t, hw, seq=seq: read_fbms_labels(seq, t, expected_size=hw),
            size=size,
            binary=binary,
            quality=quality,
        )
        summary[seq.name]["background_color"] = seq.background
    update_image_set(out_root, "2016", _IMAGE_SETS.get(split, split.lower()), summary)
    logger.info("FBMS %s: %d sequences written to %s", split, len(summary), out_root)
    return {"dataset": "fbms", "split": split, "sequences": summary}
