"""Helpers and fixtures for the app's AppTest suite: a small model and data as files, and an app
driven through an audit. Test modules import the fixtures they use (this is not a conftest, whose
module name would clash with ``tests/conftest.py`` under ``--doctest-modules``).

Audits here are kept small (a few explained rows, 50 resamples) so the whole suite stays fast.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import make_credit_frame, make_pipeline_model

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402
from streamlit.testing.v1.element_tree import Block, Widget  # noqa: E402

APP = Path(__file__).resolve().parents[2] / "apps" / "streamlit_app.py"
PAGES = ("overview", "performance", "explanations", "what_if", "fairness", "images", "report")
FAST_POLICY = """\
name = "fast"
extends = "default"

[audit]
explainers = ["shap", "lime"]
explain_rows = 5
reason_cases = 5

[fairness]
n_resamples = 50
"""
TIMEOUT = 180


def new_app() -> AppTest:
    return AppTest.from_file(str(APP), default_timeout=TIMEOUT)


def widgets(at: AppTest) -> list[Widget]:
    """Every widget the last run drew, in the main area and the sidebar."""
    def walk(node):
        if isinstance(node, Block):
            for child in node.children.values():
                yield from walk(child)
        elif isinstance(node, Widget):
            yield node

    return [*walk(at.main), *walk(at.sidebar)]


def check_clean(at: AppTest) -> None:
    """No exception on the page, and every widget drawn has a key."""
    assert not at.exception, [e.value for e in at.exception]
    unkeyed = [f"{w.type}: {getattr(w, 'label', '')}" for w in widgets(at) if not w.key]
    assert not unkeyed, f"widgets without a key: {unkeyed}"


def plain(markdown: str) -> str:
    """Markdown as the user reads it: the app escapes user text, so drop the escapes."""
    return re.sub(r"\\(.)", r"\1", markdown)


def errors(at: AppTest) -> list[str]:
    return [plain(e.value) for e in at.error]


def run_small_audit(at: AppTest, *, explain_rows=5, resamples=50) -> AppTest:
    """Set the sampling controls small and press Run."""
    at.number_input(key="keep_explain_rows").set_value(explain_rows)
    at.number_input(key="keep_resamples").set_value(resamples).run()
    at.button(key="btn_run").click().run()
    return at


@pytest.fixture(scope="session")
def small_files(tmp_path_factory):
    """A credit-like model (.skops), its data (.csv) and a fast policy (.toml) as files."""
    import skops.io as sio

    folder = tmp_path_factory.mktemp("app_inputs")
    frame = make_credit_frame(300, seed=1)
    sio.dump(make_pipeline_model(frame), folder / "credit.skops")
    frame.to_csv(folder / "credit.csv", index=False)
    (folder / "fast.toml").write_text(FAST_POLICY)
    return folder


@pytest.fixture(scope="module")
def audited_sample():
    """The app after auditing the bundled German-credit sample (skipped where the samples are missing)."""
    sample = APP.parents[1] / "sample_models" / "credit_gbm.skops"
    if not sample.is_file():
        pytest.skip("sample_models/credit_gbm.skops is missing (python sample_models/build.py makes it)")
    at = new_app().run()
    check_clean(at)
    run_small_audit(at)
    check_clean(at)
    assert not errors(at) or all("failed at least one check" in e for e in errors(at)), errors(at)
    return at
