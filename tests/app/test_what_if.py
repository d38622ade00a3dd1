"""The What-if page: finding a case (declined, borderline, by id, by a condition), live cards, before and
after on one axis, and recourse that the model approves and that keeps the constraints."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.app.apptest_support import check_clean, errors, plain
from tests.app.shared_audit import shared_audited_app  # noqa: F401  (a fixture)

PAGE = "views/what_if.py"


def entry_of(at):
    return at.session_state["audit_results"][at.session_state["audit_current"]]


@pytest.fixture(scope="module")
def what_if(shared_audited_app):  # noqa: F811
    at = shared_audited_app.switch_page(PAGE).run()
    check_clean(at)
    return at


def _positions_from_labels(at, box) -> list[int]:
    frame = entry_of(at).data.frame
    rows = [int(plain(text).split(" ")[1]) for text in box.options]
    return [int(frame.index.get_loc(r)) for r in rows]


def test_declined_cases_are_listed_with_a_plain_label(what_if):
    at = what_if
    at.selectbox(key="keep_whatif_source").set_value("declined").run()
    check_clean(at)
    entry = entry_of(at)
    model = entry.views["aligned"]
    decided = model.predict(entry.data.model_input(entry.views["features"]))
    declined = np.flatnonzero(decided != model.positive_class)
    box = at.selectbox(key="keep_whatif_row")
    assert len(box.options) == len(declined) > 11
    assert _positions_from_labels(at, box) == declined.tolist()
    first = plain(box.options[0])
    bad = entry.data.labels.value(entry.data.target, decided[declined[0]])
    assert first.startswith(f"Row {entry.data.frame.index[declined[0]]} · decision {bad}, score ")
    score = model.output(entry.data.model_input(entry.views["features"]))[declined[0]]
    assert f"score {score:.3f}" in first  # the model's probability of the favourable outcome, not its complement


def test_borderline_cases_are_nearest_the_cut_off_first(what_if):
    at = what_if
    at.selectbox(key="keep_whatif_source").set_value("borderline").run()
    check_clean(at)
    entry = entry_of(at)
    scores = entry.views["decisions"]["score"].to_numpy()
    positions = _positions_from_labels(at, at.selectbox(key="keep_whatif_row"))
    distance = np.abs(scores[positions] - 0.5)
    assert np.all(np.diff(distance) >= 0)
    assert distance[0] == pytest.approx(np.abs(scores - 0.5).min())
    assert "from the cut-off 0.5" in plain(at.selectbox(key="keep_whatif_row").options[0])


def test_find_by_row_id(what_if):
    at = what_if
    at.selectbox(key="keep_whatif_source").set_value("id").run()
    at.text_input(key="keep_whatif_id").set_value("17").run()
    check_clean(at)
    box = at.selectbox(key="keep_whatif_row")
    assert [plain(o).split(" · ")[0] for o in box.options] == ["Row 17"]
    at.text_input(key="keep_whatif_id").set_value("no such row").run()
    assert any("No case matches" in i.value for i in at.info)


def test_find_by_a_condition_on_a_column(what_if):
    at = what_if
    at.selectbox(key="keep_whatif_source").set_value("filter").run()
    at.selectbox(key="keep_whatif_filter_column").set_value("duration_months")
    at.selectbox(key="keep_whatif_filter_op").set_value("≥")
    at.text_input(key="keep_whatif_filter_value").set_value("36").run()
    check_clean(at)
    frame = entry_of(at).data.frame
    expected = np.flatnonzero(frame["duration_months"].to_numpy() >= 36)
    assert _positions_from_labels(at, at.selectbox(key="keep_whatif_row")) == expected.tolist()
    at.selectbox(key="keep_whatif_filter_column").set_value("purpose")
    at.selectbox(key="keep_whatif_filter_op").set_value("<").run()
    assert any("not numeric" in e for e in errors(at))


def test_edits_are_scored_as_typed_and_both_versions_share_one_axis(what_if):
    at = what_if
    at.selectbox(key="keep_whatif_source").set_value("declined").run()
    entry = entry_of(at)
    position = at.selectbox(key="keep_whatif_row").value
    row = entry.data.frame.iloc[position]
    at.number_input(key="keep_whatif_value::duration_months").set_value(int(row["duration_months"]) + 36)
    at.number_input(key="keep_whatif_value::credit_amount").set_value(50000).run()
    check_clean(at)
    assert not errors(at), errors(at)
    names = {entry.data.labels.name(f) for f in ("duration_months", "credit_amount")}
    assert set(at.dataframe[0].value["feature"]) == names
    # the Score card is the model's score of the values on screen
    edited = entry.data.frame.iloc[[position]].copy()
    edited["duration_months"] = int(row["duration_months"]) + 36
    edited["credit_amount"] = 50000
    model = entry.views["aligned"]
    expected = float(model.output(edited.loc[:, entry.views["features"]])[0])
    labels = [m.label for m in at.metric]
    assert labels[:2] == ["Decision", "Score"]
    assert float(at.metric[1].value) == pytest.approx(expected, abs=5e-4)
    # one chart, one x scale whose domain holds every bar of both versions (and zero)
    spec = _chart_spec(at)
    domain = spec["encoding"]["x"]["scale"]["domain"]
    assert spec["encoding"]["yOffset"]["field"] == "version"
    assert spec["encoding"]["color"]["scale"]["domain"] == ["Original", "Edited"]
    shown = set(spec["encoding"]["y"]["sort"])
    explanation = _explained(entry, 2)
    names = list(explanation.feature_names)
    values = np.asarray(explanation.values)[:, [names.index(f) for f in shown]]
    assert domain[0] <= min(values.min(), 0) and domain[1] >= max(values.max(), 0)
    assert domain[1] - domain[0] <= 1.2 * (max(values.max(), 0) - min(values.min(), 0))


def test_recourse_flips_the_decision_and_keeps_sensitive_features(what_if):
    at = what_if
    at.button(key="whatif_reset").click().run()
    at.selectbox(key="keep_whatif_source").set_value("declined").run()
    entry = entry_of(at)
    model = entry.views["aligned"]
    features = entry.views["features"]
    position = at.selectbox(key="keep_whatif_row").value
    at.button(key="whatif_recourse").click().run()
    check_clean(at)
    success = [plain(s.value) for s in at.success]
    assert success and success[0].startswith("Approval would follow if"), (success, [i.value for i in at.info])
    answer = next(v for k, v in entry.views.items() if isinstance(k, tuple) and k[0] == "recourse")
    changed = entry.data.frame.iloc[[position]].loc[:, features].copy()
    for change in answer["changes"]:
        changed[change["feature"]] = change["to"]
    assert model.predict(changed)[0] == model.positive_class
    touched = {c["feature"] for c in answer["changes"]}
    assert not touched & set(entry.data.sensitive)
    assert not touched & set((entry.result.recourse.get("constraints") or {}).get("immutable", {}))
    assert 1 <= len(touched) <= 3
    at.button(key="whatif_apply_recourse").click().run()
    check_clean(at)
    word = entry.data.labels.value(entry.data.target, model.positive_class)
    assert at.metric[0].label == "Decision" and at.metric[0].value == word
    assert at.metric[3].value == str(len(touched))


def test_the_case_and_its_edits_survive_navigation(what_if):
    at = what_if
    at.selectbox(key="keep_whatif_source").set_value("declined").run()
    options = at.selectbox(key="keep_whatif_row").options
    third = _positions_from_labels(at, at.selectbox(key="keep_whatif_row"))[2]
    at.selectbox(key="keep_whatif_row").set_value(third).run()
    position = at.selectbox(key="keep_whatif_row").value
    at.number_input(key="keep_whatif_value::age_years").set_value(70).run()
    at.switch_page("views/overview.py").run()
    at.switch_page(PAGE).run()
    check_clean(at)
    assert at.selectbox(key="keep_whatif_row").options == options
    assert at.selectbox(key="keep_whatif_row").value == position
    assert at.number_input(key="keep_whatif_value::age_years").value == 70
    assert at.metric[3].value == "1"


def _chart_spec(at) -> dict:
    charts = at.get("vega_lite_chart")
    assert len(charts) == 1
    return json.loads(charts[0].proto.spec)


def _explained(entry, n_rows: int):
    """The explanation the page drew last: the stored one of ``n_rows`` rows."""
    stored = [v for k, v in entry.views.items() if isinstance(k, tuple) and k[0] == "explain" and len(k[2]) == n_rows]
    return stored[-1]


def test_a_suggestion_the_model_does_not_approve_is_never_shown(what_if, monkeypatch):
    import xai_audit

    at = what_if
    at.selectbox(key="keep_whatif_source").set_value("declined").run()
    entry = entry_of(at)
    fifth = _positions_from_labels(at, at.selectbox(key="keep_whatif_row"))[4]
    at.selectbox(key="keep_whatif_row").set_value(fifth).run()
    row = entry.data.frame.iloc[fifth]
    # a library answer claiming approval for a change that leaves the case as it is
    bogus = {"declined": True, "found": True, "score": 0.3, "new_score": 0.9, "cost": 0.1, "n_changed": 1,
             "within_budget": True, "text": "Approval would follow if nothing changed.",
             "changes": [{"feature": "duration_months", "from": int(row["duration_months"]),
                          "to": int(row["duration_months"]), "kind": "numeric"}]}
    monkeypatch.setattr(xai_audit, "recourse_for", lambda *args, **kwargs: [bogus])
    at.button(key="whatif_recourse").click().run()
    check_clean(at)
    assert not [s for s in at.success if "Approval would follow" in s.value]
    assert any("was not approved when scored again" in i.value for i in at.info)
    assert not [b for b in at.button if b.key == "whatif_apply_recourse"]
