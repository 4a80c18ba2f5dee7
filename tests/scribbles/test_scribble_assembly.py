"""Parts (keys, fingerprints, assembly), statistics, invariant checks, previews, config."""

from __future__ import annotations

import numpy as np
import pytest
from scribble_shapes import toy_video

from vis_pipelines.formats import FormatError, decode_rle, encode_mask
from vis_pipelines.scribbles import (
    PreviewConfig,
    ScribbleConfig,
    assemble_scribbles,
    input_hash,
    load_current_parts,
    make_part,
    markdown_report,
    part_is_current,
    preview_video_indices,
    render_preview,
    scribble_params_hash,
    scribble_video,
    stats_table,
    summarise,
    video_keys,
)
from vis_pipelines.scribbles.checks import check_scribbles


def _dataset() -> tuple[dict, dict]:
    video, anns, _ = toy_video()
    data = {
        "videos": [video],
        "annotations": anns,
        "categories": [{"id": i, "name": f"c{i}"} for i in (1, 2, 3)],
    }
    cfg = ScribbleConfig()
    part = make_part(scribble_video(video, anns, cfg), key="v7", params="p", source="s")
    return data, part


def test_video_keys_are_folder_names_made_unique() -> None:
    videos = [
        {"id": 1, "file_names": ["abc/0.jpg"]},
        {"id": 2, "file_names": ["dup/0.jpg"]},
        {"id": 3, "file_names": ["dup/0.jpg"]},
        {"id": 4, "file_names": ["0.jpg"]},
        {"id": 5, "file_names": ["we ird/na:me/0.jpg"]},
    ]
    assert video_keys(videos) == {
        1: "abc",
        2: "dup__2",
        3: "dup__3",
        4: "video_4",
        5: "we_ird_na_me",
    }


def test_fingerprints() -> None:
    video, anns, _ = toy_video()
    h = input_hash(video, anns)
    assert len(h) == 12 and h == input_hash(video, [dict(a) for a in anns])
    anns[0]["segmentations"][0] = encode_mask(np.ones((60, 80), np.uint8))
    assert input_hash(video, anns) != h
    assert scribble_params_hash(ScribbleConfig()) == scribble_params_hash(ScribbleConfig())
    assert scribble_params_hash(ScribbleConfig(seed=1)) != scribble_params_hash(ScribbleConfig())
    _, part = _dataset()
    assert part_is_current(part, params="p", source="s")
    assert not part_is_current(part, params="q", source="s")
    assert not part_is_current(part, params="p", source="t")
    assert not part_is_current({"params_hash": "p"}, params="p", source="s")
    assert not part_is_current(None, params="p", source="s")


def test_assembly_keeps_ids_and_numbers_backgrounds() -> None:
    data, part = _dataset()
    out, rows = assemble_scribbles(data, {7: part}, info={"params_hash": "p"}, source="x.json")
    ids = [a["id"] for a in out["annotations"]]
    assert ids == [11, 12, 14]  # background after the largest source id (13)
    assert out["info"]["scribbles"] == {"params_hash": "p"}
    assert out["videos"] == data["videos"] and out["categories"] == data["categories"]
    assert [r["annotation_id"] for r in rows] == [11, 12, 13, 14]
    with pytest.raises(FormatError, match="no scribble part") as err:
        assemble_scribbles(data, {}, info={}, source="x.json")
    assert "video 7" in str(err.value)
    loaders = {"v7": lambda: part}
    assert load_current_parts(loaders, {7: "v7"}, params="p", hashes={7: "s"})[7] is part
    with pytest.raises(FormatError, match="stale"):
        load_current_parts(loaders, {7: "v7"}, params="other", hashes={7: "s"})
    with pytest.raises(FormatError, match="missing"):
        load_current_parts({}, {7: "v7"}, params="p", hashes={7: "s"})


def test_stats_table_summary_and_report() -> None:
    data, part = _dataset()
    out, rows = assemble_scribbles(data, {7: part}, info={})
    table = stats_table(
        rows, video_names={7: "v7"}, category_names={1: "bar", 2: "disc", 3: "ghost"}
    )
    assert list(table["category"]) == ["bar", "disc", "ghost", "background"]
    bar = table.iloc[0]
    assert bar["coverage_pct"] == pytest.approx(100 * bar["scribble_pixels"] / bar["mask_pixels"])
    summary = summarise(table, videos=1, selected_frames=4)
    obj = table[table["kind"] == "object"]
    assert summary["objects"] == 3 and summary["visible_objects"] == 2
    assert summary["object_frames"] == 7
    assert summary["coverage_pct"] == pytest.approx(
        100 * obj["scribble_pixels"].sum() / obj["mask_pixels"].sum()
    )
    assert (
        summary["object_frames_without_scribble"] == 0 and summary["objects_without_scribble"] == 0
    )
    assert summary["background_frames"] == 4
    assert summary["strokes_per_object_frame"] == pytest.approx(obj["strokes"].sum() / 7)
    text = markdown_report("toy", summary, table)
    assert "| coverage_pct |" in text and "| bar | 1 | 4 |" in text and "ghost" not in text


