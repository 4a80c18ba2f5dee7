"""Report files (markdown, CSV tables, PNG images) as Kedro datasets, written atomically."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from kedro.io import AbstractDataset
from PIL import Image

from vis_pipelines.formats.atomic import atomic_write_bytes
from vis_pipelines.formats.errors import FormatError

from .errors import kedro_passthrough

__all__ = ["TextDataset", "CSVDataset", "PNGDataset"]


class _FileDataset(AbstractDataset[Any, Any]):
    """A single file whose save goes through a temp file and a rename."""

    def __init__(self, *, filepath: str, metadata: dict[str, Any] | None = None) -> None:
        self._filepath = Path(filepath)
        self.metadata = metadata

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath)}

    def _exists(self) -> bool:
        return self._filepath.is_file()

    def _read_bytes(self) -> bytes:
        if not self._filepath.is_file():
            raise FormatError("file not found", source=self._filepath)
        return self._filepath.read_bytes()


class TextDataset(_FileDataset):
    """UTF-8 text (markdown tables, reports)."""

    def _load(self) -> str:
        with kedro_passthrough():
            return self._read_bytes().decode("utf-8")

    def _save(self, data: str) -> None:
        with kedro_passthrough():
            atomic_write_bytes(self._filepath, str(data).encode("utf-8"))


class CSVDataset(_FileDataset):
    """A pandas DataFrame as CSV (written without the index unless ``index: true``)."""

    def __init__(
        self, *, filepath: str, index: bool = False, metadata: dict[str, Any] | None = None
    ) -> None:
        super().__init__(filepath=filepath, metadata=metadata)
        self._index = index

    def _load(self) -> pd.DataFrame:
        with kedro_passthrough():
            try:
                return pd.read_csv(io.BytesIO(self._read_bytes()))
            except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
                raise FormatError(f"cannot parse CSV ({err})", source=self._filepath) from None

    def _save(self, data: pd.DataFrame) -> None:
        with kedro_passthrough():
            if not isinstance(data, pd.DataFrame):
                raise ValueError(f"CSVDataset saves a pandas DataFrame, got {type(data).__name__}")
            atomic_write_bytes(self._filepath, data.to_csv(index=self._index).encode("utf-8"))


class PNGDataset(_FileDataset):
    """An image (PIL image or uint8 array) as PNG; loads as a PIL image."""

    def _load(self) -> Image.Image:
        with kedro_passthrough():
            try:
                with Image.open(io.BytesIO(self._read_bytes())) as img:
                    img.load()
                    return img.copy()
            except OSError as err:
                raise FormatError(f"cannot decode PNG ({err})", source=self._filepath) from None

    def _save(self, data: Image.Image | np.ndarray) -> None:
        with kedro_passthrough():
            img = Image.fromarray(data) if isinstance(data, np.ndarray) else data
            if not isinstance(img, Image.Image):
                raise ValueError(
                    f"PNGDataset saves a PIL image or an array, got {type(data).__name__}"
                )
            buf = io.BytesIO()
            img.save(buf, format="PNG")
            atomic_write_bytes(self._filepath, buf.getvalue())
