"""Training metrics sink: dvclive (plots DVC shows) plus the Python log.

dvclive writes ``<dir>/plots/metrics/train/<name>.tsv`` per metric, which ``dvc plots show`` and the
reporting pipeline read; on resume the existing series are continued, not overwritten.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

__all__ = ["TrainingLog"]

log = logging.getLogger(__name__)


class TrainingLog:
    """Logs ``{name: value}`` per step to dvclive under ``directory`` (and to ``logging``)."""

    def __init__(self, directory: str | Path, *, resume: bool = False, prefix: str = "train"):
        from dvclive import Live  # imported here: only training needs it

        self.prefix = prefix
        # No DVC experiment, report or dvc.yaml of dvclive's own: dvc.yaml lists the plots.
        self._live = Live(
            str(directory),
            resume=resume,
            save_dvc_exp=False,
            dvcyaml=None,
            report=None,
            monitor_system=False,
        )

    def log(self, step: int, values: dict[str, Any]) -> None:
        """Record the values of ``step``."""
        self._live.step = int(step)
        for name, value in values.items():
            self._live.log_metric(f"{self.prefix}/{name}", float(value), plot=True)
        self._live.next_step()
        log.debug("step %d %s", step, values)

    def close(self) -> None:
        """Flush and close dvclive."""
        self._live.end()
