"""Helpers for the clusternet pipeline tests: a tiny SynthVIS with DIS flow, catalog, parameters."""

from __future__ import annotations

from pathlib import Path

from kedro.io import DataCatalog
from kedro.runner import SequentialRunner
from project_catalog import catalog_entries

from vis_pipelines.clusternet.config import ClusterNetParams
from vis_pipelines.flow import OpticalFlowParams
from vis_pipelines.pipelines.optical_flow import create_flow_pipeline
from vis_pipelines.pipelines.synthvis import create_pipeline as create_synthvis
from vis_pipelines.synth.generator import SynthConfig

ROOT = Path(__file__).resolve().parents[3]
TINY_SYNTHVIS = {
    "seed": 5,
    "height": 48,
    "width": 64,
    "min_frames": 4,
    "max_frames": 5,
    "min_objects": 1,
    "max_objects": 2,
    "n_train": 1,
    "n_valid": 2,
    "n_test": 1,
}
TINY = {
    "model": {"width": 4, "downsample": 1, "n_prototypes": 8, "embed_dim": 6},
    "online": {
        "pretrain_epochs": 2,
        "steps": 1,
        "batch_size": 2,
        "input_size": [24, 32],
        "device": "cpu",
        "threads": 1,
    },
    "modes": {"as_released": {"pretrain_scope": "sequence", "pretrain_epochs": 1}},
    "workers": 1,
}
FLOWS = ["dis_ultrafast", "gt"]


def clusternet_catalog(root: Path, **segmentation: object) -> DataCatalog:
    """The synthvis, optical-flow store and clusternet entries with paths under ``root``."""
    config = {
        **catalog_entries(ROOT / "conf/base/catalog.yml", root, ("synthvis_",)),
        **catalog_entries(
            ROOT / "conf/base/catalog_optical_flow.yml", root, ("optical_flow_store",)
        ),
        **catalog_entries(ROOT / "conf/base/catalog_clusternet.yml", root),
    }
    catalog = DataCatalog.from_config(config)
    catalog["params:synthvis.generator"] = SynthConfig(**TINY_SYNTHVIS)
    catalog["params:synthvis.davis_imagesets"] = {"train": "train", "val": "valid"}
    catalog["params:optical_flow.flows"] = OpticalFlowParams(
        methods=["dis_ultrafast"], gaps=[1, -1], sequences={"split": "val"}
    )
    catalog["params:clusternet.segmentation"] = ClusterNetParams(**{**TINY, **segmentation})
    catalog["params:clusternet.evaluation"] = {"task": "binary"}
    return catalog


def make_project(root: Path) -> None:
    """Tiny SynthVIS and its DIS flow under ``root``."""
    catalog = clusternet_catalog(root)
    runner = SequentialRunner()
    runner.run(create_synthvis().only_nodes("generate_synthvis_node"), catalog)
    flow = create_flow_pipeline(dataset="synthvis", frames="synthvis_davis", checkpoint=None)
    runner.run(flow.only_nodes("compute_optical_flow_synthvis_node"), catalog)
