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
    # (a) on SynthVIS is mask2former_reference; on real data (paper env) it is mask2former itself.
    references = ["mask2former_reference"] + (["mask2former"] if env == "paper" else [])
    for ref in references:
        check_equal_budget({**variants, ref: (params[ref]["model"], params[ref]["train"])})
    if env == "base":
        # The mask2former pipeline's own recipe adds copy-paste and steps: it is no row.
        with pytest.raises(ValueError, match="copy_paste_prob"):
            m2f = params["mask2former"]
            check_equal_budget({**variants, "mask2former": (m2f["model"], m2f["train"])})
    if env == "paper":
        train = variants["cluster2former"][1]
        assert (train.max_steps, train.batch_size, train.lr) == (24000, 4, 2.5e-5)
        assert variants["cluster2former"][0].init_checkpoint
