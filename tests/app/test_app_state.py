"""The app's state in AppTest: the settings that produced the result on screen survive navigation,
nothing runs without a click, a changed setting is named, a cleared one is announced, a verdict never
reads better than what was checked, and a semicolon CSV is read as the table it is."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.app.apptest_support import check_clean, errors, new_app, plain, small_files  # noqa: F401  (fixture)
from tests.app.test_app_uploads import upload

from xai_audit import Audit

PAGES = ("overview", "performance", "explanations", "what_if", "fairness", "report", "setup")


def form(at) -> dict:
    """Every kept Setup value at the end of the last run, and the Setup widgets it drew."""
    values = dict(at.session_state["saved_widget_values"])
    drawn = [*at.radio, *at.selectbox, *at.multiselect, *at.number_input, *at.text_input]
    values.update({f"drawn::{w.key}": w.value for w in drawn if str(w.key).startswith("keep_")})
    return values


def markdown_text(at) -> str:
    return "\n".join(plain(m.value) for m in [*at.markdown, *at.caption, *at.info, *at.success, *at.warning])


def count_runs(monkeypatch) -> list:
    calls = []
    original = Audit.run
    monkeypatch.setattr(Audit, "run", lambda self, *a, **k: calls.append(1) or original(self, *a, **k))
    return calls


def upload_app(small_files, data_name="credit.csv", *, target="outcome"):
    at = new_app().run()
    at.radio(key="keep_source").set_value("upload").run()
    upload(at, "upload_model", small_files / "credit.skops")
    upload(at, "upload_data", small_files / data_name, "text/csv")
    at.selectbox(key="keep_target").set_value(target).run()
    if target is not None:
        at.selectbox(key="keep_positive").set_value("repaid").run()
    at.multiselect(key="keep_sensitive").set_value(["sex"]).run()
    at.radio(key="keep_policy").set_value("upload").run()
    upload(at, "upload_policy", small_files / "fast.toml")
    check_clean(at)
    assert not errors(at), errors(at)
    return at


@pytest.fixture(scope="module")
def audited(small_files):
    at = upload_app(small_files)
    at.button(key="btn_run").click().run()
    check_clean(at)
    return at


def test_result_keeps_the_spec_and_form_that_produced_it(audited):
    entry = audited.session_state["audit_results"][audited.session_state["audit_current"]]
    assert entry.spec.key() == entry.key
    assert entry.widgets["keep_sensitive"] == ["sex"] and entry.widgets["keep_target"] == "outcome"
    assert entry.settings["n_resamples"] == 50 and entry.settings["explain_rows"] == 5


def test_sidebar_shows_the_new_audit_at_once_with_its_settings(audited):
    sidebar = "\n".join(plain(c.value) for c in audited.sidebar.caption)
    assert "No audit yet" not in sidebar
    assert "bootstrap resamples: 50" in sidebar and "rows explained: 5" in sidebar


def test_every_page_and_back_changes_no_setting_and_runs_nothing(audited, monkeypatch):
    calls = count_runs(monkeypatch)
    audited.switch_page("views/setup.py").run()
    before = form(audited)
    assert "drawn::keep_target" in before and before["drawn::keep_sensitive"] == ["sex"]
    for page in PAGES:
        audited.switch_page(f"views/{page}.py").run()
        check_clean(audited)
    after = form(audited)
    assert {k: after.get(k) for k in before} == before
    assert audited.button(key="btn_run").label == "Show the results"
    assert calls == []


def test_a_changed_setting_is_named_and_runs_only_on_a_click(audited, monkeypatch):
    calls = count_runs(monkeypatch)
    at = audited.switch_page("views/setup.py").run()
    at.number_input(key="keep_resamples").set_value(70).run()
    assert calls == []
    assert at.button(key="btn_run").label == "Run a new audit with the changed settings"
    assert "bootstrap resamples: 50 → 70" in markdown_text(at)
    at.button(key="btn_restore_form").click().run()
    check_clean(at)
    assert at.number_input(key="keep_resamples").value == 50
    assert at.button(key="btn_run").label == "Show the results"
    assert calls == []


def test_a_missing_table_never_resets_the_sampling():
    from tests.app.apptest_support import APP

    if not (APP.parents[1] / "sample_models" / "credit_gbm.skops").is_file():
        pytest.skip("the bundled samples are missing (python sample_models/build.py makes them)")
    at = new_app().run()
    at.number_input(key="keep_explain_rows").set_value(7).run()
    at.number_input(key="keep_resamples").set_value(60).run()
    at.radio(key="keep_source").set_value("upload").run()   # no model and no data for a moment
    check_clean(at)
    at.radio(key="keep_source").set_value("sample").run()
    check_clean(at)
    assert at.number_input(key="keep_explain_rows").value == 7
    assert at.number_input(key="keep_resamples").value == 60


def test_a_new_data_file_says_which_roles_it_cleared(small_files, tmp_path):
    at = upload_app(small_files)
    frame = pd.read_csv(small_files / "credit.csv").rename(columns={"sex": "gender"})
    frame.to_csv(tmp_path / "renamed.csv", index=False)
    upload(at, "upload_data", tmp_path / "renamed.csv", "text/csv")
    check_clean(at)
    assert at.multiselect(key="keep_sensitive").value == []
    notes = [plain(i.value) for i in at.info]
    assert any("renamed.csv" in n and "sensitive attributes sex → none" in n for n in notes), notes
    assert set(at.selectbox(key="keep_target").options) <= {"— none (no ground truth) —", *frame.columns}


def test_an_audit_without_a_target_never_shows_a_pass(small_files):
    at = upload_app(small_files, target=None)
    at.button(key="btn_run").click().run()
    check_clean(at)
    entry = at.session_state["audit_results"][at.session_state["audit_current"]]
    assert entry.result.status != "pass"
    assert not at.success or all("Pass" not in s.value for s in at.success)
    text = markdown_text(at)
    assert "Not checked" in text and "no target" in text
    at.switch_page("views/overview.py").run()
    assert "Not checked" in markdown_text(at)


def test_a_semicolon_csv_with_decimal_commas_is_read_as_its_columns(small_files, tmp_path):
    frame = pd.read_csv(small_files / "credit.csv")
    (tmp_path / "semi.csv").write_text(frame.to_csv(index=False, sep=";", decimal=","), encoding="utf-8-sig")
    at = new_app().run()
    at.radio(key="keep_source").set_value("upload").run()
    upload(at, "upload_model", small_files / "credit.skops")
    upload(at, "upload_data", tmp_path / "semi.csv", "text/csv")
    check_clean(at)
    assert not errors(at), errors(at)
    table = at.session_state["uploaded_table"]
    assert list(table.frame.columns) == list(frame.columns)
    numeric = frame.select_dtypes("number").columns
    pd.testing.assert_frame_equal(table.frame[numeric], frame[numeric], check_dtype=False)
    caption = markdown_text(at)
    assert "semicolon-delimited" in caption and "decimal comma" in caption and "byte-order mark" in caption
    at.selectbox(key="keep_target").set_value("outcome").run()
    at.selectbox(key="keep_positive").set_value("repaid").run()
    assert not errors(at), errors(at)
    assert at.button(key="btn_run").disabled is False


def test_exploring_a_cut_off_changes_cards_and_tables_together(audited):
    from xai_audit.fairness import fairness_at_threshold

    at = audited.switch_page("views/fairness.py").run()
    check_clean(at)
    at.selectbox(key="fairness_attribute").set_value("sex").run()
    at.selectbox(key="fairness_metric").set_value("selection_rate").run()
    cards_model = [m.value for m in at.metric]
    tables_model = [d.value.to_string() for d in at.dataframe]
    assert at.slider(key="cutoff_slider").disabled
    at.toggle(key="cutoff_toggle").set_value(True).run()
    at.slider(key="cutoff_slider").set_value(0.3).run()
    check_clean(at)
    assert any("Exploring a cut-off of 0.30" in plain(w.value) for w in at.warning)
    cards_low = [m.value for m in at.metric]
    tables_low = [d.value.to_string() for d in at.dataframe]
    assert cards_low != cards_model
    assert tables_low[0] != tables_model[0]

    entry = at.session_state["audit_results"][at.session_state["audit_current"]]
    explored = entry.views[("explored_fairness", 0.3)]["sex"]
    four_fifths = next(d.value for d in at.dataframe if "below four fifths" in d.value.columns).set_index("group")
    groups_table = next(d.value for d in at.dataframe if {"n", "share", "Selection rate"} <= set(d.value.columns))
    groups_table = groups_table.set_index("group")
    for group, values in explored["groups"].items():
        rate = values["selection_rate"]
        assert float(four_fifths.loc[group, "selection rate"]) == pytest.approx(rate, abs=5e-4)
        shown = str(groups_table.loc[group, "Selection rate"])
        assert float(shown.split(" [")[0]) == pytest.approx(rate, abs=5e-4)
        low, high = values["ci"]["selection_rate"]
        assert f"[{low:.3f}, {high:.3f}]" in shown   # intervals at the explored cut-off too
    model = entry.result.fairness["sex"]["groups"]
    assert any(abs(explored["groups"][g]["selection_rate"] - model[g]["selection_rate"]) > 1e-9 for g in model)
    at.toggle(key="cutoff_toggle").set_value(False).run()
    assert [m.value for m in at.metric] == cards_model


def test_the_cut_off_flows_through_performance_and_fairness_together(audited):
    from xai_audit.fairness import decisions_at

    at = audited.switch_page("views/performance.py").run()
    check_clean(at)
    at.toggle(key="cutoff_toggle").set_value(True).run()
    at.slider(key="cutoff_slider").set_value(0.4).run()
    check_clean(at)
    entry = at.session_state["audit_results"][at.session_state["audit_current"]]
    from audit_app import fairness_views

    decided = decisions_at(fairness_views.scores(entry), 0.4)
    y_true = entry.data.y_true_positive()
    cards = {m.label: m for m in at.metric}
    assert float(cards["Selection rate"].value) == pytest.approx(decided.mean(), abs=5e-4)
    assert "interval" in cards["Selection rate"].delta
    confusion = next(d.value for d in at.dataframe if "decided favourable" in d.value.columns)
    assert int(confusion["decided favourable"].iloc[0]) == int(((decided == 1) & (y_true == 1)).sum())
    assert int(confusion.drop(columns="true outcome").to_numpy().sum()) == len(y_true)
    at.switch_page("views/fairness.py").run()
    check_clean(at)
    assert at.slider(key="cutoff_slider").value == pytest.approx(0.4)
    assert any("Exploring a cut-off of 0.40" in plain(w.value) for w in at.warning)
    four_fifths = next(d.value for d in at.dataframe if "below four fifths" in d.value.columns)
    groups = entry.data.groups["sex"].astype(str).to_numpy()
    for _, row in four_fifths.iterrows():
        assert float(row["selection rate"]) == pytest.approx(decided[groups == row["group"]].mean(), abs=5e-4)


def test_fairness_cards_show_the_tables_interval_for_the_same_comparison(audited):
    at = audited.switch_page("views/fairness.py").run()
    check_clean(at)
    at.toggle(key="cutoff_toggle").set_value(False).run()
    at.selectbox(key="fairness_attribute").set_value("sex").run()
    at.selectbox(key="fairness_metric").set_value("selection_rate").run()
    card = next(m for m in at.metric if m.label == "Demographic parity ratio")
    compare = next(d.value for d in at.dataframe if {"difference", "ratio"} <= set(d.value.columns))
    group = card.delta.split(" vs ")[0]
    row = compare[compare["group"] == group].iloc[0]
    value, interval = row["ratio"].split(" [")
    low, high = interval.rstrip("]").split(", ")
    assert card.value == value
    assert card.delta == f"{group} vs male: {low} – {high}"


def test_the_first_sections_are_shown_before_the_explainers_finish(audited):
    timings = audited.session_state["run_timings"]
    assert timings["performance"] <= timings["fairness"] < timings["explanations"]


def test_the_resamples_shown_are_the_runs(audited):
    entry = audited.session_state["audit_results"][audited.session_state["audit_current"]]
    ran = entry.result.fairness["sex"]["bootstrap"]["n_resamples"]
    assert ran == entry.spec.n_resamples or entry.spec.n_resamples is None
    at = audited.switch_page("views/fairness.py").run()
    assert any(f"{ran:,} resamples" in plain(c.value) for c in at.caption)
    at.switch_page("views/performance.py").run()
    assert any(f"{ran} resamples" in plain(c.value) for c in at.caption)
