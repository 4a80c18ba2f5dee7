"""``synthvis`` pipeline definition."""

from kedro.pipeline import Node, Pipeline

from .nodes import generate_synthvis, validate_synthvis


def create_pipeline(**kwargs) -> Pipeline:
    """Generate SynthVIS in all layouts, then validate the written annotations."""
    return Pipeline(
        [
            Node(
                func=generate_synthvis,
                inputs=["params:synthvis.generator", "params:synthvis.davis_imagesets"],
                outputs=[
                    "synthvis_train",
                    "synthvis_valid",
                    "synthvis_test",
                    "synthvis_davis",
                    "synthvis_gt_flow",
                    "synthvis_manifest",
                ],
                name="generate_synthvis_node",
            ),
            Node(
                func=validate_synthvis,
                inputs=["synthvis_train", "synthvis_valid", "synthvis_test"],
                outputs="synthvis_validation",
                name="validate_synthvis_node",
            ),
        ]
    )
