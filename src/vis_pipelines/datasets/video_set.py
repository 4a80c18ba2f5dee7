"""A YouTube-VIS-format dataset in memory: the validated json dict plus lazy frame and mask access.

``VideoSet`` is what model and node code receive instead of files. Frames come either from
``frames_root / file_name`` (real datasets) or from a ``frame_source`` callable (SynthVIS generates
them on demand); masks are decoded from the annotations' RLE only when asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from vis_pipelines.formats import (
    FormatError,
    annotations_of,
    decode_rle,
    is_labeled,
    read_image,
    validate_ytvis,
)

from .errors import with_context

__all__ = ["VideoSet", "FrameSource"]

FrameSource = Callable[[dict[str, Any]], np.ndarray]


class VideoSet:
    """A YouTube-VIS-format dataset in memory: the validated json dict + lazy frame access.

    Args:
        data: YouTube-VIS dict (``videos``, ``annotations`` or ``None``, ``categories``).
        frames_root: folder that ``file_names`` are relative to (e.g. ``.../train/JPEGImages``).
        frame_source: ``frame_source(video_dict) -> uint8 [T, H, W, 3]``; takes precedence over
            ``frames_root`` (frames held in memory or generated on the fly).
        name: short dataset name (for logs and subsets).
        validate: run ``formats.validate_ytvis`` on ``data`` (skip only for validated dicts).
        source: the file ``data`` came from; error messages name it (defaults to ``name``).
    """

    def __init__(
        self,
        data: dict[str, Any],
        *,
        frames_root: str | Path | None = None,
        frame_source: FrameSource | None = None,
        name: str = "",
        validate: bool = True,
        source: str | Path | None = None,
    ) -> None:
        self.name = name
        self.source = str(source) if source is not None else (name or "<memory>")
        self.data: dict[str, Any] = validate_ytvis(data, source=self.source) if validate else data
        self.frames_root: Path | None = Path(frames_root) if frames_root is not None else None
        self.frame_source = frame_source
        self._by_id: dict[int, dict[str, Any]] = {v["id"]: v for v in self.data["videos"]}
        self._anns: dict[int, list[dict[str, Any]]] = {vid: [] for vid in self._by_id}
        for ann in annotations_of(self.data):
            self._anns[ann["video_id"]].append(ann)

    # ------------------------------------------------------------------ json views
    @property
    def videos(self) -> list[dict[str, Any]]:
        """The ``videos`` records, in file order."""
        return self.data["videos"]

    @property
    def video_ids(self) -> list[int]:
        """Ids of the videos, in file order."""
        return list(self._by_id)

    @property
    def categories(self) -> list[dict[str, Any]]:
        """The ``categories`` records."""
        return self.data.get("categories") or []

    @property
    def annotations(self) -> list[dict[str, Any]]:
        """The ``annotations`` records; empty for an unlabeled (valid/test) set."""
        return annotations_of(self.data)

    @property
    def labeled(self) -> bool:
        """True if the json carries annotations (official valid/test files have ``null``)."""
        return is_labeled(self.data)

    def video(self, video_id: int) -> dict[str, Any]:
        """The video record with this id; an unknown id raises ``FormatError`` naming the file."""
        try:
            return self._by_id[video_id]
        except (KeyError, TypeError):
            raise FormatError(
                f"unknown video id {video_id!r} ({len(self._by_id)} videos)",
                source=self.source,
                record=f"video {video_id!r}",
                field="video_id",
            ) from None

    def annotations_for(self, video_id: int) -> list[dict[str, Any]]:
        """Annotations of one video, in file order (``[]`` for an unlabeled set)."""
        self.video(video_id)
        return self._anns[video_id]

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.videos)

    def __repr__(self) -> str:
        where = "frame_source" if self.frame_source is not None else str(self.frames_root)
        return (
            f"VideoSet(name={self.name!r}, videos={len(self)}, "
            f"annotations={len(self.annotations) if self.labeled else None}, frames={where})"
        )

    # ------------------------------------------------------------------ frames
    def _indices(self, video: dict[str, Any], indices: Sequence[int] | None) -> np.ndarray:
        length = video["length"]
        if indices is None:
            return np.arange(length)
        idx = np.asarray(indices)
        if idx.ndim != 1 or (idx.size and not np.issubdtype(idx.dtype, np.integer)):
            raise ValueError(
                f"video {video['id']}: frame indices must be a 1-D integer sequence, "
                f"got {indices!r}"
            )
        bad = idx[(idx < 0) | (idx >= length)]
        if bad.size:
            raise ValueError(
                f"video {video['id']}: frame index {int(bad[0])} out of range "
                f"(video has {length} frames)"
            )
        return idx.astype(np.int64)

    def frame_paths(self, video_id: int) -> list[Path]:
        """Paths of the video's frames under ``frames_root``."""
        video = self.video(video_id)
        if self.frames_root is None:
            raise ValueError(
                f"VideoSet {self.name!r} has no frames_root (frames come from frame_source)"
            )
        return [self.frames_root / name for name in video["file_names"]]

    def load_frames(self, video_id: int, indices: Sequence[int] | None = None) -> np.ndarray:
        """Frames ``indices`` (all by default) of a video as uint8 ``[T, H, W, 3]`` RGB.

        Only the requested frames are read. A missing, corrupt or wrong-size frame raises
        ``FormatError`` naming the frame file and the video.
        """
        video = self.video(video_id)
        idx = self._indices(video, indices)
        h, w = video["height"], video["width"]
        if self.frame_source is not None:
            return self._generated_frames(video, idx)
        paths = self.frame_paths(video_id)
        out = np.empty((len(idx), h, w, 3), dtype=np.uint8)
        for k, t in enumerate(idx):
            try:
                out[k] = read_image(paths[t], expected_size=(h, w))
            except FormatError as err:
                raise with_context(
                    err, record=f"video {video_id} frame {t}", field="file_names"
                ) from None
        return out

    def _generated_frames(self, video: dict[str, Any], idx: np.ndarray) -> np.ndarray:
        frames = np.asarray(self.frame_source(video))  # type: ignore[misc]
        expected = (video["length"], video["height"], video["width"], 3)
        if frames.dtype != np.uint8 or frames.shape != expected:
            raise FormatError(
                f"frame_source returned {frames.dtype} {frames.shape}, expected uint8 {expected}",
                source=self.source,
                record=f"video {video['id']}",
                field="file_names",
            )
        if len(idx) == len(frames) and np.array_equal(idx, np.arange(len(frames))):
            return frames
        return frames[idx]

    # ------------------------------------------------------------------ masks
    def masks(self, annotation: dict[str, Any], indices: Sequence[int] | None = None) -> np.ndarray:
        """One annotation's masks as uint8 ``[T, H, W]`` of 0/1; zeros where the RLE is ``null``."""
        video = self.video(annotation["video_id"])
        idx = self._indices(video, indices)
        segs = annotation["segmentations"]
        out = np.zeros((len(idx), video["height"], video["width"]), dtype=np.uint8)
        for k, t in enumerate(idx):
            if segs[t] is not None:
                out[k] = decode_rle(segs[t])
        return out

    def instance_masks(
        self, video_id: int, indices: Sequence[int] | None = None
    ) -> tuple[np.ndarray, list[dict[str, Any]]]:
        """All masks of a video as uint8 ``[N, T, H, W]`` (a row per annotation) and their records.

        Every annotation of the video is included (also scribble background annotations whose
        ``category_id`` is ``null``).
        """
        video = self.video(video_id)
        idx = self._indices(video, indices)
        anns = self.annotations_for(video_id)
        out = np.zeros((len(anns), len(idx), video["height"], video["width"]), dtype=np.uint8)
        # One pycocotools decode per RLE straight into its slot: measured faster than one batched
        # decode of all RLEs (which also needs a second full-size buffer, doubling peak memory).
        for n, ann in enumerate(anns):
            segs = ann["segmentations"]
            for k, t in enumerate(idx):
                if segs[t] is not None:
                    out[n, k] = decode_rle(segs[t])
        return out, anns

    # ------------------------------------------------------------------ derived sets
    def subset(self, video_ids: Iterable[int], name: str = "") -> VideoSet:
        """The videos with these ids (kept in file order) and their annotations, same frames."""
        wanted = {self.video(v)["id"] for v in video_ids}
        data = {**self.data, "videos": [v for v in self.videos if v["id"] in wanted]}
        if self.labeled:
            data["annotations"] = [a for a in self.annotations if a["video_id"] in wanted]
        return VideoSet(
            data,
            frames_root=self.frames_root,
            frame_source=self.frame_source,
            name=name or self.name,
            validate=False,
            source=self.source,
        )

    def with_data(self, data: dict[str, Any]) -> VideoSet:
        """Same frames, new json (e.g. scribble annotations); its videos must be in this set."""
        source = f"{self.name or 'VideoSet'}.with_data"
        data = validate_ytvis(data, source=source)
        for i, video in enumerate(data["videos"]):
            record = f"videos[{i}] (id {video['id']})"
            mine = self._by_id.get(video["id"])
            if mine is None:
                raise FormatError(
                    f"video id {video['id']} is not in {self.source}",
                    source=source,
                    record=record,
                    field="id",
                )
            for key in ("width", "height", "file_names"):
                if video[key] != mine[key]:
                    raise FormatError(
                        f"differs from video {video['id']} of {self.source}; "
                        "with_data keeps the frames, so the videos must match",
                        source=source,
                        record=record,
                        field=key,
                    )
        return VideoSet(
            data,
            frames_root=self.frames_root,
            frame_source=self.frame_source,
            name=self.name,
            validate=False,
            source=self.source,
        )
