"""Every clause of the drift summary, read back from the rendered HTML and Markdown, says what the record says.

A real drift run with planted changes (an input shifted for one group only, an ignored input shifted)
is rendered; the summary sentence is taken from the HTML and from the Markdown, cut into clauses, and
each clause is parsed back into numbers and words that are compared with the record: counts, the
direction of each change, the rounded values, "outside"/"within the range expected by chance"
against the interval, and the groups whose verdict changed. A clause no parser understands fails.
"""

import html as html_lib
import re

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import xai_audit as xa
from xai_audit.render.drift import Names, render_drift_html, render_drift_markdown

FEATURES = ["income", "debt", "noise"]
NUMBER = r"(-?\d+\.\d+(?:e-?\d+)?|n/a)"


def _frame(rng, n, *, income_drop_women=0.0, noise_shift=0.0):
    sex = rng.choice(["women", "men"], n)
    frame = pd.DataFrame({"income": rng.normal(0, 1, n) - income_drop_women * (sex == "women"),
                          "debt": rng.normal(0, 1, n), "noise": rng.normal(noise_shift, 1, n), "sex": sex,
                          "age": rng.choice(["under 25", "25 and over"], n, p=[0.3, 0.7])})
    logit = 1.5 * frame["income"] - 1.0 * frame["debt"] + 0.8
    frame["approved"] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return frame


@pytest.fixture(scope="module")
def record():
    rng = np.random.default_rng(11)
    train = _frame(rng, 3000)
    train["noise"] = 0.0
    model = LogisticRegression().fit(train[FEATURES], train["approved"])
    periods = [_frame(rng, 3000), _frame(rng, 3000, income_drop_women=0.9, noise_shift=1.0)]
    data = [xa.AuditDataset.from_frame(f, target="approved", positive_label=1, features=FEATURES,
                                       sensitive=["sex", "age"]) for f in periods]
    return xa.drift(model, *data, random_state=0, explain_rows=200, n_resamples=200).to_dict()


def _close(text, value):
    return text != "n/a" and value is not None and abs(float(text) - value) <= 5e-4 * max(1.0, abs(value))


def _moved(row):
    return row["ci"][0] > 0 or row["ci"][1] < 0


def _check_change(verb, before, after, chance, row):
    assert verb == ("rose" if row["change"] > 0 else "fell" if row["change"] < 0 else "stayed")
    assert _close(before, row["reference"]) and _close(after, row["current"])
    assert chance == ("outside" if _moved(row) else "within")


def check_clause(clause: str, record: dict) -> str:
    """Compare one clause with the record; return the name of the parser that read it."""
    table, explanations = record["features"], record["explanations"]
    if m := re.fullmatch(r"(\d+) of (\d+) inputs? changed", clause):
        assert (int(m[1]), int(m[2])) == (table["n_drifted"], table["n_features"])
        return "inputs"
    if m := re.fullmatch(r"the model relies on (\d+|none) of them", clause):
        assert (0 if m[1] == "none" else int(m[1])) == len(explanations["relied_on_and_moved"])
        return "reliance"
    if m := re.fullmatch(rf"the favourable-decision rate (rose|fell|stayed) from {NUMBER} to {NUMBER}, "
                         r"(outside|within) the range expected by chance", clause):
        _check_change(m[1], m[2], m[3], m[4], record["predictions"]["decision_rate"])
        return "decision rate"
    if m := re.fullmatch(rf"accuracy (rose|fell|stayed) from {NUMBER} to {NUMBER}, "
                         r"(outside|within) the range expected by chance", clause):
        _check_change(m[1], m[2], m[3], m[4], record["predictions"]["performance"]["accuracy"])
        return "accuracy"
    if m := re.fullmatch(rf"the selection rate for (.+) \((.+)\) (rose|fell|stayed) from {NUMBER} to {NUMBER}, "
                         r"(outside|within) the range expected by chance", clause):
        attribute, group = _keys(record, m[2], m[1])
        row = record["fairness"][attribute]["groups"][group]["selection_rate"]
        _check_change(m[3], m[4], m[5], m[6], row)
        # the group named is the one whose rate moved most among those whose interval excludes zero
        moved = [abs(r["selection_rate"]["change"]) for e in record["fairness"].values()
                 for g, r in e["groups"].items() if r["selection_rate"]["change"] is not None
                 and _moved(r["selection_rate"]) and g != "unknown"]
        assert abs(row["change"]) == max(moved)
        return "group rate"
    if m := re.fullmatch(r"the (four-fifths|Local Law 144) verdict changed for (.+?)( and \d+ more)?", clause):
        key = "four_fifths" if m[1] == "four-fifths" else "ll144"
        named = re.findall(r"([^,]+?) \(([^()]+)\) from (pass|fail) to (pass|fail)", m[2])
        plain = Names(record)
        expected = [(plain.group(a, g), plain.attribute(a), e[key]["reference"]["groups"][g]["verdict"], e[key]["current"]["groups"][g]["verdict"])
                    for a, e in record["fairness"].items() for g in e[key]["changed"]]
        assert [tuple(part.strip() for part in item) for item in named] == expected[:3]
        return "verdict change"
    raise AssertionError(f"no parser understands the clause {clause!r}")


