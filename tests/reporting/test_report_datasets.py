"""The datasets the reports use: optional inputs and atomically replaced report folders."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from kedro.io import DataCatalog, DatasetError

from vis_pipelines.datasets.errors import DatasetValueError
from vis_pipelines.datasets.optional import OptionalDataset
from vis_pipelines.datasets.report_folder import ReportFolderDataset


def _partitioned(path: Path) -> dict:
    return {
        "type": "vis_pipelines.datasets.optional.OptionalDataset",
        "dataset": {
            "type": "partitions.PartitionedDataset",
            "path": str(path),
            "filename_suffix": ".json",
            "dataset": "vis_pipelines.datasets.JSONDataset",
        },
    }


def test_optional_partitions_load_none_until_there(tmp_path: Path) -> None:
    catalog = DataCatalog.from_config({"metrics": _partitioned(tmp_path / "metrics")})
    assert catalog.load("metrics") is None  # no folder
    (tmp_path / "metrics").mkdir()
    assert catalog.load("metrics") is None  # empty folder (PartitionedDataset would raise)
    assert not catalog.exists("metrics")
    (tmp_path / "metrics/a__synthvis.json").write_text(json.dumps({"AP": 1.0}))
    loaded = catalog.load("metrics")
    assert list(loaded) == ["a__synthvis"] and loaded["a__synthvis"]() == {"AP": 1.0}


def test_optional_single_file_and_save(tmp_path: Path) -> None:
    ds = OptionalDataset(
        dataset={"type": "vis_pipelines.datasets.JSONDataset", "filepath": str(tmp_path / "x.json")}
    )
    assert ds.load() is None
    ds.save({"a": 1})  # saving goes to the wrapped dataset
    assert ds.load() == {"a": 1} and ds.exists()
    assert "JSONDataset" in str(ds)


def test_report_folder_replaces_the_whole_folder(tmp_path: Path) -> None:
    folder = tmp_path / "plots"
    ds = ReportFolderDataset(path=str(folder))
    assert ds.load() == {}
    calls = []

    def lazy() -> bytes:
        calls.append(1)
        return b"\x89PNG lazily"

    ds.save(
        {
            "a.png": b"\x89PNG",
            "sub/b.md": "# title",
            "c.csv": pd.DataFrame({"x": [1, 2]}),
            "d.png": lazy,
        }
    )
    assert calls == [1]
    assert (folder / "sub/b.md").read_text() == "# title"
    assert (folder / "c.csv").read_text() == "x\n1\n2\n"
    loaded = ds.load()
    assert list(loaded) == ["a.png", "c.csv", "d.png", "sub/b.md"]
    assert loaded["d.png"]() == b"\x89PNG lazily"
    # A second save replaces everything: the files of the first one do not linger.
    ds.save({"e.png": b"new"})
    assert sorted(p.name for p in folder.rglob("*") if p.is_file()) == ["e.png"]
    ds.save({})
    assert folder.is_dir() and ds.load() == {}


def test_report_folder_failure_keeps_the_previous_set(tmp_path: Path) -> None:
    folder = tmp_path / "overlays"
    ds = ReportFolderDataset(path=str(folder))
    ds.save({"old.gif": b"GIF89a"})

    def broken() -> bytes:
        raise ValueError("rendering failed")

    with pytest.raises(DatasetError, match="rendering failed"):
        ds.save({"new.gif": b"GIF89a", "bad.gif": broken})
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["old.gif"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left


@pytest.mark.parametrize("name", ["../escape.png", "/abs.png", "no_extension", ""])
def test_report_folder_refuses_bad_names(tmp_path: Path, name: str) -> None:
    with pytest.raises(DatasetValueError, match="relative path"):
        ReportFolderDataset(path=str(tmp_path / "f")).save({name: b"x"})


def test_report_folder_refuses_unknown_content(tmp_path: Path) -> None:
    with pytest.raises(DatasetValueError, match="expected bytes"):
        ReportFolderDataset(path=str(tmp_path / "f")).save({"a.png": 3})
    with pytest.raises(DatasetValueError, match="mapping"):
        ReportFolderDataset(path=str(tmp_path / "f")).save([b"x"])
