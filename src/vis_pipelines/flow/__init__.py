"""Optical flow: estimators (OpenCV DIS / Farnebäck, torchvision RAFT), RAFT fine-tuning, the
Middlebury colour wheel and accuracy measures (EPE, Fl-all).

No Kedro here, and no file formats: frames come from ``DAVISSequences``/``VideoSet``, flows are
written by ``datasets.flow_store``; the one file read is a RAFT weight file named in parameters.
"""

from .classical import DISFlow, FarnebackFlow
from .colour import colour_wheel, flow_to_rgb
from .config import (
    KNOWN_METHODS,
    FarnebackParams,
    FinetuneConfig,
    FlowReportParams,
    OpticalFlowParams,
    PreviewParams,
    RaftParams,
    SequenceSelection,
)
from .estimator import FlowEstimator
from .finetune import FlowPairSampler, finetune_raft
from .loss import sequence_loss
from .metrics import FlowErrorTotals, endpoint_error, evaluate_flow_sequences, flow_outliers
from .padding import InputPadder
from .pairs import flow_frame_names, folder_name, frame_pairs
from .precompute import FlowBatch, FlowPlan, FlowTask, build_estimator, build_plan
from .raft import (
    MissingWeightsError,
    RaftFlow,
    build_raft,
    load_raft,
    load_raft_weights,
    official_weight_urls,
    resolve_device,
    state_fingerprint,
)
from .sources import (
    FrameSequences,
    VideoFrames,
    as_frame_sequences,
    frames_fingerprint,
    select_sequences,
)

__all__ = [
    "KNOWN_METHODS",
    "OpticalFlowParams",
    "SequenceSelection",
    "RaftParams",
    "FarnebackParams",
    "FlowReportParams",
    "PreviewParams",
    "FinetuneConfig",
    "FlowEstimator",
    "DISFlow",
    "FarnebackFlow",
    "RaftFlow",
    "MissingWeightsError",
    "build_raft",
    "load_raft",
    "load_raft_weights",
    "official_weight_urls",
    "resolve_device",
    "state_fingerprint",
    "InputPadder",
    "frame_pairs",
    "flow_frame_names",
    "folder_name",
    "FrameSequences",
    "VideoFrames",
    "as_frame_sequences",
    "select_sequences",
    "frames_fingerprint",
    "FlowTask",
    "FlowBatch",
    "FlowPlan",
    "build_estimator",
    "build_plan",
    "sequence_loss",
    "FlowPairSampler",
    "finetune_raft",
    "endpoint_error",
    "flow_outliers",
    "FlowErrorTotals",
    "evaluate_flow_sequences",
    "colour_wheel",
    "flow_to_rgb",
]
