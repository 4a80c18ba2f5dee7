"""Helpers for the optical_flow pipeline tests: tiny configs and the catalog under a tmp root."""

from __future__ import annotations

from pathlib import Path

from kedro.io import DataCatalog
from kedro.runner import SequentialRunner
from project_catalog import catalog_entries

from vis_pipelines.flow import FinetuneConfig, FlowReportParams, OpticalFlowParams
from vis_pipelines.pipelines.optical_flow import create_pipeline
from vis_pipelines.synth.generator import SynthConfig

ROOT = Path(__file__).resolve().parents[3]
TINY_SYNTHVIS = {
    "seed": 3,
    "height": 48,
    "width": 64,
    "min_frames": 4,
    "max_frames": 6,
    "min_objects": 1,
    "max_objects": 2,
    "n_train": 2,
    "n_valid": 2,
    "n_test": 1,
}
TINY_FLOWS = {
    "methods": ["dis_ultrafast", "farneback", "raft_small_finetuned"],
    "gaps": [1, -1],
    "sequences": {"split": "val"},
    "raft": {"iterations": 2, "batch_size": 4},
}
TINY_FINETUNE = {"steps": 2, "batch_size": 1, "iterations": 2, "log_every": 1}
TINY_REPORT = {"previews": {"sequences": 1, "every": 2}}


def flow_catalog(root: Path, **overrides: dict) -> DataCatalog:
    """The project's synthvis + optical_flow catalog entries with paths under ``root``."""
    config = {
        **catalog_entries(ROOT / "conf/base/catalog.yml", root, ("synthvis_",)),
        **catalog_entries(ROOT / "conf/base/catalog_optical_flow.yml", root, ("optical_flow",)),
    }
    catalog = DataCatalog.from_config(config)
    catalog["params:synthvis.generator"] = SynthConfig(**TINY_SYNTHVIS)
    catalog["params:synthvis.davis_imagesets"] = {"train": "train", "val": "valid"}
    catalog["params:optical_flow.flows"] = OpticalFlowParams(
        **{**TINY_FLOWS, **overrides.get("flows", {})}
    )
    catalog["params:optical_flow.finetune"] = FinetuneConfig(**TINY_FINETUNE)
    catalog["params:optical_flow.report"] = FlowReportParams(**TINY_REPORT)
    return catalog


def run_flow(root: Path, **overrides: dict) -> DataCatalog:
    """Run the optical_flow pipeline on the SynthVIS under ``root``."""
    catalog = flow_catalog(root, **overrides)
    SequentialRunner().run(create_pipeline(), catalog)
    return catalog
