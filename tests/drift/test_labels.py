"""Plain names in the drift report: `xai-audit drift --labels` and the reference data's labels.

The German-credit sample is drifted (longer loans, more new-car loans, fewer applicants without a
checking account) and run through the CLI with the sample's labels file; the HTML is parsed and
every feature, category, attribute and group it shows as text is checked against the labels, with
the raw column kept only in the "Column" cells, tooltips and code elements. Hostile labels are
escaped; labels naming a column the data lacks are refused with exit code 2.
"""

import html as html_lib
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import markupsafe
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import xai_audit as xa
from xai_audit.cli.main import main
from xai_audit.data.labels import FeatureLabels
from xai_audit.render.escape import BIDI_CODES, isolate_bidi, markdown_cell
from xai_audit.render.drift import explanation_chart, render_drift_html, render_drift_markdown, summary_sentence

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "sample_models" / "data" / "german_credit.csv"
LABELS = ROOT / "sample_models" / "german_credit_labels.toml"
MODEL = ROOT / "sample_models" / "credit_logreg.skops"


class _Page(HTMLParser):
    """The text of an HTML page by element: visible text outside code and titles, and the cells of each table."""

    def __init__(self):
        super().__init__()
        self.stack, self.visible, self.tables = [], [], []
        self.row_headers, self.code_cells, self.h3, self.chart_labels, self.captions = [], [], [], [], []

    def handle_starttag(self, tag, attrs):
        self.stack.append(tag)
        if tag == "table":
            self.tables.append([])

    def handle_endtag(self, tag):
        while self.stack and self.stack.pop() != tag:
            pass

    def handle_data(self, data):
        if "title" in self.stack or "style" in self.stack:
            return
        if "code" in self.stack:
            self.code_cells.append(data)
            return
        self.visible.append(data)
        top = self.stack[-1] if self.stack else ""
        if top == "th" and "tbody" in self.stack:
            self.row_headers.append(data)
        if top == "h3":
            self.h3.append(data.strip())
        if top == "text" and "svg" in self.stack:
            self.chart_labels.append(data)
        if "figcaption" in self.stack:
            self.captions.append(data)


def _parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    return parser


def _drifted(frame: pd.DataFrame) -> pd.DataFrame:
    """The German-credit rows with a planted change: longer loans, more new-car loans, checking accounts opened."""
    current = frame.copy()
    current["duration_months"] = current["duration_months"] + 12
    rng = np.random.default_rng(0)
    current.loc[rng.random(len(current)) < 0.4, "purpose"] = "car (new)"
    current.loc[current["checking_status"] == "no checking account", "checking_status"] = "0 <= ... < 200 DM"
    return current


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One CLI drift run of the German-credit model with the sample's labels: its outputs and exit code."""
    folder = tmp_path_factory.mktemp("labels")
    current = folder / "current.csv"
    _drifted(pd.read_csv(DATA)).to_csv(current, index=False)
    code = main(["drift", "--model", str(MODEL), "--reference", str(DATA), "--current", str(current),
                 "--target", "credit_risk", "--positive-label", "good", "--sensitive", "sex,age_group",
                 "--labels", str(LABELS), "--format", "html,json,md", "--explain-rows", "40", "--seed", "0",
                 "--out", str(folder), "--name", "drift"])
    record = json.loads((folder / "drift.json").read_text(encoding="utf-8"))
    return {"code": code, "record": record, "html": (folder / "drift.html").read_text(encoding="utf-8"),
            "md": (folder / "drift.md").read_text(encoding="utf-8")}


@pytest.fixture(scope="module")
def labels():
    return FeatureLabels.from_toml(LABELS)


def test_the_cli_flag_puts_the_labels_in_the_record(run, labels):
    assert run["code"] in (0, 1)
    assert run["record"]["reference"]["labels"] == labels.to_dict()
    verdicts = {n: r["verdict"] for n, r in run["record"]["features"]["features"].items()}
    assert verdicts["duration_months"] == verdicts["purpose"] == verdicts["checking_status"] == "drifted"


def test_every_input_of_the_html_table_is_named_plainly_with_its_column_beside_it(run, labels):
    page = _parse(run["html"])
    features = run["record"]["features"]["features"]
    headers = [h.strip() for h in page.row_headers]
    for column in features:
        assert labels.name(column) in headers, column
        assert column in [c.strip() for c in page.code_cells], column
    rows = re.findall(r'<tr><th scope="row">([^<]*)</th><td><code>([^<]*)</code></td><td>(?:Kolmogorov|χ²)',
                      run["html"])
    assert {html_lib.unescape(column): html_lib.unescape(name) for name, column in rows} == \
        {column: labels.name(column) for column in features}


def test_no_raw_column_or_code_is_shown_as_text_where_a_plain_name_exists(run, labels):
    visible = " ".join(_parse(run["html"]).visible)
    words = [*labels.names.values(), *(w for codes in labels.values.values() for w in codes.values())]
    for word in sorted(words, key=len, reverse=True):  # plain words may contain a column's name ('Job')
        visible = visible.replace(word, " ")
    for column in run["record"]["features"]["features"]:
        if labels.name(column) != column:
            assert not re.search(rf"(?<![\w']){re.escape(column)}(?![\w'])", visible), column
    for column, codes in labels.values.items():
        for code, words in codes.items():
            if words != code and len(code) > 3:  # short codes ('yes', 'no') are ordinary words
                assert not re.search(rf"(?<!\w){re.escape(code)}(?!\w)", visible), (column, code)


