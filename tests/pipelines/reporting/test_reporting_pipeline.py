"""The reporting pipeline on a tiny project: tables, plots, overlays; missing and bad inputs."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pandas as pd
import pytest
from kedro.io import DataCatalog
from kedro.runner import SequentialRunner
from PIL import Image
from tiny_project import HAND_MADE_METRICS, build_tiny_project, project_catalog, reporting_params

from vis_pipelines.formats.errors import FormatError
from vis_pipelines.pipelines.reporting import create_pipeline, report_inputs_of

PLOT_KINDS = ("training_curves", "ap_per_category", "pr_curves", "scribble_coverage", "flow_epe")


def reporting_catalog(root: Path) -> DataCatalog:
    """conf/base's reporting entries under ``root``, parameters from parameters_reporting.yml."""
    catalog = project_catalog(root, "catalog_reporting.yml")
    for key, value in reporting_params().items():
        catalog[f"params:reporting.{key}"] = value
    return catalog


def run_reporting(root: Path) -> None:
    """Run the reporting pipeline on the project under ``root``."""
    SequentialRunner().run(create_pipeline(), reporting_catalog(root))


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = build_tiny_project(tmp_path_factory.mktemp("reporting_project"), conf=True)
    run_reporting(root)
    return root


def _metrics(root: Path) -> dict:
    return {
        p.stem: json.loads(p.read_text())
        for p in (root / "data/08_reporting/metrics").glob("*.json")
    }


def test_tables_hold_every_metrics_file(project: Path) -> None:
    out = project / "data/08_reporting"
    tables = sorted(p.name for p in (out / "tables").iterdir())
    # Families with files only (no clipvis table); markdown and CSV for each.
    assert tables == [
        f"{f}.{ext}"
        for f in ("clusternet", "genvis", "optical_flow", "vis")
        for ext in ("csv", "md")
    ]
    bench = pd.read_csv(out / "benchmark.csv")
    metrics = _metrics(project)
    assert len(bench) == len(metrics) == len(HAND_MADE_METRICS) + 1
    row = bench.set_index(["model", "dataset"]).loc[("mask2former", "synthvis")]
    assert row["AP"] == pytest.approx(metrics["mask2former__synthvis"]["AP"])
    assert row["git_revision"] == metrics["mask2former__synthvis"]["git_revision"]
    vis = pd.read_csv(out / "tables/vis.csv")
    assert vis.loc[0, "AP_novel"] == pytest.approx(metrics["mask2former__synthvis"]["AP_novel"])


def test_published_columns_only_on_real_datasets(project: Path) -> None:
    md = (project / "data/08_reporting/benchmark.md").read_text()
    genvis = md.split("## GenVIS")[1].split("\n## ")[0]
    assert "### ytvis19" in genvis and "AP (published)" in genvis and "| 50.0 |" in genvis
    assert "genvis_README.md" in genvis and "local split" in genvis
    for section in md.split("### synthvis")[1:]:
        assert "(published)" not in section.split("###")[0]
    oracle = "| clusternet_as_released_gtflow | oracle: clusters picked with the ground truth"
    assert oracle in md


