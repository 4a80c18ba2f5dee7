"""Frames of any dataset layout as named sequences: what the flow methods read.

DAVIS-layout data (``DAVISSequences``: DAVIS, FBMS and SegTrackV2 converted, SynthVIS) already
speaks this interface; YouTube-VIS-layout data (``VideoSet``: YouTube-VIS, OVIS, LV-VIS, SynthVIS)
is wrapped by ``VideoFrames``, whose sequence names are the videos' frame folders.
"""

from __future__ import annotations

import hashlib
from pathlib import PurePosixPath
from typing import Protocol, runtime_checkable

import numpy as np

from vis_pipelines.datasets import DAVISSequences, VideoSet
from vis_pipelines.formats import FormatError

from .config import SequenceSelection

__all__ = [
    "FrameSequences",
    "VideoFrames",
    "as_frame_sequences",
    "select_sequences",
    "frames_fingerprint",
]


@runtime_checkable
class FrameSequences(Protocol):
    """Named sequences of RGB frames."""

    def names(self, split: str | None = None) -> list[str]:
        """Sequence names (of ``split`` when the data has named splits)."""
        ...

    def frame_names(self, seq: str) -> list[str]:
        """Frame names of a sequence, in order (flow files are named after them)."""
        ...

    def load_frames(self, seq: str) -> np.ndarray:
        """All frames of a sequence, uint8 ``[T, H, W, 3]`` RGB."""
        ...


class VideoFrames:
    """A ``VideoSet`` as ``FrameSequences``: one sequence per video, named after its frame folder
    (``file_names[0]``'s folder, e.g. ``0b5b5e8e5a``), frames named after their file stems."""

    def __init__(self, videos: VideoSet) -> None:
        self.videos = videos
        self._ids: dict[str, int] = {}
        for i, video in enumerate(videos.videos):
            first = PurePosixPath(video["file_names"][0]) if video["file_names"] else None
            name = first.parent.as_posix() if first and first.parent.as_posix() != "." else None
            name = name or str(video["id"])
            if name in self._ids:
                raise FormatError(
                    f"two videos use the frame folder {name!r} (ids {self._ids[name]} and "
                    f"{video['id']}); flow folders are named after it",
                    source=videos.source,
                    record=f"videos[{i}] (id {video['id']})",
                    field="file_names",
                )
            self._ids[name] = video["id"]

    def __repr__(self) -> str:
        return f"VideoFrames({self.videos!r})"

    def names(self, split: str | None = None) -> list[str]:
        """Sequence names in file order; a ``split`` is refused (choose the json instead)."""
        if split is not None:
            raise ValueError(
                f"split {split!r} asked for, but a YouTube-VIS-layout dataset is one split: "
                "point the catalog entry at that split's json and set sequences.split: null"
            )
        return list(self._ids)

    def _video(self, seq: str) -> dict:
        if seq not in self._ids:
            raise FormatError(
                f"unknown sequence {seq!r}", source=self.videos.source, record=f"sequence {seq}"
            )
        return self.videos.video(self._ids[seq])

    def frame_names(self, seq: str) -> list[str]:
        """Frame file stems of a video, in ``file_names`` order."""
        return [PurePosixPath(n).stem for n in self._video(seq)["file_names"]]

    def load_frames(self, seq: str) -> np.ndarray:
        """All frames of a video (a bad frame raises ``FormatError`` naming its file)."""
        return self.videos.load_frames(self._video(seq)["id"])


def as_frame_sequences(data: object) -> FrameSequences:
    """``DAVISSequences`` as they are, a ``VideoSet`` wrapped in ``VideoFrames``."""
    if isinstance(data, VideoSet):
        return VideoFrames(data)
    if isinstance(data, (DAVISSequences, VideoFrames)) or isinstance(data, FrameSequences):
        return data  # type: ignore[return-value]
    raise ValueError(
        f"optical flow reads DAVISSequences or VideoSet frames, got {type(data).__name__}"
    )


def select_sequences(frames: FrameSequences, selection: SequenceSelection) -> list[str]:
    """The sequences ``selection`` picks, in dataset order (explicit names in the given order)."""
    available = frames.names(selection.split) if selection.split else frames.names()
    if selection.names is not None:
        known = set(available)
        unknown = [n for n in selection.names if n not in known]
        if unknown:
            where = f"split {selection.split!r}" if selection.split else "the dataset"
            raise ValueError(
                f"sequences.names: {unknown[:5]} not in {where} ({len(available)} sequences)"
            )
        available = list(selection.names)
    if selection.limit is not None:
        available = available[: selection.limit]
    return available[selection.shard_index :: selection.shard_count]


def frames_fingerprint(frames: np.ndarray) -> str:
    """A 16-hex digest of a sequence's decoded frames (detects changed inputs under old names)."""
    digest = hashlib.blake2b(digest_size=8)
    digest.update(str(frames.shape).encode())
    digest.update(np.ascontiguousarray(frames).data)
    return digest.hexdigest()
