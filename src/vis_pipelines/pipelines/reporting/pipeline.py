"""``reporting`` pipeline: metrics, curves and predictions on disk → tables, plots, overlays.

Every input is read from disk through an ``OptionalDataset`` entry (``conf/base/
catalog_reporting.yml``), so ``kedro run --pipelines reporting`` never runs a model and skips
what is not there yet. Outputs: ``data/08_reporting/tables/<family>.{md,csv}``,
``data/08_reporting/benchmark.{md,csv}``, ``data/08_reporting/plots/<kind>/*.png`` and
``data/08_reporting/overlays/<model>/<video>.gif``.

Reporting reads files, not other nodes' outputs, so nothing would make Kedro schedule it after
the models in the default run; ``create_pipeline(after=rest)`` makes its first node consume the
metrics outputs of ``rest`` (the other pipelines) so that it runs last.
"""

from __future__ import annotations

import warnings

from kedro.pipeline import Node, Pipeline

from .nodes import (
    ap_per_category_plots,
    benchmark_tables,
    flow_epe_plots,
    pr_curve_plots,
    prediction_overlays,
    reports_ready,
    scribble_coverage_plots,
    training_curve_plots,
)

__all__ = ["create_pipeline", "report_inputs_of"]

NAMESPACE = "reporting"
_REPORT_SUFFIXES = ("pr_curve", "scribble_stats")


def report_inputs_of(pipeline: Pipeline) -> list[str]:
    """The outputs of ``pipeline`` that reports are built from (metrics, PR curves, scribble
    statistics): small files, cheap to load for the ordering node."""
    return sorted(
        name
        for name in pipeline.all_outputs()
        if not name.startswith((f"{NAMESPACE}.", "params:"))
        and ("metrics" in name or name.endswith(_REPORT_SUFFIXES))
    )


def create_pipeline(after: Pipeline | None = None, **kwargs) -> Pipeline:
    """The reports, under the namespace ``reporting`` (datasets ``reporting.<name>``, parameters
    ``params:reporting.<name>``).

    Args:
        after: pipelines of the same run whose metrics must be written first (the default run);
            None for ``kedro run --pipelines reporting``, which only reads files.
    """
    upstream = report_inputs_of(after) if after is not None else []
    plots = "params:plots"
    with warnings.catch_warnings():
        # The upstream names are other pipelines' namespaced outputs (mask2former.metrics):
        # dotted on purpose, which Kedro warns about for hand-written names.
        warnings.filterwarnings("ignore", message="One or more dataset names contain")
        ready = Node(
            func=reports_ready,
            inputs=upstream or None,
            outputs="ready",
            name="reporting_inputs_node",
        )
    nodes = [
        ready,
        Node(
            func=benchmark_tables,
            inputs=["ready", "metrics_files", "published", "params:tables"],
            outputs=["tables", "benchmark_md", "benchmark_csv"],
            name="benchmark_tables_node",
        ),
        Node(
            func=training_curve_plots,
            inputs=["ready", "training_curves", plots],
            outputs="training_curve_plots",
            name="training_curve_plots_node",
        ),
        Node(
            func=ap_per_category_plots,
            inputs=["ready", "model_tables", plots],
            outputs="ap_per_category_plots",
            name="ap_per_category_plots_node",
        ),
        Node(
            func=pr_curve_plots,
            inputs=["ready", "model_tables", plots],
            outputs="pr_curve_plots",
            name="pr_curve_plots_node",
        ),
        Node(
            func=scribble_coverage_plots,
            inputs=["ready", "scribble_stats", plots],
            outputs="scribble_coverage_plots",
            name="scribble_coverage_plots_node",
        ),
        Node(
            func=flow_epe_plots,
            inputs=["ready", "metrics_files", plots],
            outputs="flow_epe_plots",
            name="flow_epe_plots_node",
        ),
        Node(
            func=prediction_overlays,
            inputs=["ready", "predictions", "overlay_frames", "params:overlays"],
            outputs="overlays",
            name="prediction_overlays_node",
        ),
    ]
    # The upstream metrics keep their names; everything else gets the prefix `reporting.`.
    return Pipeline(nodes, namespace=NAMESPACE, inputs=set(upstream) or None)
