"""Errors raised when a file does not follow its format."""

from __future__ import annotations

from pathlib import Path

__all__ = ["FormatError"]


class FormatError(ValueError):
    """A file, or a record in it, breaks its format; the message names file, record and field."""

    def __init__(
        self,
        message: str,
        *,
        source: str | Path | None = None,
        record: str | None = None,
        field: str | None = None,
    ) -> None:
        self.source = str(source) if source is not None else None
        self.record = record
        self.field = field
        where = []
        if self.source:
            where.append(self.source)
        if record:
            where.append(record)
        if field:
            where.append(f"field '{field}'")
        prefix = ": ".join([", ".join(where)]) if where else ""
        super().__init__(f"{prefix}: {message}" if prefix else message)
