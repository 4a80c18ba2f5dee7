"""A training run's folder: the resumable checkpoint written during training and the metric logs.

Training writes checkpoints every N steps while the node is still running, so it needs a place on
disk, not just an output: the catalog entry gives the folder (``type: TrainingRunDataset``) and the
node receives a :class:`TrainingRun` handle. ``last.pt`` is written atomically (temp file + rename)
and listed with ``persist: true`` in dvc.yaml so an interrupted run resumes.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset

from vis_pipelines.formats import FormatError

from .checkpoint import TorchCheckpointDataset

__all__ = ["TrainingRun", "TrainingRunDataset"]

log = logging.getLogger(__name__)


class TrainingRun:
    """Handle on ``<path>/last.pt`` (resumable checkpoint) and ``<path>/live`` (dvclive logs)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    @property
    def checkpoint_path(self) -> Path:
        """The resumable checkpoint file."""
        return self.path / "last.pt"

    @property
    def live_dir(self) -> Path:
        """Folder of the training metric logs (dvclive)."""
        return self.path / "live"

    def _dataset(self) -> TorchCheckpointDataset:
        return TorchCheckpointDataset(filepath=str(self.checkpoint_path))

    def load_checkpoint(self) -> dict[str, Any] | None:
        """The last checkpoint, or ``None`` when there is none (or it cannot be read)."""
        if not self.checkpoint_path.is_file():
            return None
        try:
            return self._dataset().load()
        except FormatError as err:
            # A damaged resume file must not block training: it is replaced by the next save.
            log.warning("ignoring unreadable checkpoint: %s", err)
            return None

    def save_checkpoint(self, state: dict[str, Any]) -> None:
        """Write ``state`` atomically to ``last.pt``."""
        self._dataset().save(state)
        log.info("checkpoint at step %s -> %s", state.get("step"), self.checkpoint_path)

    def __repr__(self) -> str:
        return f"TrainingRun({str(self.path)!r})"


class TrainingRunDataset(AbstractDataset[None, TrainingRun]):
    """Kedro dataset whose ``load`` gives the :class:`TrainingRun` of a folder (created on demand)."""

    def __init__(self, *, path: str, metadata: dict[str, Any] | None = None):
        self._path = Path(path)
        self.metadata = metadata

    def _describe(self) -> dict[str, Any]:
        return {"path": str(self._path)}

    def _load(self) -> TrainingRun:
        self._path.mkdir(parents=True, exist_ok=True)
        return TrainingRun(self._path)

    def _save(self, data: None) -> None:
        raise NotImplementedError("a training run folder is an input; training writes into it")

    def _exists(self) -> bool:
        return True