def test_panels_chart_and_captions_use_plain_names_and_category_words(run, labels):
    page = _parse(run["html"])
    captions = " ".join(page.captions)
    for column in run["record"]["features"]["features"]:
        assert labels.name(column) in captions, column
    purpose = run["record"]["features"]["features"]["purpose"]["categories"]
    for code in purpose[:6]:
        assert labels.value("purpose", code) in captions
    chart = [text.strip() for text in page.chart_labels]
    for column in run["record"]["explanations"]["features"]:
        assert labels.name(column) in chart, column


def test_fairness_attributes_and_groups_by_their_plain_names(run, labels):
    page = _parse(run["html"])
    fairness = run["record"]["fairness"]
    shown = [h for h in page.h3 if h]
    for attribute in fairness:
        plain = " × ".join(labels.name(part) for part in attribute.split("*"))
        assert plain in shown, attribute
    assert "Sex × Age group" in shown
    headers = [h.strip() for h in page.row_headers]
    for attribute, entry in fairness.items():
        for group in entry["groups"]:
            parts = zip(attribute.split("*"), group.split("*"))
            assert " & ".join(labels.value(a, g) for a, g in parts) in headers, (attribute, group)


def test_the_summary_sentence_names_the_group_plainly():
    record = {"reference": {"labels": {"sex": {"name": "Sex of the applicant", "values": {"F": "women"}}}},
              "features": {"n_features": 2, "n_drifted": 0, "features": {}},
              "fairness": {"sex": {"groups": {"F": {"selection_rate": {
                  "reference": 0.71, "current": 0.64, "change": -0.07, "ci": [-0.1, -0.04]}}}}}}
    assert ("the selection rate for women (Sex of the applicant) fell from 0.710 to 0.640, outside the range "
            "expected by chance") in summary_sentence(record)


def test_the_markdown_names_inputs_plainly(run, labels):
    md = html_lib.unescape(run["md"])
    table = [line for line in md.splitlines() if line.startswith("| ") and ("Kolmogorov" in line or "χ²" in line)]
    drifted = [n for n, r in run["record"]["features"]["features"].items() if r["verdict"] == "drifted"]
    assert len(table) == len(drifted)
    for line in table:
        cells = [c.strip().replace("\\", "") for c in line.strip("|").split(" | ")]
        assert cells[1] in drifted and cells[0] == labels.name(cells[1]), cells
    findings = md.split("| Status | Finding |")[1].split("| Input |")[0].replace("\\", "")
    for column in run["record"]["features"]["features"]:
        if labels.name(column) != column:
            assert not re.search(rf"(?<![\w']){re.escape(column)}(?![\w'])", findings), column
    summary = md.splitlines()[2]
    groups = {labels.value(a, g) for a, e in run["record"]["fairness"].items() if "*" not in a for g in e["groups"]}
    if "selection rate for" in summary:
        assert re.search(r"selection rate for (.+?) \((Sex|Age group|Sex × Age group)\)", summary)
        assert any(g in summary for g in groups)


def _hostile_period(rng, n, shift):
    x = rng.normal(shift, 1, n)
    sex = rng.choice(["F", "M"], n)
    frame = pd.DataFrame({"x": x, "kind": rng.choice(["a", "b"], n, p=[0.5 + shift / 4, 0.5 - shift / 4]),
                          "sex": sex, "pred": (x > 0).astype(int)})
    return frame


EVIL = "<script>alert(1)</script>\u202eevil"
HOSTILE = {"x": EVIL, "kind": {"name": "<img src=x onerror=alert(1)>", "values": {"a": EVIL, "b": "<b>bold</b>"}},
           "sex": {"name": "Sex\u2066", "values": {"F": "<i>women</i>\u202e", "M": "men"}}}


def test_hostile_labels_are_escaped_in_html_and_markdown():
    rng = np.random.default_rng(3)
    periods = [xa.AuditDataset.from_frame(_hostile_period(rng, 400, shift), predictions="pred", features=["x", "kind"],
                                          sensitive=["sex"], labels=HOSTILE) for shift in (0.0, 1.0)]
    record = xa.drift(None, *periods, random_state=0).to_dict()
    page = render_drift_html(record)
    assert "<script" not in page.lower() and "<img" not in page and "<b>bold" not in page and "<i>" not in page
    assert "\u202e" not in page and "\u2066" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;[U+202E]evil" in page
    md = render_drift_markdown(record)
    assert "<script" not in md.lower() and "<img" not in md and "\u202e" not in md
    assert "&lt;script&gt;" in md


