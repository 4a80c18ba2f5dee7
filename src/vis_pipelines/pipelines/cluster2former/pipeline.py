"""``cluster2former`` pipeline: (a) Mask2Former-VIS, (b) MaskCluster2Former, (c) Cluster2Former.

On SynthVIS, (a) is ``mask2former_reference``: Mask2Former-VIS trained at the comparison's recipe
(``params:mask2former_reference.*``), because the ``mask2former`` pipeline's tiny config uses
copy-paste, an augmentation that needs full masks and that (c) cannot have. On real data (paper
configs, no copy-paste) (a) is that dataset's ``mask2former_<dataset>`` pipeline itself.
(b) and (c) are :func:`create_vis_pipeline` instances with the Cluster2Former nodes, trained on the
training set with full masks and on its scribbles (``<train_set>.scribbles``, written by the
``scribbles`` pipeline). The comparison node (namespace ``cluster2former``) reads the three metrics
files and checks that the three configs share architecture, budget and augmentation.
"""

from __future__ import annotations

from kedro.pipeline import Node, Pipeline

from vis_pipelines.node_functions import bind_kwargs
from vis_pipelines.pipelines.mask2former import create_real_data_pipeline as mask2former_on
from vis_pipelines.pipelines.mask2former import create_vis_pipeline
from vis_pipelines.pipelines.mask2former.nodes import predict_mask2former, train_mask2former

from .nodes import predict_cluster2former, supervision_table, train_cluster2former

__all__ = [
    "create_pipeline",
    "create_real_data_pipeline",
    "create_variants_pipeline",
    "VARIANTS",
    "REFERENCE",
]

# (b) and (c): name -> whether it trains on the scribbles of the training set
VARIANTS = {"maskcluster2former": False, "cluster2former": True}
# (a) on SynthVIS: Mask2Former-VIS at the comparison's recipe (its own namespace and parameters)
REFERENCE = "mask2former_reference"


def create_variants_pipeline(
    *,
    dataset: str,
    train_set: str,
    eval_set: str,
    suffix: str = "",
    register: bool = True,
    title: str = "SynthVIS",
    split_note: str = "Local SynthVIS valid split",
    reference: str = "mask2former",
    train_reference: bool = False,
) -> Pipeline:
    """(b), (c) and the comparison with (a) = ``<reference><suffix>`` on one dataset.

    Namespaces are ``<variant><suffix>`` (e.g. ``cluster2former_ytvis19``); parameters are the
    variants' own (``params:cluster2former.*``), whatever the dataset. ``train_reference``: (a) is
    trained here with the Mask2Former-VIS nodes and ``params:<reference>.*``; otherwise it is
    another pipeline's model, read through its metrics. ``title`` / ``split_note`` say in the
    comparison's markdown what was scored.
    """
    variants = [
        create_vis_pipeline(
            model=name,
            train_func=train_cluster2former,
            predict_func=predict_cluster2former,
            train_set=f"{train_set}.scribbles" if scribbles else train_set,
            eval_set=eval_set,
            dataset=dataset,
            namespace=f"{name}{suffix}",
            register=register,
        )
        for name, scribbles in VARIANTS.items()
    ]
    if train_reference:
        variants.insert(
            0,
            create_vis_pipeline(
                model=reference,
                train_func=train_mask2former,
                predict_func=predict_mask2former,
                train_set=train_set,
                eval_set=eval_set,
                dataset=dataset,
                namespace=f"{reference}{suffix}",
                register=register,
            ),
        )
    models = (reference, *VARIANTS)
    comparison = Pipeline(
        [
            Node(
                func=bind_kwargs(
                    supervision_table,
                    dataset=title,
                    split=split_note,
                    reference=reference,
                ),
                inputs=[
                    *(f"{m}{suffix}.metrics" for m in models),
                    f"{train_set}.scribble_summary",
                    *(f"params:{m}.{part}" for m in models for part in ("model", "train")),
                ],
                outputs=[
                    f"cluster2former{suffix}.comparison_table",
                    f"cluster2former{suffix}.comparison_csv",
                ],
                name="comparison_node",
                namespace=f"cluster2former{suffix}",
            )
        ]
    )
    return sum(variants, Pipeline([])) + comparison


def create_pipeline(**kwargs) -> Pipeline:
    """The three supervision variants on SynthVIS and their comparison table."""
    return create_variants_pipeline(
        dataset="synthvis",
        train_set="synthvis_train",
        eval_set="synthvis_valid",
        reference=REFERENCE,
        train_reference=True,
    )


def create_real_data_pipeline(dataset: str) -> Pipeline:
    """The three variants on a real dataset's local split (``--env paper``; not in the default run)."""
    return mask2former_on(dataset) + create_variants_pipeline(
        dataset=dataset,
        train_set=f"{dataset}_local_train",
        eval_set=f"{dataset}_local_holdout",
        suffix=f"_{dataset}",
        register=False,
        title=dataset,
        split_note=(
            f"Local split `{dataset}_local_holdout` of the official training set (not comparable "
            "with evaluation-server numbers)"
        ),
    )
