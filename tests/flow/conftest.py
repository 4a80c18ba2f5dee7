"""Fixtures for the flow library tests (helpers live in flow_helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from flow_helpers import translated_video, write_davis

from vis_pipelines.flow import build_raft


@pytest.fixture
def tiny_davis(tmp_path: Path) -> Path:
    """Three short sequences (two in ``val``) of translating textures, 40x56 px."""
    videos = {
        "a": translated_video(4, 40, 56, 1.0, 0.5, seed=1),
        "b": translated_video(3, 40, 56, -1.0, 0.0, seed=2),
        "c": translated_video(5, 40, 56, 0.0, 1.0, seed=3),
    }
    return write_davis(tmp_path / "davis", videos, {"train": ["c"], "val": ["a", "b"]})


@pytest.fixture(scope="session")
def raft_small_weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random-weights torchvision raft_small state dict saved like torchvision's files."""
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("weights") / "raft_small_random.pth"
    torch.save(build_raft("raft_small").state_dict(), path)
    return path
