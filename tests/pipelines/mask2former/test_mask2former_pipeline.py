"""The mask2former pipeline end to end on a tiny SynthVIS: checkpoint, predictions, metrics."""

from __future__ import annotations

import json

import pytest
from kedro.runner import SequentialRunner
from mask2former_helpers import mask2former_catalog

from vis_pipelines.formats.results import validate_results
from vis_pipelines.formats.ytvis import load_ytvis_json
from vis_pipelines.pipelines.mask2former import create_pipeline
from vis_pipelines.pipelines.synthvis import create_pipeline as create_synthvis

KEYS = {"AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AP_base", "AP_novel"}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("mask2former_project")
    SequentialRunner().run(
        create_synthvis().only_nodes("generate_synthvis_node"), mask2former_catalog(root)
    )
    SequentialRunner().run(create_pipeline(), mask2former_catalog(root))
    return root


def test_outputs_checkpoint_predictions_and_metrics(project):
    ckpt = project / "data/06_models/mask2former"
    assert (ckpt / "model.pt").is_file() and (ckpt / "last.pt").is_file()
    assert (ckpt / "live/plots/metrics/train/loss.tsv").is_file()
    gt = load_ytvis_json(project / "data/01_raw/synthvis/ytvis/valid.json")
    results = json.loads(
        (project / "data/07_model_output/mask2former/synthvis_valid_results.json").read_text()
    )
    validate_results(results, gt)
    assert len(results) == 3 * len(gt["videos"])  # topk per video
    metrics = json.loads(
        (project / "data/08_reporting/metrics/mask2former__synthvis.json").read_text()
    )
    assert KEYS <= set(metrics)
    assert all(v is None or 0.0 <= v <= 100.0 for k, v in metrics.items() if k in KEYS)
    assert isinstance(metrics["params_hash"], str) and isinstance(metrics["git_revision"], str)
    assert (project / "data/08_reporting/mask2former/per_category_synthvis.csv").is_file()


def test_rerun_resumes_the_finished_run_and_extends_it(project):
    import torch

    before = torch.load(project / "data/06_models/mask2former/model.pt", weights_only=False)
    assert before["step"] == 3
    # Same settings: nothing left to train, same weights.
    SequentialRunner().run(create_pipeline(), mask2former_catalog(project))
    again = torch.load(project / "data/06_models/mask2former/model.pt", weights_only=False)
    assert again["step"] == 3
    assert all(torch.equal(again["model"][k], v) for k, v in before["model"].items())
    assert again["config"]["categories"] == before["config"]["categories"]
