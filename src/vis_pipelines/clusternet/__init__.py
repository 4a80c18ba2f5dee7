"""ClusterNet (Xi et al., TCSVT 2023) around the model in ``vis_pipelines.models.clusternet``:
causal flow input, per-sequence online schedule, foreground selection (label-free and the
released ground-truth oracle), the motion-threshold baseline, resumable parts and the report."""

from .baseline import MotionThreshold, baseline_mask, dominant_motion, motion_residual
from .config import ALGORITHM_VERSION, MODES, ClusterNetParams
from .flow_input import causal_motions, flow_to_input, incoming_motion, reanchor_forward_flow
from .online import OnlineConfig, OnlineResult, cluster_online
from .selection import GTFreeSelection, gt_free_foreground, oracle_foreground
from .sequence import SequenceMasks, segment_sequence

__all__ = [
    "ALGORITHM_VERSION",
    "MODES",
    "ClusterNetParams",
    "GTFreeSelection",
    "MotionThreshold",
    "OnlineConfig",
    "OnlineResult",
    "SequenceMasks",
    "baseline_mask",
    "causal_motions",
    "cluster_online",
    "dominant_motion",
    "flow_to_input",
    "gt_free_foreground",
    "incoming_motion",
    "motion_residual",
    "oracle_foreground",
    "reanchor_forward_flow",
    "segment_sequence",
]
