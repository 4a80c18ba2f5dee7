"""Shared fixtures for the SynthVIS generator tests."""

from __future__ import annotations

import dataclasses

import pytest

from vis_pipelines.synth import SynthConfig, SynthVideo, build_categories, iter_split


@pytest.fixture(scope="session")
def default_cfg() -> SynthConfig:
    """The default configuration (what `kedro run` generates)."""
    return SynthConfig()


@pytest.fixture(scope="session")
def clean_cfg() -> SynthConfig:
    """Default scenes without photometric effects (frames are exactly the rendered surfaces)."""
    return dataclasses.replace(SynthConfig(), noise_std=0.0, lighting_amplitude=0.0)


@pytest.fixture(scope="session")
def categories(default_cfg: SynthConfig) -> list[dict]:
    """Categories of the default configuration."""
    return build_categories(default_cfg)


@pytest.fixture(scope="session")
def default_dataset(
    default_cfg: SynthConfig, categories: list[dict]
) -> dict[str, list[SynthVideo]]:
    """All videos of the default dataset, generated once (a few seconds)."""
    return {
        split: list(iter_split(default_cfg, split, categories, progress=False))
        for split in ("train", "valid", "test")
    }
