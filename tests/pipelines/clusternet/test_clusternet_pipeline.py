"""The ``clusternet`` pipeline on a tiny SynthVIS: masks, metrics, table, resuming, oracle split."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from clusternet_pipeline_helpers import FLOWS, clusternet_catalog
from kedro.runner import SequentialRunner

from vis_pipelines.clusternet.baseline import baseline_mask
from vis_pipelines.clusternet.flow_input import incoming_motion
from vis_pipelines.datasets import DAVISDataset, FlowDirDataset
from vis_pipelines.evaluation.davis import DAVIS_KEYS, davis_scores
from vis_pipelines.formats import FormatError, read_flo, read_mask_png
from vis_pipelines.pipelines.clusternet import create_clusternet_pipeline
from vis_pipelines.pipelines.evaluation import pipeline as evaluation_pipeline

OUT = "data/07_model_output/clusternet/synthvis"
MODES = ("baseline", "gt_free", "as_released")
METRICS = {
    ("dis_ultrafast", "baseline"): "flow_baseline__synthvis",
    ("dis_ultrafast", "gt_free"): "clusternet_gt_free__synthvis",
    ("dis_ultrafast", "as_released"): "clusternet_as_released__synthvis",
    ("gt", "baseline"): "flow_baseline_gtflow__synthvis",
    ("gt", "gt_free"): "clusternet_gt_free_gtflow__synthvis",
    ("gt", "as_released"): "clusternet_as_released_gtflow__synthvis",
}


def _davis(root: Path):
    return DAVISDataset(root=str(root / "data/01_raw/synthvis/davis")).load()


def test_masks_metrics_and_table(clusternet_run: Path) -> None:
    davis = _davis(clusternet_run)
    val = davis.names("val")
    gt = {s: davis.load_masks(s)[0] for s in val}
    for (flow, mode), name in METRICS.items():
        folder = clusternet_run / OUT / flow / mode
        assert sorted(p.name for p in folder.iterdir()) == sorted(val)
        pred = {}
        for seq in val:
            frames = davis.frame_names(seq)
            assert sorted(p.stem for p in (folder / seq).glob("*.png")) == frames
            pred[seq] = np.stack([read_mask_png(folder / seq / f"{f}.png") for f in frames])
            assert set(np.unique(pred[seq])) <= {0, 1} and not pred[seq][0].any()
        record = json.loads((clusternet_run / f"data/08_reporting/metrics/{name}.json").read_text())
        assert set(record) == {*DAVIS_KEYS, "params_hash", "git_revision"}
        summary, _ = davis_scores(gt, pred, task="binary")
        assert record["J_mean"] == pytest.approx(100 * summary["J_mean"])
        assert record["F_mean"] == pytest.approx(100 * summary["F_mean"])
    table = pd.read_csv(clusternet_run / "data/08_reporting/clusternet_synthvis.csv")
    measured = table[table["section"] == "measured (synthvis)"]
    assert measured["metrics"].tolist() == [METRICS[(f, m)] for f in FLOWS for m in MODES]
    published = table[table["section"].str.startswith("published")]
    assert published["J_mean"].tolist() == [63.7, 67.9, 68.3, 72.0, 70.3, 75.4]
    markdown = (clusternet_run / "data/08_reporting/clusternet_synthvis.md").read_text()
    assert "| ClusterNet as_released (GT oracle) | gt |" in markdown
    assert markdown.index("## Measured") < markdown.index("## Published reference")


def test_baseline_masks_match_the_library_on_causal_flow(clusternet_run: Path) -> None:
    davis = _davis(clusternet_run)
    seq = davis.names("val")[0]
    frames = davis.frame_names(seq)
    dis = clusternet_run / "data/03_primary/flow/synthvis/dis_ultrafast_gap-1" / seq
    gt_flow = FlowDirDataset(path=str(clusternet_run / "data/01_raw/synthvis/flow/gt_gap1")).load()
    for t in range(1, len(frames)):
        backward = incoming_motion(read_flo(dis / f"{frames[t]}.flo"), -1)  # frames t, t-1
        forward = incoming_motion(gt_flow.read(seq, frames[t - 1]), 1)  # frames t-1, t
        for flow, motion in (("dis_ultrafast", backward), ("gt", forward)):
            png = clusternet_run / OUT / flow / "baseline" / seq / f"{frames[t]}.png"
            np.testing.assert_array_equal(read_mask_png(png), baseline_mask(motion))


def test_only_the_oracle_reads_the_ground_truth() -> None:
    pipe = create_clusternet_pipeline(flows=FLOWS)
    for node in pipe.nodes:
        if node.name.endswith(".segment_node"):
            assert ("clusternet_gt_synthvis" in node.inputs) == (".as_released." in node.name)
    segment_nodes = [n for n in pipe.nodes if n.name.endswith(".segment_node")]
    assert len(segment_nodes) == len(FLOWS) * len(MODES)


def test_rerun_skips_finished_sequences_and_recomputes_on_new_parameters(
    clusternet_run: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    shutil.copytree(clusternet_run / "data", tmp_path / "data")
    parts = sorted((tmp_path / "data/02_intermediate/clusternet").rglob("*.json"))
    before = {p: p.stat().st_mtime_ns for p in parts}
    pipe = create_clusternet_pipeline(flows=FLOWS)
    with caplog.at_level(logging.INFO):
        SequentialRunner().run(pipe, clusternet_catalog(tmp_path))
    assert caplog.text.count("0 sequences to do, 2 already done") == 6
    assert {p: p.stat().st_mtime_ns for p in parts} == before
    caplog.clear()
    with caplog.at_level(logging.INFO):
        catalog = clusternet_catalog(tmp_path, selection={"max_border": 0.5})
        SequentialRunner().run(pipe, catalog)
    # Only gt_free depends on the selection rule.
    assert caplog.text.count("2 sequences to do, 0 already done") == 2
    assert caplog.text.count("gt_free: 2 sequences to do") == 2


def test_registered_evaluation_re_scores_the_written_masks(clusternet_run: Path) -> None:
    rescoring = evaluation_pipeline._INSTANCES["clusternet_gt_free_gtflow__synthvis"]
    assert not [n for n in rescoring.nodes if n.name.endswith("segment_node")]
    metrics = clusternet_run / "data/08_reporting/metrics/clusternet_gt_free_gtflow__synthvis.json"
    before = json.loads(metrics.read_text())
    metrics.unlink()
    SequentialRunner().run(rescoring, clusternet_catalog(clusternet_run))
    after = json.loads(metrics.read_text())
    assert after["J_mean"] == before["J_mean"] and after["F_mean"] == before["F_mean"]


def test_a_flow_method_that_was_not_computed_is_named(clusternet_inputs: Path) -> None:
    pipe = create_clusternet_pipeline(flows=["farneback"], modes=["baseline"])
    with pytest.raises(FormatError, match="no farneback_gap-1 or farneback_gap1 folder"):
        SequentialRunner().run(pipe, clusternet_catalog(clusternet_inputs))
    with pytest.raises(ValueError, match="duplicates"):
        create_clusternet_pipeline(flows=["gt", "gt"])
    with pytest.raises(ValueError, match="no ground-truth flow"):
        create_clusternet_pipeline(flows=["gt"], gt_flow=None)


def test_flows_processed_at_another_size_give_frame_size_masks(
    clusternet_inputs: Path, tmp_path: Path
) -> None:
    shutil.copytree(clusternet_inputs / "data/01_raw", tmp_path / "data/01_raw")
    pipe = create_clusternet_pipeline(flows=["gt"], modes=["baseline", "as_released"])
    SequentialRunner().run(pipe, clusternet_catalog(tmp_path, flow_size=[24, 32]))
    pngs = sorted((tmp_path / OUT / "gt/as_released").rglob("*.png"))
    assert pngs and all(read_mask_png(p).shape == (48, 64) for p in pngs)
    record = json.loads(
        (tmp_path / "data/08_reporting/metrics/clusternet_as_released__synthvis.json").read_text()
    )
    assert record["J_mean"] is not None


def test_real_data_instance_reads_its_flow_store_and_parameters() -> None:
    pipe = create_clusternet_pipeline(
        dataset="davis16",
        frames="davis16",
        flows=["raft_large"],
        gt_flow=None,
        params="clusternet_davis16",
        register=False,
    )
    assert pipe.inputs() == {
        "davis16",
        "optical_flow_store_davis16",
        "params:clusternet_davis16.segmentation",
        "params:clusternet_davis16.evaluation",
        *(f"clusternet.davis16.raft_large.{m}.parts_done" for m in MODES),
    }
    assert "clusternet_metrics_clusternet_gt_free__davis16" in pipe.all_outputs()
    assert "clusternet_gt_free__davis16" not in evaluation_pipeline._INSTANCES
