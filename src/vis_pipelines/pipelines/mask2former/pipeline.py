"""``mask2former`` pipeline: train on SynthVIS train, predict SynthVIS valid, evaluate."""

from __future__ import annotations

from collections.abc import Callable

from kedro.pipeline import Node, Pipeline

from vis_pipelines.pipelines.evaluation import (
    create_ytvis_evaluation_pipeline,
    register_evaluation,
)

from .nodes import ground_truth_of, predict_mask2former, train_mask2former


def create_vis_pipeline(
    *,
    model: str,
    train_func: Callable,
    predict_func: Callable,
    train_set: str,
    eval_set: str,
    dataset: str = "synthvis",
    params: str | None = None,
    namespace: str | None = None,
    register: bool = True,
) -> Pipeline:
    """Train → predict → evaluate for one VIS model, all under the namespace ``model``.

    Catalog entries: ``<ns>.training_run`` (run folder), ``<ns>.checkpoint``,
    ``<ns>.predictions``, ``<ns>.metrics`` (``metrics/<model>__<dataset>.json``) and the
    per-video / per-category tables. Parameters: ``<params>.model``, ``.train``, ``.inference``,
    ``.evaluation``. ``namespace`` (default ``model``) separates instances of one model on several
    datasets (e.g. ``mask2former_ytvis19``). ``register``: add the evaluation instance to the
    ``evaluation`` pipeline (SynthVIS instances only: that pipeline is part of the default run).
    """
    p = params or model
    ns = namespace or model
    parameters = {f"params:{k}": f"params:{p}.{k}" for k in ("model", "train", "inference")}
    train_predict = Pipeline(
        [
            Node(
                func=train_func,
                inputs=["train_set", "training_run", "params:model", "params:train"],
                outputs="checkpoint",
                name="train_node",
            ),
            Node(
                func=predict_func,
                inputs=["checkpoint", "eval_set", "params:inference"],
                outputs="predictions",
                name="predict_node",
            ),
        ]
    )
    # The ground-truth node belongs to the registered evaluation instance, so
    # `kedro run --pipelines evaluation` re-scores saved predictions and needs nothing else.
    scoring = (
        Pipeline(
            [
                Node(
                    func=ground_truth_of,
                    inputs="eval_set",
                    outputs="ground_truth",
                    name="ground_truth_node",
                )
            ]
        )
        + create_ytvis_evaluation_pipeline()
    )
    evaluation = Pipeline(
        scoring,
        namespace=ns,
        inputs={"eval_set": eval_set, "predictions": f"{ns}.predictions"},
        parameters={"params:evaluation": f"params:{p}.evaluation"},
    )
    if register:
        register_evaluation(f"{model}__{dataset}", evaluation)
    return (
        Pipeline(
            train_predict,
            namespace=ns,
            inputs={"train_set": train_set, "eval_set": eval_set},
            parameters=parameters,
        )
        + evaluation
    )


def create_pipeline(**kwargs) -> Pipeline:
    """Fully supervised Mask2Former-VIS on SynthVIS (``kedro run --pipelines mask2former``)."""
    return create_vis_pipeline(
        model="mask2former",
        train_func=train_mask2former,
        predict_func=predict_mask2former,
        train_set="synthvis_train",
        eval_set="synthvis_valid",
    )


def create_real_data_pipeline(dataset: str) -> Pipeline:
    """Mask2Former-VIS on a real dataset's local split (``--env paper``; outside the default run)."""
    return create_vis_pipeline(
        model="mask2former",
        train_func=train_mask2former,
        predict_func=predict_mask2former,
        train_set=f"{dataset}_local_train",
        eval_set=f"{dataset}_local_holdout",
        dataset=dataset,
        namespace=f"mask2former_{dataset}",
        register=False,
    )
