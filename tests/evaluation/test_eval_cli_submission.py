"""The CLI (ytvis, davis, export) and submission archives."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest
from ytvis_synthetic import random_case

from vis_pipelines.evaluation.cli import main
from vis_pipelines.evaluation.submission import export_submission, top_k_per_video
from vis_pipelines.evaluation.ytvis import STAT_NAMES, run_ytvis_eval
from vis_pipelines.formats.davis import write_mask_png
from vis_pipelines.formats.errors import FormatError
from vis_pipelines.formats.rle import encode_mask


def _write(path, obj) -> None:
    path.write_text(json.dumps(obj))


def test_cli_ytvis_prints_table_and_writes_fractions(tmp_path, capsys) -> None:
    gt, res = random_case(5, n_videos=5)
    _write(tmp_path / "gt.json", gt)
    _write(tmp_path / "res.json", res)
    rc = main(
        [
            "ytvis",
            "--gt",
            str(tmp_path / "gt.json"),
            "--results",
            str(tmp_path / "res.json"),
            "--json",
            str(tmp_path / "out" / "stats.json"),
            "--split-field",
            "split",
            "--per-video",
            str(tmp_path / "out" / "videos.csv"),
        ]
    )
    assert rc == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(" Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all")
    stats = json.loads((tmp_path / "out" / "stats.json").read_text())
    expected = run_ytvis_eval(gt, res).stats
    assert [stats[k] for k in STAT_NAMES] == [expected[k] for k in STAT_NAMES]  # full precision
    assert all(v == -1 or 0 <= v <= 1 for v in stats.values())
    assert set(stats) >= {"AP_base", "AP_novel"}
    assert (tmp_path / "out" / "videos.csv").read_text().startswith("video_id,")


def test_cli_bad_results_exit_2_with_one_line(tmp_path, capsys) -> None:
    gt, res = random_case(1, n_videos=2)
    res[0]["video_id"] = 999
    _write(tmp_path / "gt.json", gt)
    _write(tmp_path / "res.json", res)
    assert (
        main(["ytvis", "--gt", str(tmp_path / "gt.json"), "--results", str(tmp_path / "res.json")])
        == 2
    )
    err = capsys.readouterr().err
    assert err.startswith("error:") and "results[0]" in err and "999" in err


def test_cli_davis(tmp_path, capsys) -> None:
    m = np.zeros((24, 32), np.uint8)
    m[4:12, 4:20] = 1
    for t in range(4):
        write_mask_png(tmp_path / "gt" / "a" / f"{t:05d}.png", m)
        write_mask_png(tmp_path / "pred" / "a" / f"{t:05d}.png", m)
    rc = main(
        [
            "davis",
            "--gt-root",
            str(tmp_path / "gt"),
            "--pred-root",
            str(tmp_path / "pred"),
            "--task",
            "semi",
            "--json",
            str(tmp_path / "d.json"),
        ]
    )
    assert rc == 0
    assert "J&F-Mean" in capsys.readouterr().out
    assert json.loads((tmp_path / "d.json").read_text())["J&F-Mean"] == pytest.approx(1.0)


def test_export_zip_has_results_json_at_root_and_top_k(tmp_path) -> None:
    gt, res = random_case(2, n_videos=4)
    gt_unlabeled = {**gt, "annotations": None}  # server splits ship without annotations
    info = export_submission(res, gt_unlabeled, tmp_path / "sub.zip", top_k=1)
    with zipfile.ZipFile(tmp_path / "sub.zip") as zf:
        assert zf.namelist() == ["results.json"]
        kept = json.loads(zf.read("results.json"))
    per_video = {r["video_id"] for r in res}
    assert len(kept) == info["predictions"] == len(per_video)
    for vid in per_video:
        best = max(r["score"] for r in res if r["video_id"] == vid)
        assert [r["score"] for r in kept if r["video_id"] == vid] == [best]


def test_export_respects_size_budget(tmp_path) -> None:
    gt, res = random_case(3, n_videos=40, h=60, w=80)
    full = export_submission(res, gt, tmp_path / "full.zip")
    budget = full["bytes"] // 2
    info = export_submission(res, gt, tmp_path / "small.zip", max_bytes=budget)
    assert info["bytes"] <= budget and (tmp_path / "small.zip").stat().st_size == info["bytes"]
    assert info["top_k"] >= 1 and info["predictions"] < full["predictions"]


@pytest.mark.parametrize(
    "field, value, match",
    [
        ("video_id", 12345, "unknown video_id"),
        ("segmentations", [], "frames"),
        ("score", float("nan"), "finite"),
        ("category_id", 999, "category_id"),
    ],
)
def test_export_refuses_bad_results_and_writes_nothing(tmp_path, field, value, match) -> None:
    gt, res = random_case(4, n_videos=3)
    res[1] = {**res[1], field: value}
    with pytest.raises(FormatError, match=match) as err:
        export_submission(res, gt, tmp_path / "sub.zip")
    assert "results[1]" in str(err.value)
    assert not (tmp_path / "sub.zip").exists()


def test_export_refuses_rle_size_mismatch(tmp_path) -> None:
    gt, res = random_case(4, n_videos=3)
    bad = encode_mask(np.zeros((5, 5), np.uint8))
    res[0] = {**res[0], "segmentations": [bad] * len(res[0]["segmentations"])}
    with pytest.raises(FormatError, match="RLE size"):
        export_submission(res, gt, tmp_path / "sub.zip")


def test_top_k_is_stable_for_ties() -> None:
    res = [{"video_id": 1, "score": 0.5, "n": i} for i in range(4)] + [
        {"video_id": 2, "score": 0.1}
    ]
    assert [r.get("n") for r in top_k_per_video(res, 2)] == [0, 1, None]
    with pytest.raises(ValueError):
        top_k_per_video(res, 0)
