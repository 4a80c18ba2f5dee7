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


def test_report_files_roundtrip_and_atomic(tmp_path) -> None:
    import pandas as pd

    from vis_pipelines.datasets import CSVDataset, PNGDataset, TextDataset

    text = TextDataset(filepath=str(tmp_path / "r" / "table.md"))
    text.save("| a |\n|---|\n| 1 |\n")
    assert text.load() == "| a |\n|---|\n| 1 |\n"
    csv = CSVDataset(filepath=str(tmp_path / "r" / "stats.csv"))
    frame = pd.DataFrame({"video_id": [1, 2], "coverage_pct": [0.5, 1.25]})
    csv.save(frame)
    pd.testing.assert_frame_equal(csv.load(), frame)
    assert (tmp_path / "r" / "stats.csv").read_text().splitlines()[0] == "video_id,coverage_pct"
    with pytest.raises(Exception, match="saves a pandas DataFrame"):
        csv.save([1, 2])
    png = PNGDataset(filepath=str(tmp_path / "r" / "p.png"))
    img = np.zeros((4, 5, 3), np.uint8)
    img[1, 2] = (255, 0, 0)
    png.save(img)
    np.testing.assert_array_equal(np.asarray(png.load()), img)
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == ["p.png", "stats.csv", "table.md"]
    (tmp_path / "r" / "p.png").write_bytes(b"junk")
    with pytest.raises(FormatError, match=r"p\.png.*cannot decode"):
        png.load()
