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
    real_data = {
        "optical_flow_davis16",
        "optical_flow_fbms",
        "optical_flow_segtrackv2",
        "mask2former_ytvis19",
        "cluster2former_ytvis19",
        "clusternet_davis16",
        "clusternet_fbms",
        "clusternet_segtrackv2",
    }
    assert real_data <= set(pipelines)
    for name, pipe in pipelines.items():
        if name in real_data:  # need real datasets: kept out of the default run
            assert not {n.name for n in pipe.nodes} & default_nodes, name
        else:
            assert {n.name for n in pipe.nodes} <= default_nodes, name


def test_evaluation_collects_instances_registered_after_discovery(monkeypatch) -> None:
    monkeypatch.setattr(evaluation_pipeline, "_INSTANCES", {})
    pipelines = register_pipelines()
    # Model pipelines register their instances while they are discovered.
    assert "mask2former.evaluate_ytvis_node" in {n.name for n in pipelines["evaluation"].nodes}
    instance = Pipeline(
        [Node(func=lambda x: x, inputs="a", outputs="b", name="score_node")], namespace="m"
    )
    evaluation_pipeline.register_evaluation("m", instance)
    pipelines = register_pipelines()
    names = {n.name for n in pipelines["evaluation"].nodes}
    assert {"m.score_node", "mask2former.evaluate_ytvis_node"} <= names
    assert "m.score_node" in {n.name for n in pipelines["__default__"].nodes}


def test_evaluation_re_scores_saved_predictions_only() -> None:
    evaluation = register_pipelines()["evaluation"]
    # Re-scoring needs the saved predictions and the ground truth, never a training node.
    assert "mask2former.predictions" in evaluation.inputs()
    assert not [n for n in evaluation.nodes if n.name.endswith(("train_node", "predict_node"))]


def test_evaluation_alone_still_collects_every_model(monkeypatch) -> None:
    from vis_pipelines import pipeline_registry

    # `kedro run --pipelines evaluation`: Kedro loads only the evaluation package.
    monkeypatch.setattr(pipeline_registry, "find_pipelines", lambda raise_errors: {})
    monkeypatch.setattr(evaluation_pipeline, "_INSTANCES", {})
    names = {n.name for n in register_pipelines()["evaluation"].nodes}
    assert "mask2former.evaluate_ytvis_node" in names
    assert any(n.startswith("clusternet.") for n in names)


def test_empty_evaluation_is_dropped(monkeypatch) -> None:
    from vis_pipelines import pipeline_registry

    monkeypatch.setattr(
        pipeline_registry, "find_pipelines", lambda raise_errors: {"synthvis": Pipeline([])}
    )
    monkeypatch.setattr(pipeline_registry, "_build_unloaded", lambda found: None)
    monkeypatch.setattr(evaluation_pipeline, "_INSTANCES", {})
    assert "evaluation" not in register_pipelines()


def test_cluster2former_holds_three_variants_with_their_own_baseline() -> None:
    pipelines = register_pipelines()
    names = {n.name for n in pipelines["cluster2former"].nodes}
    for variant in ("mask2former_reference", "maskcluster2former", "cluster2former"):
        assert {f"{variant}.train_node", f"{variant}.evaluate_ytvis_node"} <= names
    assert "cluster2former.comparison_node" in names
    # (a) is Mask2Former-VIS at the comparison's recipe, not the mask2former pipeline's model
    # (copy-paste); the default run trains both once.
    assert not {n.name for n in pipelines["mask2former"].nodes} & names
    default = [n.name for n in pipelines["__default__"].nodes]
    assert default.count("mask2former.train_node") == 1
    assert default.count("mask2former_reference.train_node") == 1
    # (c) trains on the scribbles pipeline's output.
    assert "synthvis_train.scribbles" in pipelines["cluster2former"].inputs()
    evaluation = {n.name for n in pipelines["evaluation"].nodes}
    assert {
        "mask2former_reference.evaluate_ytvis_node",
        "maskcluster2former.evaluate_ytvis_node",
        "cluster2former.evaluate_ytvis_node",
    } <= evaluation


def test_default_run_writes_reports_last() -> None:
    names = [n.name for n in register_pipelines()["__default__"].nodes]
    first = names.index("reporting.reporting_inputs_node")
    assert all(names.index(n) < first for n in names if n.endswith("evaluate_ytvis_node"))
