"""Reporting pipeline: benchmark tables, plots and overlays from the files earlier runs left."""

from .pipeline import create_pipeline, report_inputs_of

__all__ = ["create_pipeline", "report_inputs_of"]
