"""The drift report and command: the summary sentence follows the record; HTML is escaped and script-free; exit codes."""

import json
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import xai_audit as xa
from xai_audit.cli.main import main
from xai_audit.render.drift import explanation_chart, render_drift_html, render_drift_markdown, summary_sentence


def _record(n_features, n_drifted, relied, ref, cur, ci):
    return {"status": "warn", "findings": [],
            "features": {"n_features": n_features, "n_drifted": n_drifted, "features": {}},
            "explanations": {"relied_on_and_moved": [f"f{i}" for i in range(relied)]},
            "predictions": {"task": "binary"},
            "fairness": {"sex": {"groups": {"women": {"selection_rate": {
                "reference": ref, "current": cur, "change": cur - ref, "ci": ci,
                "n_reference": 100, "n_current": 100}}}}}}


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 40), st.data(), st.floats(0.05, 0.95), st.floats(0.05, 0.95), st.booleans())
def test_summary_sentence_follows_the_record(n_features, data, ref, cur, significant):
    n_drifted = data.draw(st.integers(2, n_features))
    relied = data.draw(st.integers(0, n_drifted))
    change = cur - ref
    # a significant change has an interval that excludes 0 (half its size either side); else one that spans 0
    ci = [change - abs(change) / 2, change + abs(change) / 2] if significant and change != 0 else [change - 1, change + 1]
    text = summary_sentence(_record(n_features, n_drifted, relied, ref, cur, ci))
    assert text.startswith(f"{n_drifted} of {n_features} inputs changed; ")
    assert f"the model relies on {relied or 'none'} of them" in text
    if significant and change != 0:
        verb = "rose" if change > 0 else "fell"
        assert f"the selection rate for women (sex) {verb} from {ref:.3f} to {cur:.3f}, outside the range expected by chance." in text
    else:
        assert text.endswith("no group's selection rate moved beyond the range expected by chance.")


def test_the_issue_example_sentence():
    record = _record(20, 3, 2, 0.71, 0.64, [-0.1, -0.04])
    assert summary_sentence(record) == ("3 of 20 inputs changed; the model relies on 2 of them; the selection rate "
                                        "for women (sex) fell from 0.710 to 0.640, outside the range expected by chance.")


def _period(rng, n, shift, name="x"):
    x = rng.normal(shift, 1, n)
    frame = pd.DataFrame({name: x, "z": rng.normal(size=n), "score": 1 / (1 + np.exp(-x))})
    frame["pred"] = (frame["score"] > 0.5).astype(int)
    return frame


def test_html_is_escaped_script_free_and_has_the_charts():
    rng = np.random.default_rng(0)
    evil = "<script>alert(1)</script>"
    data = [xa.AuditDataset.from_frame(_period(rng, 500, s, evil), predictions="pred", scores="score",
                                       features=[evil, "z"]) for s in (0.0, 1.0)]
    html = render_drift_html(xa.drift(None, *data, random_state=0).to_dict())
    assert "<script" not in html
    assert "&lt;script&gt;" in html
    assert html.count('aria-label="Distribution of') == 2  # one small multiple per input
    assert "1 of 2 inputs changed" in html


def test_explanation_chart_places_zero_and_intervals_in_order():
    record = {"explanations": {"features": {
        "a": {"ci": [-0.2, -0.1], "change": -0.15, "reference": 1, "current": 0.85, "rank_current": 1,
              "use_moved": True, "class": "stable"},
        "b": {"ci": [-0.05, 0.3], "change": 0.1, "reference": 0.1, "current": 0.2, "rank_current": 2,
              "use_moved": False, "class": "stable"}}}}
    chart = explanation_chart(record)
    a, b = chart["rows"]
    assert a["x_lo"] < a["x"] < a["x_hi"] < chart["zero"]
    assert b["x_lo"] < chart["zero"] < b["x"] < b["x_hi"]


def test_cli_exit_codes_and_outputs(tmp_path):
    rng = np.random.default_rng(1)
    paths = {}
    for name, shift in (("ref", 0.0), ("same", 0.0), ("moved", 1.0)):
        paths[name] = tmp_path / f"{name}.csv"
        _period(rng, 600, shift).to_csv(paths[name], index=False)
    common = ["drift", "--reference", str(paths["ref"]), "--predictions", "pred", "--scores", "score",
              "--features", "x,z", "--out", str(tmp_path / "out")]
    assert main(common + ["--current", str(paths["same"]), "--format", "json"]) == 0
    assert main(common + ["--current", str(paths["moved"]), "--format", "json,md,html",
                          "--junit", str(tmp_path / "j.xml")]) == 1
    record = json.loads((tmp_path / "out" / "drift.json").read_text())
    assert record["kind"] == "drift" and record["status"] == "fail"
    assert (tmp_path / "out" / "drift.md").read_text().startswith("## Drift: FAIL")
    assert re.search(r'failures="[1-9]', (tmp_path / "j.xml").read_text())
    assert main(common + ["--current", str(paths["moved"]), "--format", "pdf"]) == 2
    assert main(["drift", "--reference", str(paths["ref"]), "--current", str(paths["moved"])]) == 2


def test_markdown_escapes_pipes():
    record = {"status": "fail", "findings": [{"status": "fail", "message": "a | b"}],
              "features": {"n_features": 1, "n_drifted": 0, "features": {}}}
    assert "a \\| b" in render_drift_markdown(record)


@pytest.mark.parametrize("name", ["drift", "DriftResult"])
def test_public_names(name):
    assert name in xa.__all__ and getattr(xa, name) is not None
    import xai_audit.drift  # noqa: F401  (importing the package keeps xa.drift the function)

    assert callable(xa.drift) and not isinstance(xa.drift, type(json))


def test_the_drift_record_follows_its_shipped_schema():
    from importlib import resources

    import jsonschema

    schema = json.loads(resources.files("xai_audit.schemas").joinpath("drift_result.schema.json").read_text())
    rng = np.random.default_rng(3)
    data = [xa.AuditDataset.from_frame(_period(rng, 300, s), predictions="pred", scores="score", features=["x", "z"])
            for s in (0.0, 0.5)]
    record = json.loads(xa.drift(None, *data, random_state=0).to_json())
    jsonschema.validate(record, schema)
    record["features"]["features"]["x"]["verdict"] = "moved"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(record, schema)
