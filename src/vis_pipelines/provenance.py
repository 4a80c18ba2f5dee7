"""Provenance stamps: a stable hash of parameters and the git revision, carried by every output."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any

__all__ = ["params_hash", "git_revision", "provenance"]


def _plain(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return _plain(dataclasses.asdict(obj))
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    return obj


def params_hash(params: Any) -> str:
    """First 12 hex digits of the SHA-256 of the parameters' canonical JSON (key order ignored)."""
    text = json.dumps(_plain(params), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def git_revision(cwd: str | Path | None = None) -> str:
    """Current git commit (with ``-dirty`` if the tree has changes), or ``unknown`` outside git."""
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{rev}-dirty" if dirty else rev


def provenance(params: Any) -> dict[str, str]:
    """``{"params_hash": ..., "git_revision": ...}`` to store beside an output."""
    return {"params_hash": params_hash(params), "git_revision": git_revision()}
