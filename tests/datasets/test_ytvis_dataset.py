"""YTVISDataset on YouTube-VIS 2019, OVIS and LV-VIS layouts: load, save, catalog, errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from datasets_layouts import GT_MASKS, LVVIS_CATEGORIES, VIDEO_NAMES, H, T, W, read_rgb, rgb_frames
from kedro.io import DataCatalog, DatasetError

from vis_pipelines.datasets import DatasetFormatError, VideoSet, YTVISDataset
from vis_pipelines.formats import FormatError

TYPE = "vis_pipelines.datasets.YTVISDataset"


def _gt(video_id: int, instance: int) -> np.ndarray:
    return np.stack(
        [np.zeros((H, W), np.uint8) if m is None else m for m in GT_MASKS[video_id][instance]]
    )


def _load(json_path: Path, frames: Path, **kw) -> VideoSet:
    return YTVISDataset(json_path=str(json_path), frames_dir=str(frames), **kw).load()


def _assert_masks_match_truth(vs: VideoSet) -> None:
    for vid, instances in GT_MASKS.items():
        masks, anns = vs.instance_masks(vid)
        assert len(anns) == len(instances)
        for k in range(len(instances)):
            np.testing.assert_array_equal(masks[k], _gt(vid, k))


def test_load_ytvis19_train_and_unlabeled_valid(ytvis19) -> None:
    train = _load(ytvis19["train_json"], ytvis19["train_frames"])
    assert train.name == "train" and train.labeled and len(train) == 2
    _assert_masks_match_truth(train)
    path = ytvis19["train_frames"] / VIDEO_NAMES[1] / "00010.jpg"
    np.testing.assert_array_equal(train.load_frames(1, [2])[0], read_rgb(path))

    valid = _load(ytvis19["valid_json"], ytvis19["valid_frames"])
    assert not valid.labeled and valid.annotations == [] and valid.data["annotations"] is None
    assert valid.annotations_for(2) == []
    assert valid.load_frames(2).shape == (T, H, W, 3)


def test_load_ovis_layout_with_list_counts(ovis) -> None:
    vs = _load(ovis["json"], ovis["frames"])
    assert vs.frame_paths(2)[0] == ovis["frames"] / VIDEO_NAMES[2] / "img_0000001.jpg"
    assert all(
        isinstance(s["counts"], str)
        for a in vs.annotations
        for s in a["segmentations"]
        if s is not None
    )
    _assert_masks_match_truth(vs)
    np.testing.assert_array_equal(vs.load_frames(1, [0])[0], read_rgb(vs.frame_paths(1)[0]))


def test_load_lvvis_keeps_partition(lvvis, tmp_path: Path) -> None:
    vs = _load(lvvis["json"], lvvis["frames"])
    assert vs.categories == LVVIS_CATEGORIES
    out = tmp_path / "copy"
    YTVISDataset(json_path=str(out / "train.json"), frames_dir=str(out / "JPEGImages")).save(vs)
    again = json.loads((out / "train.json").read_text())
    assert again["categories"] == LVVIS_CATEGORIES


def test_save_copies_frames_and_round_trips_json(ytvis19, tmp_path: Path) -> None:
    src = _load(ytvis19["train_json"], ytvis19["train_frames"])
    out = tmp_path / "out"
    ds = YTVISDataset(json_path=str(out / "train.json"), frames_dir=str(out / "frames"))
    assert not ds.exists()
    ds.save(src)
    assert ds.exists()
    for vid in src.video_ids:  # byte-for-byte copies, no JPEG re-encoding
        for a, b in zip(src.frame_paths(vid), ds.load().frame_paths(vid), strict=True):
            assert a.read_bytes() == b.read_bytes()
    back = ds.load()
    assert back.data == src.data
    assert not list(out.rglob("*.tmp"))


def test_save_generated_frames_round_trip(tmp_path: Path) -> None:
    frames = {7: rgb_frames(1), 8: rgb_frames(2)}
    data = {
        "videos": [
            {
                "id": v,
                "width": W,
                "height": H,
                "length": T,
                "file_names": [f"s{v}/{t:05d}.png" for t in range(T)],
            }
            for v in frames
        ],
        "annotations": [],
        "categories": [{"id": 1, "name": "blob"}],
    }
    synth = VideoSet(data, frame_source=lambda video: frames[video["id"]], name="synthvis")
    ds = YTVISDataset(
        json_path=str(tmp_path / "synth.json"), frames_dir=str(tmp_path / "JPEGImages")
    )
    ds.save(synth)
    back = ds.load()
    for vid, expected in frames.items():  # PNG names -> lossless, exact equality
        np.testing.assert_array_equal(back.load_frames(vid), expected)
    assert back.data == synth.data


def test_save_jpeg_frames_use_quality(tmp_path: Path) -> None:
    import cv2

    frame = rgb_frames(4)
    data = {
        "videos": [
            {
                "id": 1,
                "width": W,
                "height": H,
                "length": T,
                "file_names": [f"a/{t}.jpg" for t in range(T)],
            }
        ],
        "annotations": None,
    }
    vs = VideoSet(data, frame_source=lambda v: frame)
    YTVISDataset(
        json_path=str(tmp_path / "v.json"), frames_dir=str(tmp_path / "f"), jpeg_quality=75
    ).save(vs)
    ok, ref = cv2.imencode(
        ".jpg", cv2.cvtColor(frame[1], cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 75]
    )
    assert (tmp_path / "f" / "a" / "1.jpg").read_bytes() == ref.tobytes()


def test_json_only_save_and_in_place_frames(ytvis19, tmp_path: Path) -> None:
    src = _load(ytvis19["train_json"], ytvis19["train_frames"])
    scribbles = src.with_data({**src.data, "annotations": []})
    only_json = tmp_path / "scribbles.json"
    YTVISDataset(
        json_path=str(only_json),
        frames_dir=str(tmp_path / "never"),
        write_frames=False,
        check_frames=False,
    ).save(scribbles)
    assert only_json.is_file() and not (tmp_path / "never").exists()

    before = {p: p.stat().st_mtime_ns for p in ytvis19["train_frames"].rglob("*.jpg")}
    ds = YTVISDataset(json_path=str(tmp_path / "s2.json"), frames_dir=str(ytvis19["train_frames"]))
    ds.save(scribbles)  # frames already live in frames_dir: nothing rewritten
    assert {p: p.stat().st_mtime_ns for p in before} == before
    assert ds.load().annotations == []


def test_interrupted_save_leaves_no_json(tmp_path: Path) -> None:
    data = {
        "videos": [
            {
                "id": v,
                "width": W,
                "height": H,
                "length": T,
                "file_names": [f"{v}/{t}.png" for t in range(T)],
            }
            for v in (1, 2)
        ],
        "annotations": None,
    }

    def source(video):
        if video["id"] == 2:
            raise RuntimeError("generator crashed")
        return rgb_frames(0)

    json_path = tmp_path / "d.json"
    json_path.write_text("{}")  # a previous, complete save
    ds = YTVISDataset(json_path=str(json_path), frames_dir=str(tmp_path / "frames"))
    with pytest.raises(DatasetError, match="generator crashed"):
        ds.save(VideoSet(data, frame_source=source))
    assert not json_path.exists() and not ds.exists()
    assert (tmp_path / "frames" / "1" / "2.png").is_file()
    assert not list(tmp_path.rglob("*.tmp"))


def test_catalog_from_config(ytvis19, tmp_path: Path) -> None:
    catalog = DataCatalog.from_config(
        {
            "ytvis19_train": {
                "type": TYPE,
                "json_path": str(ytvis19["train_json"]),
                "frames_dir": str(ytvis19["train_frames"]),
            },
            "ytvis19_copy": {
                "type": TYPE,
                "json_path": str(tmp_path / "c" / "train.json"),
                "frames_dir": str(tmp_path / "c" / "JPEGImages"),
                "jpeg_quality": 80,
                "name": "ytvis19_copy",
                "metadata": {"kedro-viz": {"layer": "raw"}},
            },
        }
    )
    vs = catalog.load("ytvis19_train")
    assert isinstance(vs, VideoSet) and vs.video_ids == [1, 2] and vs.name == "train"
    assert not catalog.exists("ytvis19_copy")
    catalog.save("ytvis19_copy", vs.subset([2]))
    assert catalog.exists("ytvis19_copy")
    copy = catalog.load("ytvis19_copy")
    assert copy.video_ids == [2] and copy.name == "ytvis19_copy"
    np.testing.assert_array_equal(copy.load_frames(2), vs.load_frames(2))
    assert "frames_dir" in repr(catalog["ytvis19_copy"])


# ----------------------------------------------------------------------------- errors
def test_truncated_json(ytvis19) -> None:
    text = ytvis19["train_json"].read_text()
    ytvis19["train_json"].write_text(text[: len(text) // 2])
    with pytest.raises(FormatError) as err:
        _load(ytvis19["train_json"], ytvis19["train_frames"])
    assert isinstance(err.value, DatasetError)  # Kedro passes it on unwrapped
    assert "train.json" in str(err.value) and "truncated" in str(err.value)
    assert err.value.__cause__ is None


def test_missing_frame_reports_first(ytvis19) -> None:
    (ytvis19["train_frames"] / VIDEO_NAMES[2] / "00010.jpg").unlink()
    (ytvis19["train_frames"] / VIDEO_NAMES[1] / "00005.jpg").unlink()
    with pytest.raises(DatasetFormatError) as err:
        _load(ytvis19["train_json"], ytvis19["train_frames"])
    msg = str(err.value)
    assert "train.json" in msg and "video 1" in msg and "field 'file_names'" in msg
    assert f"{VIDEO_NAMES[1]}/00005.jpg" in msg and "frame 1 of video 1" in msg
    # check_frames=False defers the error to the frame read
    vs = _load(ytvis19["train_json"], ytvis19["train_frames"], check_frames=False)
    with pytest.raises(FormatError, match="00005.jpg"):
        vs.load_frames(1)


def test_missing_frames_dir(ytvis19, tmp_path: Path) -> None:
    with pytest.raises(FormatError, match=r"frame 0 of video 1 not found"):
        _load(ytvis19["train_json"], tmp_path / "nowhere")


def test_wrong_segmentation_count_and_size(ytvis19) -> None:
    data = json.loads(ytvis19["train_json"].read_text())
    data["annotations"][2]["segmentations"].append(None)
    ytvis19["train_json"].write_text(json.dumps(data))
    with pytest.raises(FormatError) as err:
        _load(ytvis19["train_json"], ytvis19["train_frames"])
    msg = str(err.value)
    assert "train.json" in msg and "annotations[2] (id 3)" in msg
    assert "field 'segmentations'" in msg and "expected 3 entries" in msg
    data["annotations"][2]["segmentations"].pop()
    data["annotations"][0]["segmentations"][0]["size"] = [H, W + 1]
    ytvis19["train_json"].write_text(json.dumps(data))
    with pytest.raises(FormatError, match="does not match the video size"):
        _load(ytvis19["train_json"], ytvis19["train_frames"])


def test_catalog_error_names_file_and_field(ytvis19) -> None:
    (ytvis19["train_frames"] / VIDEO_NAMES[2] / "00000.jpg").unlink()
    catalog = DataCatalog.from_config(
        {
            "t": {
                "type": TYPE,
                "json_path": str(ytvis19["train_json"]),
                "frames_dir": str(ytvis19["train_frames"]),
            }
        }
    )
    with pytest.raises(DatasetError) as err:
        catalog.load("t")
    assert "train.json" in str(err.value) and "file_names" in str(err.value)
    assert isinstance(err.value.__cause__, FormatError)


def test_bad_save_inputs(ytvis19, tmp_path: Path) -> None:
    ds = YTVISDataset(json_path=str(tmp_path / "x.json"), frames_dir=str(tmp_path / "f"))
    with pytest.raises(ValueError, match="saves a VideoSet"):
        ds.save({"videos": []})
    no_frames = VideoSet(
        {
            "videos": [{"id": 1, "width": 2, "height": 2, "file_names": ["a.jpg"]}],
            "annotations": None,
        }
    )
    with pytest.raises(ValueError, match="write_frames: false"):
        ds.save(no_frames)
    with pytest.raises(ValueError, match="jpeg_quality"):
        YTVISDataset(json_path="a.json", frames_dir="f", jpeg_quality=0)
    # copying from a source whose frame vanished names the source frame
    src = _load(ytvis19["train_json"], ytvis19["train_frames"])
    (ytvis19["train_frames"] / VIDEO_NAMES[2] / "00005.jpg").unlink()
    with pytest.raises(FormatError, match=r"00005.jpg, video 2 frame 1, field 'file_names'"):
        ds.save(src)
    assert not ds.exists()


def _first_video_only(videos: VideoSet) -> VideoSet:
    """A node: works on the in-memory object only."""
    return videos.subset(videos.video_ids[:1], name="first")


def test_pipeline_run_through_catalog(ytvis19, tmp_path: Path) -> None:
    from kedro.pipeline import Node, Pipeline
    from kedro.runner import SequentialRunner

    catalog = DataCatalog.from_config(
        {
            "raw": {
                "type": TYPE,
                "json_path": str(ytvis19["train_json"]),
                "frames_dir": str(ytvis19["train_frames"]),
            },
            "first": {
                "type": TYPE,
                "json_path": str(tmp_path / "first.json"),
                "frames_dir": str(tmp_path / "JPEGImages"),
            },
        }
    )
    # "mid" is a MemoryDataset: the VideoSet is deep-copied between the nodes
    pipe = Pipeline(
        [
            Node(func=_first_video_only, inputs="raw", outputs="mid", name="first_node"),
            Node(func=_first_video_only, inputs="mid", outputs="first", name="again_node"),
        ]
    )
    SequentialRunner().run(pipe, catalog)
    out = catalog.load("first")
    assert out.video_ids == [1]
    _, anns = out.instance_masks(1)
    assert len(anns) == 2
    assert sorted(p.name for p in (tmp_path / "JPEGImages" / VIDEO_NAMES[1]).iterdir()) == [
        "00000.jpg",
        "00005.jpg",
        "00010.jpg",
    ]
