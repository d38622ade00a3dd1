"""Fairness: group metrics, comparisons against a reference group, bootstrap intervals,
significance tests, disparity attribution and proxy detection — from arrays, no model code.

Definitions follow ``fairlearn.metrics``; every table states its convention.
"""

from xai_audit.fairness.attribution import disparity_attribution, proxy_scan
from xai_audit.fairness.report import fairness_report
from xai_audit.fairness.table import GroupRow, GroupTable, group_tables
from xai_audit.fairness.threshold import (decisions_at, fairness_at_threshold, performance_at_threshold,
                                         threshold_curves)

__all__ = ["GroupRow", "GroupTable", "decisions_at", "disparity_attribution", "fairness_at_threshold", "fairness_report",
           "group_tables", "performance_at_threshold", "proxy_scan", "threshold_curves"]
