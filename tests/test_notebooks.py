"""Every notebook runs headless (nbclient) on a tiny project and is committed without outputs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
sys.path.insert(0, str(ROOT / "tests" / "reporting"))

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")


def test_three_notebooks_without_outputs() -> None:
    assert [p.name for p in NOTEBOOKS] == [
        "dataset_browser.ipynb",
        "model_inspection.ipynb",
        "results_overview.ipynb",
    ]
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, path.name
                # Data comes through the catalog: no data/ paths written in the notebooks.
                assert "data/0" not in cell.source, path.name


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tiny_project import build_tiny_project

    root = build_tiny_project(tmp_path_factory.mktemp("notebook_project"), conf=True)
    (root / "notebooks").mkdir()
    return root


def _images(nb) -> list[str]:
    return [
        mime
        for cell in nb.cells
        for out in cell.get("outputs", [])
        for mime in out.get("data", {})
        if mime.startswith("image/")
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_on_tiny_project(path: Path, project: Path, monkeypatch) -> None:
    nb = nbformat.read(path, as_version=4)
    monkeypatch.setenv("VIS_PROJECT_PATH", str(project))  # the kernel inherits the environment
    monkeypatch.setenv("KEDRO_DISABLE_TELEMETRY", "true")
    client = nbclient.NotebookClient(
        nb,
        timeout=180,
        kernel_name="python3",
        resources={"metadata": {"path": str(project / "notebooks")}},
    )
    client.execute()  # raises CellExecutionError naming the failing cell
    images = _images(nb)
    expected = {
        "results_overview": {"image/png": 5},  # flow EPE, PR, training, AP per category, coverage
        "model_inspection": {"image/png": 3, "image/gif": 1},
        "dataset_browser": {"image/png": 2, "image/gif": 1},
    }[path.stem]
    for mime, count in expected.items():
        assert images.count(mime) == count, (mime, images)
    text = "".join(
        out.get("text", "") + "".join(out.get("data", {}).get("text/markdown", ""))
        for cell in nb.cells
        for out in cell.get("outputs", [])
    )
    assert "not on disk yet" not in text  # the tiny project has every input
