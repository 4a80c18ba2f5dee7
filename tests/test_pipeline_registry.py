"""Pipeline discovery: every pipeline package is registered and ``__default__`` contains them all."""

import pytest
from kedro.framework.project import configure_project
from kedro.pipeline import Node, Pipeline

from vis_pipelines.pipeline_registry import register_pipelines
from vis_pipelines.pipelines.evaluation import pipeline as evaluation_pipeline


@pytest.fixture(autouse=True)
def _configured() -> None:
    configure_project("vis_pipelines")


def test_default_is_the_sum_of_all_pipelines() -> None:
    pipelines = register_pipelines()
    assert "synthvis" in pipelines
    default_nodes = {n.name for n in pipelines["__default__"].nodes}
    real_data = {"optical_flow_davis16", "optical_flow_fbms", "optical_flow_segtrackv2"}
    assert real_data <= set(pipelines)
    for name, pipe in pipelines.items():
        if name in real_data:  # need real datasets: kept out of the default run
            assert not {n.name for n in pipe.nodes} & default_nodes, name
        else:
            assert {n.name for n in pipe.nodes} <= default_nodes, name


def test_evaluation_collects_instances_registered_after_discovery(monkeypatch) -> None:
    monkeypatch.setattr(evaluation_pipeline, "_INSTANCES", {})
    assert "evaluation" not in register_pipelines()  # nothing to re-score yet
    instance = Pipeline(
        [Node(func=lambda x: x, inputs="a", outputs="b", name="score_node")], namespace="m"
    )
    evaluation_pipeline.register_evaluation("m", instance)
    pipelines = register_pipelines()
    assert [n.name for n in pipelines["evaluation"].nodes] == ["m.score_node"]
    assert "m.score_node" in {n.name for n in pipelines["__default__"].nodes}
