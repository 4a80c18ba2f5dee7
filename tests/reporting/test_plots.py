"""Report figures: each renders to a valid PNG; bad inputs name what is missing."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from PIL import Image

from vis_pipelines.formats.errors import FormatError
from vis_pipelines.reporting import (
    PlotParams,
    ap_per_category_figure,
    figure_png,
    flow_epe_figure,
    pr_curves_figure,
    scribble_coverage_figure,
    training_curves_figure,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _png(fig: Figure, dpi: int = 50) -> Image.Image:
    data = figure_png(fig, dpi=dpi)
    assert data.startswith(PNG_MAGIC)
    img = Image.open(io.BytesIO(data))
    img.load()
    assert img.format == "PNG"
    w, h = fig.get_size_inches()
    assert img.size == (round(w * dpi), round(h * dpi))
    return img


def _series(name: str, values: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"step": np.arange(1, len(values) + 1) * 10, name: values})


def test_training_curves() -> None:
    curves = {
        "loss": _series("loss", np.linspace(10, 1, 20)),
        "loss_ce": _series("loss_ce", np.linspace(3, 0.2, 20)),
        "lr": _series("lr", np.linspace(1e-4, 0, 20)),
        "it_per_s": _series("it_per_s", np.full(20, 2.0)),
    }
    fig = training_curves_figure(curves, title="m")
    assert len(fig.axes) == 2  # losses + learning rate
    assert {line.get_label() for line in fig.axes[0].lines} == {"loss", "loss_ce"}
    assert fig.axes[0].get_yscale() == "log"
    _png(fig)
    only = training_curves_figure(curves, metrics=["loss"])
    assert [line.get_label() for line in only.axes[0].lines] == ["loss"]
    with pytest.raises(ValueError, match="no loss series"):
        training_curves_figure({"lr": curves["lr"]})
    with pytest.raises(FormatError, match="loss"):
        training_curves_figure({"loss": pd.DataFrame({"step": [1], "value": [2.0]})})


def test_training_curves_with_non_positive_values_stay_linear() -> None:
    fig = training_curves_figure({"loss": _series("loss", np.array([1.0, 0.0, -0.5]))})
    assert fig.axes[0].get_yscale() == "linear" and len(fig.axes) == 1


def test_ap_per_category() -> None:
    table = pd.DataFrame(
        {
            "name": ["red star", "blue ring", "green cross"],
            "split": ["base", "novel", "base"],
            "AP": [40.0, None, 10.0],
        }
    )
    fig = ap_per_category_figure(table, title="t")
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["blue ring (n/a)", "green cross", "red star"]  # undefined first, then by AP
    widths = [p.get_width() for p in ax.patches]
    assert widths == [0.0, 10.0, 40.0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["base", "novel"]
    _png(fig)
    with pytest.raises(FormatError, match="AP"):
        ap_per_category_figure(pd.DataFrame({"name": ["x"]}), source="per_category.csv")


def test_pr_curves() -> None:
    recall = np.linspace(0, 100, 101)
    curve = pd.DataFrame(
        {"recall": recall, "precision_iou50": 100 - recall / 2, "precision_iou75": 100 - recall}
    )
    undefined = curve.assign(precision_iou75=np.nan)
    fig = pr_curves_figure({"m1": curve, "m2": undefined}, title="synthvis")
    labels = [line.get_label() for line in fig.axes[0].lines]
    assert labels == ["m1 IoU .50 (AP 75.0)", "m1 IoU .75 (AP 50.0)", "m2 IoU .50 (AP 75.0)"]
    _png(fig)
    with pytest.raises(ValueError, match="no PR curves"):
        pr_curves_figure({})


def test_scribble_coverage() -> None:
    stats = pd.DataFrame(
        {"kind": ["object"] * 4 + ["background"] * 2, "coverage_pct": [1, 2, 3, 10, 0.5, 1.5]}
    )
    fig = scribble_coverage_figure(stats, bins=5)
    ax = fig.axes[0]
    assert len(ax.patches) == 10  # both histograms on the same 5 bins
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts == ["object (n=4, median 2.50%)", "background (n=2, median 1.00%)"]
    _png(fig)
    with pytest.raises(ValueError, match="no coverage"):
        scribble_coverage_figure(pd.DataFrame({"coverage_pct": [np.nan]}))


def test_flow_epe() -> None:
    flows = pd.DataFrame(
        {
            "method": ["farneback", "dis_fast"],
            "EPE": [0.5, 0.25],
            "EPE_noc": [0.4, 0.2],
            "fps": [250.0, 1500.0],
        }
    )
    fig = flow_epe_figure(flows)
    assert len(fig.axes) == 2  # EPE and speed
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["dis_fast", "farneback"]
    assert fig.axes[1].get_xscale() == "log"
    _png(fig)
    epe_only = flow_epe_figure(flows[["method", "EPE"]])
    assert len(epe_only.axes) == 1
    with pytest.raises(FormatError, match="EPE"):
        flow_epe_figure(pd.DataFrame({"method": ["x"]}))


def test_png_is_deterministic() -> None:
    curves = {"loss": _series("loss", np.linspace(5, 1, 10))}
    assert figure_png(training_curves_figure(curves)) == figure_png(training_curves_figure(curves))


def test_plot_params_are_checked() -> None:
    assert PlotParams(curve_metrics=["loss"]).curve_metrics == ("loss",)
    with pytest.raises(ValueError, match="dpi"):
        PlotParams(dpi=5)
    with pytest.raises(ValueError, match="scribble_bins"):
        PlotParams(scribble_bins=0)
