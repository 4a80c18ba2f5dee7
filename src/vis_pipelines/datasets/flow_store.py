"""Precomputed optical flow of several methods and gaps, written resumably sequence by sequence.

Layout under ``path`` (one dataset, e.g. ``data/03_primary/flow/synthvis``)::

    <method>_gap<g>/<seq>/<frame>.flo    flow from frame t to t+g, named after frame t
    <method>_gap<g>/<seq>/_flow.json     record: settings hash, input hash, frame names, timing

Each ``<method>_gap<g>`` folder is an ordinary ``FlowDirDataset`` folder. Saving a ``FlowPlan``
computes only what is missing: a (folder, sequence) is skipped when its record exists, was made
with the same settings (``config_hash``) from the same frames (``input_hash``), lists the expected
frames, and every listed ``.flo`` file is complete. Every ``.flo`` is written atomically and the
record last, so an interrupted run leaves no half-written file and resumes where it stopped; each
sequence is independent, so disjoint shards of sequences can run in separate processes.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from kedro.io import AbstractDataset
from tqdm.auto import tqdm

from vis_pipelines.formats import FormatError, atomic_write_json, write_flo
from vis_pipelines.formats.flo import FLO_MAGIC

from .errors import kedro_passthrough
from .flow import FlowSequences

__all__ = ["FlowStore", "FlowStoreDataset", "RECORD_NAME"]

logger = logging.getLogger(__name__)

RECORD_NAME = "_flow.json"
_FLO_HEADER = 12  # float32 magic, int32 width, int32 height


def _flo_complete(path: Path, height: int, width: int) -> bool:
    """True if ``path`` is a whole ``.flo`` of ``width`` x ``height`` (header and length)."""
    try:
        with path.open("rb") as handle:
            header = handle.read(_FLO_HEADER)
        size = path.stat().st_size
    except OSError:
        return False
    if len(header) != _FLO_HEADER or np.frombuffer(header, "<f4", 1)[0] != FLO_MAGIC:
        return False
    w, h = (int(v) for v in np.frombuffer(header, "<i4", 2, 4))
    return (w, h) == (width, height) and size == _FLO_HEADER + 8 * width * height


def _read_record(path: Path) -> dict[str, Any] | None:
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


class FlowStore:
    """Flow folders under one root, each readable as ``FlowSequences``, with per-sequence records."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"FlowStore(root={str(self.root)!r})"

    def folders(self) -> list[str]:
        """``<method>_gap<g>`` folders present, sorted."""
        if not self.root.is_dir():
            raise FormatError("flow folder not found", source=self.root)
        return sorted(p.name for p in self.root.iterdir() if p.is_dir())

    def flows(self, folder: str) -> FlowSequences:
        """The flows of one folder (lazy)."""
        path = self.root / folder
        if not path.is_dir():
            raise FormatError(
                "no such flow folder (was the method computed?)", source=path, field=folder
            )
        return FlowSequences(root=path)

    def record(self, folder: str, seq: str) -> dict[str, Any]:
        """The record of a computed sequence; a missing or unreadable one raises ``FormatError``."""
        path = self.root / folder / seq / RECORD_NAME
        record = _read_record(path)
        if record is None:
            reason = "corrupt" if path.exists() else "missing"
            raise FormatError(
                f"flow record {reason}: the sequence was not (completely) computed",
                source=path,
                record=f"sequence {seq}",
            )
        return record

    def is_complete(
        self,
        folder: str,
        seq: str,
        *,
        frames: list[str],
        size: tuple[int, int],
        config_hash: str,
        input_hash: str,
    ) -> bool:
        """True if ``folder/seq`` holds exactly these settings' flows of these frames."""
        seq_dir = self.root / folder / seq
        record = _read_record(seq_dir / RECORD_NAME)
        if record is None:
            return False
        if (
            record.get("config_hash") != config_hash
            or record.get("input_hash") != input_hash
            or record.get("frames") != list(frames)
        ):
            return False
        return all(_flo_complete(seq_dir / f"{name}.flo", *size) for name in frames)


def _versions() -> dict[str, str]:
    return {"torch": torch.__version__, "opencv": cv2.__version__}


