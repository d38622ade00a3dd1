"""One audited app shared by the What-if and Monitoring test modules, so the suite audits the bundled
sample once for both (each test sets the page state it relies on)."""

from __future__ import annotations

import pytest

from tests.app.apptest_support import APP, check_clean, errors, new_app, run_small_audit

_SHARED = {}


@pytest.fixture(scope="module")
def shared_audited_app():
    """The app after a small audit of the bundled German-credit sample (skipped where the samples are missing)."""
    if not (APP.parents[1] / "sample_models" / "credit_gbm.skops").is_file():
        pytest.skip("sample_models/credit_gbm.skops is missing (python sample_models/build.py makes it)")
    if "at" not in _SHARED:
        at = new_app().run()
        check_clean(at)
        run_small_audit(at)
        check_clean(at)
        assert not errors(at) or all("failed at least one check" in e for e in errors(at)), errors(at)
        _SHARED["at"] = at
    return _SHARED["at"]
