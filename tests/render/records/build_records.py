"""Rebuild the fixed audit records the golden-file tests render.

    .venv/bin/python tests/render/records/build_records.py

The fairness part of ``full.json`` (its tables, disparity attribution and proxy scan) comes from the
real ``fairness_report``, ``disparity_attribution`` and ``proxy_scan`` on a small seeded sample; the
findings and the status of every record come from the real checks (``evaluate`` with the bundled
default policy, recorded in the manifest); the rest is written out here. The records are committed as
JSON, and ``tests/render/test_records.py`` rebuilds them and compares, so a record edited by hand (a
wrong TPR, a finding that its numbers do not support) fails.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd

from xai_audit.checks import evaluate, overall_status
from xai_audit.fairness import disparity_attribution, fairness_report, proxy_scan
from xai_audit.performance import decision_curves
from xai_audit.policy import load_policy

HERE = Path(__file__).parent
FEATURES = ["income", "debt", "purpose", "age"]
MANIFEST = {
    "tool": "xai-audit", "tool_version": "0.1.0", "python": "3.11.7", "platform": "Linux-x86_64",
    "packages": {"numpy": "2.0.0", "scikit-learn": "1.5.0", "shap": "0.46.0"}, "random_state": 0,
    "created_at": "2026-01-15T09:30:00+00:00", "model_sha256": "ab" * 32, "data_sha256": "cd" * 32,
    "config": {"policy": load_policy("default").to_dict(),
               "explainers": None, "explain_rows": None, "n_resamples": 50},
}


def full_record() -> dict:
    rng = np.random.default_rng(7)
    n = 200
    sex = rng.choice(["female", "male"], n, p=[0.4, 0.6])
    age = np.where(rng.random(n) < 0.2, "< 25", ">= 25")
    y_true = (rng.random(n) < 0.65).astype(int)
    score = np.clip(0.35 + 0.4 * y_true + 0.1 * (sex == "male") - 0.1 * (age == "< 25") + rng.normal(0, 0.15, n), 0, 1)
    y_pred = (score >= 0.5).astype(int)
    # The ROC curve and confusion matrix, and the headline metrics they must agree with, from the same rows.
    labels = np.array(["bad", "good"], dtype=object)
    decisions = json.loads(json.dumps(decision_curves(labels[y_true], labels[y_pred], np.column_stack([1 - score, score]),
                                                      ["bad", "good"], 1, "binary")))
    headline = {"accuracy": round(float(np.mean(y_true == y_pred)), 4),
                "balanced_accuracy": round(float(np.mean([np.mean(y_pred[y_true == c] == c) for c in (0, 1)])), 4),
                "roc_auc": round(decisions["roc"][0]["auc"], 4)}
    groups = pd.DataFrame({"sex": sex, "age_group": age})
    fairness = fairness_report(y_true, y_pred, groups, scores=score, n_resamples=50, random_state=0)
    fairness = json.loads(json.dumps(fairness))
    frame = pd.DataFrame({"income": rng.normal(50, 15, n).round(1) + 8 * (sex == "male"),
                          "debt": rng.gamma(2.0, 5.0, n).round(2),
                          "purpose": np.where(sex == "male", rng.choice(["car", "house"], n), rng.choice(["car", "other"], n)),
                          "age": rng.integers(18, 70, n)})
    attributions = np.column_stack([0.004 * (frame["income"] - 50), -0.003 * (frame["debt"] - 10),
                                    0.05 * (frame["purpose"] == "house"), np.zeros(n)])
    output = attributions.sum(axis=1) + 0.6
    explained = np.arange(0, n, 4)  # attributions on a quarter of the rows, the full data's output beside them
    split = disparity_attribution(attributions[explained], output[explained], groups[["sex"]].iloc[explained],
                                  feature_names=FEATURES, population=(output, groups[["sex"]]))
    for name, table in json.loads(json.dumps(split)).items():
        fairness[name]["disparity_attribution"] = {**table, "output_space": "log_odds",
                                                   "rows_selection": f"a seeded sample of {len(explained)} rows"}
    for name, table in json.loads(json.dumps(proxy_scan(frame, groups, random_state=0))).items():
        fairness[name]["proxies"] = table
    importance = {"income": 0.21, "debt": 0.12, "purpose": 0.05, "age": 0.01}
    local = {"rows": [3, 17], "feature_names": FEATURES,
             "values": [[-0.20, 0.05, 0.01, 0.00], [0.10, -0.15, 0.03, -0.01]],
             "base_values": [0.65, 0.65], "output": [0.51, 0.62],
             "data": [[22.5, 14.0, "car", 31], [61.0, 30.5, "house", 45]]}
    return judged({
        "schema_version": "1.2",
        "model": {"name": "credit-gbm", "framework": "sklearn", "task": "binary", "classes": ["bad", "good"],
                  "positive_class": "good", "features": FEATURES, "input_kind": "tabular", "sha256": "ab" * 32},
        "data": {"n_rows": n, "sha256": "cd" * 32, "source": "credit_sample.csv", "target": "outcome",
                 "positive_label": "good", "task": "binary", "classes": ["bad", "good"], "features": FEATURES,
                 "feature_kinds": {"income": "numeric", "debt": "numeric", "purpose": "categorical", "age": "numeric"},
                 "sensitive": ["sex", "age_group"], "bins": {"age_group": [25.0]}, "predictions": None, "scores": None,
                 "missing_values": {"income": 3}, "class_counts": {"bad": 70, "good": 130},
                 "group_sizes": {"sex": {k: int(v) for k, v in pd.Series(sex).value_counts().sort_index().items()},
                                 "age_group": {k: int(v) for k, v in pd.Series(age).value_counts().sort_index().items()}}},
        "performance": {
            "overall": {"n": n, **headline, "log_loss": 0.44, "brier": 0.14, "ece": 0.062},
            "decisions": decisions,
            "by_group": {"sex": {"female": {"n": 80, "accuracy": 0.76, "roc_auc": 0.82, "ece": 0.08},
                                 "male": {"n": 120, "accuracy": 0.84, "roc_auc": 0.88, "ece": 0.05}},
                         "age_group": {"< 25": {"n": 38, "accuracy": 0.71, "roc_auc": 0.79, "ece": 0.11},
                                       ">= 25": {"n": 162, "accuracy": 0.83, "roc_auc": 0.87, "ece": 0.05}}},
            "calibration": {"what": "probability of 'good'", "bins": [
                {"bin": [0.1, 0.2], "n": 12, "mean_predicted": 0.16, "observed_rate": 0.08},
                {"bin": [0.4, 0.5], "n": 40, "mean_predicted": 0.46, "observed_rate": 0.52},
                {"bin": [0.8, 0.9], "n": 148, "mean_predicted": 0.85, "observed_rate": 0.80}]},
        },
        "fairness": fairness,
        "explanations": {
            "shap": {"global_importance": importance,
                     "global_importance_ci": {"income": [0.18, 0.24], "debt": [0.10, 0.14], "purpose": None, "age": None},
                     "quality": {"additivity": "exact", "additivity_error": 2e-15, "faithfulness": 0.31,
                                 "deletion": {"deletion_area": 0.31, "random_deletion_area": 0.21, "rows": 2,
                                              "curve": [0.27, 0.29, 0.31], "random_curve": [0.03, 0.15, 0.31]},
                                 "stability": None,
                                 "stability_method": "not applicable: deterministic for a given model"},
                     "meta": {"algorithm": "path-dependent Tree SHAP", "output_space": "log_odds",
                              "explained_class": "good", "rows_explained": 2, "rows_total": n, "sampled": True},
                     "local": {k: v for k, v in local.items() if k != "feature_names"},
                     "dependence": {"income": {"x": [20.0, 35.0, 50.0, 65.0], "shap": [-0.2, -0.05, 0.04, 0.12]},
                                    "purpose": {"x": ["car", "house", "car", "other"], "shap": [0.02, 0.06, 0.01, -0.04]}},
                     "pdp": {"income": {"kind": "numeric", "grid": [20.0, 40.0, 60.0], "average": [0.52, 0.64, 0.71],
                                        "n_rows": 200, "output_space": "probability"},
                             "purpose": {"error": "purpose has a single category in the sample"}}},
            "lime": {"global_importance": {"income": 0.15, "purpose": 0.09, "debt": 0.04, "age": 0.02},
                     "global_importance_ci": {"income": [0.12, 0.17]},
                     "quality": {"faithfulness": 0.12, "stability": 0.41, "stability_method": "2 rows explained again",
                                 "local_r2_median": 0.26},
                     "meta": {"algorithm": "LIME, batched", "output_space": "probability", "num_samples": 1000}},
            "permutation": {"error": "The explainer 'permutation' does not apply to the model 'credit-gbm'."},
            "agreement": {"pairs": [{"methods": ["shap", "lime"], "spearman": 0.4, "top_k_overlap": 0.67, "k": 3}],
                          "min_spearman": 0.4, "min_top_k_overlap": 0.67},
            "coverage": {"rows_explained": 2, "rows_total": n, "sampled": True, "explainers": ["shap", "lime"]},
            "attributions_for_fairness": {"method": "shap", "output_space": "log_odds", "feature_names": FEATURES,
                                          "rows": [3, 17], "values": local["values"], "base_values": [0.65, 0.65],
                                          "output": [0.51, 0.62]},
        },
        "reasons": [
            {"row": 3, "position": 3, "score": 0.31, "baseline": "100 approved applicants (sampled)",
             "reasons": [{"feature": "income", "value": 22.5, "baseline_value": 48.0, "contribution": 0.22,
                          "text": "income is 22.5; approved applicants typically (median) have 48. Had this factor "
                                  "been like theirs, the approval score would have been 0.22 higher on average."},
                         {"feature": "debt", "value": 30.5, "baseline_value": 9.0, "contribution": 0.08,
                          "text": "debt is 30.5; approved applicants typically (median) have 9. Had this factor "
                                  "been like theirs, the approval score would have been 0.08 higher on average."}]},
            {"row": 17, "position": 17, "score": 0.44, "baseline": "100 approved applicants (sampled)",
             "reasons": []},
        ],
        "model_card": {"owner": "Retail credit risk team", "version": "2.3.1",
                       "intended_use": "Rank applications for unsecured personal loans up to EUR 20,000.",
                       "decision_role": "Recommends; a credit officer decides every declined application.",
                       "limitations": ["Not validated for applicants under 21.", "Trained on 2019-2023 data."]},
        "manifest": MANIFEST,
    })


def judged(record: dict) -> dict:
    """``record`` with the findings and status the bundled default policy gives its sections."""
    findings = evaluate(load_policy("default"), record)
    return {**record, "status": overall_status(findings), "findings": [f.to_dict() for f in findings]}


def minimal_record() -> dict:
    """A predictions-only audit: no model card, explanations, fairness or reasons."""
    return judged({
        "schema_version": "1.0",
        "model": {"name": "vendor-scores", "framework": "predictions", "task": "binary", "sha256": None},
        "data": {"n_rows": 50, "sha256": "ef" * 32, "source": None, "target": None, "positive_label": 1,
                 "task": "binary", "features": [], "feature_kinds": {}, "sensitive": [], "missing_values": {},
                 "group_sizes": {}, "predictions": "decision", "scores": None},
        "performance": {}, "manifest": {**MANIFEST, "model_sha256": None},
    })


def image_record() -> dict:
    """An image model's explanations: saliency maps of two samples and a sanity check per method."""
    image = [[[0.0, 0.2, 0.4, 0.6], [0.2, 0.4, 0.6, 0.8], [0.4, 0.6, 0.8, 1.0], [0.6, 0.8, 1.0, 1.0]]]
    saliency = [[0.0, 0.1, 0.3, 0.1], [0.1, 0.5, 0.9, 0.2], [0.0, 0.2, 0.4, 0.1], [0.0, 0.0, 0.1, 0.0]]
    gradients = [[0.0, -0.2, 0.3, 0.1], [0.1, -0.5, 0.6, 0.0], [0.0, 0.2, -0.1, 0.1], [0.0, 0.0, 0.1, 0.0]]
    record = minimal_record()
    record["model"] = {"name": "digits-cnn", "framework": "torch", "task": "multiclass", "input_kind": "image",
                       "sha256": "12" * 32}
    record["explanations"] = {"images": {
        "samples": [{"row": 0, "image": image, "true_label": 3, "predicted_label": 3, "probability": 0.94},
                    {"row": 5, "image": image, "true_label": 8, "predicted_label": 3, "probability": 0.51}],
        "methods": {"saliency": {"maps": [saliency, saliency], "meta": {"abs": True, "output_space": "probability"}},
                    "integrated_gradients": {"maps": [gradients, gradients], "meta": {"n_steps": 50, "output_space": "probability"}}},
        "sanity_check": {
            "saliency": {"mean_rank_correlation": 0.82, "mean_ssim": 0.77, "passed": False, "threshold": 0.5,
                         "verdict": "not trustworthy for this model: the maps barely change when the weights are randomised"},
            "integrated_gradients": {"mean_rank_correlation": 0.12, "mean_ssim": 0.2, "passed": True, "threshold": 0.5,
                                     "verdict": "the maps change when the weights are randomised"}}}}
    return judged(record)


