"""The summary file: a versioned JSON document holding one :class:`~xai_audit.summaries.core.Summary`.

It holds counts and sums only, never a row. Its shape is documented by the JSON Schema
``xai_audit/schemas/summary.schema.json``; ``schema_version`` at its top changes with any change of
meaning. Score histograms are stored sparsely (``bins``: the nonzero bin indices, ``negative`` and
``positive``: their counts). Version 1.1 added ``sketches``, per-feature counts for drift
(:mod:`xai_audit.summaries.sketches`); 1.0 files have none and still load.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from xai_audit._io import write_atomic
from xai_audit.exceptions import InvalidInputError
from xai_audit.summaries.core import REGRESSION_MOMENTS, GroupSummary, Summary, table_names
from xai_audit.summaries.scores import MOMENTS, SCORE_BINS
from xai_audit.stats.calibration import ECE_BINS

SCHEMA_VERSION = "1.1"
# 1.1 added per-feature sketches (optional); 1.0 files, without them, still load.
READABLE_VERSIONS = ("1.0", "1.1")
KIND = "xai-audit summary"


def summary_to_dict(summary: Summary) -> dict:
    """The JSON-ready document of ``summary``."""
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": KIND,
        "task": summary.task,
        "sensitive": list(summary.sensitive),
        "intersections": summary.intersections,
        "has_scores": summary.has_scores,
        "resolution": {"score_bins": SCORE_BINS, "calibration_bins": ECE_BINS, "score_moments": list(MOMENTS),
                       "regression_moments": list(REGRESSION_MOMENTS),
                       "cells": ["tn", "fp", "fn", "tp"]},
        "suppression": {"min_cell": summary.min_cell,
                        "rule": ("a group with a nonzero confusion cell (regression: fewer rows) below min_cell is "
                                 "withheld: its label is listed, its counts and sums are not")},
        "n_rows": summary.n_rows,
        "meta": summary.meta,
        "sites": list(summary.sites),
        "overall": _group_to_dict(summary.overall),
        "tables": {name: {label: _group_to_dict(group) for label, group in groups.items()}
                   for name, groups in summary.tables.items()},
        **({} if summary.sketches is None else {"sketches": summary.sketches}),
    }


def summary_from_dict(document: dict) -> Summary:
    """The summary a document of :func:`summary_to_dict` holds; an error naming what is wrong otherwise."""
    if not isinstance(document, dict) or document.get("kind") != KIND:
        raise InvalidInputError(f"This is not an xai-audit summary file (its 'kind' is not {KIND!r}); "
                                "make one with `xai-audit summarize`.")
    version = document.get("schema_version")
    if version not in READABLE_VERSIONS:
        raise InvalidInputError(f"The summary file has schema_version {version!r}; this version of xai-audit "
                                f"reads {list(READABLE_VERSIONS)}. Summarise again with this version.")
    resolution = document.get("resolution") or {}
    if resolution.get("score_bins") != SCORE_BINS or resolution.get("calibration_bins") != ECE_BINS:
        raise InvalidInputError(f"The summary file's histograms have {resolution.get('score_bins')} score bins and "
                                f"{resolution.get('calibration_bins')} calibration bins; expected {SCORE_BINS} and "
                                f"{ECE_BINS}. Summarise again with this version.")
    try:
        return Summary(
            task=document["task"], sensitive=tuple(document["sensitive"]),
            intersections=bool(document["intersections"]), has_scores=bool(document["has_scores"]),
            overall=_group_from_dict(document["overall"]),
            tables=_tables_from_dict(document),
            min_cell=int(document["suppression"]["min_cell"]), sites=tuple(document["sites"]),
            meta=dict(document.get("meta") or {}), sketches=_sketches_from_dict(document.get("sketches")))
    except (KeyError, TypeError, ValueError, IndexError) as error:
        raise InvalidInputError(f"The summary file is incomplete or malformed ({type(error).__name__}: {error}); "
                                "make it again with `xai-audit summarize`.") from error


def save_summary(summary: Summary, path) -> Path:
    """Write ``summary`` to ``path`` as JSON; returns the path."""
    path = Path(path)
    write_atomic(path, json.dumps(summary_to_dict(summary), indent=1, sort_keys=True, allow_nan=False))
    return path


def load_summary(path) -> Summary:
    """Read a summary file written by :func:`save_summary` (or ``xai-audit summarize``)."""
    path = Path(path)
    if not path.is_file():
        raise InvalidInputError(f"The summary file '{path}' does not exist; make it with `xai-audit summarize`.")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidInputError(f"The summary file '{path}' is not valid JSON ({error}).") from error
    return summary_from_dict(document)


def _tables_from_dict(document: dict) -> dict:
    """The tables in the fairness section's order, each group in the row path's (the file sorts keys)."""
    stored = document["tables"]
    names = table_names(document["sensitive"], bool(document["intersections"]))
    if sorted(names) != sorted(stored):
        raise ValueError(f"tables {sorted(stored)} do not match the sensitive attributes (expected {names})")
    tables = {}
    for name in names:
        groups = {label: _group_from_dict(entry) for label, entry in stored[name].items()}
        tables[name] = {label: groups[label] for label in sorted(groups, key=lambda label: groups[label].components)}
    return tables


def _group_to_dict(group: GroupSummary) -> dict:
    entry = {"components": list(group.components), "n": group.n, "withheld_at_sites": group.withheld}
    if group.cells is not None:
        entry["cells"] = [int(c) for c in group.cells]
    if group.moments is not None:
        entry["moments"] = [float(m) for m in group.moments]
    if group.scores is not None:
        histogram = group.scores["histogram"]
        used = np.flatnonzero(histogram.sum(axis=0))
        entry["scores"] = {
            "histogram": {"bins": used.tolist(), "negative": histogram[0, used].tolist(),
                          "positive": histogram[1, used].tolist()},
            "calibration": group.scores["calibration"].tolist(),
            "moments": group.scores["moments"].tolist(),
        }
    return entry


def _group_from_dict(entry: dict) -> GroupSummary:
    cells = entry.get("cells")
    moments = entry.get("moments")
    scores = None
    if entry.get("scores") is not None:
        stored = entry["scores"]
        histogram = np.zeros((2, SCORE_BINS), dtype=np.int64)
        bins = np.asarray(stored["histogram"]["bins"], dtype=np.int64)
        if bins.size and (bins.min() < 0 or bins.max() >= SCORE_BINS):
            raise ValueError(f"histogram bins outside 0..{SCORE_BINS - 1}")
        histogram[0, bins] = stored["histogram"]["negative"]
        histogram[1, bins] = stored["histogram"]["positive"]
        scores = {"histogram": histogram,
                  "calibration": np.asarray(stored["calibration"], dtype=np.float64).reshape(3, ECE_BINS),
                  "moments": np.asarray(stored["moments"], dtype=np.float64).reshape(2, len(MOMENTS))}
    return GroupSummary(
        components=tuple(str(c) for c in entry["components"]),
        cells=None if cells is None else np.asarray(cells, dtype=np.int64).reshape(4),
        scores=scores,
        moments=None if moments is None else np.asarray(moments, dtype=np.float64).reshape(len(REGRESSION_MOMENTS)),
        withheld=int(entry.get("withheld_at_sites", 0)))


def _sketches_from_dict(stored):
    """The sketches as stored, checked: kinds known, counts whole and ≥ 0, one more bin than edges."""
    if stored is None:
        return None
    for name, sketch in stored.items():
        counts = sketch["counts"]
        values = list(counts.values()) if sketch["kind"] == "categorical" else list(counts)
        if sketch["kind"] == "numeric":
            if len(counts) != len(sketch["edges"]) + 1 or sketch["edges"] != sorted(sketch["edges"]):
                raise ValueError(f"sketch of '{name}': {len(counts)} counts on {len(sketch['edges'])} edges "
                                 "(expected one more count than edges, edges in increasing order)")
            values.append(sketch["missing"])
        elif sketch["kind"] != "categorical":
            raise ValueError(f"sketch of '{name}' has kind {sketch['kind']!r}")
        if any(not isinstance(v, int) or isinstance(v, bool) or v < 0 for v in values):
            raise ValueError(f"sketch of '{name}' holds a count that is not a whole number ≥ 0")
    return stored
