"""The ``optical_flow`` pipeline on a tiny SynthVIS: outputs, metrics, resuming, errors, Kedro."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from kedro.io import DatasetError
from kedro.runner import SequentialRunner
from optical_flow_helpers import (
    ROOT,
    TINY_FINETUNE,
    TINY_REPORT,
    TINY_SYNTHVIS,
    flow_catalog,
    run_flow,
)
from PIL import Image

from vis_pipelines.datasets import DAVISDataset, FlowDirDataset, TorchCheckpointDataset
from vis_pipelines.datasets.checkpoint import CHECKPOINT_KEYS
from vis_pipelines.formats import FormatError, read_flo
from vis_pipelines.pipelines.optical_flow import create_flow_pipeline, create_pipeline

FLOW = "data/03_primary/flow/synthvis"
METHODS = ("dis_ultrafast", "farneback", "raft_small_finetuned")
VAL = ["valid_0000", "valid_0001"]


def test_flow_files_for_every_method_gap_and_val_sequence(flow_run: Path) -> None:
    root = flow_run / FLOW
    assert sorted(p.name for p in root.iterdir()) == sorted(
        f"{m}_gap{g}" for m in METHODS for g in (1, -1)
    )
    gt = FlowDirDataset(path=str(flow_run / "data/01_raw/synthvis/flow/gt_gap1")).load()
    for method in METHODS:
        for seq in VAL:
            names = gt.frame_names(seq)  # forward GT: every frame but the last
            forward = sorted(p.stem for p in (root / f"{method}_gap1" / seq).glob("*.flo"))
            assert forward == names
            backward = sorted(p.stem for p in (root / f"{method}_gap-1" / seq).glob("*.flo"))
            assert len(backward) == len(names) and backward[0] == "00001"
            flow = read_flo(root / f"{method}_gap1" / seq / f"{names[0]}.flo")
            assert flow.shape == (TINY_SYNTHVIS["height"], TINY_SYNTHVIS["width"], 2)
        assert not (root / f"{method}_gap1/train_0000").exists()  # split val only


def test_metrics_files_match_an_independent_computation(flow_run: Path) -> None:
    metrics_dir = flow_run / "data/08_reporting/metrics"
    assert sorted(p.name for p in metrics_dir.glob("flow_*.json")) == sorted(
        f"flow_{m}__synthvis.json" for m in METHODS
    )
    gt = FlowDirDataset(path=str(flow_run / "data/01_raw/synthvis/flow/gt_gap1")).load()
    for method in METHODS:
        record = json.loads((metrics_dir / f"flow_{method}__synthvis.json").read_text())
        assert set(record) == {"EPE", "EPE_noc", "Fl_all", "fps", "params_hash", "git_revision"}
        assert record["fps"] > 0 and 0 <= record["Fl_all"] <= 100
        assert len(record["params_hash"]) == 12 and isinstance(record["git_revision"], str)
        pred = FlowDirDataset(path=str(flow_run / FLOW / f"{method}_gap1")).load()
        errors, visible = [], []
        for seq in VAL:
            diff = pred.load(seq).astype(np.float64) - gt.load(seq)
            errors.append(np.sqrt((diff**2).sum(-1)).ravel())
            visible.append(~gt.load_occlusion(seq).ravel())
        errors, visible = np.concatenate(errors), np.concatenate(visible)
        assert record["EPE"] == pytest.approx(errors.mean())
        assert record["EPE_noc"] == pytest.approx(errors[visible].mean())


def test_tables_previews_and_checkpoint(flow_run: Path) -> None:
    table = pd.read_csv(flow_run / "data/08_reporting/optical_flow_synthvis.csv")
    assert len(table) == len(METHODS) * 2 + 1  # + the zero-flow reference row
    assert table["EPE"][table["gap"] == -1].isna().all()  # no backward ground truth
    assert table["method"].iloc[-1] == "zero_flow (reference)"
    gt = FlowDirDataset(path=str(flow_run / "data/01_raw/synthvis/flow/gt_gap1")).load()
    magnitudes = np.concatenate([np.hypot(*gt.load(s).transpose(3, 0, 1, 2)).ravel() for s in VAL])
    assert table["EPE"].iloc[-1] == pytest.approx(magnitudes.mean())  # EPE of predicting 0
    markdown = (flow_run / "data/08_reporting/optical_flow_synthvis.md").read_text()
    assert "| raft_small_finetuned | 1 |" in markdown and "fine-tuned for 2 steps" in markdown
    previews = flow_run / "data/08_reporting/flow_previews/synthvis"
    assert sorted(p.name for p in previews.iterdir()) == sorted(
        [f"{m}_gap{g}" for m in METHODS for g in (1, -1)] + ["gt_gap1"]
    )
    pngs = sorted(p.stem for p in (previews / "dis_ultrafast_gap1/valid_0000").glob("*.png"))
    assert (
        pngs
        == sorted(
            p.stem
            for p in sorted((flow_run / FLOW / "dis_ultrafast_gap1/valid_0000").glob("*.flo"))
        )[::2]
    )
    assert np.asarray(Image.open(previews / "gt_gap1/valid_0000/00000.png")).shape == (48, 64, 3)
    assert not (previews / "gt_gap1/valid_0001").exists()  # previews.sequences: 1
    checkpoint = TorchCheckpointDataset(
        filepath=str(flow_run / "data/06_models/optical_flow/raft_finetuned.pt")
    ).load()
    assert set(CHECKPOINT_KEYS) <= set(checkpoint) and checkpoint["step"] == 2
    assert checkpoint["config"]["sequences"] == ["train_0000", "train_0001"]


def test_rerun_skips_existing_flows(flow_run: Path, caplog) -> None:
    files = sorted((flow_run / FLOW).rglob("*.flo"))
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in files}
    with caplog.at_level(logging.INFO):
        run_flow(flow_run)
    assert "computed 0 and skipped 12 valid" in caplog.text  # 3 methods x 2 gaps x 2 sequences
    assert {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in files} == before


def test_corrupt_frame_stops_the_run_naming_it(flow_run: Path, tmp_path: Path) -> None:
    shutil.copytree(flow_run / "data/01_raw", tmp_path / "data/01_raw")
    shutil.copytree(flow_run / "data/06_models", tmp_path / "data/06_models")
    bad = tmp_path / "data/01_raw/synthvis/davis/JPEGImages/480p/valid_0001/00002.jpg"
    bad.write_bytes(bad.read_bytes()[:40])
    catalog = flow_catalog(tmp_path, flows={"methods": ["dis_fast"]})
    pipeline = create_pipeline().only_nodes("compute_optical_flow_synthvis_node")
    # Frames are read while the flow store saves, so Kedro's catalog prefixes the dataset name;
    # the message names the frame file and the cause is the FormatError.
    with pytest.raises(DatasetError, match=r"valid_0001/00002\.jpg: cannot decode image") as err:
        SequentialRunner().run(pipeline, catalog)
    assert isinstance(err.value.__cause__, FormatError)


def test_real_data_pipeline_without_ground_truth(flow_run: Path, tmp_path: Path) -> None:
    """The factory's speed-only variant, as registered for DAVIS / FBMS / SegTrackV2."""
    pipe = create_flow_pipeline(dataset="davis16", frames="davis16", checkpoint=None)
    assert pipe.inputs() == {"davis16", "params:optical_flow.flows", "params:optical_flow.report"}
    assert pipe.outputs() == {
        "optical_flow_md_davis16",
        "optical_flow_csv_davis16",
        "optical_flow_previews_davis16",
    }
    catalog = flow_catalog(tmp_path, flows={"methods": ["dis_fast"], "sequences": {}})
    catalog["davis16"] = DAVISDataset(root=str(flow_run / "data/01_raw/synthvis/davis"))
    SequentialRunner().run(pipe, catalog)
    table = pd.read_csv(tmp_path / "data/08_reporting/optical_flow_davis16.csv")
    assert table["sequences"].tolist() == [4, 4]  # split null: train and val sequences
    assert table["EPE"].isna().all() and (table["fps"] > 0).all()
    assert not (tmp_path / "data/08_reporting/metrics").exists()
    assert (tmp_path / "data/08_reporting/flow_previews/davis16/dis_fast_gap-1").is_dir()
    with pytest.raises(ValueError, match="needs gt_flow"):
        create_flow_pipeline(dataset="x", frames="x", train=True)


