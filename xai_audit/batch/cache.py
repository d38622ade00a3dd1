"""The batch cache: ``.xai-audit-cache.json`` in the output folder, keyed by each entry's ``AuditSpec.key()``.

The file is updated after each entry finishes, so a re-run (even after an interrupted one) skips
entries whose model, data, policy and configuration have not changed and whose reports still exist.
"""

from __future__ import annotations

import json
from pathlib import Path

from xai_audit._io import write_atomic

CACHE_FILE = ".xai-audit-cache.json"
CACHE_VERSION = 2  # 2: keys are AuditSpec.key() (the spec's configuration and input hashes)


def reusable(previous: dict | None, key: str, out: Path) -> bool:
    """Whether a cached record can stand for a run with ``key``: same key, not an error, files present.

    Examples
    --------
    >>> reusable({"cache_key": "k", "status": "pass", "paths": {}}, "k", Path("/nowhere"))
    True
    >>> reusable({"cache_key": "k", "status": "error", "paths": {}}, "k", Path("/nowhere"))
    False
    """
    if not previous or previous.get("cache_key") != key or previous.get("status") == "error":
        return False
    return all((out / path).is_file() for path in previous.get("paths", {}).values())


def read_cache(out: Path) -> dict:
    """``{entry name: summary record}`` from the cache file; empty when it is missing, unreadable or old."""
    try:
        cache = json.loads((out / CACHE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(cache, dict) or cache.get("version") != CACHE_VERSION:
        return {}
    entries = cache.get("entries")
    return entries if isinstance(entries, dict) else {}


def write_cache(out: Path, cache: dict) -> None:
    """Write the cache file whole (atomically)."""
    write_atomic(out / CACHE_FILE, json.dumps({"version": CACHE_VERSION, "entries": cache}, indent=1) + "\n")
