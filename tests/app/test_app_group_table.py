"""The Fairness and Performance pages in AppTest, on the bundled German-credit sample with its labels file:
the cards and tables show the audit's typed group table, every name is plain words from the labels, and an
explored cut-off flows into the Performance page's by-group table."""

from __future__ import annotations

import numpy as np
import pytest

from tests.app.apptest_support import check_clean, plain
from tests.app.shared_audit import shared_audited_app  # noqa: F401  (fixture)

from xai_audit import format_decimal, format_interval, performance_at_threshold


def current(at):
    return at.session_state["audit_results"][at.session_state["audit_current"]]


def fairness_page(at, attribute="sex", metric="selection_rate"):
    at = at.switch_page("views/fairness.py").run()
    check_clean(at)
    if at.toggle(key="cutoff_toggle").value:
        at.toggle(key="cutoff_toggle").set_value(False).run()
    at.selectbox(key="fairness_attribute").set_value(attribute).run()
    at.selectbox(key="fairness_metric").set_value(metric).run()
    check_clean(at)
    return at


def frame_with(at, columns: set):
    return next(d.value for d in at.dataframe if columns <= set(d.value.columns))


@pytest.mark.parametrize("metric", ["selection_rate", "tpr"])
def test_fairness_cards_and_tables_are_the_group_tables_values(shared_audited_app, metric):
    at = fairness_page(shared_audited_app, metric=metric)
    entry = current(at)
    table = entry.result.fairness_tables()["sex"]
    plain_metric = {"selection_rate": "Selection rate", "tpr": "True positive rate (TPR)"}[metric]
    compare = frame_with(at, {"difference", "ratio", plain_metric}).set_index("group")
    reference = table.reference_group
    assert set(compare.index) == {row.group + (" (reference)" if row.group == reference else "")
                                  for row in table.rows if row.listed}   # the labels give sex no other words
    for row in table.rows:
        if row.group == reference:
            assert compare.loc[f"{reference} (reference)", plain_metric] == format_interval(
                row.value(metric), row.interval(metric))
            continue
        shown = compare.loc[row.group]
        assert shown[plain_metric] == format_interval(row.value(metric), row.interval(metric))
        assert shown["difference"] == format_interval(row.difference(metric).value, row.difference(metric).ci)
        assert shown["ratio"] == format_interval(row.ratio(metric).value, row.ratio(metric).ci)

    four = frame_with(at, {"below four fifths", "impact ratio"}).set_index("group")
    for row in table.rows:
        if row.four_fifths is not None:
            assert four.loc[row.group, "impact ratio"] == format_interval(row.four_fifths.impact_ratio,
                                                                          row.four_fifths.ci)
            assert (four.loc[row.group, "below four fifths"] == "yes") == row.four_fifths.flagged

    cards = {m.label: m for m in at.metric}
    parity = cards["Demographic parity ratio"]
    group = parity.delta.split(" vs ")[0]
    ratio = table.row(group).ratio("selection_rate")
    assert parity.value == format_decimal(ratio.value)
    assert parity.delta == f"{group} vs {reference}: {format_decimal(ratio.ci[0])} – {format_decimal(ratio.ci[1])}"


def test_plain_names_in_the_overview_and_the_fairness_tables(shared_audited_app):
    at = shared_audited_app.switch_page("views/overview.py").run()
    check_clean(at)
    entry = current(at)
    labels = [plain(e.label) for e in at.expander]
    raw = [f.id for f in entry.result.findings if f.status in ("fail", "warn")]
    assert labels and len(labels) >= len(raw)
    assert not any("*" in label for label in labels), labels   # no raw intersection id such as sex*age_group.…
    intersection = [f.id for f in entry.result.findings if f.status in ("fail", "warn") and "sex*age_group." in f.id]
    if intersection:
        assert any("Sex × Age group: " in label for label in labels), labels

    # the findings table renders its cells as Markdown: an id's "*" is escaped, never read as emphasis
    checks = list(at.table[0].value["Check"])
    assert any("*" in check for check in checks) == bool(intersection or any("*" in f.id for f in entry.result.findings))
    assert all("*" not in check.replace("\\*", "") for check in checks), checks

    at = fairness_page(at, metric="tpr")
    groups = frame_with(at, {"n", "share", "Selection rate"})
    assert "True positive rate (TPR)" in groups.columns
    for d in at.dataframe:
        assert not {"selection_rate", "tpr", "fpr", "ppv"} & set(d.value.columns), list(d.value.columns)
    assert {"Sex", "Age group"} <= set(at.selectbox(key="fairness_attribute").options)


def test_at_a_cut_off_of_0_6_the_performance_by_group_table_is_recomputed(shared_audited_app):
    at = shared_audited_app.switch_page("views/performance.py").run()
    check_clean(at)
    at.toggle(key="cutoff_toggle").set_value(False).run()
    at.selectbox(key="performance_attribute").set_value("sex").run()
    model = frame_with(at, {"group", "Accuracy"}).set_index("group")
    try:
        at.toggle(key="cutoff_toggle").set_value(True).run()
        at.slider(key="cutoff_slider").set_value(0.6).run()
        check_clean(at)
        explored = frame_with(at, {"group", "Accuracy", "Selection rate"}).set_index("group")
        assert not explored["Accuracy"].equals(model["Accuracy"])

        from audit_app import fairness_views

        entry = current(at)
        scores = fairness_views.scores(entry)
        y_true = entry.data.y_true_positive()
        groups = entry.data.groups["sex"].astype(str).to_numpy()
        tables = fairness_views.tables(fairness_views.explored_fairness(entry, 0.6))["sex"]
        for group in explored.index:
            rows = groups == group
            alone = performance_at_threshold(y_true[rows], scores[rows], 0.6, n_resamples=0)["metrics"]
            for metric, column in (("accuracy", "Accuracy"), ("selection_rate", "Selection rate"),
                                   ("tpr", "True positive rate (TPR)"), ("fpr", "False positive rate (FPR)")):
                shown = explored.loc[group, column]
                assert float(shown.split(" [")[0]) == pytest.approx(alone[metric], abs=5e-4), (group, metric)
                # the interval is the Fairness page's for the same group at the same cut-off
                assert shown == format_interval(tables.row(group).value(metric), tables.row(group).interval(metric))
            assert explored.loc[group, "n"] == int(rows.sum())
        assert np.isfinite([float(v.split(" [")[0]) for v in explored["Accuracy"]]).all()
        assert any("At the cut-off 0.60" in plain(c.value) for c in at.caption)
    finally:
        at.toggle(key="cutoff_toggle").set_value(False).run()
