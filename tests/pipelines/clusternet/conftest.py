"""A tiny SynthVIS with DIS flow, and the clusternet pipeline run once on it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from clusternet_pipeline_helpers import FLOWS, clusternet_catalog, make_project
from kedro.runner import SequentialRunner

from vis_pipelines.pipelines.clusternet import create_clusternet_pipeline


@pytest.fixture(scope="session")
def clusternet_inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project folder with data/01_raw/synthvis and data/03_primary/flow/synthvis."""
    root = tmp_path_factory.mktemp("clusternet_inputs")
    make_project(root)
    return root


@pytest.fixture(scope="session")
def clusternet_run(clusternet_inputs: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The clusternet pipeline run once (sources dis_ultrafast + gt) on a copy of the inputs."""
    root = tmp_path_factory.mktemp("clusternet_run")
    shutil.copytree(clusternet_inputs / "data", root / "data")
    SequentialRunner().run(create_clusternet_pipeline(flows=FLOWS), clusternet_catalog(root))
    return root
