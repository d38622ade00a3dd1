"""Audits of any size and federated audits: summaries computed where the rows are, merged here."""

from xai_audit.scale.outofcore import audit_parquet, audit_summaries
from xai_audit.scale.partitions import SAMPLE_ROWS, summarize_data, summarize_parquet
from xai_audit.scale.record import audit_from_summary

__all__ = ["SAMPLE_ROWS", "audit_from_summary", "audit_parquet", "audit_summaries", "summarize_data",
           "summarize_parquet"]
