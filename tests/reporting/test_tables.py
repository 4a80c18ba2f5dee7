"""Benchmark tables from hand-made metrics records: values, families, notes, published columns."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
import yaml

from vis_pipelines.formats.errors import FormatError
from vis_pipelines.reporting import (
    FamilySpec,
    PublishedResult,
    TableParams,
    benchmark_frame,
    benchmark_markdown,
    classify_model,
    family_markdown,
    family_tables,
    markdown_table,
    metrics_frame,
    parse_metrics_name,
    parse_published,
    published_for,
)

ROOT = Path(__file__).resolve().parents[2]
PARAMS = TableParams()
PROV = {"params_hash": "abc123abc123", "git_revision": "deadbeef"}
GENVIS = PublishedResult(
    method="GenVIS",
    setting="R-50, online",
    dataset="ytvis19",
    metrics={"AP": 50.0, "AP50": 71.5, "AR10": 59.7},
    source="genvis_README.md",
    table="Model Zoo / YouTubeVIS-2019",
    models=("genvis_online",),
)


def _records() -> dict:
    return {
        "mask2former__synthvis": {"AP": 11.5, "AP50": 16.75, "APm": None, "AR100": 29.0, **PROV},
        "genvis_online__synthvis": {"AP": 20.0, "AP50": 30.0, **PROV},
        "genvis_online__ytvis19": {"AP": 30.0, "AP50": 45.0, **PROV},
        "genvis_semi_online__ytvis19": {"AP": 31.0, "AP50": 46.0, **PROV},
        "clusternet_as_released_gtflow__synthvis": {"J_mean": 74.2, "F_mean": 79.2, **PROV},
        "flow_baseline__synthvis": {"J_mean": 55.9, "F_mean": 30.5, **PROV},
        "flow_dis_fast__synthvis": {"EPE": 0.2637, "fps": 1503.4, **PROV},
        "mystery__synthvis": {"score": 1.0},
    }


def test_metrics_names_are_model_and_dataset() -> None:
    assert parse_metrics_name("clusternet_gt_free_gtflow__synthvis") == (
        "clusternet_gt_free_gtflow",
        "synthvis",
    )
    assert parse_metrics_name("sub/flow_dis__davis16.json") == ("flow_dis", "davis16")
    with pytest.raises(FormatError, match="no_dataset"):
        parse_metrics_name("no_dataset")


@pytest.mark.parametrize(
    ("model", "family", "base", "variant"),
    [
        ("mask2former", "vis", "mask2former", ""),
        ("maskcluster2former", "vis", "maskcluster2former", ""),
        ("cluster2former", "vis", "cluster2former", ""),
        ("genvis_semi_online", "genvis", "genvis_semi_online", ""),
        ("clusternet_gt_free_gtflow", "clusternet", "clusternet_gt_free", "gtflow"),
        ("clusternet_as_released_farneback", "clusternet", "clusternet_as_released", "farneback"),
        # flow_baseline is listed by name in clusternet: it wins over the flow_* prefix.
        ("flow_baseline_gtflow", "clusternet", "flow_baseline", "gtflow"),
        ("flow_raft_small_finetuned", "optical_flow", "flow_raft_small_finetuned", ""),
        ("clipvis", "clipvis", "clipvis", ""),
        ("something_new", "other", "something_new", ""),
    ],
)
def test_models_are_classified_into_families(model, family, base, variant) -> None:
    name = classify_model(model, PARAMS.families)
    assert (name.family, name.base, name.variant) == (family, base, variant)


def test_frame_keeps_values_notes_and_provenance() -> None:
    frame = metrics_frame(_records(), PARAMS).set_index("model")
    assert frame.loc["mask2former", "AP"] == 11.5
    assert math.isnan(frame.loc["mask2former", "APm"])  # null stays undefined, never 0
    assert frame.loc["mask2former", "git_revision"] == "deadbeef"
    note = frame.loc["clusternet_as_released_gtflow", "note"]
    assert "oracle: clusters picked with the ground truth" in note
    assert "oracle input: ground-truth flow" in note
    assert frame.loc["flow_baseline", "note"] == ""


def test_family_tables_values_order_and_missing_families() -> None:
    tables = family_tables(_records(), [GENVIS], PARAMS)
    # clipvis has no files: no table; the unknown model lands in "other".
    assert list(tables) == ["vis", "genvis", "clusternet", "optical_flow", "other"]
    vis = tables["vis"]
    # Family metric order; AR100 is not a vis-table metric; APm has no value anywhere.
    assert [c for c in vis.columns if c.startswith("A")] == ["AP", "AP50"]
    assert vis.loc[0, "AP50"] == 16.75
    genvis = tables["genvis"]
    assert list(zip(genvis["model"], genvis["dataset"], strict=True)) == [
        ("genvis_online", "synthvis"),  # SynthVIS first, then the real datasets
        ("genvis_online", "ytvis19"),
        ("genvis_semi_online", "ytvis19"),
    ]
    assert tables["other"].loc[0, "score"] == 1.0


def test_published_numbers_in_labelled_columns_on_real_datasets_only() -> None:
    genvis = family_tables(_records(), [GENVIS], PARAMS)["genvis"].set_index(["model", "dataset"])
    assert genvis.loc[("genvis_online", "ytvis19"), "AP (published)"] == 50.0
    assert genvis.loc[("genvis_online", "ytvis19"), "AR10 (published)"] == 59.7
    assert genvis.loc[("genvis_online", "ytvis19"), "AP"] == 30.0  # ours untouched
    source = genvis.loc[("genvis_online", "ytvis19"), "published source"]
    assert "genvis_README.md" in source and "YouTubeVIS-2019" in source and "R-50" in source
    # Same model on SynthVIS, and the semi-online model (not listed): no published value.
    assert math.isnan(genvis.loc[("genvis_online", "synthvis"), "AP (published)"])
    assert math.isnan(genvis.loc[("genvis_semi_online", "ytvis19"), "AP (published)"])
    # Published columns come after ours, in our metric order, then the source.
    cols = list(genvis.columns)
    assert cols.index("AP50") < cols.index("AP (published)") < cols.index("AP50 (published)")
    assert cols.index("AR10 (published)") < cols.index("published source")


def test_synthvis_only_family_has_no_published_column() -> None:
    synth_only = {"genvis_online__synthvis": _records()["genvis_online__synthvis"]}
    table = family_tables(synth_only, [GENVIS], PARAMS)["genvis"]
    assert not [c for c in table.columns if "published" in c]
    not_real = TableParams(real_datasets=("davis16",))  # ytvis19 not declared real
    table = family_tables(_records(), [GENVIS], not_real)["genvis"]
    assert not [c for c in table.columns if "published" in c]


def test_markdown_per_dataset_sections() -> None:
    tables = family_tables(_records(), [GENVIS], PARAMS)
    md = family_markdown("genvis", tables["genvis"], PARAMS)
    synth, real = md.split("### ytvis19")
    assert "### synthvis" in synth and "(published)" not in synth and "source" not in synth
    assert "| AP (published) |" in real and "| 50.0 |" in real
    assert "local split" in real  # the dataset note says the numbers are not comparable
    flow = family_markdown("optical_flow", tables["optical_flow"], PARAMS)
    assert "| flow_dis_fast | 0.264 | 1503.4 |" in flow  # EPE with 3 decimals, fps with 1
    cn = family_markdown("clusternet", tables["clusternet"], PARAMS)
    assert "| clusternet_as_released_gtflow | oracle: clusters picked" in cn


def test_markdown_table_format() -> None:
    table = pd.DataFrame({"model": ["a|b", "c"], "AP": [1.25, None]})
    assert markdown_table(table, digits=2) == (
        "| model | AP |\n|---|---:|\n| a\\|b | 1.25 |\n| c | – |\n"
    )


def test_benchmark_markdown_and_frame() -> None:
    tables = family_tables(_records(), [GENVIS], PARAMS)
    md = benchmark_markdown(tables, PARAMS)
    assert md.startswith("# Benchmark")
    assert (
        md.index("## Video instance segmentation")
        < md.index("## GenVIS")
        < md.index("## Optical flow")
    )
    assert "`deadbeef`" in md
    frame = benchmark_frame(tables)
    assert len(frame) == len(_records())
    assert list(frame.columns[:4]) == ["family", "model", "dataset", "note"]
    assert list(frame.columns[-2:]) == ["params_hash", "git_revision"]
    empty = benchmark_markdown({}, PARAMS)
    assert "No metrics files yet" in empty
    assert list(benchmark_frame({}).columns[:2]) == ["family", "model"]


def test_bad_records_raise_one_clear_error() -> None:
    with pytest.raises(FormatError, match=r"bad__synthvis.*AP"):
        metrics_frame({"bad__synthvis": {"AP": "high"}}, PARAMS)
    with pytest.raises(FormatError, match="flat"):
        metrics_frame({"bad__synthvis": [1, 2]}, PARAMS)
    with pytest.raises(FormatError, match="reserved"):
        metrics_frame({"bad__synthvis": {"model": 1.0}}, PARAMS)


def test_table_params_validation() -> None:
    with pytest.raises(ValueError, match="models"):
        FamilySpec(name="x", title="X", models=[])
    with pytest.raises(ValueError, match="unique"):
        TableParams(families=[{"name": "a", "title": "A", "models": ["m"]}] * 2)
    with pytest.raises(ValueError, match="digits"):
        TableParams(digits=9)
    with pytest.raises(ValueError, match=r"families\[0\].*expected"):
        TableParams(families=[{"name": "a", "title": "A", "model": ["m"]}])
    params = TableParams(families=[{"name": "a", "title": "A", "models": ["m"], "metrics": []}])
    assert params.families[0].metrics == ()
    # The YAML and the library defaults describe the same families.
    conf = yaml.safe_load((ROOT / "conf/base/parameters_reporting.yml").read_text())
    assert TableParams(**conf["reporting"]["tables"]) == TableParams()


def test_packaged_published_results_are_transcribed_with_sources() -> None:
    rows = parse_published(
        yaml.safe_load((ROOT / "src/vis_pipelines/reporting/published.yml").read_text())
    )
    seeds = {"genvis_README.md", "clipvis_README.md", "clusternet_README.md"}
    assert {r.source for r in rows} == seeds
    genvis = published_for(rows, "genvis_online", "ytvis19")
    assert genvis is not None
    assert genvis.metrics == {"AP": 50.0, "AP50": 71.5, "AP75": 54.6, "AR1": 49.5, "AR10": 59.7}
    assert published_for(rows, "genvis_semi_online", "ovis").metrics["AP"] == 34.5
    assert published_for(rows, "clipvis", "lvvis").metrics == {"AP": 19.5}
    assert published_for(rows, "clusternet_as_released", "davis16").metrics == {"J_mean": 72.0}
    assert published_for(rows, "mask2former", "synthvis") is None
    assert all(r.dataset != "synthvis" for r in rows)


def test_published_rows_are_checked() -> None:
    with pytest.raises(FormatError, match="results"):
        parse_published({"rows": []})
    bad = {
        "method": "M",
        "setting": "s",
        "dataset": "ytvis19",
        "metrics": {"AP": "n/a"},
        "source": "x.md",
        "table": "T",
    }
    with pytest.raises(FormatError, match=r"results\[0\].*metrics"):
        parse_published({"results": [bad]})
    with pytest.raises(FormatError, match="table"):
        parse_published({"results": [{k: v for k, v in bad.items() if k != "table"}]})
