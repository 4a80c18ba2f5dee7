"""Reports: benchmark tables (pandas + markdown) with the papers' published numbers, figures
(matplotlib Agg) and GIF overlays of predicted tracks. Library code: no Kedro, no file I/O; the
``reporting`` pipeline and the notebooks load the inputs through the catalog."""

from .config import DATASETS, FamilySpec, OverlayParams, PlotParams, TableParams
from .overlays import (
    annotation_tracks,
    blend_masks,
    gif_bytes,
    prediction_overlay_gif,
    render_overlay,
    track_colours,
    video_tracks,
)
from .plots import (
    ap_per_category_figure,
    figure_png,
    flow_epe_figure,
    pr_curves_figure,
    scribble_coverage_figure,
    training_curves_figure,
)
from .published import PublishedResult, parse_published, published_for
from .tables import (
    ModelName,
    benchmark_frame,
    benchmark_markdown,
    classify_model,
    family_markdown,
    family_tables,
    markdown_table,
    metrics_frame,
    parse_metrics_name,
)

__all__ = [
    "DATASETS",
    "FamilySpec",
    "TableParams",
    "PlotParams",
    "OverlayParams",
    "PublishedResult",
    "parse_published",
    "published_for",
    "ModelName",
    "parse_metrics_name",
    "classify_model",
    "metrics_frame",
    "family_tables",
    "markdown_table",
    "family_markdown",
    "benchmark_markdown",
    "benchmark_frame",
    "figure_png",
    "training_curves_figure",
    "ap_per_category_figure",
    "pr_curves_figure",
    "scribble_coverage_figure",
    "flow_epe_figure",
    "track_colours",
    "blend_masks",
    "video_tracks",
    "render_overlay",
    "gif_bytes",
    "prediction_overlay_gif",
    "annotation_tracks",
]
