"""A tiny SynthVIS written once per session, and the optical_flow pipeline run on it."""

from __future__ import annotations

from pathlib import Path

import pytest
from kedro.runner import SequentialRunner
from optical_flow_helpers import flow_catalog, run_flow

from vis_pipelines.pipelines.synthvis import create_pipeline as create_synthvis


@pytest.fixture(scope="session")
def synthvis_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project-like folder holding a tiny SynthVIS (data/01_raw/synthvis)."""
    root = tmp_path_factory.mktemp("optical_flow_project")
    # Only the generator: the Great Expectations validation is tested with the synthvis pipeline.
    SequentialRunner().run(
        create_synthvis().only_nodes("generate_synthvis_node"), flow_catalog(root)
    )
    return root


@pytest.fixture(scope="session")
def flow_run(synthvis_root: Path) -> Path:
    """The optical_flow pipeline run once on the tiny SynthVIS; returns the project folder."""
    run_flow(synthvis_root)
    return synthvis_root
