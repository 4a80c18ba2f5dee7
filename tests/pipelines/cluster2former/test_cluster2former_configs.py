"""The shipped Cluster2Former configs (base and paper) parse and compare at equal budgets."""

from __future__ import annotations

from pathlib import Path

import pytest
from kedro.config import OmegaConfigLoader

from vis_pipelines.engine.config import InferenceConfig, TrainConfig
from vis_pipelines.models.cluster2former import Cluster2FormerConfig
from vis_pipelines.pipelines.cluster2former.nodes import check_equal_budget

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("env", ["base", "paper"])
def test_configs_parse_and_share_the_budget_with_mask2former(env):
    loader = OmegaConfigLoader(conf_source=str(ROOT / "conf"), base_env="base", default_run_env=env)
    params = loader["parameters"]
    variants = {}
    for name in ("maskcluster2former", "cluster2former"):
        model = Cluster2FormerConfig(**params[name]["model"])
        train = TrainConfig(**params[name]["train"])
        inference = InferenceConfig(**params[name]["inference"])
        assert model.points_per_instance == 40 and model.cluster_weight == 10.0
        # Paper: 0.1 with 100 queries; tiny config (10 queries): 0.5, the majority query.
        assert inference.mask_threshold == pytest.approx(0.1 if env == "paper" else 0.5)
        variants[name] = (model, train)
    variants["mask2former"] = (params["mask2former"]["model"], params["mask2former"]["train"])
    check_equal_budget(variants)
    if env == "paper":
        train = variants["cluster2former"][1]
        assert (train.max_steps, train.batch_size, train.lr) == (24000, 4, 2.5e-5)
        assert variants["cluster2former"][0].init_checkpoint
