"""Kedro dataset for YouTube-VIS-layout data: a json file plus a folder of frames.

One class serves YouTube-VIS 2019/2021 (``frames_dir: .../train/JPEGImages``), OVIS
(``frames_dir: .../train``, no ``JPEGImages`` level), LV-VIS, BURST-converted data and SynthVIS:
the json's ``file_names`` are taken relative to ``frames_dir``.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset
from tqdm.auto import tqdm

from vis_pipelines.formats import (
    FormatError,
    atomic_write_bytes,
    load_ytvis_json,
    save_ytvis_json,
    write_image,
)

from .errors import kedro_passthrough
from .video_set import VideoSet

__all__ = ["YTVISDataset", "first_missing_frame"]

logger = logging.getLogger(__name__)


def first_missing_frame(data: dict[str, Any], frames_dir: Path) -> tuple[int, int, Path] | None:
    """``(video_id, frame_index, path)`` of the first ``file_names`` entry not in ``frames_dir``.

    Lists each frame folder once instead of one ``stat`` per frame, which matters on network file
    systems holding ~100k frames (YouTube-VIS train).
    """
    root = os.fspath(frames_dir)
    listings: dict[str, set[str]] = {}
    for video in data["videos"]:
        for t, name in enumerate(video["file_names"]):
            # String splitting, not Path objects: this loop runs once per frame of the dataset.
            folder, _, base = name.rpartition("/")
            entries = listings.get(folder)
            if entries is None:
                try:
                    entries = set(os.listdir(os.path.join(root, folder)))
                except (FileNotFoundError, NotADirectoryError):
                    entries = set()
                listings[folder] = entries
            if base not in entries:
                return video["id"], t, frames_dir / name
    return None


class YTVISDataset(AbstractDataset[VideoSet, VideoSet]):
    """YouTube-VIS json + frames folder, loaded lazily as a ``VideoSet``.

    ``name`` names the loaded ``VideoSet`` (default: the json file's stem, e.g. ``train``).
    Load reads the json and (``check_frames``) lists the frame folders; frames are read on demand.
    Save writes the frames video by video (``write_frames``; skipped when the frames already live in
    ``frames_dir``), then the json last and atomically: a present json means a complete dataset.

    Example catalog entry::

        ytvis19_train:
          type: vis_pipelines.datasets.YTVISDataset
          json_path: data/01_raw/ytvis19/train.json
          frames_dir: data/01_raw/ytvis19/train/JPEGImages
    """

    def __init__(
        self,
        *,
        json_path: str,
        frames_dir: str,
        write_frames: bool = True,
        check_frames: bool = True,
        jpeg_quality: int = 90,
        name: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        if not 1 <= int(jpeg_quality) <= 100:
            raise ValueError(f"jpeg_quality must be in 1..100, got {jpeg_quality}")
        self._json_path = Path(json_path)
        self._frames_dir = Path(frames_dir)
        self._write_frames = bool(write_frames)
        self._check_frames = bool(check_frames)
        self._jpeg_quality = int(jpeg_quality)
        # Kedro does not tell a dataset its catalog name, so the VideoSet's name is configurable.
        self._name = name if name is not None else self._json_path.stem
        self.metadata = metadata

    def _describe(self) -> dict[str, Any]:
        return {
            "json_path": str(self._json_path),
            "frames_dir": str(self._frames_dir),
            "write_frames": self._write_frames,
            "check_frames": self._check_frames,
            "jpeg_quality": self._jpeg_quality,
            "name": self._name,
        }

    def _exists(self) -> bool:
        return self._json_path.is_file()

    def _load(self) -> VideoSet:
        with kedro_passthrough():
            data = load_ytvis_json(self._json_path)
            if self._check_frames:
                missing = first_missing_frame(data, self._frames_dir)
                if missing is not None:
                    vid, t, path = missing
                    raise FormatError(
                        f"frame {t} of video {vid} not found: {path}",
                        source=self._json_path,
                        record=f"video {vid}",
                        field="file_names",
                    )
            return VideoSet(
                data,
                frames_root=self._frames_dir,
                name=self._name,
                validate=False,
                source=self._json_path,
            )

    def _save(self, data: VideoSet) -> None:
        with kedro_passthrough():
            if not isinstance(data, VideoSet):
                raise ValueError(f"YTVISDataset saves a VideoSet, got {type(data).__name__}")
            if self._write_frames and not self._frames_in_place(data):
                # The json marks a complete dataset; drop a previous one before frames change.
                self._json_path.unlink(missing_ok=True)
                self._save_frames(data)
            save_ytvis_json(data.data, self._json_path, validate=False)
            logger.info("Saved %d videos to %s", len(data), self._json_path)

    def _frames_in_place(self, data: VideoSet) -> bool:
        return (
            data.frame_source is None
            and data.frames_root is not None
            and data.frames_root.resolve() == self._frames_dir.resolve()
        )

    def _save_frames(self, data: VideoSet) -> None:
        if data.frame_source is None and data.frames_root is None:
            raise ValueError(
                "the VideoSet has neither frame_source nor frames_root; set "
                "write_frames: false to save only the json"
            )
        # Stream video by video so memory stays bounded by one video's frames.
        for video in tqdm(data.videos, desc=f"frames -> {self._frames_dir}", unit="video"):
            targets = [self._frames_dir / name for name in video["file_names"]]
            if data.frame_source is not None:
                frames = data.load_frames(video["id"])
                for frame, target in zip(frames, targets, strict=True):
                    write_image(target, frame, quality=self._jpeg_quality)
                continue
            for t, (src, target) in enumerate(
                zip(data.frame_paths(video["id"]), targets, strict=True)
            ):
                try:
                    payload = src.read_bytes()
                except (FileNotFoundError, IsADirectoryError):
                    raise FormatError(
                        "frame not found",
                        source=src,
                        record=f"video {video['id']} frame {t}",
                        field="file_names",
                    ) from None
                atomic_write_bytes(target, payload)
