"""The HTML report in a real browser: Debian's headless chromium driven by Playwright.

Opens report files written from the fixed records of ``tests/render/records/``, fails on any request
that leaves the file, runs axe-core (``npm ci --prefix tests/e2e``) and fails on serious or critical
violations, checks that hostile names do not break the layout, and saves full-page screenshots to
``tests/e2e/artifacts/``. Skipped, with the reason, where chromium, Playwright or axe-core is missing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from xai_audit.render.html import REPORT_ORDER

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore::UserWarning")]

HERE = Path(__file__).resolve().parent
RECORDS = HERE.parent / "render" / "records"
ARTIFACTS = HERE / "artifacts"
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
BLOCKING_IMPACTS = ("serious", "critical")


def _record(name: str) -> dict:
    return json.loads((RECORDS / f"{name}.json").read_text(encoding="utf-8"))


def _hostile_record() -> dict:
    """The same hostile record as the unit tests (tests/render/render_helpers.py), loaded by path."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("xai_audit_render_helpers", HERE.parent / "render" / "render_helpers.py")
    helpers = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(helpers)
    return helpers.hostile_copy(_record("full"))


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (make browser, or apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright (Python) is not installed: "
                                                                 "pip install playwright")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    from xai_audit.render.html import render_html

    folder = tmp_path_factory.mktemp("reports")
    paths = {}
    for name, record in (("full", _record("full")), ("minimal", _record("minimal")), ("image", _record("image")),
                         ("multiclass", _record("multiclass")), ("regression", _record("regression")),
                         ("hostile", _hostile_record())):
        paths[name] = folder / f"report-{name}.html"
        paths[name].write_text(render_html(record), encoding="utf-8")
    return paths


def open_report(browser, path: Path, *, width: int = 1200):
    """A page showing ``path``, with every request that is not the file itself (or data:) refused and listed."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.outside_requests = []

    def route(request_route):
        url = request_route.request.url
        if url.startswith(("file:", "data:")):
            request_route.continue_()
        else:
            page.outside_requests.append(url)
            request_route.abort()

    page.route("**/*", route)
    page.goto(path.as_uri(), wait_until="load")
    return page


@pytest.mark.parametrize("name", ["full", "minimal", "image", "multiclass", "regression", "hostile"])
def test_report_makes_no_outside_request(browser, reports, name):
    page = open_report(browser, reports[name])
    try:
        page.wait_for_timeout(300)
        assert page.outside_requests == [], f"the report asked for {page.outside_requests}"
        assert page.title().startswith("Model audit report")
    finally:
        page.close()


@pytest.mark.parametrize("name", ["full", "minimal", "image"])
def test_report_has_no_serious_accessibility_violation(browser, reports, name):
    if not AXE.is_file():
        pytest.skip(f"{AXE.relative_to(HERE.parent.parent)} is missing: run `npm ci --prefix tests/e2e`")
    page = open_report(browser, reports[name])
    try:
        page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
        results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        blocking = [f"{v['id']} ({v['impact']}): {v['help']} — e.g. {v['nodes'][0]['target']}"
                    for v in results["violations"] if v.get("impact") in BLOCKING_IMPACTS]
        assert not blocking, "axe-core found:\n" + "\n".join(blocking)
    finally:
        page.close()


@pytest.mark.parametrize("width", [1200, 420])
def test_hostile_names_do_not_break_the_layout(browser, reports, width):
    page = open_report(browser, reports["hostile"], width=width)
    try:
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"the page is {overflow}px wider than the window"
        assert page.evaluate("document.querySelectorAll('script, img, iframe').length") == 0
        assert page.evaluate("document.querySelectorAll('section.report-section').length") == len(REPORT_ORDER)
    finally:
        page.close()


@pytest.mark.parametrize("name", ["full", "image", "hostile"])
def test_screenshot_for_review(browser, reports, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page = open_report(browser, reports[name])
    try:
        page.screenshot(path=str(ARTIFACTS / f"report-{name}.png"), full_page=True)
        page.emulate_media(media="print")
        wide = page.evaluate("""[...document.querySelectorAll('table')]
            .filter(t => t.getBoundingClientRect().right > document.documentElement.clientWidth + 1).length""")
        assert wide == 0, "a table is clipped in print"
    finally:
        page.close()
    assert (ARTIFACTS / f"report-{name}.png").stat().st_size > 10_000


@pytest.mark.parametrize("name", ["full", "multiclass", "regression", "minimal"])
def test_section_screenshots_for_review(browser, reports, name):
    """One screenshot per section (``section-<record>-<id>.png``), for a person to read every caption."""
    ARTIFACTS.mkdir(exist_ok=True)
    page = open_report(browser, reports[name])
    try:
        ids = page.evaluate("[...document.querySelectorAll('section.report-section')].map(s => s.id)")
        assert len(ids) == len(REPORT_ORDER)
        for section_id in ids:
            path = ARTIFACTS / f"section-{name}-{section_id}.png"
            page.locator(f"section#{section_id}").screenshot(path=str(path))
            assert path.stat().st_size > 2_000
    finally:
        page.close()
