"""Project pipelines: every package under ``pipelines/`` is discovered; ``__default__`` runs them all."""

from __future__ import annotations

from kedro.framework.project import find_pipelines
from kedro.pipeline import Pipeline


def register_pipelines() -> dict[str, Pipeline]:
    """Register the project's pipelines."""
    pipelines = find_pipelines(raise_errors=True)
    # Model pipelines register their evaluation instances when they are built, and discovery is
    # alphabetical, so `evaluation` is assembled again once every pipeline has been created.
    from vis_pipelines.pipelines.evaluation import create_pipeline as create_evaluation

    evaluation = create_evaluation()
    if evaluation.nodes:
        pipelines["evaluation"] = evaluation
    else:
        # No model pipeline yet: nothing to re-score, and Kedro refuses an empty pipeline.
        pipelines.pop("evaluation", None)
    pipelines["__default__"] = sum(pipelines.values(), Pipeline([]))
    return pipelines
