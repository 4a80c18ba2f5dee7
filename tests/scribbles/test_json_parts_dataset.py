"""JSONPartsDataset: lazy per-key loading, additive atomic saves, lazy (callable) parts."""

from __future__ import annotations

import json
import pickle

import pytest
from kedro.io import DatasetError

from vis_pipelines.datasets.json_parts import JSONPartsDataset
from vis_pipelines.formats import FormatError


def test_missing_folder_loads_empty_and_saves_add_parts(tmp_path) -> None:
    ds = JSONPartsDataset(path=str(tmp_path / "parts"))
    assert ds.load() == {} and not ds.exists()
    ds.save({"a": {"x": 1}, "b": lambda: {"x": 2}})
    ds.save({"c": {"x": 3}})  # a second writer (shard) adds, never deletes
    loaded = ds.load()
    assert sorted(loaded) == ["a", "b", "c"]
    assert loaded["b"]() == {"x": 2}
    assert json.loads((tmp_path / "parts/a.json").read_text()) == {"x": 1}
    assert pickle.loads(pickle.dumps(loaded["a"]))() == {"x": 1}  # ParallelRunner ships loaders


def test_lazy_parts_before_an_error_are_kept(tmp_path) -> None:
    ds = JSONPartsDataset(path=str(tmp_path), progress="test")

    def boom() -> dict:
        raise RuntimeError("interrupted")

    with pytest.raises(DatasetError, match="interrupted"):
        ds.save({"first": lambda: {"ok": True}, "second": boom})
    assert sorted(ds.load()) == ["first"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp file left


def test_temp_and_foreign_files_are_ignored_and_bad_keys_rejected(tmp_path) -> None:
    (tmp_path / ".x.json.123.tmp").write_text("{")
    (tmp_path / "notes.txt").write_text("hi")
    (tmp_path / "p.json").write_text("{tru")
    ds = JSONPartsDataset(path=str(tmp_path))
    loaded = ds.load()
    assert list(loaded) == ["p"]
    with pytest.raises(FormatError, match="invalid JSON"):
        loaded["p"]()
    with pytest.raises(ValueError, match="plain file names"):
        ds.save({"../evil": {}})
    with pytest.raises(ValueError, match="dict of parts"):
        ds.save([1, 2])
