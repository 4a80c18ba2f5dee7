"""Fixtures for the data-layer tests: tiny datasets in each real layout (see datasets_layouts)."""

from datasets_layouts import davis16, davis17, flow_dir, lvvis, ovis, ytvis19

__all__ = ["davis16", "davis17", "flow_dir", "lvvis", "ovis", "ytvis19"]
