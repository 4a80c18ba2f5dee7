"""TorchCheckpointDataset: atomic save, contract checks, clear errors for missing/corrupt files."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
import torch
from kedro.io import DataCatalog, DatasetError

from vis_pipelines.datasets import TorchCheckpointDataset
from vis_pipelines.formats import FormatError


class _Opaque:
    """Not a tensor/container: torch's weights-only unpickler refuses it."""


def _checkpoint(step: int = 7) -> dict:
    model = torch.nn.Linear(3, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.ones(1, 3)).sum().backward()
    opt.step()
    return {
        "model": model.state_dict(),
        "optimizer": opt.state_dict(),
        "scheduler": None,
        "scaler": None,
        "step": step,
        "config": {"lr": 0.1, "sizes": [64, 128]},
        "rng_state": {
            "torch": torch.get_rng_state(),
            "numpy": np.random.get_state(),
            "python": random.getstate(),
            "generator": np.random.default_rng(3).bit_generator.state,
        },
    }


def test_round_trip(tmp_path: Path) -> None:
    ds = TorchCheckpointDataset(filepath=str(tmp_path / "ckpt" / "last.pt"))
    assert not ds.exists()
    ckpt = _checkpoint()
    ds.save(ckpt)
    assert ds.exists() and not list(tmp_path.rglob("*.tmp"))
    back = ds.load()
    assert back["step"] == 7 and back["config"] == ckpt["config"]
    for k, v in ckpt["model"].items():
        torch.testing.assert_close(back["model"][k], v)
    assert back["optimizer"]["param_groups"][0]["momentum"] == 0.9
    torch.testing.assert_close(back["rng_state"]["torch"], ckpt["rng_state"]["torch"])
    np.testing.assert_array_equal(back["rng_state"]["numpy"][1], ckpt["rng_state"]["numpy"][1])
    assert back["rng_state"]["python"] == ckpt["rng_state"]["python"]


def test_failed_save_keeps_previous_file(tmp_path: Path) -> None:
    path = tmp_path / "last.pt"
    ds = TorchCheckpointDataset(filepath=str(path))
    ds.save(_checkpoint(step=1))
    before = path.read_bytes()
    with pytest.raises(DatasetError):
        ds.save({"model": {}, "step": 2, "config": lambda: None})  # unpicklable
    assert path.read_bytes() == before and not list(tmp_path.rglob("*.tmp"))
    assert ds.load()["step"] == 1


def test_contract_checked_on_save(tmp_path: Path) -> None:
    ds = TorchCheckpointDataset(filepath=str(tmp_path / "c.pt"))
    with pytest.raises(ValueError, match=r"lacks \['step'\]"):
        ds.save({"model": {}})
    with pytest.raises(ValueError, match="must be an int"):
        ds.save({"model": {}, "step": "10"})
    with pytest.raises(ValueError, match="must be a dict"):
        ds.save([1, 2])
    assert not ds.exists()


def test_missing_corrupt_and_foreign_files(tmp_path: Path) -> None:
    path = tmp_path / "c.pt"
    ds = TorchCheckpointDataset(filepath=str(path))
    with pytest.raises(FormatError, match=r"c.pt: checkpoint not found"):
        ds.load()
    ds.save(_checkpoint())
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(FormatError, match=r"c.pt: cannot read checkpoint"):
        ds.load()
    path.write_bytes(b"")
    with pytest.raises(FormatError, match=r"c.pt: cannot read checkpoint"):
        ds.load()
    torch.save({"step": 1}, path)
    with pytest.raises(FormatError, match=r"c.pt, field 'model': missing"):
        ds.load()
    torch.save({"model": _Opaque(), "step": 1}, path)
    with pytest.raises(FormatError, match="weights_only: false"):
        ds.load()
    trusting = TorchCheckpointDataset(filepath=str(path), weights_only=False)
    assert isinstance(trusting.load()["model"], _Opaque)


def test_catalog_from_config(tmp_path: Path) -> None:
    catalog = DataCatalog.from_config(
        {
            "ckpt": {
                "type": "vis_pipelines.datasets.TorchCheckpointDataset",
                "filepath": str(tmp_path / "06_models" / "m.pt"),
                "map_location": "cpu",
            }
        }
    )
    assert not catalog.exists("ckpt")
    catalog.save("ckpt", _checkpoint(step=3))
    assert catalog.load("ckpt")["step"] == 3
    with pytest.raises(DatasetError, match="lacks"):
        catalog.save("ckpt", {"model": {}})
