"""The app's readers of result sections, fed the library's real output (not hand-made dicts)."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from tests.app.apptest_support import APP
from tests.conftest import FEATURES, make_credit_frame, make_pipeline_model

sys.path.insert(0, str(APP.parent))
from audit_app import explain_views, fairness_views, image_views, names, threshold_views  # noqa: E402

from xai_audit import AuditDataset, load_model  # noqa: E402


@pytest.fixture(scope="module")
def credit():
    frame = make_credit_frame(240, seed=3)
    model = load_model(make_pipeline_model(frame))
    data = AuditDataset.from_frame(frame, target="outcome", positive_label="repaid", sensitive=["sex"],
                                   features=FEATURES)
    return model, data


def test_explanation_readers_understand_the_explanations_section(credit):
    explainers = pytest.importorskip("xai_audit.explainers")
    from xai_audit.adapters.pairing import align_classes

    model, data = credit
    section = explainers.explanations_section(align_classes(model, data), data, FEATURES, random_state=0,
                                              settings={"explainers": ["shap", "permutation"], "explain_rows": 8,
                                                        "background_rows": 20, "n_repeats": 2, "bootstrap": 20,
                                                        "permutation_rows": 100, "stability_rows": 4,
                                                        "faithfulness_rows": 8, "top_features": 2})
    explained = explain_views.methods(section)
    assert set(explained) == {"shap", "permutation"}
    importance = explain_views.importance_frame(explained["shap"])
    assert list(importance["feature"]) == list(explained["shap"]["global_importance"])
    assert importance["low"].notna().all()
    assert explain_views.quality_frame(explained["shap"]) is not None
    local = explain_views.local_rows(explained["shap"], FEATURES)
    assert local.shape == (8, len(FEATURES)) and list(local.index) == section["shap"]["local"]["rows"]
    feature = explain_views.curve_features(explained["shap"])[0]
    assert len(explain_views.dependence_frame(explained["shap"], feature)) == 8
    assert explain_views.pdp_frame(explained["shap"], feature) is not None
    assert explain_views.agreement_frame(section)["methods"].tolist() == ["shap vs permutation"]
    assert explain_views.ranks_frame(explained).shape[0] == len(FEATURES)


def test_fairness_readers_understand_the_fairness_layer(credit):
    from xai_audit.fairness import disparity_attribution, fairness_report, proxy_scan

    model, data = credit
    scores = model.predict_proba(data.frame[FEATURES])[:, 1]
    y_true = data.y_true_positive()
    report = fairness_report(y_true, (scores >= 0.5).astype(int), data.groups, scores=scores, n_resamples=30,
                             random_state=0)
    table = fairness_views.tables(report)["sex"]
    groups = fairness_views.groups_frame(table).set_index("group")
    assert set(groups.index) == {"female", "male"}
    for row in table.rows:   # every cell is the typed table's value and interval, by plain column name
        low, high = row.interval("selection_rate")
        assert groups.loc[row.group, "Selection rate"] == f"{row.value('selection_rate'):.3f} [{low:.3f}, {high:.3f}]"
        assert groups.loc[row.group, "n"] == row.n
    assert "tpr" not in groups.columns and "True positive rate (TPR)" in groups.columns
    compared = fairness_views.compare_frame(table, "selection_rate").set_index("group")
    other = next(row for row in table.rows if row.group != table.reference_group)
    assert compared["difference"].tolist().count("—") == 1
    assert compared.loc[other.group, "difference"].startswith(f"{other.difference('selection_rate').value:.3f}")
    assert compared.loc[other.group, "ratio"].startswith(f"{other.ratio('selection_rate').value:.3f}")
    four = fairness_views.four_fifths_frame(table).set_index("group")
    assert {g: float(four.loc[g, "selection rate"]) for g in four.index} == pytest.approx(
        {row.group: row.four_fifths.selection_rate for row in table.rows}, abs=5e-4)
    ll144 = fairness_views.ll144_frame(table)
    assert len(ll144) == len(report["sex"]["ll144"]["selection"]["categories"])
    assert fairness_views.summary_items(table)

    values = np.column_stack([scores - scores.mean(), np.zeros_like(scores)])
    report["sex"]["disparity_attribution"] = disparity_attribution(
        values, scores, data.groups, feature_names=["income", "debt"])["sex"]
    report["sex"]["proxies"] = proxy_scan(data.frame[FEATURES], data.groups, random_state=0)["sex"]
    part = fairness_views.attribution_part(report, "sex")
    labels = fairness_views.attribution_groups(part)
    assert labels == [label for label in ("female", "male") if label != part["reference_group"]]
    assert fairness_views.attribution_frame(part, labels[0])["feature"].tolist() == ["income", "debt"]
    frame, _ = fairness_views.proxies_frame(report, "sex")
    assert set(frame["feature"]) == set(FEATURES)


def test_intersection_heat_map_cells():
    from xai_audit.fairness import fairness_report

    rng = np.random.default_rng(0)
    groups = pd.DataFrame({"sex": rng.choice(["f", "m"], 400), "age": rng.choice(["young", "old"], 400)})
    report = fairness_report(rng.integers(0, 2, 400), rng.integers(0, 2, 400), groups, n_resamples=0)
    cells = fairness_views.heatmap_frame(fairness_views.tables(report)["sex*age"], "selection_rate")
    assert len(cells) == 4 and set(cells.columns) >= {"sex", "age", "selection_rate"}


def test_image_readers_understand_the_image_section():
    torch = pytest.importorskip("torch")
    pytest.importorskip("captum")
    from xai_audit.adapters.torch import TorchAdapter
    from xai_audit.explainers.images import image_section

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 3))
    model = TorchAdapter(net, task="multiclass", classes=[0, 1, 2], input_kind="image", device="cpu")
    data = AuditDataset.from_arrays(np.random.default_rng(0).random((6, 1, 4, 4)), [0, 1, 2, 0, 1, 2])
    section = {"images": image_section(model, data, np.arange(2), methods=["saliency"], random_state=0)}
    samples = image_views.samples(section)
    assert len(samples) == 2
    assert image_views.stored_maps(section, 0)["saliency"].shape == (4, 4)
    assert image_views.sanity_frame(section) is not None


@pytest.mark.parametrize("module", [names, fairness_views, threshold_views], ids=lambda m: m.__name__)
def test_the_examples_of_the_app_helpers_hold(module):
    """The suite collects doctests under xai_audit/ only: the app helpers' examples (plain names of a
    finding's subject, cards from a typed table, a curve's point at a cut-off) are run here."""
    import doctest

    outcome = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert outcome.attempted > 0 and outcome.failed == 0
