"""vis_pipelines."""
