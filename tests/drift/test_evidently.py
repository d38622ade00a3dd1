"""Evidently as an oracle: on the same samples, it and ``feature_drift`` agree on which features drifted.

Evidently 0.7 does not import with pandas 3 (the version this project pins), so here the test
skips with that reason; ``python benchmarks/bench_drift.py --evidently`` runs the same comparison
from a separate environment and records it in benchmarks/RESULTS.md.
"""

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from xai_audit.drift.features import feature_drift

try:
    import evidently  # noqa: F401
except ImportError as error:  # not installed, or installed but not importable with this pandas
    pytest.skip(f"evidently cannot be imported here ({error}); see benchmarks/bench_drift.py --evidently",
                allow_module_level=True)

ORACLE = Path(__file__).resolve().parents[2] / "benchmarks" / "evidently_oracle.py"


def _oracle():
    spec = importlib.util.spec_from_file_location("evidently_oracle", ORACLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _period(rng, n, shift):
    frame = pd.DataFrame({f"x{i}": rng.normal(shift if i == 0 else 0.0, 1.0, n) for i in range(6)})
    frame["c0"] = rng.choice(["a", "b", "c"], n, p=[0.5 - shift / 3, 0.3, 0.2 + shift / 3])
    frame["c1"] = rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2])
    return frame


@pytest.mark.parametrize("n", [800, 3000])  # Evidently's tests up to 1,000 rows, its distances above
def test_evidently_agrees_on_the_planted_features_and_its_values(n):
    rng = np.random.default_rng(5)
    reference, current = _period(rng, n, 0.0), _period(rng, n, 0.6)
    numeric, categorical = [f"x{i}" for i in range(6)], ["c0", "c1"]
    kinds = {**{c: "numeric" for c in numeric}, **{c: "categorical" for c in categorical}}
    ours = feature_drift(reference, current, numeric + categorical, kinds)["features"]
    theirs = _oracle().evidently_drift(reference, current, numeric, categorical)
    assert {c for c in theirs if theirs[c]["drifted"]} >= {"x0", "c0"}
    assert {c for c in ours if ours[c]["verdict"] == "drifted"} >= {"x0", "c0"}
    for column in numeric:
        if theirs[column]["method"].startswith("K-S"):
            assert ours[column]["p_value"] == pytest.approx(theirs[column]["score"], rel=1e-12)
        else:
            assert ours[column]["wasserstein_std"] == pytest.approx(theirs[column]["score"], rel=1e-9)
    # a disagreement may only be a null feature Evidently flags at 0.05 uncorrected (or by its effect line)
    for column in numeric + categorical:
        if (ours[column]["verdict"] == "drifted") != theirs[column]["drifted"]:
            assert column not in ("x0", "c0") and theirs[column]["drifted"]