def _png(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    assert img.format == "PNG"
    return img


def test_plots_are_pngs(project: Path) -> None:
    plots = project / "data/08_reporting/plots"
    found = {kind: sorted(p.name for p in (plots / kind).iterdir()) for kind in PLOT_KINDS}
    assert found == {
        "training_curves": ["mask2former.png"],
        "ap_per_category": ["mask2former__synthvis.png"],
        "pr_curves": ["synthvis.png"],
        "scribble_coverage": ["synthvis_train.png"],
        "flow_epe": ["synthvis.png"],
    }
    for path in plots.rglob("*.png"):
        assert _png(path.read_bytes()).size[0] > 100


def test_pr_curve_written_by_the_evaluation_matches_its_ap(project: Path) -> None:
    curve = pd.read_csv(project / "data/08_reporting/mask2former/pr_curve_synthvis.csv")
    metrics = _metrics(project)["mask2former__synthvis"]
    assert len(curve) == 101
    assert curve["precision_iou50"].mean() == pytest.approx(metrics["AP50"])


def test_overlays_are_gifs_with_every_frame(project: Path) -> None:
    valid = json.loads((project / "data/01_raw/synthvis/ytvis/valid.json").read_text())
    gifs = sorted((project / "data/08_reporting/overlays/mask2former").glob("*.gif"))
    assert [g.stem for g in gifs] == ["valid_0000", "valid_0001"]  # params: videos: 2
    for gif, video in zip(gifs, sorted(valid["videos"], key=lambda v: v["id"]), strict=True):
        img = Image.open(gif)
        assert img.format == "GIF" and img.n_frames == video["length"]
        assert img.size == (2 * video["width"], 2 * video["height"])


def test_stale_reports_are_replaced(project: Path, tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "copy"
    shutil.copytree(project / "data", root / "data")
    shutil.rmtree(root / "data/07_model_output")
    (root / "data/08_reporting/metrics/genvis_online__ytvis19.json").unlink()
    run_reporting(root)
    assert not list((root / "data/08_reporting/overlays").iterdir())
    assert not (root / "data/08_reporting/tables/genvis.md").exists()


def test_empty_project_skips_every_part(tmp_path: Path, caplog) -> None:
    with caplog.at_level(logging.INFO, logger="vis_pipelines"):
        run_reporting(tmp_path)
    out = tmp_path / "data/08_reporting"
    assert "No metrics files yet" in (out / "benchmark.md").read_text()
    assert not list((out / "tables").iterdir())
    for kind in PLOT_KINDS:
        assert (out / "plots" / kind).is_dir() and not list((out / "plots" / kind).iterdir())
    assert not list((out / "overlays").iterdir())
    skipped = [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()]
    for what in ("metrics files", "training curves", "predictions", "scribble statistics"):
        assert any(what in m for m in skipped), what


def test_bad_metrics_file_names_the_file(tmp_path: Path) -> None:
    metrics = tmp_path / "data/08_reporting/metrics"
    metrics.mkdir(parents=True)
    (metrics / "mask2former__synthvis.json").write_text(json.dumps({"AP": "high"}))
    with pytest.raises(FormatError, match=r"mask2former__synthvis.*AP"):
        run_reporting(tmp_path)


def test_default_run_orders_reports_after_the_metrics() -> None:
    from vis_pipelines.pipelines.mask2former import create_pipeline as create_mask2former

    models = create_mask2former()
    upstream = report_inputs_of(models)
    assert {"mask2former.metrics", "mask2former.pr_curve"} <= set(upstream)
    assert not {"mask2former.predictions", "mask2former.checkpoint"} & set(upstream)
    standalone = create_pipeline()
    assert not [i for i in standalone.inputs() if i.startswith("mask2former.")]
    combined = models + create_pipeline(after=models)
    order = [n.name for n in combined.nodes]
    assert order.index("mask2former.evaluate_ytvis_node") < order.index(
        "reporting.reporting_inputs_node"
    )
    # Same node names either way (the registry's default run is a superset of `reporting`).
    assert {n.name for n in standalone.nodes} == {
        n.name for n in create_pipeline(after=models).nodes
    }


def test_kedro_session_runs_reporting(project: Path, monkeypatch) -> None:
    """``kedro run --pipelines reporting`` through a KedroSession (the project's conf, typed
    parameters) gives the same tables as the runner on the test catalog."""
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    out = project / "data/08_reporting"
    before = (out / "benchmark.csv").read_text()
    (out / "benchmark.md").unlink()
    monkeypatch.chdir(project)  # catalog paths are relative to the working directory
    bootstrap_project(project)
    with KedroSession.create(project_path=project) as session:
        session.run(pipeline_names=["reporting"])
    assert (out / "benchmark.md").is_file() and (out / "tables/vis.md").is_file()
    assert (out / "benchmark.csv").read_text() == before
    assert (out / "plots/pr_curves/synthvis.png").is_file()
    assert len(list((out / "overlays/mask2former").glob("*.gif"))) == 2
