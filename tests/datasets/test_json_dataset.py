"""The atomic JSON dataset used for manifests, reports and metrics."""

from __future__ import annotations

import numpy as np
import pytest

from vis_pipelines.datasets import JSONDataset
from vis_pipelines.formats import FormatError


def test_roundtrip_numpy_values_and_no_partial_file(tmp_path) -> None:
    ds = JSONDataset(filepath=str(tmp_path / "m" / "metrics.json"))
    ds.save({"AP": np.float64(12.5), "n": np.int64(3), "curve": np.arange(3), "params_hash": "abc"})
    assert ds.load() == {"AP": 12.5, "n": 3, "curve": [0, 1, 2], "params_hash": "abc"}
    before = (tmp_path / "m" / "metrics.json").read_bytes()
    with pytest.raises(Exception, match="not JSON serialisable"):
        ds.save({"AP": object()})
    assert (tmp_path / "m" / "metrics.json").read_bytes() == before
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["metrics.json"]


def test_truncated_file_names_it(tmp_path) -> None:
    path = tmp_path / "report.json"
    path.write_text('{"a": 1')
    with pytest.raises(FormatError, match=r"report\.json.*invalid JSON"):
        JSONDataset(filepath=str(path)).load()
