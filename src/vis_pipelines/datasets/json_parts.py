"""A folder of JSON parts keyed by name: resumable, partitioned node outputs (one part per video).

Load returns ``{key: loader}`` with lazy loaders (like kedro-datasets' ``PartitionedDataset``) and
``{}`` for a missing or empty folder, so a node can read what an earlier, possibly interrupted, run
left and skip it. Save writes each part to ``<key>.json`` atomically and never deletes other parts,
so several nodes (shards) can write into one folder. A value may be a callable returning the part:
it is called at save time, part after part, so work done before an error is already on disk.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset
from tqdm.auto import tqdm

from vis_pipelines.formats import atomic_write_json, load_json

from .errors import kedro_passthrough

__all__ = ["JSONPartsDataset"]

logger = logging.getLogger(__name__)

_KEY = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")
_SUFFIX = ".json"


class JSONPartsDataset(AbstractDataset[dict[str, Any], dict[str, Callable[[], Any]]]):
    """JSON files ``<path>/<key>.json``, loaded lazily as ``{key: () -> part}``.

    Keys are plain file names (letters, digits, ``_ . -``; not starting with a dot, so the
    temporary files of atomic writes are never listed). ``progress`` labels a tqdm bar over the
    parts of a save (None: no bar).

    Example catalog entry::

        synthvis_train.scribble_parts_0:
          type: vis_pipelines.datasets.json_parts.JSONPartsDataset
          path: data/02_intermediate/scribbles/synthvis_train/parts
    """

    def __init__(
        self,
        *,
        path: str,
        progress: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self._path = Path(path)
        self._progress = progress
        self.metadata = metadata

    def _describe(self) -> dict[str, Any]:
        return {"path": str(self._path), "progress": self._progress}

    def _exists(self) -> bool:
        return self._path.is_dir()

    def _load(self) -> dict[str, Callable[[], Any]]:
        with kedro_passthrough():
            if not self._path.is_dir():
                return {}
            parts: dict[str, Callable[[], Any]] = {}
            for file in sorted(self._path.iterdir()):
                key = file.name[: -len(_SUFFIX)]
                if file.is_file() and file.name.endswith(_SUFFIX) and _KEY.match(key):
                    parts[key] = _Loader(file)
            return parts

    def _save(self, data: dict[str, Any]) -> None:
        with kedro_passthrough():
            if not isinstance(data, dict):
                raise ValueError(
                    f"JSONPartsDataset saves a dict of parts, got {type(data).__name__}"
                )
            bad = [k for k in data if not isinstance(k, str) or not _KEY.match(k)]
            if bad:
                raise ValueError(f"part keys must be plain file names, got {bad[:3]}")
            items = data.items()
            if self._progress and data:
                items = tqdm(items, total=len(data), desc=self._progress, unit="part")
            for key, value in items:
                part = value() if callable(value) else value
                atomic_write_json(self._path / f"{key}{_SUFFIX}", part)
            if data:
                logger.info("Saved %d parts to %s", len(data), self._path)


class _Loader:
    """Picklable lazy loader of one part (ParallelRunner ships loaded inputs between processes)."""

    def __init__(self, file: Path) -> None:
        self.file = file

    def __call__(self) -> Any:
        with kedro_passthrough():
            return load_json(self.file)

    def __repr__(self) -> str:
        return f"_Loader({str(self.file)!r})"