def _keys(record: dict, attribute: str, group: str) -> tuple:
    """The record's attribute and group keys of the names a clause shows (intersections as "a × b", "g & h")."""
    plain = Names(record)
    return next((a, g) for a, e in record["fairness"].items() for g in e["groups"]
                if (plain.attribute(a), plain.group(a, g)) == (attribute, group))


def _clauses(sentence: str) -> list[str]:
    assert sentence.endswith(".")
    return sentence[:-1].split("; ")


def test_the_planted_changes_are_in_the_record(record):
    verdicts = {n: r["verdict"] for n, r in record["features"]["features"].items()}
    assert verdicts == {"income": "drifted", "debt": "stable", "noise": "drifted"}
    assert record["explanations"]["relied_on_and_moved"] == ["income"]
    assert record["explanations"]["ignored_and_moved"] == ["noise"]
    women = record["fairness"]["sex"]["groups"]["women"]["selection_rate"]
    assert women["ci"][1] < 0
    assert "women" in record["fairness"]["sex"]["four_fifths"]["changed"]
    assert "sex*age" in record["fairness"]


def test_every_clause_of_the_html_summary_says_what_the_record_says(record):
    page = render_drift_html(record)
    sentence = html_lib.unescape(re.search(r'<p class="verdict-text">(.*?)</p>', page, re.S)[1]).strip()
    read = [check_clause(clause, record) for clause in _clauses(sentence)]
    assert read[:2] == ["inputs", "reliance"]
    assert {"decision rate", "group rate", "verdict change"} <= set(read)
    assert "the four-fifths verdict changed for women (sex) from pass to fail" in sentence


def test_every_clause_of_the_markdown_summary_says_what_the_record_says(record):
    lines = render_drift_markdown(record).splitlines()
    assert lines[0] == f"## Drift: {record['status'].upper()}"
    for clause in _clauses(html_lib.unescape(lines[2])):  # names are Markdown-escaped (& as &amp;)
        check_clause(clause, record)


def test_the_input_paragraph_and_table_follow_the_record(record):
    page = html_lib.unescape(render_drift_html(record))
    table = record["features"]
    assert f"{table['n_drifted']} of {table['n_features']} inputs changed: their p-value, adjusted" in page
    for name, row in table["features"].items():
        cells = re.search(rf'<tr><th scope="row">{name}</th>(.*?)</tr>', page, re.S)[1]
        values = re.findall(r"<td[^>]*>(.*?)</td>", cells, re.S)
        assert _close(values[1], row["statistic"]) and _close(values[3], row["p_adjusted"])
        assert row["verdict"] in values[-1]


def test_the_parser_rejects_a_clause_that_contradicts_the_record(record):
    rate = record["predictions"]["decision_rate"]
    wrong = "rose" if rate["change"] < 0 else "fell"
    with pytest.raises(AssertionError):
        check_clause(f"the favourable-decision rate {wrong} from {rate['reference']:.3f} to {rate['current']:.3f}, "
                     f"{'outside' if _moved(rate) else 'within'} the range expected by chance", record)
    with pytest.raises(AssertionError, match="no parser"):
        check_clause("the model is fine", record)


def test_charts_have_legends_and_readable_text(record):
    page = render_drift_html(record)
    sizes = [float(s) for s in re.findall(r'font-size="([\d.]+)"', page)]
    assert sizes and min(sizes) >= 10
    chart = re.search(r'<svg[^>]*aria-label="Change of each input\'s mean absolute attribution.*?</svg>', page, re.S)[0]
    assert "interval excludes zero" in chart and "interval includes zero" in chart
    ticks = re.findall(r'<text class="tick" x="([\d.]+)"[^>]*>([^<]+)</text>', chart)
    assert len(ticks) >= 3 and any(float(label) == 0.0 for _, label in ticks)
    xs = [float(x) for x, _ in ticks]
    values = [float(label) for _, label in ticks]
    assert xs == sorted(xs) and values == sorted(values)
    panels = re.findall(r'aria-label="Distribution of ([^"]+) in the reference and current periods"', page)
    assert sorted(panels) == sorted(FEATURES)
    assert "reference</text>" in page and "current</text>" in page
