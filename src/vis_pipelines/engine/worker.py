"""torchrun entry point: ``python -m vis_pipelines.engine.worker SPEC`` (one DDP rank).

SPEC is the job a training node wrote (:func:`vis_pipelines.engine.fit.spawn`). For multi-node
training start it on every node with torchrun's ``--nnodes``/``--node_rank``/``--rdzv_endpoint``.
"""

from __future__ import annotations

import argparse
import logging

import torch
import torch.distributed as dist

from .fit import FitJob, run_job


def main(argv: list[str] | None = None) -> None:
    """Load the job and train this rank's share."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("spec", help="job file written by the training node")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    job: FitJob = torch.load(args.spec, weights_only=False)
    try:
        run_job(job, distributed=True)
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


if __name__ == "__main__":
    main()
