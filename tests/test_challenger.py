"""The glass-box challenger: its metrics, the paired bootstrap, the finding, and the audit's train= option."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score

import xai_audit as xa
from xai_audit import challenger as ch
from xai_audit.exceptions import InvalidInputError, MissingDependencyError

interpret = pytest.importorskip("interpret.glassbox", reason="the EBM challenger needs the glassbox extra")

FEATURES = ["income", "debt", "purpose", "age"]


@pytest.fixture(scope="module")
def split(credit_frame):
    train, audit = credit_frame.iloc[:250].reset_index(drop=True), credit_frame.iloc[250:].reset_index(drop=True)
    kw = dict(target="outcome", positive_label="repaid", sensitive=["sex"], features=FEATURES)
    return xa.AuditDataset.from_frame(train, **kw), xa.AuditDataset.from_frame(audit, **kw)


def run(model, audit, train=None, **settings_):
    adapter = xa.load_model(model)
    adapter.positive_class = "repaid"
    X = audit.frame[FEATURES]
    return adapter, ch.challenger_section(
        adapter, audit, FEATURES, proba_positive=adapter.output(X), decisions=adapter.predict(X), train=train,
        settings=settings_ or None, random_state=0, n_resamples=200)


def test_ebm_auc_is_sklearns_on_the_ebms_own_predictions(split, credit_gbm):
    train, audit = split
    _, section = run(credit_gbm, audit, train=train)
    assert section["training"] == {"source": "training data", "n_rows": 250, "sha256": train.sha256,
                                   "description": "fitted on the 250 rows of the training data given with the audit"}
    ebm = interpret.ExplainableBoostingClassifier(random_state=0, **ch.EBM_SETTINGS)
    ebm.fit(ch._frame(train.frame, FEATURES, train.feature_kinds), train.y_true_positive())
    own = ebm.predict_proba(ch._frame(audit.frame, FEATURES, audit.feature_kinds))[:, 1]
    assert section["models"]["ebm"]["roc_auc"] == pytest.approx(roc_auc_score(audit.y_true_positive(), own), abs=1e-12)
    gbm_auc = roc_auc_score(audit.y_true_positive(), xa.load_model(credit_gbm).predict_proba(audit.frame[FEATURES])[:, 1])
    assert section["models"]["audited"]["roc_auc"] == pytest.approx(gbm_auc)
    for name in ("logistic", "ebm"):
        entry = section["models"][name]
        for metric in ch.METRICS:
            assert entry["difference"][metric] == pytest.approx(entry[metric] - section["models"]["audited"][metric])
            low, high = entry["ci"][metric]
            assert low <= high
    assert set(section["shapes"]) <= set(FEATURES) and section["shapes"]
    best = max(("logistic", "ebm"), key=lambda n: section["models"][n]["roc_auc"])
    assert section["best_interpretable"] == best
    assert section["auc_advantage"] == pytest.approx(gbm_auc - section["models"][best]["roc_auc"])
    low, high = section["auc_advantage_ci"]
    assert low <= section["auc_advantage"] <= high


def test_an_audited_ebm_is_matched_exactly_by_its_challenger(split):
    """Fidelity 1: the EBM challenger fitted on the same data with the same settings is the audited model."""
    train, audit = split
    ebm = interpret.ExplainableBoostingClassifier(random_state=0, **ch.EBM_SETTINGS)
    ebm.fit(ch._frame(train.frame, FEATURES, train.feature_kinds), np.where(train.y_true_positive() == 1, "repaid", "default"))
    adapter = xa.load_model(ebm)
    adapter.positive_class = "repaid"
    X = ch._frame(audit.frame, FEATURES, audit.feature_kinds)
    section = ch.challenger_section(adapter, audit, FEATURES, proba_positive=adapter.output(X),
                                    decisions=adapter.predict(X), train=train, settings={"models": ["ebm"]},
                                    random_state=0, n_resamples=100)
    assert section["models"]["ebm"]["difference"] == {m: 0.0 for m in ch.METRICS}
    assert section["models"]["ebm"]["ci"]["roc_auc"] == [0.0, 0.0]
    groups = section["fairness"]["sex"]["groups"]
    assert all(g["ebm"] == g["audited"] for g in groups.values())
    shape = next(iter(section["shapes"].values()))
    np.testing.assert_allclose(shape["ebm"], shape["audited"], atol=1e-9)  # its shape is its partial dependence


def test_a_logistic_audited_model_draws_the_consider_it_finding(split):
    train, audit = split
    X = ch._frame(train.frame, FEATURES, train.feature_kinds)
    logistic = ch._factory("logistic", X, 0)().fit(X, np.where(train.y_true_positive() == 1, "repaid", "default"))
    result = xa.audit(logistic, audit, explainers=[], n_resamples=100, random_state=0, train=train,
                      policy={"extends": "default", "challenger": {"models": ["logistic"]}})
    assert result.challenger["auc_advantage"] == pytest.approx(0.0, abs=1e-12)
    finding = next(f for f in result.findings if f.check == "challenger")
    assert finding.status == "warn" and "an interpretable model is within 0.010 AUC: consider it" in finding.message


def test_cross_fitting_without_training_data_and_a_missing_extra(split, credit_gbm, monkeypatch):
    _, audit = split

    def missing(module, *, extra, purpose):
        raise MissingDependencyError(f"{purpose} needs interpret; pip install 'xai-audit[{extra}]'")

    monkeypatch.setattr(ch, "require", missing)
    _, section = run(credit_gbm, audit, folds=4)
    assert section["training"]["source"] == "cross-fitting" and section["training"]["folds"] == 4
    assert "glassbox" in section["unavailable"]["ebm"] and "ebm" not in section["models"]
    assert "shapes" not in section


def test_fairness_side_by_side_counts_each_models_decisions(split, credit_gbm):
    _, audit = split
    adapter, section = run(credit_gbm, audit, models=["logistic"])
    decided = adapter.predict(audit.frame[FEATURES]) == "repaid"
    y = audit.y_true_positive()
    assert set(section["fairness"]["sex"]["groups"]) == set(audit.groups["sex"])
    for group, entry in section["fairness"]["sex"]["groups"].items():
        rows = audit.groups["sex"].to_numpy() == group
        assert entry["n"] == rows.sum()
        assert entry["audited"]["selection_rate"] == pytest.approx(decided[rows].mean())
        assert entry["audited"]["tpr"] == pytest.approx(decided[rows & (y == 1)].mean())
        assert entry["audited"]["fpr"] == pytest.approx(decided[rows & (y == 0)].mean())


def test_training_data_is_checked(split, credit_gbm, credit_frame):
    _, audit = split
    other = xa.AuditDataset.from_frame(credit_frame.drop(columns=["debt"]), target="outcome", positive_label="repaid")
    with pytest.raises(InvalidInputError, match=r"lacks the model's input columns \['debt'\]"):
        run(credit_gbm, audit, train=other)
    flipped = xa.AuditDataset.from_frame(credit_frame, target="outcome", positive_label="default")
    with pytest.raises(InvalidInputError, match="give both the same target and positive_label"):
        run(credit_gbm, audit, train=flipped)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(5, 60), seed=st.integers(0, 10_000), ties=st.booleans())
def test_weighted_auc_is_the_auc_of_the_repeated_rows(n, seed, ties):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    y[:2] = [0, 1]
    p = rng.integers(0, 4, n) / 4 if ties else rng.random(n)
    weights = rng.integers(0, 4, size=(3, n))
    weights[:, :2] = 1
    got = ch.weighted_auc(y, p, weights)
    for k in range(3):
        assert got[k] == pytest.approx(roc_auc_score(np.repeat(y, weights[k]), np.repeat(p, weights[k])))


def test_report_shows_the_challengers_beside_the_audited_model(split, credit_gbm):
    from xai_audit.render.html import render_section

    train, audit = split
    result = xa.audit(credit_gbm, audit, explainers=[], n_resamples=50, random_state=0, train=train,
                      policy={"extends": "default", "audit": {"reason_cases": 2}})
    record = xa.AuditResult.from_dict(result.to_dict()).to_dict()
    html = render_section(record, "challenger", charts=False)
    assert "Explainable Boosting Machine" in html and "Logistic regression" in html
    advantage = record["challenger"]["auc_advantage"]
    assert f"by {abs(advantage):.3f}" in html
    for feature in record["challenger"]["shapes"]:
        assert f"{feature}: EBM shape function" in html
    finding = next(f for f in result.findings if f.check == "challenger")
    assert finding.observed == pytest.approx(advantage)
    assert 'id="challenger-findings"' in html or "challenger.auc_advantage" in html
