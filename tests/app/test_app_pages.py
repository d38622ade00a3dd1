"""The main flow in AppTest: bundled sample → run → every page → downloads, with results cached."""

from __future__ import annotations

import pytest

from tests.app.apptest_support import PAGES, audited_sample, check_clean, errors, new_app, plain  # noqa: F401  (fixture)


def test_every_page_asks_for_an_audit_first():
    at = new_app().run()
    check_clean(at)
    assert at.title[0].value == "Set up an audit"
    for page in PAGES:
        at.switch_page(f"views/{page}.py").run()
        check_clean(at)
        assert any("No audit has been run" in info.value for info in at.info), page


def test_sample_run_shows_the_verdict_and_links(audited_sample):
    at = audited_sample
    entry = at.session_state["audit_results"][at.session_state["audit_current"]]
    status = entry.result.status
    banner = {"pass": at.success, "warn": at.warning, "fail": at.error}[status]
    assert any(status.capitalize() in b.value or "Warning" in b.value for b in banner)
    assert entry.result.data["n_rows"] == 300
    assert entry.settings["sensitive"] == ["sex", "age_group"]
    assert entry.settings["explain_rows"] == 5 and entry.settings["n_resamples"] == 50


@pytest.mark.parametrize("page", PAGES)
def test_each_page_renders_the_audit(audited_sample, page):
    at = audited_sample.switch_page(f"views/{page}.py").run()
    check_clean(at)
    assert not [e for e in errors(at) if "failed at least one check" not in e], errors(at)
    assert not any("No audit has been run" in info.value for info in at.info)


def test_overview_lists_every_finding(audited_sample):
    at = audited_sample.switch_page("views/overview.py").run()
    entry = at.session_state["audit_results"][at.session_state["audit_current"]]
    table = at.table[0].value
    assert len(table) == len(entry.result.findings)
    assert {plain(check) for check in table["Check"]} == {f.id for f in entry.result.findings}


def test_switching_pages_never_reruns_the_audit(audited_sample, monkeypatch):
    from xai_audit import Audit

    calls = []
    original = Audit.run
    monkeypatch.setattr(Audit, "run", lambda self, *a, **k: calls.append(1) or original(self, *a, **k))
    at = audited_sample
    for page in ("overview", "performance", "fairness", "report", "setup"):
        at.switch_page(f"views/{page}.py").run()
    assert at.button(key="btn_run").label == "Show the results"
    at.button(key="btn_run").click().run()
    assert calls == []
    assert len(at.session_state["audit_results"]) == 1


def test_setup_choices_survive_a_page_switch(audited_sample):
    at = audited_sample.switch_page("views/setup.py").run()
    assert at.multiselect(key="keep_sensitive").value == ["sex", "age_group"]
    assert at.number_input(key="keep_explain_rows").value == 5
    assert at.selectbox(key="keep_target").value == "credit_risk"


def test_report_offers_html_and_json_of_the_result(audited_sample):
    at = audited_sample.switch_page("views/report.py").run()
    check_clean(at)
    labels = {b.key for b in at.get("download_button")}
    assert {"report_download_html", "report_download_json"} <= labels
    entry = at.session_state["audit_results"][at.session_state["audit_current"]]
    from xai_audit.render.html import render_html

    assert entry.views["html"] == render_html(entry.result).encode("utf-8")
    assert entry.views["json"].decode("utf-8") == entry.result.to_json()


def test_explanations_show_shap_and_lime_for_a_declined_row(audited_sample):
    at = audited_sample.switch_page("views/explanations.py").run()
    at.selectbox(key="explain_filter").set_value("reasons").run()
    check_clean(at)
    assert not errors(at), errors(at)
    entry = at.session_state["audit_results"][at.session_state["audit_current"]]
    position = at.selectbox(key="explain_row").value
    stored = {m: (entry.result.explanations.get(m) or {}).get("local", {}).get("rows", []) for m in ("shap", "lime")}
    for method in ("shap", "lime"):
        assert position in stored[method] or ("explain", method, (position,), "") in entry.views, method
    reasons = [m.value for m in at.markdown if m.value[:3] in ("1\\.", "2\\.", "3\\.", "4\\.")]
    assert reasons, "a declined case with reasons lists them"
