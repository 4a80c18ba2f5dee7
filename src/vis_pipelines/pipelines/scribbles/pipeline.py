"""``scribbles`` pipeline definition: one namespaced instance per source dataset.

Each source (a YouTube-VIS-format catalog entry, e.g. ``synthvis_train``) gets the namespace of
its name: ``<source>.scribbles`` is the scribble dataset, ``<source>.scribble_stats`` etc. its
reports (paths in ``conf/base/catalog_scribbles.yml``). The videos are split into ``shards`` nodes
that write per-video parts, so ``ParallelRunner`` (or an orchestrator) runs them side by side and
a re-run skips finished videos.

The sources are ``DEFAULT_SOURCES`` unless the environment variable ``VIS_SCRIBBLES_SOURCES``
lists catalog names (comma-separated), e.g. ``VIS_SCRIBBLES_SOURCES=ytvis19_train,ovis_train``
with ``--env paper``; ``VIS_SCRIBBLES_SHARDS`` sets the number of shards. (Kedro builds pipelines
before it reads parameters, so the set of namespaces cannot come from ``parameters*.yml``.)
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import Any

from kedro.pipeline import Node, Pipeline

from vis_pipelines.node_functions import bind_kwargs

from .nodes import assemble_scribble_dataset, preview_scribbles, scribble_shard, validate_scribbles

__all__ = ["create_pipeline", "create_scribbles_pipeline", "DEFAULT_SOURCES", "DEFAULT_SHARDS"]

DEFAULT_SOURCES: tuple[str, ...] = ("synthvis_train", "synthvis_valid")
DEFAULT_SHARDS = 4
SOURCES_ENV = "VIS_SCRIBBLES_SOURCES"
SHARDS_ENV = "VIS_SCRIBBLES_SHARDS"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def create_scribbles_pipeline(source: str, shards: int = DEFAULT_SHARDS) -> Pipeline:
    """The scribble pipeline for one source catalog entry, under the namespace ``source``."""
    if not _NAME.match(source):
        raise ValueError(f"scribble source must be a plain catalog name, got {source!r}")
    if shards < 1:
        raise ValueError(f"shards must be >= 1, got {shards}")
    parts = [f"scribble_parts_{k}" for k in range(shards)]
    nodes = [
        Node(
            func=bind_kwargs(scribble_shard, shard=k, shards=shards, source_name=source),
            inputs=["source", "params:scribbles.generator", "scribble_parts_done"],
            outputs=parts[k],
            name=f"scribble_shard_{k}_node",
        )
        for k in range(shards)
    ]
    nodes += [
        Node(
            func=bind_kwargs(assemble_scribble_dataset, source_name=source),
            inputs=["source", "params:scribbles.generator", *parts],
            outputs=["scribbles", "scribble_stats", "scribble_summary", "scribble_report"],
            name="assemble_scribbles_node",
        ),
        Node(
            func=bind_kwargs(validate_scribbles, source_name=source),
            inputs=["source", "scribbles", "params:scribbles.generator"],
            outputs="scribble_validation",
            name="validate_scribbles_node",
        ),
        Node(
            func=preview_scribbles,
            inputs=["source", "scribbles", "params:scribbles.previews"],
            outputs="scribble_previews",
            name="preview_scribbles_node",
        ),
    ]
    return Pipeline(
        nodes,
        namespace=source,
        inputs={"source": source},
        parameters={"params:scribbles.generator", "params:scribbles.previews"},
    )


def configured_sources() -> tuple[list[str], int]:
    """Sources and shard count from the environment (see module docstring), else the defaults."""
    raw = os.environ.get(SOURCES_ENV, "").strip()
    sources = [s.strip() for s in raw.split(",") if s.strip()] if raw else list(DEFAULT_SOURCES)
    shards_raw = os.environ.get(SHARDS_ENV, "").strip()
    try:
        shards = int(shards_raw) if shards_raw else DEFAULT_SHARDS
    except ValueError:
        raise ValueError(f"{SHARDS_ENV} must be an integer, got {shards_raw!r}") from None
    return sources, shards


def create_pipeline(
    sources: Sequence[str] | None = None, shards: int | None = None, **kwargs: Any
) -> Pipeline:
    """Scribbles for every source: ``sources``/``shards``, else the environment, else defaults."""
    if sources is None or shards is None:
        env_sources, env_shards = configured_sources()
        sources = env_sources if sources is None else sources
        shards = env_shards if shards is None else shards
    names = list(sources)
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate scribble sources: {names}")
    return sum((create_scribbles_pipeline(s, shards) for s in names), Pipeline([]))
