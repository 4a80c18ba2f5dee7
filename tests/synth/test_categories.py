"""Categories: colour x shape names, synonyms and the base/novel split of unseen combinations."""

from __future__ import annotations

import pytest

from vis_pipelines.synth import SynthConfig, build_categories


def test_default_categories(categories: list[dict]) -> None:
    cfg = SynthConfig()
    assert len(categories) == len(cfg.colours) * len(cfg.shapes) == 30
    assert [c["id"] for c in categories] == list(range(1, 31))
    for c in categories:
        assert c["name"] == f"{c['colour']} {c['shape']}"
        assert c["split"] in ("base", "novel")
    # round(0.25 * 30) = round(7.5) = 8 novel categories.
    assert sum(c["split"] == "novel" for c in categories) == 8


def test_every_shape_and_colour_is_in_base(categories: list[dict]) -> None:
    base = [c for c in categories if c["split"] == "base"]
    cfg = SynthConfig()
    assert {c["shape"] for c in base} == set(cfg.shapes)
    assert {c["colour"] for c in base} == set(cfg.colours)


def test_synonyms_non_empty_and_unique(categories: list[dict]) -> None:
    everything = [c["name"] for c in categories]
    for c in categories:
        assert c["synonyms"], c["name"]
        assert c["name"] not in c["synonyms"]
        everything += c["synonyms"]
    assert len(everything) == len(set(everything))  # no word names two categories
    red_star = next(c for c in categories if c["name"] == "red star")
    assert "crimson star" in red_star["synonyms"] and "red pentagram" in red_star["synonyms"]


def test_deterministic_in_seed() -> None:
    assert build_categories(SynthConfig(seed=3)) == build_categories(SynthConfig(seed=3))
    novel = [
        {c["name"] for c in build_categories(SynthConfig(seed=s)) if c["split"] == "novel"}
        for s in range(4)
    ]
    assert len({frozenset(n) for n in novel}) > 1


def test_novel_fraction_limits() -> None:
    assert all(c["split"] == "base" for c in build_categories(SynthConfig(novel_fraction=0.0)))
    # 2 colours x 3 shapes: a base set covering all 3 shapes needs 3 combos, so at most 3 novel.
    cfg = SynthConfig(
        colours=("red", "blue"), shapes=("circle", "star", "ring"), novel_fraction=0.5
    )
    cats = build_categories(cfg)
    assert sum(c["split"] == "novel" for c in cats) == 3
    assert {c["shape"] for c in cats if c["split"] == "base"} == {"circle", "star", "ring"}
    with pytest.raises(ValueError, match="novel_fraction"):
        build_categories(
            SynthConfig(
                colours=("red", "blue"), shapes=("circle", "star", "ring"), novel_fraction=0.75
            )
        )
