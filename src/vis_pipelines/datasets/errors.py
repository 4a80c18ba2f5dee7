"""Errors that keep their type through Kedro's dataset wrappers.

Kedro wraps every exception raised by ``AbstractDataset.load``/``save`` into a ``DatasetError``
("Failed while loading data from dataset ...") unless it already is one. The classes below are both
the project's error type and a ``DatasetError``, so ``dataset.load()`` raises ONE ``FormatError``
naming the file, record and field, instead of a chain of two.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from kedro.io import DatasetError

from vis_pipelines.formats import FormatError

__all__ = ["DatasetFormatError", "DatasetValueError", "kedro_passthrough", "with_context"]


class DatasetFormatError(FormatError, DatasetError):
    """A ``FormatError`` raised by a Kedro dataset; Kedro passes it on unwrapped."""

    @classmethod
    def from_error(cls, err: FormatError) -> DatasetFormatError:
        """Copy a ``FormatError`` (message, source, record, field) into this type."""
        new = cls.__new__(cls)
        Exception.__init__(new, *err.args)
        new.source, new.record, new.field = err.source, err.record, err.field
        return new


class DatasetValueError(ValueError, DatasetError):
    """A bad value handed to a Kedro dataset (e.g. a checkpoint without ``step``)."""


@contextlib.contextmanager
def kedro_passthrough() -> Iterator[None]:
    """Re-raise ``FormatError``/``ValueError`` from the block as types Kedro does not wrap."""
    try:
        yield
    except DatasetError:
        raise
    except FormatError as err:
        raise DatasetFormatError.from_error(err).with_traceback(err.__traceback__) from None
    except ValueError as err:
        raise DatasetValueError(*err.args).with_traceback(err.__traceback__) from None


def with_context(err: FormatError, *, record: str, field: str | None = None) -> FormatError:
    """``err`` with ``record``/``field`` added where the codec that raised it knew only the file."""
    if err.record is not None:
        return err
    message = str(err)
    # A codec error that knows only its file reads "<source>: <message>" (see FormatError).
    prefix = f"{err.source}: " if err.source else ""
    if prefix and message.startswith(prefix):
        message = message[len(prefix) :]
    return FormatError(message, source=err.source, record=record, field=field or err.field)
