"""The typed fairness group table: it reads every table a record holds and gives back exactly that dict,
and its fields say what the dict says."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xai_audit.fairness import fairness_report
from xai_audit.fairness.table import GroupTable, group_tables

ROOT = Path(__file__).resolve().parents[1]
RECORDS = sorted((ROOT / "render" / "records").glob("*.json")) + [ROOT / "data" / "records" / "full_schema_1_0.json"]


@pytest.mark.parametrize("path", RECORDS, ids=lambda p: p.name)
def test_every_record_table_round_trips_exactly(path):
    fairness = json.loads(path.read_text()).get("fairness") or {}
    tables = group_tables(fairness)
    for name, table in tables.items():
        assert table.to_dict() == fairness[name]
        assert json.dumps(table.to_dict(), sort_keys=True) == json.dumps(fairness[name], sort_keys=True)


def test_the_legacy_record_is_read_into_rows():
    fairness = json.loads(RECORDS[-1].read_text())["fairness"]
    tables = group_tables(fairness)
    assert set(tables) == {"sex", "age_group", "sex*age_group"}  # section-level proxies are not a table
    sex = tables["sex"]
    female = sex.row("female")
    raw = fairness["sex"]
    assert female.n == raw["groups"]["female"]["n"]
    assert female.value("tpr") == raw["groups"]["female"]["tpr"]
    assert female.difference("tpr").value == raw["differences"]["values"]["female"]["tpr"]["value"]
    assert list(female.difference("tpr").ci) == raw["differences"]["values"]["female"]["tpr"]["ci"]
    assert sex.level() == 0.95  # schema 1.0 has no interval_method


def _report(n_groups, size, task, scores, n_resamples, seed):
    rng = np.random.default_rng(seed)
    n = n_groups * size
    groups = pd.DataFrame({"g": np.repeat([f"g{i}" for i in range(n_groups)], size),
                           "h": rng.choice(["a", "b"], n)})
    if task == "binary":
        y_true, y_pred = rng.integers(0, 2, n), rng.integers(0, 2, n)
        probabilities = rng.uniform(size=n) if scores else None
    else:
        y_true, y_pred, probabilities = rng.normal(size=n), rng.normal(size=n), None
    return fairness_report(y_true, y_pred, groups, scores=probabilities, task=task, n_resamples=n_resamples,
                           min_group_size=10, random_state=seed)


@settings(max_examples=15, deadline=None)
@given(n_groups=st.integers(1, 4), size=st.integers(3, 40), task=st.sampled_from(["binary", "regression"]),
       scores=st.booleans(), n_resamples=st.sampled_from([0, 20]), seed=st.integers(0, 1000))
def test_fresh_tables_round_trip_and_rows_match_the_dict(n_groups, size, task, scores, n_resamples, seed):
    report = _report(n_groups, size, task, scores, n_resamples, seed)
    for name, table in group_tables(report).items():
        raw = report[name]
        assert table.to_dict() == raw
        assert table.reference_group == raw["reference_group"]
        assert table.groups == tuple(raw["groups"])
        for row in table.rows:
            assert row.n == raw["groups"][row.group]["n"]
            assert row.value("selection_rate") == raw["groups"][row.group].get("selection_rate")
            if row.group == table.reference_group:
                assert row.differences is None and row.ratios is None
            else:
                for metric, entry in raw["differences"]["values"][row.group].items():
                    assert row.difference(metric).value == entry["value"]
        assert table.has_four_fifths == (task == "binary")


def test_the_table_is_frozen_and_to_dict_is_a_copy():
    report = _report(2, 30, "binary", False, 0, 0)
    table = GroupTable.from_dict("g", report["g"])
    with pytest.raises(AttributeError):
        table.reference_group = "other"
    with pytest.raises(TypeError):
        table.rows[0].metrics["selection_rate"] = 1.0
    copy = table.to_dict()
    copy["summary"]["groups_compared"].append("x")
    assert "x" not in table.to_dict()["summary"]["groups_compared"]


def test_a_dropped_group_would_not_round_trip():
    """The equality the round trip rests on can fail: a table missing a group differs from the record."""
    report = _report(3, 30, "binary", False, 0, 1)
    table = GroupTable.from_dict("g", report["g"])
    fewer = GroupTable.from_dict("g", {**report["g"], "groups": dict(list(report["g"]["groups"].items())[:2])})
    assert fewer.to_dict() != table.to_dict()


def test_a_result_reads_its_tables_through_the_public_accessor():
    from xai_audit.result import AuditResult

    record = json.loads(RECORDS[0].read_text())
    result = AuditResult.from_dict(record)
    tables = result.fairness_tables()
    assert set(tables) == {name for name, table in record["fairness"].items() if "groups" in table}
    assert all(table.to_dict() == record["fairness"][name] for name, table in tables.items())
