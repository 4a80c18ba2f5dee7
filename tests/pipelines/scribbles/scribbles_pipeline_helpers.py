"""A tiny SynthVIS config and catalogs wired like conf/base, for the scribbles pipeline tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from kedro.io import DataCatalog, SharedMemoryDataCatalog

from vis_pipelines.scribbles import PreviewConfig, ScribbleConfig
from vis_pipelines.synth.generator import SynthConfig

ROOT = Path(__file__).resolve().parents[3]
TINY = SynthConfig(
    seed=3,
    height=48,
    width=64,
    min_frames=3,
    max_frames=5,
    min_objects=1,
    max_objects=3,
    n_train=3,
    n_valid=2,
    n_test=1,
)
PREVIEWS = PreviewConfig(videos=2, frames=2, min_height=96)


def _rebase(entry: dict[str, Any], raw: Path, out: Path) -> dict[str, Any]:
    entry = dict(entry)
    for key in ("json_path", "path", "filepath"):
        if key in entry:
            base = raw if str(entry[key]).startswith("data/01_raw") else out
            entry[key] = str(base / entry[key])
    if "frames_dir" in entry:
        entry["frames_dir"] = str(raw / entry["frames_dir"])
    return entry


def make_catalog(
    raw: Path,
    out: Path,
    generator: ScribbleConfig | None = None,
    *,
    shared: bool = False,
) -> DataCatalog:
    """conf/base's SynthVIS entries (files under ``raw``) and scribble patterns (under ``out``).

    ``shared``: a ``SharedMemoryDataCatalog``, as ``ParallelRunner`` requires.
    """
    entries: dict[str, Any] = {}
    base = yaml.safe_load((ROOT / "conf/base/catalog.yml").read_text())
    for name in ("synthvis_train", "synthvis_valid"):
        entries[name] = _rebase(base[name], raw, out)
    scribbles = yaml.safe_load((ROOT / "conf/base/catalog_scribbles.yml").read_text())
    for name, entry in scribbles.items():
        entries[name] = _rebase(entry, raw, out)
    # ParallelRunner needs the catalog that shares memory datasets between processes.
    catalog = (SharedMemoryDataCatalog if shared else DataCatalog).from_config(entries)
    catalog["params:scribbles.generator"] = generator or ScribbleConfig()
    catalog["params:scribbles.previews"] = PREVIEWS
    return catalog
