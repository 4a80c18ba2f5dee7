"""Report figures with matplotlib's Agg canvas: each function returns a ``Figure``;
``figure_png`` turns one into PNG bytes.

Figures are built with ``matplotlib.figure.Figure`` directly (not ``pyplot``): no global state,
no GUI backend, nothing kept alive after the bytes are written, safe in worker processes.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from vis_pipelines.formats.errors import FormatError

__all__ = [
    "figure_png",
    "training_curves_figure",
    "ap_per_category_figure",
    "pr_curves_figure",
    "scribble_coverage_figure",
    "flow_epe_figure",
]

_SPLIT_COLOURS = {"base": "#4C72B0", "novel": "#DD8452"}


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _require(frame: pd.DataFrame, columns: Sequence[str], source: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise FormatError(f"expected a table, got {type(frame).__name__}", source=source)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise FormatError(
            f"missing column(s) {missing}; has {list(frame.columns)}",
            source=source,
            field=missing[0],
        )


def figure_png(fig: Figure, dpi: int = 100) -> bytes:
    """The figure as PNG bytes (no timestamp or software tag: same figure, same bytes)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


def training_curves_figure(
    curves: Mapping[str, pd.DataFrame],
    *,
    title: str = "",
    metrics: Sequence[str] | None = None,
    source: str = "<memory>",
) -> Figure:
    """Loss curves over steps (log scale) and, when present, the learning rate below.

    Args:
        curves: dvclive series ``{name: DataFrame[step, <name>]}`` (``plots/metrics/train/*.tsv``).
        title: figure title (the model).
        metrics: series drawn in the loss panel; default every ``loss*`` series.
        source: named in errors.
    """
    names = sorted(n for n in curves if n.startswith("loss")) if metrics is None else list(metrics)
    names = [n for n in names if n in curves]
    if not names:
        raise ValueError(f"{source}: no loss series among {sorted(curves)}")
    with_lr = "lr" in curves
    fig = _figure(7.0, 5.5 if with_lr else 4.0)
    axes = fig.subplots(2 if with_lr else 1, 1, sharex=True, squeeze=False)[:, 0]
    for name in names:
        frame = curves[name]
        _require(frame, ["step", name], f"{source}/{name}")
        values = frame[name].to_numpy(dtype=float)
        # Total loss thick, its terms thin: the total is what the schedule is judged on.
        width = 2.0 if name == "loss" else 1.0
        axes[0].plot(frame["step"], values, label=name, linewidth=width)
    if np.all([(curves[n][n].to_numpy(dtype=float) > 0).all() for n in names]):
        axes[0].set_yscale("log")
    axes[0].set_ylabel("loss")
    axes[0].legend(fontsize="small", ncol=2)
    axes[0].grid(True, alpha=0.3)
    if with_lr:
        _require(curves["lr"], ["step", "lr"], f"{source}/lr")
        axes[1].plot(curves["lr"]["step"], curves["lr"]["lr"], color="black")
        axes[1].set_ylabel("learning rate")
        axes[1].grid(True, alpha=0.3)
    axes[-1].set_xlabel("step")
    fig.suptitle(title or "training curves")
    return fig


def ap_per_category_figure(
    per_category: pd.DataFrame, *, title: str = "", source: str = "<memory>"
) -> Figure:
    """Horizontal bars of each category's AP (``per_category_<dataset>.csv``), coloured by
    base/novel split; categories without scored objects are listed as ``n/a``."""
    _require(per_category, ["name", "AP"], source)
    table = per_category.copy()
    table["AP"] = pd.to_numeric(table["AP"], errors="coerce")
    table = table.sort_values("AP", ascending=True, na_position="first", kind="mergesort")
    n = len(table)
    fig = _figure(7.0, max(2.5, 0.22 * n + 1.2))
    ax = fig.add_subplot()
    splits = table["split"].astype(str) if "split" in table.columns else pd.Series([""] * n)
    colours = [_SPLIT_COLOURS.get(s, "#55A868") for s in splits]
    y = np.arange(n)
    values = table["AP"].fillna(0.0).to_numpy()
    ax.barh(y, values, color=colours)
    labels = [
        f"{name} (n/a)" if np.isnan(ap) else str(name)
        for name, ap in zip(table["name"], table["AP"], strict=True)
    ]
    ax.set_yticks(y, labels, fontsize="small")
    ax.set_xlim(0, 100)
    ax.set_xlabel("AP (%)")
    handles = [
        Patch(color=colour, label=split)
        for split, colour in _SPLIT_COLOURS.items()
        if (splits == split).any()
    ]
    if handles:
        ax.legend(handles=handles, loc="lower right", fontsize="small")
    ax.grid(True, axis="x", alpha=0.3)
    ax.set_title(title or "AP per category")
    return fig


