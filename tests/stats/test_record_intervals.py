"""Every interval of a full audit record of the bundled German-credit model: contains its estimate,
and narrows when the policy asks for 90% instead of 95%."""

import copy
import dataclasses
from pathlib import Path

import pandas as pd
import pytest

import xai_audit as xa

SAMPLES = Path(__file__).resolve().parents[2] / "sample_models"


def intervals_of(record: dict):
    """Yield ``(path, estimate, [low, high])`` for every interval in the record, whatever its section."""
    performance = record.get("performance") or {}
    for metric, span in (performance.get("overall_ci") or {}).items():
        yield f"performance.{metric}", performance["overall"].get(metric), span
    for method, entry in (record.get("explanations") or {}).items():
        if isinstance(entry, dict):
            for feature, span in (entry.get("global_importance_ci") or {}).items():
                yield f"explanations.{method}.{feature}", entry["global_importance"].get(feature), span
    for name, table in (record.get("fairness") or {}).items():
        if not isinstance(table, dict):
            continue
        for group, entry in (table.get("groups") or {}).items():
            for metric, span in (entry.get("ci") or {}).items():
                yield f"fairness.{name}.groups.{group}.{metric}", entry.get(metric), span
        for kind in ("differences", "ratios"):
            for group, metrics in ((table.get(kind) or {}).get("values") or {}).items():
                for metric, cell in metrics.items():
                    yield f"fairness.{name}.{kind}.{group}.{metric}", cell["value"], cell["ci"]
        for group, entry in ((table.get("four_fifths") or {}).get("groups") or {}).items():
            yield f"fairness.{name}.four_fifths.{group}", entry.get("impact_ratio"), entry.get("ci")
        for metric, cell in ((table.get("between_groups") or {}).get("values") or {}).items():
            yield f"fairness.{name}.between_groups.{metric}", cell.get("difference"), cell.get("ci")
        summary = table.get("summary") or {}
        yield f"fairness.{name}.summary", None, summary.get("ci")


def german_credit_record(confidence: float) -> dict:
    frame = pd.read_csv(SAMPLES / "data" / "german_credit_test.csv")
    data = xa.AuditDataset.from_frame(frame, target="credit_risk", positive_label="good",
                                      sensitive=["sex", "age_group"])
    policy = xa.load_policy("default")
    settings = copy.deepcopy(policy.settings)
    settings.setdefault("audit", {})["confidence"] = confidence
    policy = dataclasses.replace(policy, settings=settings)
    model = xa.load_model(SAMPLES / "credit_gbm.skops")
    return xa.audit(model, data, policy=policy, random_state=0, explainers=["shap"], explain_rows=80,
                    n_resamples=300).to_dict()


@pytest.fixture(scope="module")
def records():
    return {level: german_credit_record(level) for level in (0.9, 0.95)}


def test_every_interval_in_the_record_contains_its_point_estimate(records):
    checked = 0
    for path, estimate, span in intervals_of(records[0.95]):
        if span is None or estimate is None:
            continue
        assert span[0] <= estimate <= span[1], (path, estimate, span)
        checked += 1
    assert checked > 250


def test_spreads_and_summaries_carry_no_interval(records):
    for path, _, span in intervals_of(records[0.95]):
        if ".between_groups." in path or path.endswith(".summary"):
            assert span is None, path


def test_a_90_percent_policy_narrows_every_interval_in_the_record(records):
    wide = {path: span for path, _, span in intervals_of(records[0.95]) if span is not None}
    narrow = {path: span for path, _, span in intervals_of(records[0.9]) if span is not None}
    common = set(wide) & set(narrow)
    assert len(common) > 250
    strictly = 0
    for path in common:
        (lo90, hi90), (lo95, hi95) = narrow[path], wide[path]
        assert hi90 - lo90 <= hi95 - lo95 + 1e-12, (path, narrow[path], wide[path])
        strictly += hi90 - lo90 < hi95 - lo95 - 1e-12
    assert strictly > 0.9 * len(common)
    assert any(path.startswith("performance.") for path in common)
    assert records[0.9]["performance"]["bootstrap"]["level"] == 0.9
    assert all(t["interval_method"]["level"] == 0.9 for t in records[0.9]["fairness"].values() if isinstance(t, dict))


def test_the_record_states_method_level_and_resamples_of_its_intervals(records):
    record = records[0.95]
    boot = record["performance"]["bootstrap"]
    assert boot["n_resamples"] == 300 and boot["level"] == 0.95 and "bootstrap" in boot["method"]
    for table in record["fairness"].values():
        method = table["interval_method"]
        assert method["level"] == 0.95 and method["n_resamples"] == 300
        assert method["confusion_metrics"]["differences"].startswith("Newcombe")
        assert method["row_metrics"]["n_resamples"] == 300
    xa.AuditResult.from_dict(record)  # the record follows the shipped schema


def test_a_schema_1_0_record_still_loads():
    import json

    record = json.loads((Path(__file__).resolve().parents[1] / "render" / "records" / "minimal.json").read_text())
    assert record["schema_version"] == "1.0"
    assert xa.AuditResult.from_dict(record).schema_version == "1.0"
