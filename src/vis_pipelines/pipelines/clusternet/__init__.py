"""ClusterNet pipeline: flows → online motion clustering → DAVIS-layout masks → J&F per flow source
(motion-threshold baseline, label-free ``gt_free``, ground-truth oracle ``as_released``)."""

from .pipeline import create_clusternet_pipeline, create_pipeline

__all__ = ["create_pipeline", "create_clusternet_pipeline"]