def pr_curves_figure(
    curves: Mapping[str, pd.DataFrame], *, title: str = "", source: str = "<memory>"
) -> Figure:
    """Precision over recall per model: IoU .50 solid, IoU .75 dashed, one colour per model.

    Args:
        curves: ``{model: DataFrame[recall, precision_iou50, precision_iou75]}`` (percent), as the
            evaluation writes ``pr_curve_<dataset>.csv``.
    """
    if not curves:
        raise ValueError(f"{source}: no PR curves to draw")
    fig = _figure(6.0, 5.0)
    ax = fig.add_subplot()
    colours = [f"C{i % 10}" for i in range(len(curves))]
    for colour, (model, frame) in zip(colours, sorted(curves.items()), strict=True):
        _require(frame, ["recall", "precision_iou50", "precision_iou75"], f"{source}/{model}")
        recall = frame["recall"].to_numpy(dtype=float)
        for column, style, tag in (
            ("precision_iou50", "-", "IoU .50"),
            ("precision_iou75", "--", "IoU .75"),
        ):
            values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
            if np.isnan(values).all():
                continue
            ap = np.nanmean(values)
            ax.plot(recall, values, style, color=colour, label=f"{model} {tag} (AP {ap:.1f})")
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 101)
    ax.set_xlabel("recall (%)")
    ax.set_ylabel("precision (%)")
    ax.grid(True, alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize="small")
    ax.set_title(title or "precision / recall")
    return fig


def scribble_coverage_figure(
    stats: pd.DataFrame, *, title: str = "", bins: int = 30, source: str = "<memory>"
) -> Figure:
    """Histogram of the scribble coverage (% of the mask's pixels) of each object annotation,
    with the background annotations' coverage drawn beside when present (``*_stats.csv``)."""
    _require(stats, ["coverage_pct"], source)
    kind = (
        stats["kind"].astype(str) if "kind" in stats.columns else pd.Series(["object"] * len(stats))
    )
    coverage = pd.to_numeric(stats["coverage_pct"], errors="coerce")
    groups = {
        name: coverage[(kind == name).to_numpy()].dropna().to_numpy()
        for name in ("object", "background")
    }
    values_all = np.concatenate(list(groups.values()))
    if not values_all.size:
        raise ValueError(f"{source}: no coverage values to draw")
    edges = np.histogram_bin_edges(values_all, bins=bins)  # shared, so bar widths compare
    fig = _figure(6.5, 4.0)
    ax = fig.add_subplot()
    for (name, values), colour in zip(groups.items(), ("#4C72B0", "#8C8C8C"), strict=True):
        if values.size:
            label = f"{name} (n={values.size}, median {np.median(values):.2f}%)"
            ax.hist(values, bins=edges, color=colour, alpha=0.75, label=label)
    ax.set_xlabel("scribble pixels / mask pixels (%)")
    ax.set_ylabel("annotations")
    ax.legend(fontsize="small")
    ax.grid(True, alpha=0.3)
    ax.set_title(title or "scribble coverage")
    return fig


def flow_epe_figure(flows: pd.DataFrame, *, title: str = "", source: str = "<memory>") -> Figure:
    """End-point error per flow method (all / non-occluded pixels) and, beside it, speed.

    Args:
        flows: one row per method with ``method``, ``EPE`` and optionally ``EPE_noc``, ``fps``.
    """
    _require(flows, ["method", "EPE"], source)
    table = flows.sort_values("EPE", kind="mergesort").reset_index(drop=True)
    with_fps = "fps" in table.columns and table["fps"].notna().any()
    fig = _figure(9.0 if with_fps else 6.0, max(2.5, 0.35 * len(table) + 1.3))
    axes = fig.subplots(1, 2 if with_fps else 1, sharey=True, squeeze=False)[0]
    y = np.arange(len(table))
    height = 0.4 if "EPE_noc" in table.columns else 0.8
    axes[0].barh(y - (height / 2 if height < 0.8 else 0), table["EPE"], height, label="EPE")
    if "EPE_noc" in table.columns:
        axes[0].barh(y + height / 2, table["EPE_noc"].fillna(0.0), height, label="EPE non-occluded")
    axes[0].set_yticks(y, table["method"].astype(str), fontsize="small")
    axes[0].invert_yaxis()  # best method on top
    axes[0].set_xlabel("end-point error (px)")
    axes[0].legend(fontsize="small")
    axes[0].grid(True, axis="x", alpha=0.3)
    if with_fps:
        axes[1].barh(y, table["fps"].fillna(0.0), color="#55A868")
        axes[1].set_xscale("log")
        axes[1].set_xlabel("frame pairs per second (log)")
        axes[1].grid(True, axis="x", alpha=0.3)
    fig.suptitle(title or "optical flow")
    return fig
