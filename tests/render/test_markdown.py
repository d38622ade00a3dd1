"""The Markdown summary for pull-request comments."""

from render_helpers import load_record

from xai_audit.render.markdown import md_escape, render_markdown


def test_escapes_markdown_and_html():
    assert md_escape("a|b") == "a\\|b"
    assert md_escape("line\nbreak") == "line break"
    assert md_escape("<img src=x>") == "&lt;img src=x&gt;"
    assert md_escape("**bold** [link](x)") == "\\*\\*bold\\*\\* \\[link\\](x)"
    assert md_escape("x" * 500, 20).startswith("x" * 19 + "…")


def test_failed_findings_come_first():
    markdown = render_markdown(load_record("full"))
    rows = [line for line in markdown.splitlines() if line.startswith("| ❌") or line.startswith("| ✅")]
    assert rows[0].startswith("| ❌") and rows[-1].startswith("| ✅")
    assert markdown.splitlines()[0] == "### ❌ xai-audit: Fail for credit-gbm"


def test_an_audit_without_findings_says_so():
    assert "No rule of the policy applied" in render_markdown(load_record("minimal"))
