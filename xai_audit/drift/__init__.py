"""Monitoring: what moved between a reference period and a current one, and whether it matters."""

from xai_audit.drift.result import DriftResult
from xai_audit.drift.run import drift

__all__ = ["DriftResult", "drift"]
