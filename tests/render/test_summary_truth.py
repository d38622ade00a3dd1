"""The summary and the explanations section tell what the findings say, no better and no worse."""

import copy
import html as html_lib
import re

from render_helpers import load_record

from xai_audit.checks import evaluate, overall_status
from xai_audit.policy import load_policy
from xai_audit.render.html import render_section


def _text(html: str) -> str:
    return html_lib.unescape(re.sub(r"<[^>]+>", "", html))


def _judged(record: dict) -> dict:
    findings = evaluate(load_policy("default"), record)
    return {**record, "status": overall_status(findings), "findings": [f.to_dict() for f in findings]}


def _attention_ids(html: str) -> list:
    table = html.split('id="summary-findings"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'href="#f-([^"]+)"', table)


def test_most_serious_is_the_worst_status_then_the_farthest_beyond_its_line():
    record = load_record("full")
    html = render_section(record, "summary", charts=False)
    ids = _attention_ids(html)
    statuses = {re.sub(r"[^A-Za-z0-9_.-]", "_", f["id"]): f["status"] for f in record["findings"]}
    assert [statuses[i] for i in ids] == sorted((statuses[i] for i in ids), key=["fail", "warn"].index)
    assert ids[0] == "explanations.stability.lime"  # the only failure
    # among warnings, the equalized-odds gap 0.239 above 0.2 comes before the ECE 0.062 within 0.1
    assert ids.index("fairness.equalized_odds.sex_age_group") < ids.index("performance.ece")
    assert "Most serious finding.</strong> Stability of the explanations" in html


def test_a_pass_is_never_listed_as_serious():
    record = copy.deepcopy(load_record("full"))
    for finding in record["findings"]:
        finding["status"] = "pass"
    html = render_section(record, "summary", charts=False)
    assert "Most serious finding" not in html
    assert "None: every finding of the policy passes." in html


def test_a_small_group_crossing_four_fifths_appears_in_the_summary():
    record = copy.deepcopy(load_record("full"))
    table = record["fairness"]["sex"]
    table["four_fifths"]["groups"]["female"].update({"impact_ratio": 0.5, "small_group": True})
    table["groups"]["female"]["n"] = 12
    table["tests"]["female"] = {"test": "fisher_exact", "p_value": 0.011, "metric": "selection_rate"}
    html = render_section(_judged(record), "summary", charts=False)
    assert "coverage.small_groups.sex.female" in _attention_ids(html)
    assert "not judged: too small (n = 12" in _text(html)


def test_a_point_beyond_its_line_with_an_interval_reaching_back_is_named_as_such():
    text = _text(render_section(load_record("full"), "summary", charts=False))
    assert "not statistically established" in text
    assert "No rule is broken" not in text and "no rule is broken" not in text


def test_the_verdict_agrees_with_the_findings_even_when_the_record_status_does_not():
    record = {**load_record("minimal"), "status": "pass"}
    html = render_section(record, "summary", charts=False)
    assert "Verdict: Warning" in html
    assert "2 things could not be checked" in _text(html)


def test_the_image_report_fails_when_a_shown_saliency_method_fails_its_sanity_check():
    record = load_record("image")
    assert record["status"] == "fail"
    html = render_section(record, "explanations", charts=False)
    sanity = html.split("Sanity check of the saliency methods", 1)[1].split("</table>", 1)[0]
    row = sanity.split("Saliency", 1)[1].split("</tr>", 1)[0] if "Saliency" in sanity else sanity
    assert 'href="#f-coverage.sanity_check.saliency"' in sanity and "Fail" in row


def test_explanation_quality_shows_the_findings_status_or_not_judged():
    record = copy.deepcopy(load_record("full"))
    # A measure that carries its own verdict-looking keys is still not judged without a finding.
    record["explanations"]["shap"]["quality"]["robustness"] = {"passed": False, "status": "fail", "value": 0.1}
    html = render_section(record, "explanations", charts=False)
    table = html.split("Quality of the SHAP attributions", 1)[1].split("</table>", 1)[0].split("<tbody>", 1)[1]
    robustness = table.split("robustness", 1)[1].split("</tr>", 1)[0]
    assert "Not judged" in robustness and "Fail" not in robustness
    lime = html.split("Quality of the LIME attributions", 1)[1].split("</table>", 1)[0].split("<tbody>", 1)[1]
    stability = lime.split("stability", 1)[1].split("</tr>", 1)[0]
    assert 'href="#f-explanations.stability.lime"' in stability and "Fail" in stability


def test_the_disparity_attribution_names_its_rows_and_keeps_the_full_data_gap_apart():
    record = load_record("full")
    table = record["fairness"]["sex"]["disparity_attribution"]
    female = table["groups"]["female"]
    text = _text(render_section(record, "fairness", charts=False))
    assert f"on the {table['rows_explained']} attributed rows" in text
    assert f"(on all {table['rows_total']} rows the gap is {female['full_data_output_difference']:.3f}, not attributed)" in text
    lead = max(female["contributions"], key=lambda f: abs(female["contributions"][f]))
    share = round(female["contributions"][lead] / female["output_difference"] * 100)
    space = {"log_odds": "log-odds", "probability": "probability"}[table["output_space"]]
    assert f"'{lead}' accounts for {share}% of the {female['output_difference']:.3f} gap in mean {space}" in text
