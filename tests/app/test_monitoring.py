"""The Monitoring page: a current period compared with the audited data on an explicit click; a planted
shift is found and shown; the result survives navigation without running again."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from xai_audit import format_number as fmt

from tests.app.apptest_support import APP, check_clean, errors, plain
from tests.app.shared_audit import shared_audited_app  # noqa: F401  (a fixture)

PAGE = "views/monitoring.py"
SHIFTED = "duration_months"


def entry_of(at):
    return at.session_state["audit_results"][at.session_state["audit_current"]]


def drift_runs(at) -> list:
    return [k for k in entry_of(at).views if isinstance(k, tuple) and k[0] == "drift"]


@pytest.fixture(scope="module")
def monitoring(shared_audited_app):  # noqa: F811
    at = shared_audited_app.switch_page(PAGE).run()
    check_clean(at)
    at.number_input(key="keep_monitoring_explain_rows").set_value(60)
    at.number_input(key="keep_monitoring_resamples").set_value(100).run()
    return at


def test_the_bundled_split_is_offered_and_nothing_runs_without_a_click(monitoring):
    at = monitoring
    at.radio(key="keep_monitoring_source").set_value("sample").run()
    assert at.selectbox(key="keep_monitoring_split").value == "german_credit.csv"
    runs = drift_runs(at)
    at.run()
    assert at.button(key="monitoring_run")
    assert drift_runs(at) == runs
    assert not at.dataframe


def run_planted_shift(at):
    """Choose the shifted copy of the bundled split as the current data and press the button (once)."""
    frame = pd.read_csv(APP.parents[1] / "sample_models" / "data" / "german_credit.csv")
    frame[SHIFTED] = frame[SHIFTED] + 24
    digest = hashlib.sha256(frame.to_csv().encode()).hexdigest()
    # what the page keeps after reading an upload (AppTest cannot drive a file uploader)
    at.session_state["monitoring_current::upload"] = ("shifted.csv", digest, frame)
    at.radio(key="keep_monitoring_source").set_value("upload").run()
    check_clean(at)
    if [b for b in at.button if b.key == "monitoring_run"]:
        at.button(key="monitoring_run").click().run()
        check_clean(at)


def test_a_planted_shift_is_found_and_shown(monitoring):
    at = monitoring
    run_planted_shift(at)
    assert not errors(at) or all("failed at least one check" in e for e in errors(at)), errors(at)
    [run] = drift_runs(at)
    result = entry_of(at).views[run]
    features = result.features["features"]
    assert features[SHIFTED]["verdict"] == "drifted"
    table = next(d.value for d in at.dataframe if "Verdict" in d.value.columns)
    first = table.iloc[0]
    assert first["Input"] == entry_of(at).data.labels.name(SHIFTED) and first["Verdict"] == "drifted"
    assert set(table["Input"]) == {entry_of(at).data.labels.name(f) for f in features}
    lo, hi = features[SHIFTED]["effect_ci"]
    assert lo > 0 and first["Effect (interval)"].endswith(f"({fmt(lo)} to {fmt(hi)})")
    texts = [plain(m.value) for m in at.markdown]
    assert any(t.startswith(f"{sum(r['verdict'] == 'drifted' for r in features.values())} of 20 inputs changed")
               for t in texts), texts
    assert len(at.get("vega_lite_chart")) == 1
    decisions = next(d.value for d in at.dataframe if "Measure" in d.value.columns and "Group" not in d.value.columns)
    rate = result.predictions["decision_rate"]
    assert decisions.iloc[0]["Change (interval)"].startswith(f"{rate['change']:+.3f} (")
    fairness = next(d.value for d in at.dataframe if "Group" in d.value.columns)
    labels = entry_of(at).data.labels
    assert set(fairness["Attribute"]) == {" × ".join(labels.name(p) for p in a.split("*")) for a in result.fairness}


def test_the_result_survives_navigation_without_running_again(monitoring):
    at = monitoring
    run_planted_shift(at)
    before = drift_runs(at)
    assert before
    at.switch_page("views/overview.py").run()
    at.switch_page(PAGE).run()
    check_clean(at)
    assert at.radio(key="keep_monitoring_source").value == "upload"
    assert at.number_input(key="keep_monitoring_explain_rows").value == 60
    assert drift_runs(at) == before
    assert not [b for b in at.button if b.key == "monitoring_run"]
    assert any("Verdict" in d.value.columns for d in at.dataframe)
