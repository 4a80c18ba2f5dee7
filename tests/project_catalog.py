"""Catalog entries of the project's conf files re-rooted under a test folder."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
_PATH_KEYS = ("json_path", "frames_dir", "root", "path", "filepath")


def catalog_entries(path: Path, root: Path, prefixes: tuple[str, ...] = ()) -> dict:
    """Entries of the catalog file ``path`` (those starting with ``prefixes``; all if empty) with
    their file paths moved under ``root``."""
    entries = {}
    for name, entry in yaml.safe_load(Path(path).read_text()).items():
        if prefixes and not name.startswith(prefixes):
            continue
        entry = dict(entry)
        for key in _PATH_KEYS:
            if key in entry:
                entry[key] = str(root / entry[key])
        entries[name] = entry
    return entries
