"""Evaluation modular pipelines and the registered ``evaluation`` pipeline.

Each model pipeline ends with its own evaluation, instantiated under the model's namespace::

    Pipeline(create_ytvis_evaluation_pipeline(), namespace="mask2former",
             inputs={"ground_truth": "synthvis_valid", "predictions": "mask2former.predictions"},
             parameters={"params:evaluation": "params:evaluation"})

and registers that instance with :func:`register_evaluation`, so ``kedro run --pipelines evaluation``
(the sum of all instances) re-scores existing predictions. The metrics output is the flat
``{name: number}`` record (percent, ``params_hash``, ``git_revision``) that DVC shows and diffs.
"""

from __future__ import annotations

from kedro.pipeline import Node, Pipeline

from .nodes import davis_metrics, ytvis_metrics

__all__ = [
    "create_ytvis_evaluation_pipeline",
    "create_davis_evaluation_pipeline",
    "register_evaluation",
    "create_pipeline",
]

_INSTANCES: dict[str, Pipeline] = {}


def register_evaluation(name: str, pipeline: Pipeline) -> Pipeline:
    """Record a model's namespaced evaluation instance so the ``evaluation`` pipeline includes it."""
    _INSTANCES[name] = pipeline
    return pipeline


def create_ytvis_evaluation_pipeline() -> Pipeline:
    """Modular pipeline: ground_truth + predictions + params:evaluation → metrics and tables.

    Outputs: ``metrics``, ``per_video_metrics``, ``per_category_metrics`` and ``pr_curve``
    (namespaced ``<model>.pr_curve``: ``conf/base/catalog_reporting.yml`` places it at
    ``data/08_reporting/<model>/pr_curve_synthvis.csv``).
    """
    return Pipeline(
        [
            Node(
                func=ytvis_metrics,
                inputs=["ground_truth", "predictions", "params:evaluation"],
                outputs=["metrics", "per_video_metrics", "per_category_metrics", "pr_curve"],
                name="evaluate_ytvis_node",
            ),
        ]
    )


def create_davis_evaluation_pipeline() -> Pipeline:
    """Modular pipeline: ground_truth + predictions + params:evaluation → metrics, per-object."""
    return Pipeline(
        [
            Node(
                func=davis_metrics,
                inputs=["ground_truth", "predictions", "params:evaluation"],
                outputs=["metrics", "per_object_metrics"],
                name="evaluate_davis_node",
            ),
        ]
    )


def create_pipeline(**kwargs) -> Pipeline:
    """The sum of the registered per-model evaluation instances (empty until a model registers)."""
    return sum(_INSTANCES.values(), Pipeline([]))
