"""Fairness: group metrics, comparisons against a reference group, bootstrap intervals,
significance tests, disparity attribution and proxy detection — from arrays, no model code.

Definitions follow ``fairlearn.metrics``; every table states its convention.
"""

from xai_audit.fairness.attribution import disparity_attribution, proxy_scan
from xai_audit.fairness.report import fairness_report

__all__ = ["disparity_attribution", "fairness_report", "proxy_scan"]
