"""A dataset that may not exist yet: loads ``None`` instead of failing.

Reports read what earlier pipelines left on disk (metrics, curves, predictions). A fresh checkout
has none of it, and Kedro's ``PartitionedDataset`` refuses to load an empty folder; wrapping the
entry lets the report skip that part with a log line instead of stopping the run::

    reporting.training_curves:
      type: vis_pipelines.datasets.optional.OptionalDataset
      dataset:
        type: partitions.PartitionedDataset
        path: data/06_models
        filename_suffix: .tsv
        dataset: {type: pandas.CSVDataset, load_args: {sep: "\\t"}}
"""

from __future__ import annotations

import logging
from typing import Any

from kedro.io import AbstractDataset

__all__ = ["OptionalDataset"]

logger = logging.getLogger(__name__)


class OptionalDataset(AbstractDataset[Any, Any]):
    """Wrap ``dataset`` (a catalog config or a dataset); load ``None`` when it does not exist.

    "Exists" is the wrapped dataset's own test (a file present; a partitioned folder with at
    least one partition). Saving goes to the wrapped dataset unchanged.
    """

    def __init__(
        self,
        *,
        dataset: str | dict[str, Any] | AbstractDataset,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        if isinstance(dataset, AbstractDataset):
            self._dataset = dataset
        else:
            config = {"type": dataset} if isinstance(dataset, str) else dict(dataset)
            self._dataset = AbstractDataset.from_config("optional", config)
        self.metadata = metadata

    @property
    def wrapped(self) -> AbstractDataset:
        """The wrapped dataset."""
        return self._dataset

    def _describe(self) -> dict[str, Any]:
        return {"dataset": type(self._dataset).__name__, **self._dataset._describe()}

    def _exists(self) -> bool:
        # A PartitionedDataset caches its listing: refresh it, files may have appeared.
        self._dataset.release()
        return self._dataset.exists()

    def _load(self) -> Any:
        if not self._exists():
            logger.info("%s: nothing there yet, loaded as None", self._dataset)
            return None
        return self._dataset.load()

    def _save(self, data: Any) -> None:
        self._dataset.save(data)
