"""A record from summaries says in its report how its performance and fairness numbers were computed
(counts and score histograms merged from parts, the AUC bound) and which sections summaries cannot give,
and renders as HTML, Markdown and PDF."""

from __future__ import annotations

import html
import re

import numpy as np
import pandas as pd
import pytest

from xai_audit.render.sections.summary_basis import basis_sentence
from xai_audit.scale import audit_from_summary
from xai_audit.summaries import merge, summarize


def _site(seed: int, n: int):
    rng = np.random.default_rng(seed)
    groups = pd.DataFrame({"sex": rng.choice(["f", "m"], n), "age": rng.choice(["young", "old"], n)})
    scores = rng.random(n)
    y_true = (rng.random(n) < scores).astype(int)
    return summarize(y_true, (scores > 0.5).astype(int), groups, scores=scores, site={"name": f"site {seed}"})


@pytest.fixture(scope="module")
def federated():
    return audit_from_summary(merge(*(_site(seed, n) for seed, n in ((1, 400), (2, 700), (3, 300)))),
                              n_resamples=30, random_state=0)


def _text(markup: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", markup)))


def test_the_html_report_says_the_numbers_come_from_merged_summaries(federated):
    text = _text(federated.to_html())
    bound = federated.performance["overall"]["roc_auc_error_bound"]
    assert 0 < bound < 1e-3
    expected = ("Computed from per-group counts and 4,096-bin score histograms of 1,400 rows, merged from 3 sites, "
                "not from the rows themselves; ROC AUC within")
    # Once under the overall performance table, once under each fairness table (2 attributes, 1 pair).
    assert text.count(expected) == 4
    assert "Not available from summaries (they need rows): explanations, reasons" in text
    assert "computed from by" not in text.lower()  # the basis is a sentence, not a generic table


def test_the_auc_bound_in_the_sentence_is_the_records_own():
    data = {"n_rows": 10, "summary_basis": {"parts": 2, "part_kind": "partition", "score_bins": 4096}}
    sentence = basis_sentence(data, {"computed_from": "summaries"}, 0.000123)
    # A bound is rounded up, never understated.
    assert sentence.endswith("ROC AUC within 0.00013 of the exact value.") and "merged from 2 partitions" in sentence
    assert "score histograms" not in basis_sentence({**data, "summary_basis": {"parts": 2}}, {"computed_from": "x"})


def test_a_record_from_rows_gets_no_basis_sentence(federated):
    assert basis_sentence(federated.data, {}) == ""


def test_a_record_from_summaries_renders_as_markdown_and_pdf(federated, tmp_path):
    markdown = federated.save_markdown(tmp_path / "r.md").read_text()
    assert federated.status.upper() in markdown.upper() or federated.status in markdown
    pytest.importorskip("weasyprint")
    pypdf = pytest.importorskip("pypdf")
    import io

    content = federated.to_pdf()
    assert content.startswith(b"%PDF")
    text = " ".join((page.extract_text() or "") for page in pypdf.PdfReader(io.BytesIO(content)).pages)
    assert "merged from 3 sites" in re.sub(r"\s+", " ", text)
