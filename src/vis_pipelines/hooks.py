"""Project hooks."""

from __future__ import annotations

import logging
from typing import Any

from kedro.framework.hooks import hook_impl

from vis_pipelines.provenance import git_revision, params_hash

logger = logging.getLogger(__name__)


class ReproducibilityHooks:
    """Log the parameters hash and git revision of every run, so logs match outputs' stamps."""

    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any], pipeline: Any, catalog: Any) -> None:
        """Log what identifies this run."""
        try:
            params = catalog.load("parameters")
        except Exception:  # noqa: BLE001 - a catalog without parameters is legal (tests)
            params = {}
        logger.info(
            "run: pipeline=%s params_hash=%s git=%s",
            run_params.get("pipeline_names"),
            params_hash(params),
            git_revision(),
        )
