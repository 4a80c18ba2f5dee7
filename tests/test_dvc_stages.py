"""dvc.yaml stays in step with the Kedro project: one stage per pipeline, real paths, real params."""

from __future__ import annotations

from pathlib import Path

import yaml
from kedro.framework.project import configure_project

from vis_pipelines.pipeline_registry import register_pipelines

ROOT = Path(__file__).resolve().parents[1]


def _stages() -> dict:
    return yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]


def test_each_stage_runs_a_registered_pipeline() -> None:
    configure_project("vis_pipelines")
    pipelines = register_pipelines()
    for name, stage in _stages().items():
        # A stage may narrow its pipeline (--namespaces) to nodes no other stage runs.
        assert stage["cmd"].split(" --namespaces ")[0] == f"kedro run --pipelines {name}"
        assert name in pipelines, name


def test_code_deps_and_params_exist() -> None:
    for name, stage in _stages().items():
        for dep in stage["deps"]:
            if not dep.startswith("data/"):
                assert (ROOT / dep).exists(), f"{name}: {dep}"
        for entry in stage["params"]:
            for path, keys in entry.items():
                params = yaml.safe_load((ROOT / path).read_text())
                for key in keys:  # DVC's dotted keys address nested parameters
                    node = params
                    for part in key.split("."):
                        assert isinstance(node, dict) and part in node, f"{name}: {path} {key}"
                        node = node[part]


def test_data_deps_are_outputs_of_earlier_stages() -> None:
    produced: list[str] = []
    for name, stage in _stages().items():
        for dep in stage["deps"]:
            if dep.startswith("data/"):
                assert any(dep == out or dep.startswith(out + "/") for out in produced), (
                    f"{name}: {dep}"
                )
        for out in stage.get("outs", []) + stage.get("metrics", []):
            produced.append(out if isinstance(out, str) else next(iter(out)))


def test_dvc_analytics_off() -> None:
    assert "analytics = false" in (ROOT / ".dvc/config").read_text()


def test_dvc_repro_dry_run_plans_every_stage(tmp_path) -> None:
    """`dvc repro --dry` accepts dvc.yaml (DAG, paths, params) and plans each stage's command."""
    import os
    import shutil
    import subprocess
    import sys

    dvc = shutil.which("dvc") or str(Path(sys.executable).parent / "dvc")
    env = {**os.environ, "DVC_NO_ANALYTICS": "1", "KEDRO_DISABLE_TELEMETRY": "true"}
    out = subprocess.run(
        [dvc, "repro", "--dry", "--force"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    for name, stage in _stages().items():
        assert f"Running stage '{name}'" in out.stdout, name
        assert stage["cmd"] in out.stdout


def test_dvc_lock_records_the_current_code_and_params(tmp_path) -> None:
    """`dvc status` after the recorded run: only data (absent from a fresh clone) may differ.

    dvc.lock is written by `dvc repro`; a code, conf or parameter dependency that changed since then
    means the committed lock (and the numbers in README) no longer belong to this code.
    """
    import json
    import os
    import shutil
    import subprocess
    import sys

    dvc = shutil.which("dvc") or str(Path(sys.executable).parent / "dvc")
    env = {**os.environ, "DVC_NO_ANALYTICS": "1", "KEDRO_DISABLE_TELEMETRY": "true"}
    out = subprocess.run(
        [dvc, "status", "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    status = json.loads(out.stdout or "{}")
    stale = {
        f"{stage}: {path}"
        for stage, items in status.items()
        for item in items
        if isinstance(item, dict)
        for path in item.get("changed deps", {})
        if not path.startswith("data/")
    }
    assert not stale, (
        f"run `dvc repro` and commit dvc.lock; changed since the lock: {sorted(stale)}"
    )
