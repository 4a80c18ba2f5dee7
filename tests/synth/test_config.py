"""SynthConfig: coercion of YAML values and clear errors for bad parameters."""

from __future__ import annotations

import dataclasses

import pytest

from vis_pipelines.synth import SynthConfig


def test_defaults_are_valid_and_hashable() -> None:
    cfg = SynthConfig()
    assert (cfg.height, cfg.width, cfg.min_frames, cfg.max_frames) == (96, 160, 10, 20)
    assert hash(cfg) == hash(SynthConfig())  # frozen: usable as a cache key
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.seed = 3  # type: ignore[misc]


def test_from_dict_coerces_yaml_values() -> None:
    params = {
        "seed": 5,
        "shapes": ["circle", "star"],
        "colours": ["red", "blue"],
        "max_speed": 3,
        "n_train": 2,
    }
    cfg = SynthConfig.from_dict(params)
    assert cfg.shapes == ("circle", "star") and cfg.colours == ("red", "blue")
    assert isinstance(cfg.max_speed, float) and cfg.max_speed == 3.0
    assert cfg.seed == 5 and cfg.n_train == 2
    # Kedro's typed parameters call the constructor directly with the YAML dict: same result.
    assert SynthConfig(**params) == cfg


def test_split_size() -> None:
    cfg = SynthConfig(n_train=3, n_valid=2, n_test=1)
    assert [cfg.split_size(s) for s in ("train", "valid", "test")] == [3, 2, 1]
    with pytest.raises(ValueError, match="val"):
        cfg.split_size("val")


def test_unknown_key_is_named() -> None:
    with pytest.raises(ValueError, match="heigth"):
        SynthConfig.from_dict({"heigth": 96})
    with pytest.raises(ValueError, match="mapping"):
        SynthConfig.from_dict([("height", 96)])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"min_frames": 12, "max_frames": 11}, "max_frames"),
        ({"min_objects": 3, "max_objects": 2}, "max_objects"),
        ({"min_size": 0.3, "max_size": 0.2}, "max_size"),
        ({"min_speed": 2.0, "max_speed": 1.0}, "max_speed"),
        ({"height": 15}, "height"),
        ({"width": 8}, "width"),
        ({"min_frames": 1}, "min_frames"),
        ({"min_speed": 0.0}, "min_speed"),
        ({"max_objects": 300}, "max_objects"),
        ({"seed": -1}, "seed"),
        ({"n_train": 1.5}, "n_train"),
        ({"height": True}, "height"),
        ({"noise_std": "high"}, "noise_std"),
        ({"noise_std": float("nan")}, "noise_std"),
        ({"camera_prob": 1.5}, "camera_prob"),
        ({"novel_fraction": 1.0}, "novel_fraction"),
        ({"occlusion": "yes"}, "occlusion"),
        ({"shapes": ["circle", "blob"]}, "shapes"),
        ({"shapes": "circle"}, "shapes"),
        ({"colours": ["red", "red"]}, "colours"),
        ({"colours": []}, "colours"),
    ],
)
def test_bad_values_name_the_field(params: dict, field: str) -> None:
    with pytest.raises(ValueError, match=rf"SynthConfig\.{field}\b"):
        SynthConfig.from_dict(params)
