"""Mergeable summaries of an audit's rows (counts, histograms, moments), the summary file, and the
performance and fairness sections computed from them: audits of data too large for one process, and
federated audits from counts that sites share instead of rows."""

from xai_audit.summaries.core import GroupSummary, Summary, merge, summarize
from xai_audit.summaries.fairness import computed_from, fairness_from_summary
from xai_audit.summaries.fileformat import SCHEMA_VERSION, load_summary, save_summary, summary_from_dict, summary_to_dict
from xai_audit.summaries.performance import performance_from_summary
from xai_audit.summaries.scores import SCORE_BINS, auc_from_histogram

__all__ = ["GroupSummary", "SCHEMA_VERSION", "SCORE_BINS", "Summary", "auc_from_histogram", "computed_from",
           "fairness_from_summary", "load_summary", "merge", "performance_from_summary", "save_summary",
           "summarize", "summary_from_dict", "summary_to_dict"]
