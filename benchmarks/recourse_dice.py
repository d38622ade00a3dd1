"""Recourse beside DiCE (``dice-ml``, the reference counterfactual library) on German credit, under the
same constraints: the share of declined cases given a valid suggestion and how many features each changes.

    .venv/bin/python benchmarks/recourse_dice.py [--cases 100] [--model credit_logreg]

Both tools get the same declined cases of the same bundled model and the constraints the audit derives
from the default policy: immutable and sensitive features never change (DiCE: ``features_to_vary``),
numeric features stay in their observed range and one-way features move only their way (DiCE: a
``permitted_range`` per case, from the case's value up or down to the observed end), categories stay
observed ones. DiCE has no limit on the number of changed features, so that limit (3) is checked
afterwards, like every other constraint. A suggestion is *valid* when the model, asked again, approves
the changed case and every constraint holds; both tools are judged by the same function.

dice-ml 0.12 requires the full ``xgboost`` wheel (with NVIDIA's NCCL), which would replace the project's
``xgboost-cpu``; so it is not installed into the project's environment. :func:`dice_module` installs
``dice-ml`` and ``raiutils`` without their dependencies into ``benchmarks/out/dice-lib``
(``pip install --target --no-deps``) and imports them from there: everything else they import is already
in the environment. The test ``tests/recourse/test_dice_comparison.py`` uses that folder when present.
"""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from xai_audit import AuditDataset, load_model, load_policy  # noqa: E402
from xai_audit.adapters.pairing import align_classes  # noqa: E402
from xai_audit.recourse import recourse_section  # noqa: E402
from xai_audit.recourse.constraints import build_constraints  # noqa: E402

DICE_LIB = HERE / "out" / "dice-lib"
DICE_PACKAGES = ["dice-ml==0.12", "raiutils==0.4.2"]
DATA = ROOT / "sample_models" / "data" / "german_credit.csv"


def dice_module(install: bool = True):
    """``dice_ml``, from the environment or ``benchmarks/out/dice-lib``; installed there when asked; else None."""
    for attempt in range(2):
        if str(DICE_LIB) not in sys.path and DICE_LIB.exists():
            sys.path.insert(0, str(DICE_LIB))
        try:
            return importlib.import_module("dice_ml")
        except ImportError:
            if attempt or not install:
                return None
            constraints = Path("/work/main/constraints.txt")
            command = [sys.executable, "-m", "pip", "install", "-q", "--target", str(DICE_LIB), "--no-deps",
                       *(["-c", str(constraints)] if constraints.exists() else []), *DICE_PACKAGES]
            subprocess.run(command, check=True, timeout=600)
    return None


class _Approves:
    """The audited model as DiCE's sklearn backend calls it: class 1 is the favourable outcome."""

    def __init__(self, adapter, features):
        self.adapter, self.features = adapter, list(features)

    def predict_proba(self, X):
        p = self.adapter.output(pd.DataFrame(X, columns=self.features).loc[:, self.features])
        return np.column_stack([1 - p, p])

    def predict(self, X):
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)


def setting(model_name: str = "credit_logreg", n_cases: int = 100, seed: int = 0):
    """The model, data, constraints and the declined cases (positions) both tools are asked about."""
    frame = pd.read_csv(DATA)
    data = AuditDataset.from_frame(frame, target="credit_risk", positive_label="good", sensitive=["sex", "age_group"])
    adapter = align_classes(load_model(ROOT / "sample_models" / f"{model_name}.skops"), data)
    features = list(adapter.feature_names)
    policy = load_policy("default")
    settings = {k: v for k, v in policy.settings["recourse"].items() if k not in ("enabled", "n_resamples", "sample")}
    constraints = build_constraints(data, features, policy_settings=settings)
    declined = np.flatnonzero(adapter.predict(frame[features]) != adapter.positive_class)
    cases = np.sort(np.random.default_rng(seed).choice(declined, size=min(n_cases, len(declined)), replace=False))
    return adapter, data, features, policy, constraints, cases


def judge(adapter, constraints, original: pd.Series, changed: pd.Series | None) -> dict:
    """Whether ``changed`` is a valid suggestion for ``original``: approved when re-scored, every constraint kept."""
    if changed is None:
        return {"found": False, "valid": False, "n_changed": None, "broken": []}
    features = list(constraints.features)
    moved = [f for f in features if not _same(original[f], changed[f])]
    broken = [f"{f} is immutable" for f in moved if f not in constraints.mutable]
    for f in moved:
        way = constraints.direction.get(f)
        if constraints.kinds[f] == "numeric":
            value, before = float(changed[f]), float(original[f])
            if value < constraints.low[f] - 1e-9 or value > constraints.high[f] + 1e-9:
                broken.append(f"{f} outside the observed range")
            if (way == "increase" and value < before) or (way == "decrease" and value > before):
                broken.append(f"{f} moved against its one way")
            if constraints.integer.get(f) and not value.is_integer():
                broken.append(f"{f} not a whole number")
        elif str(changed[f]) not in {str(c) for c in constraints.categories[f]}:
            broken.append(f"{f} to an unobserved category")
    if len(moved) > constraints.max_features:
        broken.append(f"{len(moved)} features changed (at most {constraints.max_features})")
    row = pd.DataFrame([changed[features].to_dict()])
    for f in features:
        row[f] = pd.to_numeric(row[f]) if constraints.kinds[f] == "numeric" else row[f].astype(object)
    approved = bool(adapter.predict(row)[0] == adapter.positive_class)
    return {"found": True, "valid": approved and not broken, "approved": approved, "n_changed": len(moved),
            "broken": broken}


