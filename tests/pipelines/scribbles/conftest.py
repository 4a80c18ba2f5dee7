"""Fixtures for the scribbles pipeline tests: a tiny SynthVIS on disk."""

from __future__ import annotations

from pathlib import Path

import pytest
from scribbles_pipeline_helpers import TINY

from vis_pipelines.datasets import YTVISDataset
from vis_pipelines.synth.layouts import SynthVISSource, build_ytvis


@pytest.fixture(scope="session")
def synthvis_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Project-like root holding data/01_raw/synthvis/ytvis/{train,valid}.json and frames."""
    root = tmp_path_factory.mktemp("synthvis_raw")
    source = SynthVISSource(TINY)
    base = root / "data/01_raw/synthvis/ytvis"
    for split in ("train", "valid"):
        YTVISDataset(
            json_path=str(base / f"{split}.json"), frames_dir=str(base / split / "JPEGImages")
        ).save(build_ytvis(source, split))
    return root
