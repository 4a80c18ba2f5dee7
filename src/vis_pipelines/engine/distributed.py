"""Distributed data parallel: world info, process-group setup and the torchrun self-launch.

``num_gpus > 1`` makes a training node write its job (data, configs, run folder) to a spec file and
start ``python -m torch.distributed.run --nproc_per_node N -m vis_pipelines.engine.worker SPEC``;
every worker trains its share of each batch under DistributedDataParallel and rank 0 writes the
checkpoints. Multi-node runs pass torchrun's ``--nnodes/--rdzv_*`` flags (README): set
``VIS_TORCHRUN_ARGS`` to them and run the same ``kedro run`` on every node, with ``data/`` on a
shared filesystem. On CPU the same code runs with the gloo backend (how the tests exercise it).
"""

from __future__ import annotations

import logging
import os
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.distributed as dist

__all__ = [
    "WorldInfo",
    "world_info",
    "init_process_group",
    "all_reduce_mean",
    "torchrun_command",
    "launch_workers",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorldInfo:
    """Rank, world size and local rank of this process (0, 1, 0 when not distributed)."""

    rank: int = 0
    size: int = 1
    local_rank: int = 0


def world_info() -> WorldInfo:
    """The current process group's layout (single process when none is initialised)."""
    if dist.is_available() and dist.is_initialized():
        return WorldInfo(
            dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0"))
        )
    return WorldInfo()


def init_process_group(device_type: str) -> WorldInfo:
    """Join the group torchrun describes in the environment (nccl on CUDA, gloo on CPU)."""
    backend = "nccl" if device_type == "cuda" else "gloo"
    if not dist.is_initialized():
        dist.init_process_group(backend=backend)
    info = world_info()
    if device_type == "cuda":
        torch.cuda.set_device(info.local_rank)
    return info


def all_reduce_mean(value: torch.Tensor) -> float:
    """Mean of a scalar over all processes (the value itself when not distributed)."""
    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        value = value.detach().clone()
        dist.all_reduce(value)
        value /= dist.get_world_size()
    return float(value)


def torchrun_command(nproc: int, spec: str | Path, *, rendezvous: str | None = None) -> list[str]:
    """The command that runs the training worker on ``nproc`` local processes.

    ``rendezvous`` (default: the ``VIS_TORCHRUN_ARGS`` environment variable) replaces
    ``--standalone`` for multi-node runs, e.g. ``--nnodes=2 --node_rank=0 --rdzv_backend=c10d
    --rdzv_endpoint=host0:29500``.
    """
    if rendezvous is None:
        rendezvous = os.environ.get("VIS_TORCHRUN_ARGS", "")
    multi_node = shlex.split(rendezvous) if rendezvous.strip() else ["--standalone"]
    return [
        sys.executable,
        "-m",
        "torch.distributed.run",
        *multi_node,
        f"--nproc_per_node={int(nproc)}",
        "-m",
        "vis_pipelines.engine.worker",
        str(spec),
    ]


def launch_workers(nproc: int, spec: str | Path) -> None:
    """Run the worker under torchrun and wait; a failed worker raises with its exit code."""
    cmd = torchrun_command(nproc, spec)
    log.info("launching %d training processes: %s", nproc, " ".join(cmd))
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    result = subprocess.run(cmd, env=env, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"distributed training failed (torchrun exit code {result.returncode})")
