"""Helpers for the mask2former pipeline tests: the project catalog under a tmp root, tiny params."""

from __future__ import annotations

from pathlib import Path

from kedro.io import DataCatalog
from project_catalog import catalog_entries
from tiny_model import TINY_MODEL

from vis_pipelines.synth.config import SynthConfig

ROOT = Path(__file__).resolve().parents[3]
TINY_SYNTHVIS = dict(
    seed=4,
    height=64,
    width=96,
    min_frames=4,
    max_frames=5,
    min_objects=1,
    max_objects=2,
    n_train=3,
    n_valid=2,
    n_test=1,
)
TINY_PARAMS = {
    "model": {**TINY_MODEL, "small_cnn_widths": list(TINY_MODEL["small_cnn_widths"])},
    "train": dict(
        max_steps=3,
        batch_size=2,
        crop_size=[64, 96],
        checkpoint_every=2,
        log_every=1,
        device="cpu",
        num_workers=0,
        threads=1,
    ),
    "inference": dict(device="cpu", topk=3),
    "evaluation": dict(split_field="split"),
}


def mask2former_catalog(root: Path, **train_overrides) -> DataCatalog:
    """synthvis + mask2former catalog entries under ``root`` with tiny parameters."""
    config = {
        **catalog_entries(ROOT / "conf/base/catalog.yml", root, ("synthvis_",)),
        **catalog_entries(ROOT / "conf/base/catalog_mask2former.yml", root, ("mask2former",)),
    }
    catalog = DataCatalog.from_config(config)
    catalog["params:synthvis.generator"] = SynthConfig(**TINY_SYNTHVIS)
    catalog["params:synthvis.davis_imagesets"] = {"train": "train", "val": "valid"}
    for key, value in TINY_PARAMS.items():
        if key == "train":
            value = {**value, **train_overrides}
        catalog[f"params:mask2former.{key}"] = value
    return catalog