def test_checks_pass_on_generated_and_catch_violations() -> None:
    data, part = _dataset()
    out, _ = assemble_scribbles(data, {7: part}, info={})
    counts = check_scribbles(data, out)
    assert counts["checked_masks"] == 7 + 4 and all(
        v == 0 for k, v in counts.items() if k != "checked_masks"
    )
    bad = {**out, "annotations": [dict(a) for a in out["annotations"]]}
    bar = bad["annotations"][0]
    bar["segmentations"] = list(bar["segmentations"])
    block = np.zeros((60, 80), np.uint8)
    block[0:2, 0:2] = 1  # outside the bar (rows 10..17) and 2x2 thick
    bar["segmentations"][0] = encode_mask(block)
    bar["segmentations"][1] = None  # visible but no stroke
    bg = bad["annotations"][2]
    bg["segmentations"] = list(bg["segmentations"])
    on_bar = np.zeros((60, 80), np.uint8)
    on_bar[12, 20] = 1
    bg["segmentations"][3] = encode_mask(on_bar)
    counts = check_scribbles(data, bad)
    assert counts["pixels_outside_mask"] == 4
    assert counts["thick_blocks"] == 1
    assert counts["visible_frames_without_scribble"] == 1
    assert counts["background_pixels_on_objects"] == 1
    step = check_scribbles(data, out, frame_step=2)
    assert step["scribbles_on_unselected_frames"] > 0


def test_preview_rendering() -> None:
    data, part = _dataset()
    out, _ = assemble_scribbles(data, {7: part}, info={})
    frames = np.full((2, 60, 80, 3), 100, np.uint8)
    objects = [a for a in out["annotations"] if a["category_id"] is not None]
    full = {a["id"]: a for a in data["annotations"]}
    image = render_preview(
        frames,
        [[full[a["id"]]["segmentations"][t] for t in (0, 3)] for a in objects],
        [[a["segmentations"][t] for t in (0, 3)] for a in objects],
        [out["annotations"][-1]["segmentations"][t] for t in (0, 3)],
        PreviewConfig(min_height=240, thickness=0),
    )
    zoom = 4  # 240 / 60
    assert image.shape == (60 * zoom, 2 * 80 * zoom + 2 * zoom, 3)
    stroke = decode_rle(objects[0]["segmentations"][0])
    y, x = (int(v[0]) for v in np.nonzero(stroke))
    assert tuple(image[y * zoom + 1, x * zoom + 1]) == (255, 64, 64)  # first object colour
    assert preview_video_indices(10, 4) == [0, 3, 6, 9]
    assert preview_video_indices(3, 5) == [0, 1, 2] and preview_video_indices(5, 0) == []


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"seed": -1}, "seed"),
        ({"radius_factor": "x"}, "radius_factor"),
        ({"shrink_factor": 1.0}, "shrink_factor"),
        ({"shrink_factor": 0.0}, "shrink_factor"),
        ({"min_component_size": 0}, "min_component_size"),
        ({"bezier_samples": 0}, "bezier_samples"),
        ({"bezier_spacing": 0.5}, "bezier_spacing"),
        ({"skeleton_size": 4}, "skeleton_size"),
        ({"frame_step": 0}, "frame_step"),
        ({"background": "yes"}, "background"),
    ],
)
def test_config_rejects_bad_values(kwargs, field) -> None:
    with pytest.raises(ValueError, match=f"ScribbleConfig.{field}"):
        ScribbleConfig(**kwargs)


def test_config_coercion() -> None:
    cfg = ScribbleConfig(radius_cap=16, seed=np.int64(3))
    assert isinstance(cfg.radius_cap, float) and type(cfg.seed) is int
    assert (
        ScribbleConfig.coerce({"seed": 2}).seed == 2
        and ScribbleConfig.coerce(None) == ScribbleConfig()
    )
    with pytest.raises(ValueError, match="PreviewConfig.videos"):
        PreviewConfig(videos=-1)
    assert PreviewConfig.coerce({"frames": 2}).frames == 2
