"""``optical_flow`` pipeline definition (SynthVIS by default; a factory for other datasets)."""

from __future__ import annotations

from kedro.pipeline import Node, Pipeline

from .nodes import (
    finetune_raft_on_gt,
    plan_optical_flow,
    plan_optical_flow_pretrained,
    preview_optical_flow,
    preview_optical_flow_estimates,
    report_optical_flow,
    report_optical_flow_speed,
)


def create_flow_pipeline(
    *,
    dataset: str,
    frames: str,
    gt_flow: str | None = None,
    checkpoint: str | None = "optical_flow_raft_finetuned",
    train: bool = False,
    params: str = "optical_flow",
) -> Pipeline:
    """Flow precomputation for one dataset.

    Args:
        dataset: short name; outputs are ``optical_flow_{store,metrics,md,csv,previews}_<dataset>``
            (catalog patterns in ``conf/base/catalog_optical_flow.yml``).
        frames: catalog entry of the frames (``DAVISDataset`` or ``YTVISDataset``).
        gt_flow: catalog entry of ground-truth flow (``FlowDirDataset``); None: speed only.
        checkpoint: catalog entry of the fine-tuned RAFT checkpoint, or None to run without
            fine-tuned methods.
        train: add the fine-tuning node that writes ``checkpoint`` (needs ``gt_flow``).
        params: parameters key holding ``flows``, ``report`` (and ``finetune``).
    """
    if train and (gt_flow is None or checkpoint is None):
        raise ValueError("fine-tuning needs gt_flow and a checkpoint output name")
    store = f"optical_flow_store_{dataset}"
    flows, report = f"params:{params}.flows", f"params:{params}.report"
    nodes = []
    if train:
        nodes.append(
            Node(
                func=finetune_raft_on_gt,
                inputs=[frames, gt_flow, f"params:{params}.finetune"],
                outputs=checkpoint,
                name=f"finetune_raft_{dataset}_node",
            )
        )
    if checkpoint is not None:
        plan = Node(
            func=plan_optical_flow,
            inputs=[frames, checkpoint, flows],
            outputs=store,
            name=f"compute_optical_flow_{dataset}_node",
        )
    else:
        plan = Node(
            func=plan_optical_flow_pretrained,
            inputs=[frames, flows],
            outputs=store,
            name=f"compute_optical_flow_{dataset}_node",
        )
    nodes.append(plan)
    if gt_flow is not None:
        nodes += [
            Node(
                func=report_optical_flow,
                inputs=[store, frames, gt_flow, flows, report],
                outputs=[
                    f"optical_flow_metrics_{dataset}",
                    f"optical_flow_md_{dataset}",
                    f"optical_flow_csv_{dataset}",
                ],
                name=f"report_optical_flow_{dataset}_node",
            ),
            Node(
                func=preview_optical_flow,
                inputs=[store, frames, gt_flow, flows, report],
                outputs=f"optical_flow_previews_{dataset}",
                name=f"preview_optical_flow_{dataset}_node",
            ),
        ]
    else:
        nodes += [
            Node(
                func=report_optical_flow_speed,
                inputs=[store, frames, flows, report],
                outputs=[f"optical_flow_md_{dataset}", f"optical_flow_csv_{dataset}"],
                name=f"report_optical_flow_{dataset}_node",
            ),
            Node(
                func=preview_optical_flow_estimates,
                inputs=[store, frames, flows, report],
                outputs=f"optical_flow_previews_{dataset}",
                name=f"preview_optical_flow_{dataset}_node",
            ),
        ]
    return Pipeline(nodes)


def create_pipeline(**kwargs) -> Pipeline:
    """SynthVIS: fine-tune RAFT on GT flow, precompute flows, report EPE/Fl-all/fps, previews."""
    return create_flow_pipeline(
        dataset="synthvis",
        frames="synthvis_davis",
        gt_flow="synthvis_gt_flow",
        train=True,
    )