class FlowStoreDataset(AbstractDataset[Any, FlowStore]):
    """Saves a ``flow.FlowPlan`` (computing what is missing), loads a ``FlowStore``.

    Example catalog entry::

        optical_flow_store_synthvis:
          type: vis_pipelines.datasets.flow_store.FlowStoreDataset
          path: data/03_primary/flow/synthvis
    """

    def __init__(self, *, path: str, metadata: dict[str, Any] | None = None) -> None:
        self._path = Path(path)
        self.metadata = metadata

    def _describe(self) -> dict[str, Any]:
        return {"path": str(self._path)}

    def _exists(self) -> bool:
        # Whether the store is complete depends on the plan saved into it (methods, gaps,
        # sequences), which the dataset cannot know; saving checks every sequence and computes
        # only what is missing. Reporting "missing" makes `kedro run --only-missing-outputs` run
        # that check (seconds when nothing is missing) instead of skipping new methods or gaps.
        return False

    def _load(self) -> FlowStore:
        with kedro_passthrough():
            if not self._path.is_dir():
                raise FormatError("flow folder not found", source=self._path)
            return FlowStore(self._path)

    def _save(self, data: Any) -> None:
        # Imported here: the flow library imports this package (datasets) for its input types.
        from vis_pipelines.flow import FlowPlan, frames_fingerprint

        with kedro_passthrough():
            if not isinstance(data, FlowPlan):
                raise ValueError(f"FlowStoreDataset saves a FlowPlan, got {type(data).__name__}")
            self._path.mkdir(parents=True, exist_ok=True)
            store = FlowStore(self._path)
            computed = skipped = 0
            start = time.perf_counter()
            progress = tqdm(data.sequences, desc=f"optical flow -> {self._path}", unit="seq")
            for seq in progress:
                names, frames = data.load(seq)
                input_hash = frames_fingerprint(frames)
                for task in data.tasks:
                    expected = task.output_names(names)
                    if not data.recompute and store.is_complete(
                        task.folder,
                        seq,
                        frames=expected,
                        size=frames.shape[1:3],
                        config_hash=task.config_hash,
                        input_hash=input_hash,
                    ):
                        skipped += 1
                        logger.debug("%s/%s: valid outputs exist, skipped", task.folder, seq)
                        continue
                    self._compute(data, task, seq, names, frames, input_hash)
                    computed += 1
                progress.set_postfix(computed=computed, skipped=skipped)
            logger.info(
                "Optical flow: computed %d and skipped %d valid (method x gap, sequence) outputs "
                "in %.1f s -> %s",
                computed,
                skipped,
                time.perf_counter() - start,
                self._path,
            )

    def _compute(
        self, plan: Any, task: Any, seq: str, names: list[str], frames: np.ndarray, input_hash: str
    ) -> None:
        seq_dir = self._path / task.folder / seq
        seq_dir.mkdir(parents=True, exist_ok=True)
        # The record goes first and comes back last: a crash in between leaves no record, so the
        # sequence counts as missing on the next run, never as done with mixed old/new files.
        (seq_dir / RECORD_NAME).unlink(missing_ok=True)
        expected = task.output_names(names)
        seconds = 0.0
        for batch in plan.run(task, frames, seq=seq):
            for i, flow in zip(batch.src, batch.flows, strict=True):
                write_flo(seq_dir / f"{names[i]}.flo", flow)
            seconds += batch.seconds
        keep = set(expected)
        for stale in seq_dir.glob("*.flo"):  # e.g. from an earlier, longer version of the video
            if stale.stem not in keep:
                stale.unlink()
        record = {
            "method": task.method,
            "gap": task.gap,
            "sequence": seq,
            "config_hash": task.config_hash,
            "config": dict(task.config),
            "input_hash": input_hash,
            "frames": expected,
            "height": int(frames.shape[1]),
            "width": int(frames.shape[2]),
            "pairs": len(expected),
            "seconds": seconds,
            "device": task.estimator.device,
            "torch_threads": torch.get_num_threads(),
            "versions": _versions(),
        }
        atomic_write_json(seq_dir / RECORD_NAME, record, indent=2)
