"""A tiny project for the reporting tests: SynthVIS, scribbles and the files models leave.

``build_tiny_project(root)`` writes under ``root/data`` what the reports read: a tiny SynthVIS
(the generator and params of tests/pipelines/synthvis), scribbles of its train split (the
scribbles pipeline's nodes), Mask2Former-like predictions scored by the project's own evaluation
instance (metrics, per-category table, PR curve through the catalog pattern), dvclive curves and a
few hand-made metrics files of other families, one of them on a real dataset.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from kedro.io import DataCatalog
from kedro.runner import SequentialRunner

from vis_pipelines.formats.rle import decode_rle, encode_mask
from vis_pipelines.scribbles import ScribbleConfig
from vis_pipelines.synth.config import SynthConfig

ROOT = Path(__file__).resolve().parents[2]
TINY_SYNTHVIS = dict(
    seed=3,
    height=48,
    width=64,
    min_frames=4,
    max_frames=6,
    min_objects=1,
    max_objects=3,
    n_train=3,
    n_valid=2,
    n_test=1,
)
_PATH_KEYS = ("json_path", "frames_dir", "root", "path", "filepath")
HAND_MADE_METRICS: dict[str, dict[str, Any]] = {
    "flow_dis_fast__synthvis": {"EPE": 0.25, "EPE_noc": 0.2, "Fl_all": 0.7, "fps": 1500.0},
    "flow_farneback__synthvis": {"EPE": 0.5, "EPE_noc": 0.4, "Fl_all": 1.2, "fps": 250.0},
    "clusternet_gt_free__synthvis": {"J_mean": 56.0, "F_mean": 41.5, "JF_mean": 48.75},
    "clusternet_as_released_gtflow__synthvis": {"J_mean": 74.0, "F_mean": 79.0, "JF_mean": 76.5},
    "genvis_online__ytvis19": {"AP": 30.0, "AP50": 50.0, "AP75": 31.0, "AR1": 28.0, "AR10": 35.0},
}


def rerooted(config: Any, root: Path, keep: tuple[str, ...] = ()) -> Any:
    """A catalog config with every relative path key (also nested) moved under ``root``."""
    if isinstance(config, dict):
        out = {}
        for key, value in config.items():
            if key in _PATH_KEYS and isinstance(value, str) and not value.startswith(keep):
                out[key] = str(root / value)
            else:
                out[key] = rerooted(value, root, keep)
        return out
    return config


def project_catalog(root: Path, *files: str) -> DataCatalog:
    """Entries of ``conf/base/<file>`` (all given files) under ``root``; the packaged
    ``published.yml`` stays where it is."""
    config: dict[str, Any] = {}
    for name in files:
        config.update(yaml.safe_load((ROOT / "conf/base" / name).read_text()))
    config = rerooted(config, root, keep=("src/",))
    for entry in config.values():
        if str(entry.get("filepath", "")).startswith("src/"):
            entry["filepath"] = str(ROOT / entry["filepath"])
    return DataCatalog.from_config(config)


def reporting_params() -> dict[str, Any]:
    """``reporting`` of conf/base/parameters_reporting.yml, as plain mappings."""
    return yaml.safe_load((ROOT / "conf/base/parameters_reporting.yml").read_text())["reporting"]


def _generate_synthvis(root: Path) -> None:
    from vis_pipelines.pipelines.synthvis import create_pipeline

    catalog = project_catalog(root, "catalog.yml")
    catalog["params:synthvis.generator"] = SynthConfig(**TINY_SYNTHVIS)
    catalog["params:synthvis.davis_imagesets"] = {"train": "train", "val": "valid"}
    SequentialRunner().run(create_pipeline().only_nodes("generate_synthvis_node"), catalog)


def _scribble_train(root: Path) -> None:
    from vis_pipelines.pipelines.scribbles.pipeline import create_scribbles_pipeline

    pipe = create_scribbles_pipeline("synthvis_train", shards=1).only_nodes(
        "synthvis_train.scribble_shard_0_node", "synthvis_train.assemble_scribbles_node"
    )
    catalog = project_catalog(root, "catalog.yml", "catalog_scribbles.yml")
    catalog["params:scribbles.generator"] = ScribbleConfig()
    SequentialRunner().run(pipe, catalog)


def _fake_predictions(root: Path) -> list[dict[str, Any]]:
    """Each valid object found (score 0.9, the first frame dropped) plus a false track."""
    gt = json.loads((root / "data/01_raw/synthvis/ytvis/valid.json").read_text())
    preds = []
    for i, ann in enumerate(gt["annotations"]):
        segs = list(ann["segmentations"])
        segs[0] = None
        preds.append(
            {
                "video_id": ann["video_id"],
                "category_id": ann["category_id"],
                "score": 0.9 - 0.01 * i,
                "segmentations": segs,
            }
        )
        # A wrong-category copy, shifted: a false positive at a lower score.
        shifted = [
            None if s is None else encode_mask(np.roll(decode_rle(s), 5, axis=1)) for s in segs
        ]
        other = gt["categories"][(ann["category_id"]) % len(gt["categories"])]["id"]
        preds.append(
            {
                "video_id": ann["video_id"],
                "category_id": other,
                "score": 0.5,
                "segmentations": shifted,
            }
        )
    return preds


def _score_predictions(root: Path) -> None:
    """The mask2former evaluation instance (ground truth + AP nodes) on the fake predictions."""
    from vis_pipelines.pipelines.mask2former import create_pipeline

    pipe = create_pipeline().only_nodes(
        "mask2former.ground_truth_node", "mask2former.evaluate_ytvis_node"
    )
    catalog = project_catalog(
        root, "catalog.yml", "catalog_mask2former.yml", "catalog_reporting.yml"
    )
    catalog.save("mask2former.predictions", _fake_predictions(root))
    catalog["params:mask2former.evaluation"] = {"split_field": "split"}
    SequentialRunner().run(pipe, catalog)


def _curves(root: Path) -> None:
    folder = root / "data/06_models/mask2former/live/plots/metrics/train"
    folder.mkdir(parents=True)
    steps = np.arange(10, 110, 10)
    series = {
        "loss": 40.0 / np.sqrt(steps),
        "loss_ce": 4.0 / np.sqrt(steps),
        "lr": 1e-4 * (1 - steps / 110),
    }
    for name, values in series.items():
        lines = [f"step\t{name}"] + [f"{s}\t{v}" for s, v in zip(steps, values, strict=True)]
        (folder / f"{name}.tsv").write_text("\n".join(lines) + "\n")


def build_tiny_project(root: Path, *, conf: bool = False) -> Path:
    """Write the tiny project's data under ``root`` (and, with ``conf``, a copy of the project
    configuration: pyproject.toml, conf/ without local, an empty src/) and return ``root``."""
    _generate_synthvis(root)
    _scribble_train(root)
    _score_predictions(root)
    _curves(root)
    metrics = root / "data/08_reporting/metrics"
    for name, record in HAND_MADE_METRICS.items():
        payload = {**record, "params_hash": "0123456789ab", "git_revision": "test"}
        (metrics / f"{name}.json").write_text(json.dumps(payload))
    if conf:
        shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
        shutil.copytree(ROOT / "conf", root / "conf", ignore=shutil.ignore_patterns("local"))
        (root / "conf/local").mkdir()
        (root / "src").mkdir()  # Kedro checks the source folder exists; the package is installed
        # The packaged published.yml, where the catalog (relative to the project) looks for it.
        target = root / "src/vis_pipelines/reporting"
        target.mkdir(parents=True)
        shutil.copy(ROOT / "src/vis_pipelines/reporting/published.yml", target / "published.yml")
    return root
