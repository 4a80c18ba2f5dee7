"""SynthVIS videos → the project's data layouts (YouTube-VIS, DAVIS-2016, ground-truth flow).

Videos are generated lazily and deterministically from ``(seed, split, index)``, so every layout can
re-generate exactly the frames it writes without holding the whole dataset in memory.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from vis_pipelines.datasets import DAVISSequences, FlowSequences, VideoSet
from vis_pipelines.formats.rle import encode_masks, rle_area, rle_bbox

from .generator import SPLITS, SynthConfig, SynthVideo, build_categories, generate_video, video_name

__all__ = ["SPLITS", "SynthVISSource", "frame_name", "build_ytvis", "davis_sequences", "gt_flow"]

logger = logging.getLogger(__name__)


def frame_name(t: int) -> str:
    """File stem of frame ``t`` in every layout (DAVIS convention ``%05d``)."""
    return f"{t:05d}"


class SynthVISSource:
    """Cached, deterministic access to the generated videos of every split."""

    def __init__(self, cfg: SynthConfig, *, cache_size: int = 8) -> None:
        self.cfg = cfg
        self.categories = build_categories(cfg)
        self.counts = {split: cfg.split_size(split) for split in SPLITS}
        self._get = functools.lru_cache(maxsize=cache_size)(self._generate)
        # Video ids are unique across splits (train first), so any two splits can be merged.
        self.video_ids: dict[tuple[str, int], int] = {}
        next_id = 1
        for split in SPLITS:
            for index in range(self.counts[split]):
                self.video_ids[(split, index)] = next_id
                next_id += 1

    def _generate(self, split: str, index: int) -> SynthVideo:
        return generate_video(self.cfg, split, index, self.categories)

    def video(self, split: str, index: int) -> SynthVideo:
        """The ``index``-th video of ``split`` (generated once, then served from a small cache)."""
        return self._get(split, index)

    @staticmethod
    def name(split: str, index: int) -> str:
        """Video / sequence name used by every layout, e.g. ``train_0003`` (the generator's name)."""
        return video_name(split, index)

    def keys(self, splits: Sequence[str] = SPLITS) -> list[tuple[str, int]]:
        """``(split, index)`` of every video in ``splits``, in id order."""
        return [(s, i) for s in splits for i in range(self.counts[s])]


def _video_records(
    video: SynthVideo, name: str, video_id: int, first_ann_id: int
) -> tuple[dict, list[dict]]:
    t, h, w = video.instance_ids.shape
    record = {
        "id": video_id,
        "width": int(w),
        "height": int(h),
        "length": int(t),
        "file_names": [f"{name}/{frame_name(i)}.jpg" for i in range(t)],
    }
    anns = []
    for k, obj in enumerate(video.objects):
        rles = encode_masks(video.instance_ids == obj.track_id)
        # Absent frames are null, never zero masks.
        segs = [rles[i] if obj.visible[i] else None for i in range(t)]
        area_list = [None if r is None else float(rle_area(r)) for r in segs]
        boxes = [None if r is None else rle_bbox(r) for r in segs]
        anns.append(
            {
                "id": first_ann_id + k,
                "video_id": video_id,
                "category_id": int(obj.category_id),
                "iscrowd": 0,
                "segmentations": segs,
                "areas": area_list,
                "bboxes": boxes,
                "track_id": int(obj.track_id),
            }
        )
    return record, anns


def build_ytvis(
    source: SynthVISSource, split: str, *, info: Mapping[str, Any] | None = None
) -> VideoSet:
    """The YouTube-VIS dataset of one split; frames are re-generated on demand when written."""
    videos, annotations = [], []
    by_name: dict[str, tuple[str, int]] = {}
    next_ann = 1  # annotation ids restart per split file, as in the official YouTube-VIS files
    for key in tqdm(source.keys([split]), desc=f"synthvis {split} annotations", leave=False):
        video = source.video(*key)
        name = source.name(*key)
        record, anns = _video_records(video, name, source.video_ids[key], next_ann)
        next_ann += len(anns)
        videos.append(record)
        annotations.extend(anns)
        by_name[name] = key
    data = {
        "info": {"description": f"SynthVIS {split}", **(info or {})},
        "videos": videos,
        "categories": source.categories,
        "annotations": annotations,
    }

    def frames_of(video: dict) -> np.ndarray:
        return source.video(*by_name[video["file_names"][0].split("/")[0]]).frames

    return VideoSet(data, frame_source=frames_of, name=f"synthvis_{split}")


def davis_sequences(source: SynthVISSource, imagesets: Mapping[str, str]) -> DAVISSequences:
    """DAVIS-2016 layout: binary foreground = moving objects; ``imagesets`` maps set name → split."""
    sequences: dict[str, Callable[[], tuple[np.ndarray, np.ndarray]]] = {}
    names: dict[str, list[str]] = {}
    for set_name, split in imagesets.items():
        if split not in SPLITS:
            raise ValueError(
                f"davis_imagesets.{set_name}: unknown split {split!r} (expected one of {SPLITS})"
            )
        names[set_name] = []
        for key in source.keys([split]):
            name = source.name(*key)

            def load(key: tuple[str, int] = key) -> tuple[np.ndarray, np.ndarray]:
                video = source.video(*key)
                return video.frames, video.moving.astype(np.uint8)

            sequences[name] = load
            names[set_name].append(name)
    return DAVISSequences(sequences=sequences, imagesets=names, year="2016")


def gt_flow(source: SynthVISSource, splits: Sequence[str] = SPLITS) -> FlowSequences:
    """Analytic forward flow t → t+1 (with occlusion masks) for every video of ``splits``."""
    flows: dict[str, Callable[[], tuple[list[str], np.ndarray, np.ndarray]]] = {}
    for key in source.keys(splits):

        def load(key: tuple[str, int] = key) -> tuple[list[str], np.ndarray, np.ndarray]:
            video = source.video(*key)
            return [frame_name(i) for i in range(video.flow.shape[0])], video.flow, video.occluded

        flows[source.name(*key)] = load
    return FlowSequences(flows=flows)
