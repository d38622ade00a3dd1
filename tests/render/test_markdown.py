"""The Markdown summary for pull-request comments."""

from render_helpers import load_record

from xai_audit.render.markdown import md_escape, render_markdown


def test_escapes_markdown_and_html():
    assert md_escape("a|b") == "a\\|b"
    assert md_escape("line\nbreak") == "line break"
    assert md_escape("<img src=x>") == "&lt;img src=x&gt;"
    assert md_escape("**bold** [link](x)") == "\\*\\*bold\\*\\* \\[link\\](x)"
    assert md_escape("x" * 500) == "x" * 500  # nothing is cut: the whole message, or none


def test_failed_findings_come_first():
    markdown = render_markdown(load_record("full"))
    rows = [line for line in markdown.splitlines() if line.startswith("| ❌") or line.startswith("| ✅")]
    assert rows[0].startswith("| ❌") and rows[-1].startswith("| ✅")
    assert markdown.splitlines()[0] == "### ❌ xai-audit: Fail for credit-gbm"


def test_an_audit_without_findings_says_so():
    record = {**load_record("minimal"), "findings": []}
    assert "No rule of the policy applied" in render_markdown(record)


def test_an_audit_without_a_target_warns_that_performance_and_fairness_were_not_checked():
    markdown = render_markdown(load_record("minimal"))
    assert markdown.splitlines()[0].startswith("### ⚠️ xai-audit: Warning")
    assert "Performance was not checked" in markdown and "Fairness across groups was not checked" in markdown


def test_most_serious_warnings_come_first_by_margin_beyond_the_line():
    record = {"status": "warn", "model": {"name": "m"}, "manifest": {"config": {"policy": {"rules": [
        {"id": "ratio", "direction": "above"}, {"id": "gap", "direction": "below"}]}}},
        "findings": [{"id": "ratio.a", "status": "warn", "observed": 0.78, "threshold": 0.8, "message": "near"},
                     {"id": "gap.b", "status": "pass", "observed": 0.01, "threshold": 0.15, "message": "fine"},
                     {"id": "gap.c", "status": "warn", "observed": 0.18, "threshold": 0.15, "message": "20% over"},
                     {"id": "ratio.e", "status": "warn", "observed": 0.4, "threshold": 0.8, "message": "half"},
                     {"id": "ratio.d", "status": "info", "observed": 0.5, "threshold": 0.8, "message": "info"}]}
    rows = [line for line in render_markdown(record).splitlines() if line.startswith("| ") and "|---" not in line][1:]
    # margins beyond the line, relative to it: ratio.e 50%, gap.c 20%, ratio.a 2.5%
    assert [row.split("|")[2].strip() for row in rows] == ["ratio.e", "gap.c", "ratio.a", "ratio.d", "gap.b"]
