"""``python -m vis_pipelines.convert``: split, validate, custom conversion and clear errors."""

from __future__ import annotations

import json

import numpy as np

from vis_pipelines.convert import main
from vis_pipelines.formats import encode_mask, load_ytvis_json, write_image, write_mask_png


def _result(stdout: str) -> dict:
    """The JSON summary the CLI prints last (a logging handler set up by another test may print too)."""
    return json.loads(stdout[stdout.rindex("\n{\n") + 1 if "\n{\n" in stdout else 0 :])


def _ytvis(n_videos: int = 10) -> dict:
    m = np.zeros((6, 8), np.uint8)
    m[1:4, 2:6] = 1
    videos, anns = [], []
    for i in range(1, n_videos + 1):
        videos.append(
            {
                "id": i,
                "width": 8,
                "height": 6,
                "length": 2,
                "file_names": [f"v{i}/00000.jpg", f"v{i}/00001.jpg"],
            }
        )
        anns.append(
            {
                "id": i,
                "video_id": i,
                "category_id": 1 + i % 2,
                "iscrowd": 0,
                "segmentations": [encode_mask(m), None],
            }
        )
    return {
        "videos": videos,
        "annotations": anns,
        "categories": [{"id": 1, "name": "red star"}, {"id": 2, "name": "blue circle"}],
    }


def test_split_writes_disjoint_labelled_files(tmp_path, capsys) -> None:
    src = tmp_path / "train.json"
    src.write_text(json.dumps(_ytvis()))
    out = tmp_path / "local"
    assert (
        main(
            ["split", "--json", str(src), "--out-dir", str(out), "--fraction", "0.2", "--seed", "1"]
        )
        == 0
    )
    train, holdout = load_ytvis_json(out / "train.json"), load_ytvis_json(out / "holdout.json")
    train_ids = {v["id"] for v in train["videos"]}
    hold_ids = {v["id"] for v in holdout["videos"]}
    assert (
        len(hold_ids) == 2
        and not train_ids & hold_ids
        and train_ids | hold_ids == set(range(1, 11))
    )
    manifest = json.loads((out / "split.json").read_text())
    assert "not comparable to server" in manifest["label"]
    assert _result(capsys.readouterr().out)["holdout_videos"] == 2
    # Same seed, same split.
    again = tmp_path / "again"
    main(["split", "--json", str(src), "--out-dir", str(again), "--fraction", "0.2", "--seed", "1"])
    assert (again / "holdout.json").read_bytes() == (out / "holdout.json").read_bytes()


def test_validate_reports_missing_frame_and_bad_json(tmp_path, capsys) -> None:
    src = tmp_path / "train.json"
    src.write_text(json.dumps(_ytvis(2)))
    frames = tmp_path / "JPEGImages"
    for v in (1, 2):
        for t in (0, 1):
            write_image(frames / f"v{v}/{t:05d}.jpg", np.zeros((6, 8, 3), np.uint8))
    assert main(["validate", "--json", str(src), "--frames-dir", str(frames)]) == 0
    assert _result(capsys.readouterr().out)["success"] is True
    (frames / "v2/00001.jpg").unlink()
    assert main(["validate", "--json", str(src), "--frames-dir", str(frames)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "00001.jpg" in err and "Traceback" not in err
    src.write_text(src.read_text()[:-10])
    assert main(["validate", "--json", str(src)]) == 2
    assert "train.json" in capsys.readouterr().err


def test_custom_folder_becomes_ytvis(tmp_path) -> None:
    frames, masks = tmp_path / "clip", tmp_path / "masks"
    ids = np.zeros((3, 12, 16), np.uint8)
    ids[:, 2:6, 3:9] = 1
    ids[1:, 8:11, 10:14] = 2
    for t in range(3):
        write_image(frames / f"{t:03d}.png", np.full((12, 16, 3), 40 * t, np.uint8))
        write_mask_png(masks / f"{t:03d}.png", ids[t])
    out = tmp_path / "out"
    assert (
        main(
            [
                "custom",
                "--source",
                str(frames),
                "--masks",
                str(masks),
                "--out",
                str(out),
                "--categories",
                "cat,dog",
                "--instances",
                "1=cat,2=dog",
            ]
        )
        == 0
    )
    jsons = list(out.glob("*.json"))
    assert len(jsons) == 1
    data = load_ytvis_json(jsons[0])
    assert data["videos"][0]["length"] == 3 and len(data["annotations"]) == 2
    names = {c["id"]: c["name"] for c in data["categories"]}
    by_cat = {names[a["category_id"]]: a["areas"] for a in data["annotations"]}
    assert by_cat == {"cat": [24.0, 24.0, 24.0], "dog": [None, 12.0, 12.0]}
