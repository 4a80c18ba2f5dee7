"""Frames of DAVIS- and YouTube-VIS-layout datasets as named sequences; sequence selection."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from flow_helpers import translated_video

from vis_pipelines.datasets import DAVISDataset, VideoSet
from vis_pipelines.datasets.flow_store import FlowStoreDataset
from vis_pipelines.flow import (
    OpticalFlowParams,
    SequenceSelection,
    VideoFrames,
    as_frame_sequences,
    build_plan,
    select_sequences,
)
from vis_pipelines.formats import FormatError, write_image


def _ytvis(videos: dict[str, np.ndarray]) -> dict:
    records = []
    for i, (name, frames) in enumerate(videos.items(), start=1):
        t, h, w = frames.shape[:3]
        names = [f"{name}/{k * 5:05d}.jpg" for k in range(t)]
        records.append({"id": i, "width": w, "height": h, "length": t, "file_names": names})
    return {"videos": records, "annotations": None, "categories": [{"id": 1, "name": "thing"}]}


def test_video_set_sequences(tmp_path: Path) -> None:
    videos = {"v1": translated_video(3, 32, 40, 1, 0), "v2": translated_video(2, 32, 40, 0, 1)}
    for name, frames in videos.items():
        for k, frame in enumerate(frames):
            write_image(tmp_path / name / f"{k * 5:05d}.png", frame)
    data = _ytvis(videos)
    for v in data["videos"]:
        v["file_names"] = [n.replace(".jpg", ".png") for n in v["file_names"]]
    source = as_frame_sequences(VideoSet(data, frames_root=tmp_path))
    assert isinstance(source, VideoFrames)
    assert source.names() == ["v1", "v2"]
    assert source.frame_names("v1") == ["00000", "00005", "00010"]
    np.testing.assert_array_equal(source.load_frames("v2"), videos["v2"])
    with pytest.raises(ValueError, match="one split"):
        source.names("val")
    with pytest.raises(FormatError, match="unknown sequence"):
        source.load_frames("v3")
    # Flow files are named after the frames: v1/00000.flo, v1/00005.flo.
    plan = build_plan(source.videos, OpticalFlowParams(methods=["dis_ultrafast"]))
    FlowStoreDataset(path=str(tmp_path / "flow")).save(plan)
    assert sorted(p.name for p in (tmp_path / "flow/dis_ultrafast_gap1/v1").glob("*.flo")) == [
        "00000.flo",
        "00005.flo",
    ]
    # A corrupt frame is named with its video.
    (tmp_path / "v2/00005.png").write_bytes(b"broken")
    with pytest.raises(FormatError, match=r"v2/00005\.png.*video 2 frame 1"):
        plan.load("v2")


def test_duplicate_frame_folders_are_refused() -> None:
    frames = translated_video(2, 16, 16, 0, 0)
    data = _ytvis({"v": frames, "w": frames})
    data["videos"][1]["file_names"] = data["videos"][0]["file_names"]
    with pytest.raises(FormatError, match="two videos use the frame folder 'v'"):
        VideoFrames(VideoSet(data, frame_source=lambda v: frames))
    with pytest.raises(ValueError, match="DAVISSequences or VideoSet"):
        as_frame_sequences({"not": "frames"})


def test_selection(tiny_davis: Path) -> None:
    davis = DAVISDataset(root=str(tiny_davis)).load()
    assert select_sequences(davis, SequenceSelection()) == ["a", "b", "c"]
    assert select_sequences(davis, SequenceSelection(split="val")) == ["a", "b"]
    assert select_sequences(davis, SequenceSelection(names=["c", "a"])) == ["c", "a"]
    assert select_sequences(davis, SequenceSelection(limit=2)) == ["a", "b"]
    shards = [
        select_sequences(davis, SequenceSelection(shard_index=i, shard_count=2)) for i in range(2)
    ]
    assert shards == [["a", "c"], ["b"]]
    with pytest.raises(ValueError, match=r"\['c'\] not in split 'val'"):
        select_sequences(davis, SequenceSelection(split="val", names=["c"]))
    with pytest.raises(FormatError, match="no ImageSets list for split 'test'"):
        select_sequences(davis, SequenceSelection(split="test"))
