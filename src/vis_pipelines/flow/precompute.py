"""A flow precomputation plan: which methods, gaps and sequences, with the estimators built.

``build_plan`` checks everything that can fail before any flow is computed (method names, RAFT
weight files, the fine-tuned checkpoint, sequence selection); the plan then computes flows lazily,
sequence by sequence, for whoever writes them (``datasets.flow_store.FlowStoreDataset``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from vis_pipelines.formats import FormatError
from vis_pipelines.provenance import params_hash

from .classical import DISFlow, FarnebackFlow
from .config import FINETUNED_METHODS, RAFT_ARCHS, OpticalFlowParams
from .estimator import FlowEstimator
from .pairs import flow_frame_names, folder_name, frame_pairs
from .raft import RaftFlow, load_raft, load_raft_weights, state_fingerprint
from .sources import FrameSequences, as_frame_sequences, select_sequences

__all__ = ["FlowTask", "FlowBatch", "FlowPlan", "build_estimator", "build_plan"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FlowTask:
    """One method at one gap: its estimator and the settings that determine its output."""

    method: str
    gap: int
    estimator: FlowEstimator
    config: Mapping[str, Any]

    @property
    def folder(self) -> str:
        """Output folder name ``<method>_gap<g>``."""
        return folder_name(self.method, self.gap)

    def output_names(self, frame_names: list[str]) -> list[str]:
        """Names of this task's flow files for a sequence with these frames."""
        return flow_frame_names(frame_names, self.gap)

    @property
    def config_hash(self) -> str:
        """Hash of ``config`` and the gap: outputs with another hash are stale."""
        return params_hash({**self.config, "gap": self.gap})


@dataclass(frozen=True)
class FlowBatch:
    """Flows of consecutive pairs: ``src`` frame indices, ``flows`` ``[B, H, W, 2]``, compute time."""

    src: np.ndarray
    flows: np.ndarray
    seconds: float


class FlowPlan:
    """Flows to compute: ``tasks`` (method x gap) on ``sequences`` of ``frames``.

    ``recompute`` asks the writer to ignore valid existing outputs.
    """

    def __init__(
        self,
        frames: FrameSequences,
        sequences: list[str],
        tasks: list[FlowTask],
        *,
        recompute: bool = False,
    ) -> None:
        self.frames = frames
        self.sequences = list(sequences)
        self.tasks = list(tasks)
        self.recompute = bool(recompute)

    def __repr__(self) -> str:
        return (
            f"FlowPlan({len(self.sequences)} sequences, "
            f"{[t.folder for t in self.tasks]}, recompute={self.recompute})"
        )

    def load(self, seq: str) -> tuple[list[str], np.ndarray]:
        """Frame names and uint8 frames ``[T, H, W, 3]`` of a sequence."""
        names = self.frames.frame_names(seq)
        frames = self.frames.load_frames(seq)
        if len(names) != len(frames):
            raise FormatError(
                f"{len(frames)} frames but {len(names)} frame names",
                source=repr(self.frames),
                record=f"sequence {seq}",
            )
        return names, frames

    def run(self, task: FlowTask, frames: np.ndarray, *, seq: str = "") -> Iterator[FlowBatch]:
        """Flows of every pair of ``frames`` at ``task.gap``, in batches of the estimator's size."""
        src, dst = frame_pairs(len(frames), task.gap)
        size = max(1, task.estimator.batch_size)
        starts = range(0, len(src), size)
        for start in tqdm(starts, desc=f"{task.folder} {seq}", unit="batch", leave=False):
            s, d = src[start : start + size], dst[start : start + size]
            tic = time.perf_counter()
            flows = task.estimator.estimate(frames[s], frames[d])
            yield FlowBatch(src=s, flows=flows, seconds=time.perf_counter() - tic)


def _finetuned_model(
    method: str, checkpoint: Mapping[str, Any] | None
) -> tuple[Any, str, dict[str, Any]]:
    arch = method.removesuffix("_finetuned")
    if checkpoint is None:
        raise ValueError(
            f"method {method} needs the fine-tuning checkpoint, and this pipeline has none "
            "(it is made by finetune_raft_node of the optical_flow pipeline)"
        )
    config = checkpoint.get("config") or {}
    if config.get("arch", arch) != arch:
        raise ValueError(
            f"method {method}: the fine-tuning checkpoint holds a {config.get('arch')} model; "
            f"list {config.get('arch')}_finetuned instead (or set finetune.arch: {arch})"
        )
    state = checkpoint["model"]
    trained = {
        "steps": int(checkpoint.get("step", 0)),
        "init": "pretrained" if config.get("init_weights") else "random",
        "sequences": len(config.get("sequences") or []),
    }
    model = load_raft(state, arch, source="fine-tuning checkpoint")
    return model, state_fingerprint(state), trained


def build_estimator(
    method: str,
    params: OpticalFlowParams,
    *,
    finetuned: Mapping[str, Any] | None = None,
) -> tuple[FlowEstimator, dict[str, Any]]:
    """The estimator of ``method`` and the settings that determine its output.

    RAFT weights are read now, so a missing file fails before any flow is computed.
    """
    if method.startswith("dis_"):
        return DISFlow(method.removeprefix("dis_")), {"method": method}
    if method == "farneback":
        return FarnebackFlow(params.farneback), {"method": method, **asdict(params.farneback)}
    raft = params.raft
    extra: dict[str, Any] = {}
    if method in RAFT_ARCHS:
        path = raft.weights.get(method)
        model = load_raft(load_raft_weights(path, method), method, source=str(path))
        weights = state_fingerprint(model.state_dict())
    elif method in FINETUNED_METHODS:
        model, weights, trained = _finetuned_model(method, finetuned)
        extra["trained"] = trained
    else:
        raise ValueError(f"unknown flow method {method!r}")
    estimator = RaftFlow(
        model,
        name=method,
        iterations=raft.iterations,
        batch_size=raft.batch_size,
        device=raft.device,
        amp=raft.amp,
        min_size=raft.min_size,
    )
    return estimator, {"method": method, "weights": weights, **estimator.describe(), **extra}


def build_plan(
    frames: object,
    params: OpticalFlowParams,
    *,
    finetuned: Mapping[str, Any] | None = None,
) -> FlowPlan:
    """Check the parameters, build every estimator once and select the sequences."""
    source = as_frame_sequences(frames)
    sequences = select_sequences(source, params.sequences)
    if not sequences:
        raise ValueError(f"no sequence selected by {params.sequences} in {source!r}")
    tasks = []
    for method in params.methods:
        estimator, config = build_estimator(method, params, finetuned=finetuned)
        tasks += [FlowTask(method, gap, estimator, config) for gap in params.gaps]
    devices = sorted({t.estimator.device for t in tasks})
    logger.info(
        "Optical flow plan: %d sequences x %s x gaps %s on %s (torch threads %d)",
        len(sequences),
        list(params.methods),
        list(params.gaps),
        "/".join(devices),
        torch.get_num_threads(),
    )
    return FlowPlan(source, sequences, tasks, recompute=params.recompute)
