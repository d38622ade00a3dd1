"""The reproducibility manifest: tool and package versions, hashes, seed, time and configuration."""

from __future__ import annotations

import platform
import sys
from datetime import datetime, timezone
from importlib import metadata

from xai_audit._version import __version__

RECORDED_PACKAGES = ("numpy", "pandas", "scikit-learn", "scipy", "shap", "lime", "skops", "torch", "captum",
                     "xgboost", "xgboost-cpu", "lightgbm", "fairlearn", "jinja2", "matplotlib")


def package_versions() -> dict:
    """Installed versions of the packages whose behaviour the audit's numbers depend on."""
    versions = {}
    for name in RECORDED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def build_manifest(*, random_state, config: dict, model_sha256, data_sha256, created_at=None) -> dict:
    """The manifest section of the audit record."""
    return {
        "tool": "xai-audit",
        "tool_version": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(terse=True),
        "packages": package_versions(),
        "random_state": random_state,
        "created_at": created_at or datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "model_sha256": model_sha256,
        "data_sha256": data_sha256,
        "config": config,
    }