def multiclass_record() -> dict:
    """A 10-class digits model on tabular pixels: one-vs-rest AUC just below 1, SHAP in probability and
    unsigned saliency (no direction), no fairness (multiclass) and no reasons."""
    pixels = [f"px_{i}" for i in range(6)]
    rng = np.random.default_rng(11)
    values = rng.normal(0, 0.05, (3, 6)).round(4).tolist()
    magnitudes = np.abs(rng.normal(0, 0.2, (3, 6))).round(4).tolist()
    data_rows = rng.integers(0, 16, (3, 6)).tolist()
    return judged({
        "schema_version": "1.1",
        "model": {"name": "digits-mlp", "framework": "sklearn", "task": "multiclass", "classes": list(range(10)),
                  "features": pixels, "input_kind": "tabular", "sha256": "34" * 32},
        "data": {"n_rows": 360, "sha256": "56" * 32, "source": "digits.csv", "target": "digit", "task": "multiclass",
                 "classes": list(range(10)), "features": pixels, "feature_kinds": {p: "numeric" for p in pixels},
                 "sensitive": [], "missing_values": {}, "group_sizes": {}, "predictions": None, "scores": None,
                 "class_counts": {str(k): 36 for k in range(10)}},
        "performance": {"overall": {"n": 360, "accuracy": 0.9722, "balanced_accuracy": 0.9721, "roc_auc": 0.99979,
                                    "log_loss": 0.081}},
        "explanations": {
            "shap": {"global_importance": dict(zip(pixels, [0.031, 0.024, 0.019, 0.011, 0.006, 0.002])),
                     "meta": {"algorithm": "permutation SHAP", "output_space": "probability",
                              "explained_class": "the predicted class of each row", "rows_explained": 3, "rows_total": 360},
                     "local": {"rows": [0, 1, 2], "feature_names": pixels, "values": values,
                               "base_values": [0.1, 0.1, 0.1], "output": [0.1 + sum(v) for v in values],
                               "data": data_rows}},
            "saliency": {"global_importance": dict(zip(pixels, [0.21, 0.17, 0.152, 0.09, 0.05, 0.01])),
                         "meta": {"explainer": "captum.attr.Saliency", "output_space": "probability", "absolute": True,
                                  "rows_explained": 3, "rows_total": 360},
                         "local": {"rows": [0, 1, 2], "feature_names": pixels, "values": magnitudes,
                                   "base_values": [0.0, 0.0, 0.0], "output": [0.97, 0.88, 0.99], "data": data_rows},
                         "dependence": {"px_0": {"x": [0, 4, 8, 12, 16], "shap": [0.3, 0.25, 0.2, 0.1, 0.05]}}},
        },
        "manifest": MANIFEST,
    })


