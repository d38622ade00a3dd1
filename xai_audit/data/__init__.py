"""The data an audit runs on: :class:`AuditDataset`, file readers, sensitive groups and plain-name labels.

``dataset`` validates roles at the boundary, ``readers`` reads CSV and Parquet, ``groups`` turns
sensitive attributes into groups (and holds :data:`UNKNOWN_GROUP`), ``labels`` holds the feature
dictionary.
"""

from xai_audit.data.dataset import AuditDataset
from xai_audit.data.groups import MAX_GROUPS, UNKNOWN_GROUP, parse_bins
from xai_audit.data.labels import FeatureLabels
from xai_audit.data.readers import CsvDialect, ParquetSource, read_table, sniff_csv

__all__ = ["AuditDataset", "CsvDialect", "FeatureLabels", "MAX_GROUPS", "ParquetSource", "UNKNOWN_GROUP",
           "parse_bins", "read_table", "sniff_csv"]
