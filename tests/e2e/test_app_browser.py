"""The app in a real browser: ``streamlit run`` on a loopback port, driven by Playwright in Debian's
headless chromium. Loads the bundled sample, runs the audit, visits the result pages and downloads
the HTML report; screenshots go to ``tests/e2e/artifacts/``.

Skipped, with the reason, where chromium, Playwright or the sample models are missing.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "apps" / "streamlit_app.py"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
START_TIMEOUT = 90
AUDIT_TIMEOUT_MS = 240_000
VERDICT = re.compile("passed every check|passed, with warnings|failed at least one check")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_healthy(url: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}: {process.stdout.read()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"the app did not answer on {url} within {timeout} s")


@pytest.fixture(scope="module")
def app_url():
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (make browser) to run the browser test")
    pytest.importorskip("playwright.sync_api", reason="Playwright (Python) is not installed: pip install playwright")
    if not (ROOT / "sample_models" / "credit_gbm.skops").is_file():
        pytest.skip("sample_models/credit_gbm.skops is missing (python sample_models/build.py makes it)")
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if k != "XAI_AUDIT_ALLOW_PICKLE"}
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(APP), "--server.headless", "true",
         "--browser.gatherUsageStats", "false", "--server.address", "127.0.0.1", "--server.port", str(port),
         "--server.maxUploadSize", "50", "--server.fileWatcherType", "none"],
        cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process, START_TIMEOUT)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def page(app_url):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 1000}, accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.goto(app_url)
        yield page
        context.close()
        browser.close()


def shoot(page, name: str, height: int = 2200) -> None:
    """A screenshot of the whole page: the app scrolls inside its own frame, so the window is made tall."""
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": height})
    page.wait_for_timeout(1500)  # let the layout and the charts settle
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    page.set_viewport_size(size)


def go_to(page, title: str, heading: str) -> None:
    page.get_by_role("link", name=title, exact=True).first.click()
    page.get_by_role("heading", name=heading).first.wait_for()


def set_number(page, label: str, value: int) -> None:
    field = page.get_by_label(label, exact=True)
    field.fill(str(value))
    field.press("Enter")
    page.wait_for_timeout(500)


def test_sample_audit_in_the_browser(page):
    page.get_by_role("heading", name="Set up an audit").wait_for()
    page.get_by_text("credit_gbm.skops").first.wait_for()
    page.get_by_text("Sampling, seed and explainers").click()
    set_number(page, "Rows explained locally", 20)
    set_number(page, "Bootstrap resamples", 100)
    shoot(page, "01-setup")

    page.get_by_role("button", name="Run the audit").click()
    # the cheap sections show while the explainers still run, each with its time
    page.get_by_text(re.compile(r"Fairness · ready after [0-9.]+ s")).wait_for(timeout=AUDIT_TIMEOUT_MS)
    page.get_by_role("button", name="Cancel the audit").wait_for()
    shoot(page, "02a-setup-running")
    outcome = page.locator("[data-testid='stAlert']").first
    outcome.wait_for(timeout=AUDIT_TIMEOUT_MS)
    shoot(page, "02-setup-done")
    assert VERDICT.search(outcome.inner_text()), f"the audit did not finish: {outcome.inner_text()}"
    assert page.get_by_text("No audit yet").count() == 0   # the sidebar names the audit at once

    go_to(page, "Overview", "Overview")
    page.get_by_text("Findings").first.wait_for()
    page.locator("[data-testid='stTable']").first.wait_for()   # every finding, wrapped, not cut
    shoot(page, "03-overview")

    go_to(page, "Performance", "Performance")
    page.get_by_text("Explore a cut-off other than the model's").click()
    page.get_by_text("Confusion matrix at the cut-off 0.50").wait_for()
    page.wait_for_timeout(3000)
    shoot(page, "04-performance")

    go_to(page, "Explanations", "Explanations")
    page.get_by_text(re.compile("One row, explained|not computed in this audit")).first.wait_for()
    page.wait_for_timeout(3000)
    shoot(page, "05-explanations")

    go_to(page, "Fairness", "Fairness")
    page.get_by_text("Exploring a cut-off of 0.50").wait_for()   # the cut-off chosen on Performance holds
    page.get_by_text("Decision threshold").wait_for()
    page.wait_for_timeout(2000)
    shoot(page, "06-fairness")
    box = page.locator("[data-testid='stSelectbox']").filter(has_text="Sensitive attribute").first
    chosen = box.inner_text() + " " + " ".join(field.input_value() for field in box.locator("input").all())
    chosen += " " + " ".join(box.locator("[title]").evaluate_all("nodes => nodes.map(n => n.title)"))
    assert re.search("Age group|Sex", chosen), chosen   # plain names from the sample's labels file

    go_to(page, "What-if", "What-if")
    shoot(page, "07-what-if")

    go_to(page, "Report", "Report")
    button = page.get_by_role("button", name="Download the HTML report")
    with page.expect_download() as download:
        button.click()
    saved = ARTIFACTS / "report.html"
    download.value.save_as(str(saved))
    shoot(page, "08-report")
    text = saved.read_text(encoding="utf-8")
    assert text.lstrip().lower().startswith("<!doctype html")
    assert "credit_gbm.skops" in text

    # back on Setup after visiting every page: the form is the one that produced the result on screen
    go_to(page, "Setup", "Set up an audit")
    page.get_by_role("button", name="Show the results").wait_for()
    page.get_by_text("Sampling, seed and explainers").click()
    assert page.get_by_label("Rows explained locally", exact=True).input_value() == "20"
    assert page.get_by_label("Bootstrap resamples", exact=True).input_value() == "100"
    assert page.get_by_text("The settings above differ").count() == 0
    shoot(page, "09-setup-after-navigation")

    # a changed setting is named, and nothing runs until the button is clicked
    set_number(page, "Bootstrap resamples", 120)
    page.get_by_role("button", name="Run a new audit with the changed settings").wait_for()
    page.get_by_text("bootstrap resamples: 100 → 120").wait_for()
    shoot(page, "10-setup-changed")
    page.get_by_role("button", name="Put back the settings of the audit on screen").click()
    page.get_by_role("button", name="Show the results").wait_for()
    assert page.get_by_label("Bootstrap resamples", exact=True).input_value() == "100"


def test_nothing_is_fetched_from_outside(page):
    """The app works offline: the page loaded no resource from a host other than the app's own."""
    origins = page.evaluate(
        "Array.from(new Set(performance.getEntriesByType('resource').map(e => new URL(e.name).host)))")
    assert all(host.startswith("127.0.0.1") for host in origins), origins


if shutil.which("streamlit") is None and not (Path(sys.executable).parent / "streamlit").exists():  # pragma: no cover
    pytestmark = [pytest.mark.browser, pytest.mark.skip(reason="streamlit is not installed")]
