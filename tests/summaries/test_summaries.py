"""Summaries: merging is associative and order-free, partitions give the whole's counts, the file
round-trips, and the score metrics from histograms stay within their stated bound of scikit-learn's."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score

from xai_audit.exceptions import InvalidInputError
from xai_audit.stats.calibration import ece
from xai_audit.summaries import (
    auc_from_histogram,
    merge,
    summarize,
    summary_from_dict,
    summary_to_dict,
)
from xai_audit.summaries.scores import score_metrics_from_summary, score_summary
from xai_audit.summaries.sketches import feature_sketches, sketch_edges


def _rows(seed: int, n: int, scores: bool = True):
    rng = np.random.default_rng(seed)
    groups = pd.DataFrame({"sex": rng.choice(["f", "m", None], n, p=[0.45, 0.5, 0.05]),
                           "age": rng.choice(["young", "old", "mid"], n)})
    score = rng.beta(2, 3, n)
    y_true = (rng.random(n) < score).astype(int)
    y_pred = (score > 0.4).astype(int)
    return y_true, y_pred, groups, score if scores else None


def _counts(summary) -> dict:
    """Every integer part of a summary, comparable with ==."""
    out = {"overall": summary.overall.cells.tolist()}
    for name, groups in summary.tables.items():
        for label, group in groups.items():
            out[(name, label)] = (group.components, group.cells.tolist(),
                                  None if group.scores is None else group.scores["histogram"].tolist())
    return out


def _sums(summary) -> np.ndarray:
    parts = [group.scores[key].ravel() for groups in summary.tables.values() for group in groups.values()
             for key in ("calibration", "moments")]
    return np.concatenate(parts)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), cuts=st.lists(st.integers(1, 199), min_size=1, max_size=4, unique=True),
       order=st.randoms(use_true_random=False))
def test_partitions_merged_in_any_order_and_grouping_give_the_whole(seed, cuts, order):
    y_true, y_pred, groups, scores = _rows(seed, 200)
    features = pd.DataFrame({"x": np.random.default_rng(seed).normal(size=200), "c": groups["age"]})
    features.loc[::17, "x"] = np.nan
    kinds = {"c": "categorical"}
    whole = replace(summarize(y_true, y_pred, groups, scores=scores), sketches=feature_sketches(features, kinds))
    edges = sketch_edges(whole.sketches)
    bounds = [0, *sorted(cuts), 200]
    parts = [replace(summarize(y_true[a:b], y_pred[a:b], groups.iloc[a:b], scores=scores[a:b]),
                     sketches=feature_sketches(features.iloc[a:b], kinds, edges=edges))
             for a, b in zip(bounds[:-1], bounds[1:])]
    shuffled = list(parts)
    order.shuffle(shuffled)
    left = merge(*shuffled)                                   # ((a + b) + c) + ...
    right = shuffled[0]
    if len(shuffled) > 1:
        right = merge(shuffled[0], merge(*shuffled[1:]))      # a + (b + (c + ...))
    for merged in (left, right):
        assert merged.n_rows == whole.n_rows == 200
        assert _counts(merged) == _counts(whole)
        assert [merged.ordered_labels(n) for n in merged.tables] == [whole.ordered_labels(n) for n in whole.tables]
        np.testing.assert_allclose(_sums(merged), _sums(whole), rtol=1e-12, atol=1e-9)
        assert merged.sketches["x"]["counts"] == whole.sketches["x"]["counts"]
        assert merged.sketches["x"]["missing"] == whole.sketches["x"]["missing"]
        assert merged.sketches["c"]["counts"] == whole.sketches["c"]["counts"]


def test_the_file_round_trips_and_holds_no_rows():
    y_true, y_pred, groups, scores = _rows(0, 500)
    summary = summarize(y_true, y_pred, groups, scores=scores, site={"name": "site-a"})
    document = json.loads(json.dumps(summary_to_dict(summary)))
    again = summary_from_dict(document)
    assert _counts(again) == _counts(summary)
    assert document["schema_version"] == "1.1" and document["resolution"]["score_bins"] == 4096
    assert document["sites"][0]["name"] == "site-a" and document["n_rows"] == 500
    text = json.dumps(document)
    assert str(round(float(scores[0]), 6)) not in text  # no raw score of any row


def test_small_cells_are_withheld_and_the_withholding_is_stated():
    groups = pd.DataFrame({"g": ["a"] * 100 + ["b"] * 5})
    y_true = np.r_[np.tile([0, 1], 50), [1, 1, 1, 1, 0]]
    y_pred = np.r_[np.tile([0, 1], 50), [1, 1, 1, 0, 0]]
    summary = summarize(y_true, y_pred, groups, min_cell=10)
    assert summary.tables["g"]["b"].cells is None and summary.tables["g"]["b"].withheld == 1
    assert summary.tables["g"]["a"].cells.tolist() == [50, 0, 0, 50]
    assert summary.sites[0]["withheld_groups"] == ["g: b"]
    assert summary_to_dict(summary)["suppression"]["min_cell"] == 10


def test_merging_different_audits_is_refused_naming_the_difference():
    y_true, y_pred, groups, scores = _rows(1, 50)
    with_scores = summarize(y_true, y_pred, groups, scores=scores)
    without = summarize(y_true, y_pred, groups)
    with pytest.raises(InvalidInputError, match="scores: True vs False"):
        merge(with_scores, without)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(20, 3000), ties=st.booleans())
def test_histogram_auc_is_within_its_stated_bound_of_scikit_learn(seed, n, ties):
    rng = np.random.default_rng(seed)
    scores = rng.beta(rng.uniform(0.5, 5), rng.uniform(0.5, 5), n)
    if ties:
        scores = np.round(scores, 2)
    y_true = (rng.random(n) < scores).astype(int)
    if y_true.min() == y_true.max():
        y_true[0] = 1 - y_true[0]
    summary = score_summary(y_true, scores)
    auc, bound = auc_from_histogram(summary["histogram"])
    assert abs(auc - roc_auc_score(y_true, scores)) <= bound + 1e-12
    metrics = score_metrics_from_summary(summary)
    assert metrics["ece"] == pytest.approx(ece(y_true, scores), abs=1e-12)
    assert metrics["brier"] == pytest.approx(np.mean((y_true - scores) ** 2), abs=1e-12)
    assert metrics["mean_score"] == pytest.approx(scores.mean(), abs=1e-12)


def test_the_default_resolution_keeps_auc_within_one_in_ten_thousand_on_spread_scores():
    rng = np.random.default_rng(3)
    scores = rng.beta(2, 3, 100_000)
    y_true = (rng.random(100_000) < scores).astype(int)
    auc, bound = auc_from_histogram(score_summary(y_true, scores)["histogram"])
    assert bound < 1e-4 * 2 and abs(auc - roc_auc_score(y_true, scores)) < 1e-4


def test_the_file_follows_its_json_schema():
    import importlib.resources

    import jsonschema

    schema = json.loads(importlib.resources.files("xai_audit.schemas").joinpath("summary.schema.json").read_text())
    y_true, y_pred, groups, scores = _rows(5, 300)
    jsonschema.validate(json.loads(json.dumps(summary_to_dict(summarize(y_true, y_pred, groups, scores=scores)))),
                        schema)
    regression = summarize(scores, scores * 2, groups, task="regression", min_cell=40)
    jsonschema.validate(json.loads(json.dumps(summary_to_dict(regression))), schema)