def _same(a, b) -> bool:
    try:
        return abs(float(a) - float(b)) <= 1e-9
    except (TypeError, ValueError):
        return str(a) == str(b)


def ours(adapter, data, features, policy, cases, seed=0) -> tuple[list, float]:
    """The audit's recourse for ``cases``: the changed row of each (None where none was found)."""
    started = time.perf_counter()
    run_policy = load_policy({"extends": "default", "recourse": {"sample": 1}})
    section = recourse_section(adapter, data, run_policy, features=features, random_state=seed,
                               shown=[int(c) for c in cases], n_resamples=10)
    seconds = time.perf_counter() - started
    rows = []
    by_position = {case["position"]: case for case in section["cases"]}
    for position in cases:
        case = by_position[int(position)]
        if not case["found"]:
            rows.append(None)
            continue
        row = data.frame.loc[:, features].iloc[int(position)].copy()
        for change in case["changes"]:
            row[change["feature"]] = change["to"]
        rows.append(row)
    return rows, seconds


def dice(dice_ml, adapter, data, features, constraints, cases, seed=0) -> tuple[list, float]:
    """DiCE's counterfactual (one per case, method "random") under the same constraints."""
    frame = data.frame.loc[:, features].copy()
    frame["approved"] = (adapter.predict(frame[features]) == adapter.positive_class).astype(int)
    continuous = [f for f in features if constraints.kinds[f] == "numeric"]
    d = dice_ml.Data(dataframe=frame, continuous_features=continuous, outcome_name="approved")
    m = dice_ml.Model(model=_Approves(adapter, features), backend="sklearn")
    explainer = dice_ml.Dice(d, m, method="random")
    started = time.perf_counter()
    rows = []
    for position in cases:
        query = frame.loc[:, features].iloc[[int(position)]]
        ranges = {}
        for f in constraints.mutable:
            if constraints.kinds[f] != "numeric":
                continue
            low, high, value = constraints.low[f], constraints.high[f], float(query[f].iloc[0])
            way = constraints.direction.get(f)
            ranges[f] = [value if way == "increase" else low, value if way == "decrease" else high]
        try:
            found = explainer.generate_counterfactuals(
                query, total_CFs=1, desired_class="opposite", features_to_vary=list(constraints.mutable),
                permitted_range=ranges, random_seed=seed, verbose=False)
            result = found.cf_examples_list[0].final_cfs_df
        except Exception:  # DiCE raises when it finds nothing
            result = None
        rows.append(None if result is None or len(result) == 0 else result.iloc[0][features])
    return rows, time.perf_counter() - started


def compare(model_name: str = "credit_logreg", n_cases: int = 100, seed: int = 0, dice_ml=None) -> dict:
    """Validity and changed-feature counts of both tools on the same cases."""
    adapter, data, features, policy, constraints, cases = setting(model_name, n_cases, seed)
    dice_ml = dice_ml or dice_module()
    out = {"model": model_name, "cases": int(len(cases)), "max_features": constraints.max_features,
           "mutable": list(constraints.mutable), "one_way": dict(constraints.direction)}
    results = {"xai-audit": ours(adapter, data, features, policy, cases, seed)}
    if dice_ml is not None:
        results["dice-ml"] = dice(dice_ml, adapter, data, features, constraints, cases, seed)
    for tool, (rows, seconds) in results.items():
        verdicts = [judge(adapter, constraints, data.frame[features].iloc[int(p)], row) for p, row in zip(cases, rows)]
        counts = [v["n_changed"] for v in verdicts if v["valid"]]
        out[tool] = {"seconds": seconds, "found": sum(v["found"] for v in verdicts),
                     "valid": sum(v["valid"] for v in verdicts),
                     "not_approved": sum(v["found"] and not v.get("approved", False) for v in verdicts),
                     "broke_constraints": sum(bool(v["broken"]) for v in verdicts),
                     "broken_examples": sorted({b for v in verdicts for b in v["broken"]})[:6],
                     "changed_features": {str(k): counts.count(k) for k in sorted(set(counts))},
                     "all_changed_features": {str(k): [v["n_changed"] for v in verdicts if v["found"]].count(k)
                                              for k in sorted({v["n_changed"] for v in verdicts if v["found"]})}}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--model", default="credit_logreg")
    args = parser.parse_args()
    result = compare(args.model, args.cases)
    (HERE / "out").mkdir(exist_ok=True)
    (HERE / "out" / "recourse_dice.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
