"""A folder of report files (plots, GIFs, tables) replaced as a whole, atomically.

Saving ``{relative path: content}`` writes every file into a hidden sibling folder and swaps it
in only once all are written: readers (DVC, a notebook) see either the previous complete set or
the new one, never a mix, and files of models that disappeared do not linger. Content is
``bytes``, ``str`` (UTF-8), a pandas ``DataFrame`` (CSV without index) or a zero-argument callable
returning one of those, so big files (GIF overlays) are produced one at a time while saving.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

import pandas as pd
from kedro.io import AbstractDataset

from vis_pipelines.formats.atomic import staged_directory

from .errors import DatasetValueError, kedro_passthrough

__all__ = ["ReportFolderDataset"]


def _as_bytes(name: str, content: Any) -> bytes:
    if callable(content):
        content = content()
    if isinstance(content, bytes):
        return content
    if isinstance(content, str):
        return content.encode("utf-8")
    if isinstance(content, pd.DataFrame):
        return content.to_csv(index=False).encode("utf-8")
    raise DatasetValueError(
        f"report file {name!r}: expected bytes, str or a DataFrame, got {type(content).__name__}"
    )


def _checked_name(name: Any) -> PurePosixPath:
    path = PurePosixPath(str(name))
    if not str(name) or path.is_absolute() or ".." in path.parts or not path.suffix:
        raise DatasetValueError(
            f"report file name {name!r} must be a relative path with an extension, inside the folder"
        )
    return path


class ReportFolderDataset(AbstractDataset[dict[str, Any], dict[str, Callable[[], bytes]]]):
    """``path`` holds report files; save replaces the whole folder atomically.

    Load returns ``{relative path: loader}`` (each loader returns the file's bytes), sorted;
    an absent folder loads as ``{}``.
    """

    def __init__(self, *, path: str, metadata: dict[str, Any] | None = None) -> None:
        self._path = Path(path)
        self.metadata = metadata

    def _describe(self) -> dict[str, Any]:
        return {"path": str(self._path)}

    def _exists(self) -> bool:
        return self._path.is_dir()

    def _load(self) -> dict[str, Callable[[], bytes]]:
        if not self._path.is_dir():
            return {}
        # Hidden entries are staging leftovers of an interrupted save, not reports.
        files = sorted(
            p
            for p in self._path.rglob("*")
            if p.is_file()
            and not any(part.startswith(".") for part in p.relative_to(self._path).parts)
        )
        return {p.relative_to(self._path).as_posix(): p.read_bytes for p in files}

    def _save(self, data: Mapping[str, Any]) -> None:
        if not isinstance(data, Mapping):
            raise DatasetValueError(
                f"ReportFolderDataset saves a mapping of file names, got {type(data).__name__}"
            )
        names = {str(name): _checked_name(name) for name in data}
        with kedro_passthrough(), staged_directory(self._path) as staged:
            for name, content in data.items():
                target = staged / names[str(name)]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(_as_bytes(str(name), content))
