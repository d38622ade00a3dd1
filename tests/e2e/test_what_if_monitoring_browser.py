"""The What-if and Monitoring pages in a real browser at 1280 px: a declined case, its recourse applied
(the decision turns), and the sample's other split compared with the audited data. Screenshots go to
``tests/e2e/artifacts/`` (``whatif-*.png``, ``monitoring-*.png``).

Skipped, with the reason, where chromium, Playwright or the sample models are missing.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.test_app_browser import (  # noqa: F401  (app_url is a fixture)
    AUDIT_TIMEOUT_MS, ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, VERDICT, app_url, go_to, set_number, shoot,
)

pytestmark = pytest.mark.browser
WIDTH = 1280


@pytest.fixture(scope="module")
def narrow_page(app_url):  # noqa: F811
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": WIDTH, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(90_000)
        page.goto(app_url)
        yield page
        context.close()
        browser.close()


def test_what_if_recourse_and_monitoring_in_the_browser(narrow_page):
    page = narrow_page
    page.get_by_role("heading", name="Set up an audit").wait_for()
    page.get_by_text("credit_gbm.skops").first.wait_for()
    page.get_by_text("Sampling, seed and explainers").click()
    set_number(page, "Rows explained locally", 5)
    set_number(page, "Bootstrap resamples", 50)
    page.get_by_role("button", name="Run the audit").click()
    outcome = page.locator("[data-testid='stAlert']").first
    outcome.wait_for(timeout=AUDIT_TIMEOUT_MS)
    assert VERDICT.search(outcome.inner_text()), outcome.inner_text()

    go_to(page, "What-if", "What-if")
    page.get_by_text("on one axis").or_(page.get_by_text("the original case")).first.wait_for()
    page.get_by_role("button", name="Find the smallest change that leads to approval").click()
    page.get_by_text("Approval would follow if").wait_for()
    page.wait_for_timeout(1500)
    shoot(page, "whatif-1-declined-with-recourse")
    page.get_by_role("button", name="Apply this change to the case above").click()
    page.get_by_text(re.compile("^was ")).first.wait_for()  # the Decision card turned
    page.get_by_text("on one axis").first.wait_for()
    page.wait_for_timeout(2000)
    shoot(page, "whatif-2-recourse-applied")

    go_to(page, "Monitoring", "Monitoring")
    set_number(page, "Rows of each period explained", 60)
    set_number(page, "Bootstrap resamples", 100)
    page.get_by_role("button", name="Compare with the audited data").click()
    page.get_by_role("heading", name="Inputs").wait_for(timeout=AUDIT_TIMEOUT_MS)
    page.get_by_text("inputs changed").first.wait_for()
    page.wait_for_timeout(2000)
    shoot(page, "monitoring-1-result", height=3200)

    go_to(page, "Overview", "Overview")
    go_to(page, "Monitoring", "Monitoring")
    page.get_by_role("heading", name="Inputs").wait_for()
    assert page.get_by_role("button", name="Compare with the audited data").count() == 0
