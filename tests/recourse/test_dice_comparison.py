"""On German credit, the audit's recourse beside DiCE (dice-ml) under the same constraints, both judged by
one function (``benchmarks/recourse_dice.py``): re-scored approval, immutables, one-way features, observed
ranges and categories, at most 3 changed features. dice-ml is a test-only oracle kept out of the project's
environment (it would replace xgboost-cpu); the benchmark installs it into benchmarks/out/dice-lib."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("recourse_dice", ROOT / "benchmarks" / "recourse_dice.py")
recourse_dice = sys.modules.setdefault("recourse_dice", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(recourse_dice)


@pytest.fixture(scope="module")
def dice_ml():
    module = recourse_dice.dice_module(install=False)
    if module is None:
        pytest.skip("dice-ml is not installed (run benchmarks/recourse_dice.py once: it installs dice-ml into "
                    "benchmarks/out/dice-lib, outside the project's environment, whose xgboost-cpu it would replace)")
    return module


def test_every_suggestion_of_ours_is_valid_and_at_least_as_sparse_as_dices(dice_ml):
    result = recourse_dice.compare("credit_logreg", n_cases=15, dice_ml=dice_ml)
    ours, theirs = result["xai-audit"], result["dice-ml"]
    assert ours["valid"] == ours["found"] == result["cases"]
    assert ours["broke_constraints"] == 0 and ours["not_approved"] == 0
    assert ours["valid"] >= theirs["valid"]

    def mean(counts):
        return sum(int(k) * v for k, v in counts.items()) / max(1, sum(counts.values()))

    assert mean(ours["changed_features"]) <= mean(theirs["all_changed_features"])


def test_the_judge_catches_a_broken_constraint():
    adapter, data, features, _, constraints, cases = recourse_dice.setting(n_cases=1)
    original = data.frame[features].iloc[int(cases[0])]
    older = original.copy()
    older["age_years"] = original["age_years"] - 1  # one-way: age only rises
    assert "age_years moved against its one way" in recourse_dice.judge(adapter, constraints, original, older)["broken"]
    moved = original.copy()
    moved["personal_status_sex"] = "female : divorced/separated/married" if not str(
        original["personal_status_sex"]).startswith("female") else "male : single"
    assert "personal_status_sex is immutable" in recourse_dice.judge(adapter, constraints, original, moved)["broken"]
    assert not recourse_dice.judge(adapter, constraints, original, original)["valid"]  # a declined case stays declined