def test_an_unknown_column_in_the_labels_file_is_refused_with_exit_2(tmp_path, capsys):
    data = tmp_path / "data.csv"
    _hostile_period(np.random.default_rng(0), 100, 0.0).to_csv(data, index=False)
    labels = tmp_path / "labels.toml"
    labels.write_text('x = "Income"\nincome_typo = "Income"\n', encoding="utf-8")
    code = main(["drift", "--reference", str(data), "--current", str(data), "--predictions", "pred",
                 "--features", "x,kind", "--labels", str(labels), "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert "income_typo" in err and "Traceback" not in err
    assert not (tmp_path / "drift.html").exists()


def test_different_labels_for_the_two_periods_are_refused():
    rng = np.random.default_rng(1)
    frame = _hostile_period(rng, 100, 0.0)
    reference = xa.AuditDataset.from_frame(frame, predictions="pred", features=["x"], labels={"x": "Income"})
    current = xa.AuditDataset.from_frame(frame, predictions="pred", features=["x"], labels={"x": "Salary"})
    with pytest.raises(xa.XaiAuditError, match="different labels"):
        xa.drift(None, reference, current)
    alone = xa.drift(None, reference, xa.AuditDataset.from_frame(frame, predictions="pred", features=["x"]))
    assert "<th scope=\"row\">Income</th>" in render_drift_html(alone.to_dict())


def test_every_group_row_of_the_fairness_tables_is_named_plainly():
    rng = np.random.default_rng(5)
    labels = {"sex": {"name": "Sex of the applicant", "values": {"F": "women", "M": "men"}}}
    periods = [xa.AuditDataset.from_frame(_hostile_period(rng, 400, shift), predictions="pred", features=["x"],
                                          sensitive=["sex"], labels=labels) for shift in (0.0, 1.0)]
    record = xa.drift(None, *periods, random_state=0).to_dict()
    page = render_drift_html(record)
    fairness = _parse(page[page.index('id="drift-fairness"'):])
    headers = [h.strip() for h in fairness.row_headers]
    assert "F" not in headers and "M" not in headers
    rows = sum(len(rows) for rows in record["fairness"]["sex"]["groups"].values())
    ratios = sum(len(record["fairness"]["sex"][key]["ratio_change"]) for key in ("four_fifths", "ll144"))
    assert len([h for h in headers if h in ("women", "men")]) == rows + ratios
    assert "Sex of the applicant" in fairness.h3
    assert re.search(r"selection rate for (women|men) \(Sex of the applicant\)", summary_sentence(record))


def test_the_explanation_chart_leaves_room_for_the_longest_plain_name(run, labels):
    chart = explanation_chart(run["record"])
    longest = max(len(row["label"]) for row in chart["rows"])
    assert longest == max(len(labels.name(c)) for c in run["record"]["explanations"]["features"])
    # labels end 6 px left of the plot at 11 px: at most ~6.5 px a character must fit right of x = 0
    assert chart["label_w"] - 6 >= longest * 6.5
    assert all(chart["label_w"] <= row["x_lo"] <= row["x"] <= row["x_hi"] <= chart["w"] - 20 for row in chart["rows"])


def test_a_ratio_row_without_interval_or_note_renders_as_n_a():
    verdicts = {"groups": {"F": {"verdict": "pass"}, "M": {"verdict": "pass"}}}
    convention = {"convention": "impact ratio = group rate / reference group ('M') rate", "changed": [],
                  "reference": verdicts, "current": verdicts,
                  "ratio_change": {"F": {"reference": 0.9, "current": 0.85, "change": -0.05, "ci": None},
                                   "M": {"reference": 1.0, "current": 1.0, "change": 0.0, "ci": None,
                                         "note": "the highest group"}}}
    record = {"status": "pass", "reference": {"labels": {"sex": {"name": "Sex", "values": {"M": "men", "F": "women"}}}},
              "features": {"n_features": 0, "n_drifted": 0, "features": {}},
              "fairness": {"sex": {"groups": {}, "four_fifths": convention, "ll144": convention}}}
    page = render_drift_html(record)
    assert page.count("<td>n/a</td>") == 2 and page.count("n/a (the highest group)") == 2
    assert "reference group (&#39;men&#39;) rate" in page


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from([chr(code) for code in BIDI_CODES] + list("<>&'\"|*_`"))
                | st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40).map("".join))
def test_any_plain_name_is_shown_escaped_with_bidi_controls_visible(name):
    row = {"kind": "numeric", "test": "ks", "statistic": 0.5, "p_value": 0.001, "p_adjusted": 0.002, "effect": 0.5,
           "effect_ci": [0.4, 0.6], "wasserstein": 1.0, "psi": 0.3, "verdict": "drifted"}
    record = {"status": "warn", "reference": {"labels": {"x": {"name": name, "values": {}}}},
              "features": {"n_features": 1, "n_drifted": 1, "alpha": 0.05, "correction": "fdr_bh", "features": {"x": row}}}
    page = render_drift_html(record)
    assert f'<tr><th scope="row">{markupsafe.escape(isolate_bidi(name))}</th><td><code>x</code></td>' in page
    assert not any(chr(code) in page for code in BIDI_CODES)
    md = render_drift_markdown(record)
    assert f"| {markdown_cell(name, None)} | x |" in md
