"""The cluster2former pipeline end to end on a tiny SynthVIS: three variants and their table."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from kedro.io import DataCatalog
from kedro.runner import SequentialRunner
from project_catalog import catalog_entries
from tiny_model import TINY_MODEL

from vis_pipelines.formats.results import validate_results
from vis_pipelines.formats.ytvis import load_ytvis_json
from vis_pipelines.pipelines.cluster2former import create_pipeline
from vis_pipelines.pipelines.cluster2former.nodes import check_equal_budget, supervision_table
from vis_pipelines.pipelines.scribbles.pipeline import create_scribbles_pipeline
from vis_pipelines.pipelines.synthvis import create_pipeline as create_synthvis
from vis_pipelines.scribbles import PreviewConfig, ScribbleConfig
from vis_pipelines.synth.config import SynthConfig

ROOT = Path(__file__).resolve().parents[3]
TINY_SYNTHVIS = SynthConfig(
    seed=4, height=64, width=96, min_frames=4, max_frames=5, min_objects=1, max_objects=2,
    n_train=3, n_valid=2, n_test=1,
)  # fmt: skip
MODEL = {**TINY_MODEL, "small_cnn_widths": list(TINY_MODEL["small_cnn_widths"])}
CLUSTER = dict(points_per_instance=8, background_points=8, vote_points=64)
TRAIN = dict(
    max_steps=3,
    batch_size=2,
    crop_size=[64, 96],
    checkpoint_every=2,
    log_every=1,
    device="cpu",
    num_workers=0,
    threads=1,
)
EVALUATION = dict(split_field="split")


def project_catalog(root: Path, **cluster_train) -> DataCatalog:
    """SynthVIS, scribble, mask2former and cluster2former entries under ``root``, tiny params."""
    config = {
        **catalog_entries(ROOT / "conf/base/catalog.yml", root, ("synthvis_",)),
        **catalog_entries(ROOT / "conf/base/catalog_scribbles.yml", root),
        **catalog_entries(ROOT / "conf/base/catalog_mask2former.yml", root),
        **catalog_entries(ROOT / "conf/base/catalog_cluster2former.yml", root),
    }
    catalog = DataCatalog.from_config(config)
    catalog["params:synthvis.generator"] = TINY_SYNTHVIS
    catalog["params:synthvis.davis_imagesets"] = {"train": "train", "val": "valid"}
    catalog["params:scribbles.generator"] = ScribbleConfig()
    catalog["params:scribbles.previews"] = PreviewConfig(videos=0)
    catalog["params:mask2former_reference.model"] = MODEL
    catalog["params:mask2former_reference.train"] = TRAIN
    catalog["params:mask2former_reference.inference"] = dict(device="cpu", topk=3)
    catalog["params:mask2former_reference.evaluation"] = EVALUATION
    for variant in ("maskcluster2former", "cluster2former"):
        catalog[f"params:{variant}.model"] = {**MODEL, **CLUSTER}
        catalog[f"params:{variant}.train"] = {**TRAIN, **cluster_train}
        catalog[f"params:{variant}.inference"] = dict(device="cpu", topk=3, mask_threshold=0.1)
        catalog[f"params:{variant}.evaluation"] = EVALUATION
    return catalog


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("cluster2former_project")
    catalog = project_catalog(root)
    SequentialRunner().run(create_synthvis().only_nodes("generate_synthvis_node"), catalog)
    SequentialRunner().run(create_scribbles_pipeline("synthvis_train", shards=1), catalog)
    SequentialRunner().run(create_pipeline(), project_catalog(root))
    return root


def test_every_variant_is_trained_predicted_and_scored(project):
    gt = load_ytvis_json(project / "data/01_raw/synthvis/ytvis/valid.json")
    for variant in ("mask2former_reference", "maskcluster2former", "cluster2former"):
        assert (project / f"data/06_models/{variant}/model.pt").is_file()
        results = json.loads(
            (project / f"data/07_model_output/{variant}/synthvis_valid_results.json").read_text()
        )
        validate_results(results, gt)
        assert len(results) == 3 * len(gt["videos"])
        metrics = json.loads(
            (project / f"data/08_reporting/metrics/{variant}__synthvis.json").read_text()
        )
        assert {"AP", "AP50", "AP75", "AR10", "params_hash"} <= set(metrics)


def test_cluster_variants_use_the_cluster2former_builder_and_loss_curves(project):
    import torch

    for variant in ("maskcluster2former", "cluster2former"):
        state = torch.load(project / f"data/06_models/{variant}/model.pt", weights_only=False)
        assert state["config"]["builder"].endswith("cluster2former:build_cluster2former")
        assert state["config"]["model"]["points_per_instance"] == 8
        curves = project / f"data/06_models/{variant}/live/plots/metrics/train"
        assert (curves / "loss_cluster.tsv").is_file() and not (curves / "loss_mask.tsv").exists()


def test_comparison_table_has_the_three_rows_and_ratios(project):
    table = pd.read_csv(project / "data/08_reporting/cluster2former/comparison_synthvis.csv")
    assert table["model"].tolist() == [
        "mask2former_reference",
        "maskcluster2former",
        "cluster2former",
    ]
    metrics = {
        m: json.loads((project / f"data/08_reporting/metrics/{m}__synthvis.json").read_text())
        for m in table["model"]
    }
    for row in table.itertuples():
        assert row.AP == pytest.approx(metrics[row.model]["AP"])
        if metrics["mask2former_reference"]["AP"]:
            assert row.AP_ratio_to_a == pytest.approx(
                metrics[row.model]["AP"] / metrics["mask2former_reference"]["AP"]
            )
    summary = json.loads((project / "data/08_reporting/scribbles/synthvis_train.json").read_text())
    assert table["labelled_object_pixels_pct"].iloc[2] == pytest.approx(summary["coverage_pct"])
    text = (project / "data/08_reporting/cluster2former/comparison_synthvis.md").read_text()
    assert "(c) Cluster2Former" in text and "AP / AP(a)" in text


def test_unequal_budgets_are_refused():
    model, train = dict(MODEL), dict(TRAIN)
    with pytest.raises(ValueError, match=r"train\.clips: .*cluster2former=10"):
        check_equal_budget(
            {
                "mask2former": (model, train),
                "maskcluster2former": (model, train),
                "cluster2former": (model, {**train, "max_steps": 5}),
            }
        )
    with pytest.raises(ValueError, match=r"model\.num_queries"):
        supervision_table(
            {"AP": 10.0}, {"AP": 9.0}, {"AP": 8.0}, {"coverage_pct": 5.0},
            model, train, {**model, "num_queries": 7}, train, model, train,
        )  # fmt: skip
    # The learning rate may differ, and the budget is clips seen: 3 x 2 = 6 x 1 (paper: 6k x 16
    # for Mask2Former-VIS, 24k x 4 for Cluster2Former).
    md, table = supervision_table(
        {"AP": 10.0}, {"AP": 9.0}, {"AP": 8.0}, {"coverage_pct": 5.0},
        model, train, model, {**train, "lr": 1e-5}, model,
        {**train, "max_steps": 6, "batch_size": 1},
    )  # fmt: skip
    assert table["AP_ratio_to_a"].tolist() == pytest.approx([1.0, 0.9, 0.8])
    assert "| 0.800 |" in md


def test_real_data_comparison_names_its_dataset_and_split():
    from vis_pipelines.pipelines.cluster2former import create_real_data_pipeline

    node = next(
        n for n in create_real_data_pipeline("ytvis19").nodes if n.name.endswith("comparison_node")
    )
    model, train = dict(MODEL), dict(TRAIN)
    md, _ = node.func(
        {"AP": 10.0}, {"AP": 9.0}, {"AP": 8.0}, {"coverage_pct": 0.5},
        model, train, model, train, model, train,
    )  # fmt: skip
    assert md.startswith("# Cluster2Former on ytvis19:")
    assert "ytvis19_local_holdout" in md and "SynthVIS" not in md


def test_copy_paste_in_one_row_is_refused():
    # Copy-paste needs full masks, so (c) cannot have it: no row may, or the rows would differ
    # in more than their supervision.
    model, train = dict(MODEL), dict(TRAIN)
    with pytest.raises(ValueError, match=r"train\.copy_paste_prob: mask2former_reference=1\.0"):
        check_equal_budget(
            {
                "mask2former_reference": (model, {**train, "copy_paste_prob": 1.0}),
                "maskcluster2former": (model, train),
                "cluster2former": (model, train),
            }
        )


def test_synthvis_comparison_trains_its_own_reference_and_real_data_reuses_mask2former():
    from vis_pipelines.pipelines.cluster2former import create_real_data_pipeline

    synth = create_pipeline()
    assert "mask2former_reference.train_node" in {n.name for n in synth.nodes}
    assert "mask2former.train_node" not in {n.name for n in synth.nodes}
    comparison = next(n for n in synth.nodes if n.name == "cluster2former.comparison_node")
    assert "mask2former_reference.metrics" in comparison.inputs
    assert "params:mask2former_reference.train" in comparison.inputs
    real = create_real_data_pipeline("ytvis19")
    comparison = next(n for n in real.nodes if n.name.endswith("comparison_node"))
    assert "mask2former_ytvis19.metrics" in comparison.inputs
    assert "params:mask2former.train" in comparison.inputs
