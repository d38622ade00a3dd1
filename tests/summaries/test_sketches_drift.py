"""Drift from summaries: feature sketches merge by summing on shared edges, the χ² test on their counts
equals scipy's, a planted shift is found and halves of one data set are not flagged beyond chance,
and ``xai-audit drift --reference-summaries … --current-summaries …`` runs end to end."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from xai_audit.cli import main
from xai_audit.exceptions import InvalidInputError
from xai_audit.summaries import load_summary, merge, summarize, summary_from_dict, summary_to_dict
from xai_audit.summaries.drift import drift_from_summaries
from xai_audit.summaries.sketches import feature_sketches, sketch_edges

KINDS = {"region": "categorical"}


def _features(seed: int, n: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"income": rng.normal(shift, 1, n), "debt": rng.exponential(1, n),
                         "age": rng.integers(18, 80, n).astype(float),
                         "region": rng.choice(["north", "south", "east"], n, p=[0.5, 0.3, 0.2])})


def _summary(frame: pd.DataFrame, edges=None):
    n = len(frame)
    bare = summarize(np.zeros(n, dtype=int), np.zeros(n, dtype=int), pd.DataFrame({"g": ["a"] * n}))
    return replace(bare, sketches=feature_sketches(frame, KINDS, edges=edges))


def test_a_planted_shift_in_one_feature_is_found_and_only_there():
    reference = _summary(_features(0, 4000))
    current = _summary(_features(1, 4000, shift=0.3), edges=sketch_edges(reference.sketches))
    table = drift_from_summaries(reference, current)
    verdicts = {name: row["verdict"] for name, row in table["features"].items()}
    assert verdicts == {"income": "drifted", "debt": "stable", "age": "stable", "region": "stable"}
    assert table["n_drifted"] == 1 and table["share_drifted"] == pytest.approx(0.25)
    assert table["features"]["income"]["psi"] > table["features"]["debt"]["psi"]
    rows = list(table["features"].values())
    expected = stats.false_discovery_control([row["p_value"] for row in rows], method="bh")
    np.testing.assert_allclose([row["p_adjusted"] for row in rows], expected, rtol=1e-12)
    assert reference.sketches["income"]["edges_from"] == "data quantiles"
    assert current.sketches["income"]["edges_from"] == "reference summary"


@pytest.mark.parametrize("seed", [3, 4, 5, 6, 7])
def test_halves_of_one_data_set_are_not_flagged(seed):
    frame = _features(seed, 4000)
    reference = _summary(frame.iloc[::2])
    current = _summary(frame.iloc[1::2], edges=sketch_edges(reference.sketches))
    table = drift_from_summaries(reference, current)
    assert table["n_drifted"] == 0, {n: r["p_adjusted"] for n, r in table["features"].items()}
    assert max(row["psi"] for row in table["features"].values()) < 0.02


def test_chi2_p_values_equal_scipy_on_the_same_table():
    reference = _summary(_features(8, 900))
    current = _summary(_features(9, 700, shift=0.1), edges=sketch_edges(reference.sketches))
    table = drift_from_summaries(reference, current, correction="none")
    for name, row in table["features"].items():
        counts = np.array([row["counts_reference"], row["counts_current"]])
        expected = stats.chi2_contingency(counts)
        assert row["statistic"] == pytest.approx(expected.statistic, rel=1e-12)
        assert row["p_value"] == pytest.approx(expected.pvalue, rel=1e-12)
        assert row["p_adjusted"] == row["p_value"]
        assert (row["n_reference"], row["n_current"]) == (900, 700)


def test_three_partitions_merge_to_the_whole_and_different_edges_are_refused():
    frame = _features(10, 3000)
    frame.loc[::50, "income"] = np.nan
    whole = _summary(frame)
    edges = sketch_edges(whole.sketches)
    parts = [_summary(frame.iloc[a:b], edges=edges) for a, b in ((0, 500), (500, 2100), (2100, 3000))]
    merged = merge(*parts)
    for name, sketch in whole.sketches.items():
        assert merged.sketches[name]["counts"] == sketch["counts"], name
    assert merged.sketches["income"]["missing"] == whole.sketches["income"]["missing"] == 60
    own_edges = _summary(frame.iloc[:500])
    with pytest.raises(InvalidInputError, match="different edges.*--bins-from"):
        merge(parts[1], own_edges)


def test_files_keep_sketches_follow_the_schema_and_older_files_without_them_still_load(tmp_path):
    import importlib.resources

    import jsonschema

    summary = _summary(_features(11, 300))
    document = json.loads(json.dumps(summary_to_dict(summary)))
    schema = json.loads(importlib.resources.files("xai_audit.schemas").joinpath("summary.schema.json").read_text())
    jsonschema.validate(document, schema)
    assert summary_from_dict(document).sketches == summary.sketches
    broken = json.loads(json.dumps(document))
    broken["sketches"]["income"]["counts"].pop()
    with pytest.raises(InvalidInputError, match="one more count than edges"):
        summary_from_dict(broken)
    document.pop("sketches")
    document["schema_version"] = "1.0"
    old = summary_from_dict(document)
    assert old.sketches is None
    with pytest.raises(InvalidInputError, match="no feature sketches"):
        drift_from_summaries(old, summary)


def test_the_command_summarizes_and_compares_with_exit_codes(tmp_path, capsys):
    rng = np.random.default_rng(12)
    paths = {}
    for name, seed, shift in (("ref", 13, 0.0), ("same_a", 14, 0.0), ("same_b", 15, 0.0), ("moved", 16, 1.0)):
        frame = _features(seed, 1500, shift)
        frame["approved"] = rng.choice(["yes", "no"], len(frame))
        frame["decision"] = rng.choice(["yes", "no"], len(frame))
        frame["sex"] = rng.choice(["f", "m"], len(frame))
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
        paths[name] = tmp_path / f"{name}.json"
        extra = [] if name == "ref" else ["--bins-from", str(paths["ref"])]
        assert main(["summarize", "--data", str(tmp_path / f"{name}.csv"), "--target", "approved",
                     "--positive-label", "yes", "--predictions", "decision", "--sensitive", "sex", "--features",
                     "income,debt,age,region", "--out", str(paths[name]), *extra]) == 0
    assert load_summary(paths["moved"]).sketches["income"]["edges_from"] == "reference summary"
    same = main(["drift", "--reference-summaries", str(paths["ref"]), "--current-summaries", str(paths["same_a"]),
                 str(paths["same_b"]), "--out", str(tmp_path / "same"), "--format", "json,md,html"])
    assert same == 0
    record = json.loads((tmp_path / "same" / "drift.json").read_text())
    assert record["current"]["n_rows"] == 3000 and record["features"]["n_drifted"] == 0
    assert "need rows" in (tmp_path / "same" / "drift.md").read_text()
    moved = main(["drift", "--reference-summaries", str(paths["ref"]), "--current-summaries", str(paths["moved"]),
                  "--out", str(tmp_path / "moved"), "--format", "json"])
    assert moved == 1
    record = json.loads((tmp_path / "moved" / "drift.json").read_text())
    assert record["status"] == "fail" and record["features"]["features"]["income"]["verdict"] == "drifted"
    assert {f["id"] for f in record["findings"]} == {"drift.share_drifted", "drift.psi"}
    own = tmp_path / "own.json"
    assert main(["summarize", "--data", str(tmp_path / "moved.csv"), "--target", "approved", "--positive-label",
                 "yes", "--predictions", "decision", "--sensitive", "sex", "--features", "income,debt,age,region", "--out", str(own)]) == 0
    assert main(["drift", "--reference-summaries", str(paths["ref"]), "--current-summaries", str(own)]) == 2
    assert "different edges" in capsys.readouterr().err
    assert main(["drift", "--reference-summaries", str(paths["ref"])]) == 2


def test_the_html_page_escapes_feature_names():
    from xai_audit.cli.drift_summaries import markdown, page

    frame = _features(17, 400).rename(columns={"income": "<script>x</script>"})
    reference = _summary(frame)
    table = drift_from_summaries(reference, _summary(frame, edges=sketch_edges(reference.sketches)))
    record = {"status": "pass", "findings": [], "features": table,
              "reference": {"n_rows": 400}, "current": {"n_rows": 400}}
    assert "<script>" not in page(record) and "&lt;script&gt;" in page(record)
    assert "0 of 4 inputs changed distribution" in markdown(record)


def test_min_cell_pools_rare_categories_in_the_written_sketches(tmp_path):
    from xai_audit.summaries.sketches import POOLED

    rng = np.random.default_rng(21)
    frame = pd.DataFrame({"income": rng.normal(size=400),
                          "region": ["north"] * 300 + ["south"] * 95 + ["isle"] * 3 + ["fen"] * 2})
    frame["approved"] = rng.choice(["yes", "no"], len(frame))
    frame["decision"] = rng.choice(["yes", "no"], len(frame))
    frame["sex"] = rng.choice(["f", "m"], len(frame))
    frame.to_csv(tmp_path / "site.csv", index=False)
    args = ["summarize", "--data", str(tmp_path / "site.csv"), "--target", "approved", "--positive-label", "yes",
            "--predictions", "decision", "--sensitive", "sex", "--features", "income,region"]
    assert main([*args, "--out", str(tmp_path / "open.json")]) == 0
    assert main([*args, "--out", str(tmp_path / "pooled.json"), "--min-cell", "5"]) == 0
    assert load_summary(tmp_path / "open.json").sketches["region"]["counts"]["isle"] == 3
    pooled = load_summary(tmp_path / "pooled.json").sketches["region"]["counts"]
    assert pooled == {"north": 300, "south": 95, POOLED: 5}
    assert "isle" not in (tmp_path / "pooled.json").read_text()
