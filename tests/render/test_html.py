"""The whole report: structure, self-containment, stability, size, and a real audit rendered end to end."""

import re
from importlib import resources

import numpy as np
import pytest
from render_helpers import Document, load_record

import xai_audit as xa
from xai_audit.render.html import REPORT_ORDER, build_context, environment, render_html, render_section

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

XMLNS = ("http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink")


@pytest.fixture(scope="module")
def full_html(full_record):
    return render_html(full_record)


def test_templates_load_from_the_installed_package():
    files = resources.files("xai_audit.templates")
    assert files.joinpath("report.html.j2").is_file() and files.joinpath("report.css").is_file()
    assert files.joinpath("partials", "fairness.html.j2").is_file()
    env = environment()
    assert env.autoescape is True
    for section in REPORT_ORDER:
        env.get_template(f"partials/{section}.html.j2")


def test_every_section_is_there_in_order_and_states_its_clauses(full_html):
    document = Document(full_html)
    ids = [attrs["id"] for tag, attrs in document.tags if tag == "section" and "report-section" in attrs.get("class", "")]
    assert ids == list(REPORT_ORDER)
    for section in REPORT_ORDER:
        if section not in ("glossary", "index"):
            block = full_html.split(f'<section id="{section}"', 1)[1].split("</h2>", 1)[1][:400]
            assert 'class="serves"' in block, f"section {section} does not say which clauses it serves"


def test_a_section_without_data_renders_and_says_why():
    record = load_record("minimal")
    for section in ("performance", "fairness", "explanations", "reasons"):
        html = render_section(record, section)
        assert "Not computed in this audit." in html
        reason = html.split("Not computed in this audit.</strong>", 1)[1].split("</p>", 1)[0].strip()
        assert len(reason) > 20, f"section {section} gives no reason"


def test_every_table_and_figure_reads_its_numbers(full_record):
    context = build_context(full_record)
    html = render_html(full_record)
    captions = re.findall(r'<caption id="[^"]+"><span class="cap-title">(.*?)</span> <span class="reading">(.*?)</span>',
                          html)
    assert len(captions) == html.count("<table")
    assert all(reading.strip() for _, reading in captions)
    figures = re.findall(r'<figcaption><span class="cap-title">(.*?)</span> <span class="reading">(.*?)</span>', html)
    assert len(figures) == html.count('<figure class="chart"') > 5
    assert all(reading.strip() for _, reading in figures)
    assert context["sections"][0]["things"], "the executive summary names no thing to know"


def test_figures_have_text_alternatives(full_html):
    svgs = re.findall(r"<svg [^>]*>", full_html)
    assert svgs
    for tag in svgs:
        assert 'role="img"' in tag
        first, second = re.search(r'aria-labelledby="(\S+) (\S+)"', tag).groups()
        assert f'<title id="{first}">' in full_html and f'<desc id="{second}">' in full_html


def test_ids_are_unique(full_html):
    ids = [attrs["id"] for _, attrs in Document(full_html).tags if "id" in attrs]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


def test_internal_links_all_land(full_html):
    document = Document(full_html)
    ids = {attrs["id"] for _, attrs in document.tags if "id" in attrs}
    targets = {attrs["href"][1:] for tag, attrs in document.tags if tag == "a"}
    assert targets <= ids, sorted(targets - ids)


def test_no_external_request_of_any_kind(full_html):
    document = Document(full_html)
    for tag, attrs in document.tags:
        assert tag not in ("script", "img", "link", "iframe", "object", "embed", "video", "audio", "source")
        for name in ("href", "src", "xlink:href", "action", "srcset", "poster"):
            value = attrs.get(name)
            assert value is None or value.startswith(("#", "data:image/png;base64,")), (tag, name, value)
    addresses = re.findall(r"(?:https?|ftp|file)://[^\s\"')]*", full_html)
    assert set(addresses) <= set(XMLNS), set(addresses) - set(XMLNS)
    assert "@import" not in full_html and "@font-face" not in full_html
    assert not re.search(r"url\((?!#)", full_html)


def test_rendering_is_byte_stable_apart_from_the_creation_time(full_record):
    first = render_html(full_record)
    assert render_html(full_record) == first
    later = {**full_record, "manifest": {**full_record["manifest"], "created_at": "2027-02-02T00:00:00+00:00"}}
    second = render_html(later)
    assert len(first) == len(second)
    changed = [(a, b) for a, b in zip(first.splitlines(), second.splitlines()) if a != b]
    assert changed and all("2027-02-02T00:00:00+00:00" in b.replace("<wbr>", "") for _, b in changed)
    assert all(a.replace("<wbr>", "").replace("2026-01-15T09:30:00", "2027-02-02T00:00:00") == b.replace("<wbr>", "")
               for a, b in changed)


def test_a_fresh_result_and_its_saved_record_render_the_same(credit_frame, credit_gbm, tmp_path):
    data = xa.AuditDataset.from_frame(credit_frame, target="outcome", positive_label="repaid",
                                      sensitive=["sex"], features=["income", "debt", "purpose", "age"])
    result = xa.audit(credit_gbm, data, random_state=0, explainers=[], n_resamples=20)
    path = result.save_json(tmp_path / "audit.json")
    assert render_html(result) == render_html(xa.AuditResult.load_json(path))


def test_report_for_100_features_stays_under_3_mb(full_record):
    rng = np.random.default_rng(0)
    names = [f"feature_{i:03d}_with_a_longish_name" for i in range(100)]
    record = {**full_record, "data": {**full_record["data"], "features": names,
                                      "feature_kinds": {n: "numeric" for n in names}}}
    importance = dict(zip(names, rng.random(100).round(6).tolist()))
    local = {"rows": list(range(300)), "feature_names": names, "values": rng.normal(0, 0.05, (300, 100)).round(6).tolist(),
             "base_values": [0.6] * 300, "output": rng.random(300).round(6).tolist(),
             "data": rng.normal(0, 1, (300, 100)).round(3).tolist()}
    dependence = {n: {"x": rng.normal(0, 1, 300).round(3).tolist(), "y": rng.normal(0, 0.1, 300).round(4).tolist()}
                  for n in names}
    record["explanations"] = {m: {"global_importance": importance, "local": local, "dependence": dependence,
                                  "quality": {"additivity": {"status": "pass", "value": 1e-6}}}
                              for m in ("shap", "lime", "permutation")}
    size = len(render_html(record).encode("utf-8"))
    assert size < 3 * 1024 * 1024, f"the report is {size / 1e6:.2f} MB"


@pytest.mark.slow
def test_a_real_audit_renders_every_section_it_computed(credit_frame, credit_gbm):
    data = xa.AuditDataset.from_frame(credit_frame, target="outcome", positive_label="repaid",
                                      sensitive=["sex"], bins=None, features=["income", "debt", "purpose", "age"])
    result = xa.audit(credit_gbm, data, random_state=0, n_resamples=30, explain_rows=40, explainers=["shap"])
    context = build_context(result)
    by_id = {s["id"]: s for s in context["sections"]}
    for section in ("performance", "fairness", "explanations", "reasons"):
        has_data = bool(getattr(result, section))
        assert by_id[section]["computed"] == has_data, (section, by_id[section].get("missing"))
    html = render_html(result)
    assert html.count('class="report-section') == len(REPORT_ORDER)