@pytest.mark.slow
def test_kedro_session_runs_registered_pipeline(
    synthvis_root: Path, tmp_path: Path, monkeypatch
) -> None:
    """``kedro run --pipelines optical_flow`` through a KedroSession in a project copy."""
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(ROOT / "conf", tmp_path / "conf", ignore=shutil.ignore_patterns("local"))
    (tmp_path / "conf/local").mkdir()
    (tmp_path / "src").mkdir()
    # The tiny SynthVIS made for this module stands in for `kedro run --pipelines synthvis`.
    shutil.copytree(synthvis_root / "data/01_raw", tmp_path / "data/01_raw")
    monkeypatch.chdir(tmp_path)
    bootstrap_project(tmp_path)
    params = {
        "optical_flow": {
            "flows": {
                "methods": ["dis_fast", "raft_small_finetuned"],
                "gaps": [1],
                "raft": {"iterations": 2},
            },
            "finetune": TINY_FINETUNE,
            "report": TINY_REPORT,
        },
    }
    with KedroSession.create(project_path=tmp_path, runtime_params=params) as session:
        session.run(pipeline_names=["optical_flow"])
    metrics = json.loads(
        (tmp_path / "data/08_reporting/metrics/flow_dis_fast__synthvis.json").read_text()
    )
    assert metrics["EPE"] >= 0
    # Runtime parameters are merged into the YAML ones: farneback's defaults are still there.
    table = (tmp_path / "data/08_reporting/optical_flow_synthvis.md").read_text()
    assert "| dis_fast | 1 | 2 |" in table and "farneback" not in table
    assert (tmp_path / FLOW / "raft_small_finetuned_gap1/valid_0001").is_dir()
    assert (tmp_path / "data/06_models/optical_flow/raft_finetuned.pt").is_file()
