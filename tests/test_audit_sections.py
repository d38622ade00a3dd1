"""The audit's section hook: cheap sections reach a front end before the explainers run, each is the
record's own, and watching them changes nothing in the record."""

from __future__ import annotations

import json

import xai_audit as xa
from tests.conftest import FEATURES


def _audit(model, frame, **options):
    data = xa.AuditDataset.from_frame(frame, target="outcome", positive_label="repaid", sensitive=["sex"],
                                      features=FEATURES)
    return xa.Audit(explainers=["shap"], explain_rows=5, n_resamples=30, random_state=0, **options).run(model, data)


def test_cheap_sections_come_first_and_are_the_records_own(credit_gbm, credit_frame):
    seen = []
    steps = []
    result = _audit(credit_gbm, credit_frame, on_section=lambda name, section: seen.append((name, section)),
                    progress=lambda step, fraction: steps.append(step))
    names = [name for name, _ in seen]
    assert names.index("performance") < names.index("fairness") < names.index("explanations")
    assert names[:2] == ["performance", "fairness"]
    assert {"reasons", "recourse", "challenger"} <= set(names)
    last = {name: section for name, section in seen}
    assert last["performance"] is result.performance or last["performance"] == result.performance
    assert last["fairness"] == result.fairness
    assert "disparity_attribution" in last["fairness"]["sex"]      # the second call carries the attribution
    assert steps.index("Measuring fairness across groups") < steps.index("Explaining the model")


def test_watching_the_sections_changes_nothing_in_the_record(credit_gbm, credit_frame):
    def record(result):
        found = result.to_dict()
        found.pop("manifest")
        return json.dumps(found, sort_keys=True, default=str)

    watched = _audit(credit_gbm, credit_frame, on_section=lambda name, section: None)
    assert record(watched) == record(_audit(credit_gbm, credit_frame))