def regression_record() -> dict:
    """A house-price regression with a labels file: fairness on errors and residuals (two groups of 74
    and 59 rows), SHAP in the target's units and a disparity attribution of the mean predicted price."""
    rng = np.random.default_rng(5)
    n = 133
    area = np.where(np.arange(n) < 74, "N", "S")
    rng.shuffle(area)
    y_true = rng.normal(300, 60, n).round(1)
    y_pred = (y_true + rng.normal(0, 25, n) + 12 * (area == "S")).round(1)
    groups = pd.DataFrame({"area": area})
    fairness = json.loads(json.dumps(fairness_report(y_true, y_pred, groups, task="regression", n_resamples=50,
                                                     random_state=0)))
    features = ["sqm", "rooms", "zone"]
    attributions = np.column_stack([rng.normal(0, 30, n), rng.normal(0, 10, n), 12.0 * (area == "S")])
    output = attributions.sum(axis=1) + 300.0
    split = disparity_attribution(attributions, output, groups, feature_names=features)
    for name, table in json.loads(json.dumps(split)).items():
        fairness[name]["disparity_attribution"] = {**table, "output_space": "value", "rows_selection": f"all {n} rows"}
    labels = {"sqm": {"name": "Living area (m\u00b2)", "values": {}},
              "rooms": {"name": "Number of rooms", "values": {}},
              "zone": {"name": "Planning zone", "values": {"R1": "residential, low density", "R2": "residential, dense"}},
              "area": {"name": "Neighbourhood", "values": {"N": "North bank", "S": "South bank"}},
              "price": {"name": "Sale price (kEUR)", "values": {}}}
    return judged({
        "schema_version": "1.1",
        "model": {"name": "house-prices", "framework": "sklearn", "task": "regression", "features": features,
                  "input_kind": "tabular", "sha256": "78" * 32},
        "data": {"n_rows": n, "sha256": "9a" * 32, "source": "houses.csv", "target": "price", "task": "regression",
                 "features": features, "feature_kinds": {"sqm": "numeric", "rooms": "numeric", "zone": "categorical"},
                 "sensitive": ["area"], "missing_values": {}, "predictions": None, "scores": None, "labels": labels,
                 "group_sizes": {"area": {"N": 74, "S": 59}}},
        "performance": {"overall": {"n": n, "mae": float(np.mean(np.abs(y_pred - y_true))),
                                    "rmse": float(np.sqrt(np.mean((y_pred - y_true) ** 2))), "r2": 0.81}},
        "fairness": fairness,
        "explanations": {
            "shap": {"global_importance": {"sqm": 24.1, "zone": 6.0, "rooms": 8.2},
                     "meta": {"algorithm": "exact Tree SHAP", "output_space": "value", "rows_explained": 2,
                              "rows_total": n},
                     "local": {"rows": [0, 1], "feature_names": features, "values": [[-31.0, 4.0, 12.0], [22.0, -8.0, 0.0]],
                               "base_values": [300.0, 300.0], "output": [285.0, 314.0],
                               "data": [[64.0, 2, "R2"], [120.0, 4, "R1"]]},
                     "dependence": {"zone": {"x": ["R1", "R2", "R1", "R2"], "shap": [-3.0, 9.0, -1.0, 11.0]}},
                     "pdp": {"zone": {"kind": "categorical", "grid": ["R1", "R2"], "average": [296.0, 309.0],
                                      "n_rows": n, "output_space": "value"}}},
        },
        "manifest": MANIFEST,
    })


BUILDERS = {"full": lambda: full_record(), "minimal": lambda: minimal_record(), "image": lambda: image_record(),
            "multiclass": lambda: multiclass_record(), "regression": lambda: regression_record()}


def as_json(record: dict) -> str:
    """The record as committed: JSON with sorted keys (so a rebuild compares line by line)."""
    return json.dumps(json.loads(json.dumps(record)), indent=1, sort_keys=True) + "\n"


if __name__ == "__main__":
    for name, build in BUILDERS.items():
        (HERE / f"{name}.json").write_text(as_json(build()), encoding="utf-8")
        print("wrote", HERE / f"{name}.json")
