"""A JSON file as a Kedro dataset, written atomically (reports, manifests, metrics)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset

from vis_pipelines.formats.atomic import atomic_write_json
from vis_pipelines.formats.ytvis import load_json

from .errors import kedro_passthrough

__all__ = ["JSONDataset"]


class JSONDataset(AbstractDataset[Any, Any]):
    """JSON file; saving goes through a temp file and a rename, so a crash never leaves half a file.

    Unlike ``kedro_datasets.json.JSONDataset`` (which writes in place), a metrics file that DVC or a
    benchmark table reads is either the previous complete file or the new complete file.
    """

    def __init__(
        self, *, filepath: str, indent: int | None = 2, metadata: dict[str, Any] | None = None
    ) -> None:
        self._filepath = Path(filepath)
        self._indent = indent
        self.metadata = metadata

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath), "indent": self._indent}

    def _exists(self) -> bool:
        return self._filepath.is_file()

    def _load(self) -> Any:
        with kedro_passthrough():
            return load_json(self._filepath)

    def _save(self, data: Any) -> None:
        with kedro_passthrough():
            atomic_write_json(self._filepath, data, indent=self._indent)
