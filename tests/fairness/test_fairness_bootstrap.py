"""Bootstrap intervals: contain the estimate, repeat under a seed, and match a row bootstrap."""

import numpy as np
import pandas as pd
import pytest

from xai_audit.fairness import fairness_report
from xai_audit.stats.bootstrap import resample_counts
from xai_audit.fairness.metrics import confusion_counts, rates_from_counts


def scored_data(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    groups = pd.DataFrame({"sex": rng.choice(["female", "male"], n, p=[0.4, 0.6]),
                           "age_group": rng.choice(["under 25", "25 to 60", "over 60"], n, p=[0.2, 0.5, 0.3])})
    y_true = rng.integers(0, 2, n)
    scores = np.clip(0.3 * y_true + 0.7 * rng.random(n) - 0.05 * (groups["sex"] == "female"), 0, 1)
    return y_true, (scores > 0.45).astype(int), scores, groups


def intervals_with_values(table):
    """Every (value, [lo, hi]) pair in a table: group metrics, differences, ratios, spreads, impact ratios."""
    for entry in table["groups"].values():
        for metric, ci in entry["ci"].items():
            if metric != "ece":  # ECE has no interval by design (see test_ece_has_no_interval)
                yield entry[metric], ci
    for kind in ("differences", "ratios"):
        for metrics in table[kind]["values"].values():
            for metric, cell in metrics.items():
                if metric != "ece":
                    yield cell["value"], cell["ci"]
    for label, entry in table["four_fifths"]["groups"].items():
        if label != table["four_fifths"]["highest_group"]:  # its own ratio is 1 by construction
            yield entry["impact_ratio"], entry["ci"]


def test_every_interval_contains_its_point_estimate():
    y_true, y_pred, scores, groups = scored_data()
    section = fairness_report(y_true, y_pred, groups, scores=scores, n_resamples=400, random_state=0)
    checked = 0
    for table in section.values():
        for value, ci in intervals_with_values(table):
            if value is None:
                continue
            assert ci is not None and ci[0] <= value <= ci[1], (value, ci)
            checked += 1
    assert checked > 350


def test_ece_has_no_interval_and_the_table_says_why():
    y_true, y_pred, scores, groups = scored_data(n=800)
    table = fairness_report(y_true, y_pred, groups, scores=scores, n_resamples=100, random_state=0)["sex"]
    assert all(entry["ci"]["ece"] is None and entry["ece"] is not None for entry in table["groups"].values())
    assert all(metrics["ece"]["ci"] is None for metrics in table["differences"]["values"].values())
    assert "no interval for ECE" in table["interval_method"]["row_metrics"]["ece"]


def test_between_group_spreads_and_summaries_carry_no_interval_and_say_why():
    y_true, y_pred, scores, groups = scored_data(n=800)
    table = fairness_report(y_true, y_pred, groups, scores=scores, n_resamples=100, random_state=0)["sex"]
    assert all(cell["ci"] is None for cell in table["between_groups"]["values"].values())
    assert "not a smooth statistic" in table["between_groups"]["interval_note"]
    assert table["summary"]["ci"] is None and "reference group" in table["summary"]["interval_note"]
    assert table["summary"]["judged_by"]["equalized_odds_ratio"] == {
        "comparison": "ratio", "metrics": ["tpr", "fpr"], "against": table["reference_group"]}


def test_same_seed_same_report_and_another_seed_other_intervals():
    y_true, y_pred, scores, groups = scored_data(n=800)
    first = fairness_report(y_true, y_pred, groups, scores=scores, n_resamples=100, random_state=7)
    assert first == fairness_report(y_true, y_pred, groups, scores=scores, n_resamples=100, random_state=7)
    other = fairness_report(y_true, y_pred, groups, scores=scores, n_resamples=100, random_state=8)
    assert other["sex"]["groups"]["female"]["auc"] == first["sex"]["groups"]["female"]["auc"]
    assert other["sex"]["groups"]["female"]["ci"]["auc"] != first["sex"]["groups"]["female"]["ci"]["auc"]
    # closed-form intervals of the confusion rates do not depend on the seed
    assert other["sex"]["groups"]["female"]["ci"]["tpr"] == first["sex"]["groups"]["female"]["ci"]["tpr"]


def test_multinomial_count_bootstrap_matches_a_row_bootstrap_in_distribution():
    rng = np.random.default_rng(11)
    n = 400
    y_true, y_pred = rng.integers(0, 2, n), rng.integers(0, 2, n)
    y_pred[:150] = y_true[:150]  # correlated decisions, so tpr and fpr differ from 0.5
    codes = np.zeros(n, dtype=np.int64)
    resamples = 4000

    by_counts = rates_from_counts(resample_counts(confusion_counts(codes, 1, y_true, y_pred), resamples, rng))
    rows = rng.integers(0, n, size=(resamples, n))
    by_rows = rates_from_counts(np.stack([confusion_counts(codes, 1, y_true[r], y_pred[r])[0] for r in rows]))

    for metric in ("selection_rate", "tpr", "fpr", "ppv", "accuracy"):
        a, b = by_counts[metric], by_rows[metric]
        standard_error = np.sqrt(a.var() / resamples + b.var() / resamples)
        assert abs(a.mean() - b.mean()) < 4 * standard_error, metric
        assert a.std() == pytest.approx(b.std(), rel=0.08), metric
        assert np.quantile(a, 0.025) == pytest.approx(np.quantile(b, 0.025), abs=0.012), metric
        assert np.quantile(a, 0.975) == pytest.approx(np.quantile(b, 0.975), abs=0.012), metric


def test_resampling_is_stratified_each_group_keeps_its_size():
    counts = np.array([[5, 3, 2, 10], [1, 0, 0, 1]])
    draws = resample_counts(counts, 200, np.random.default_rng(0))
    assert (draws.sum(axis=2) == counts.sum(axis=1)).all()
    assert (draws[:, 1, [1, 2]] == 0).all()  # a cell that is empty stays empty


def test_no_resamples_gives_null_intervals():
    y_true, y_pred, _, groups = scored_data(n=200)
    table = fairness_report(y_true, y_pred, groups, n_resamples=0)["sex"]
    assert table["groups"]["female"]["ci"]["tpr"] is None
    assert table["differences"]["values"]["female"]["tpr"]["ci"] is None
    assert table["summary"]["ci"] is None
    assert table["interval_method"]["n_resamples"] == 0


def test_higher_confidence_gives_wider_intervals():
    y_true, y_pred, _, groups = scored_data(n=1000)
    narrow = fairness_report(y_true, y_pred, groups, n_resamples=500, confidence=0.8, random_state=0)
    wide = fairness_report(y_true, y_pred, groups, n_resamples=500, confidence=0.99, random_state=0)
    lo80, hi80 = narrow["sex"]["groups"]["male"]["ci"]["tpr"]
    lo99, hi99 = wide["sex"]["groups"]["male"]["ci"]["tpr"]
    assert lo99 < lo80 and hi80 < hi99


def test_large_data_takes_fewer_row_resamples_and_says_so(monkeypatch):
    from xai_audit.stats import bootstrap

    y_true, y_pred, scores, groups = scored_data(n=3000)
    monkeypatch.setattr(bootstrap, "ROW_DRAW_BUDGET", 3000 * 40)
    monkeypatch.setattr(bootstrap, "MIN_ROW_RESAMPLES", 40)
    table = fairness_report(y_true, y_pred, groups, scores=scores, n_resamples=300, random_state=0)["sex"]
    assert table["bootstrap"]["n_resamples"] == 300 and table["bootstrap"]["n_resamples_row_metrics"] == 40
    assert "40 of 300 resamples" in table["bootstrap"]["method"]
    assert table["bootstrap"]["resample_cap"].startswith("40 of 300 resamples because the 3,000 rows")
    assert table["interval_method"]["row_metrics"]["n_resamples"] == 40
    for entry in table["groups"].values():
        low, high = entry["ci"]["auc"]
        assert low <= entry["auc"] <= high
