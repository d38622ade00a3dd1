"""Small seeded tabular models and data for the explainer tests (built in well under a second each)."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import GradientBoostingRegressor, RandomForestClassifier
from sklearn.linear_model import LogisticRegression

from tests.conftest import FEATURES, make_credit_frame, make_pipeline_model
from xai_audit import AuditDataset, load_model


@functools.lru_cache(maxsize=None)
def credit_frame(n=300) -> pd.DataFrame:
    return make_credit_frame(n=n)


def credit_data(n=300) -> AuditDataset:
    return AuditDataset.from_frame(credit_frame(n), target="outcome", positive_label="repaid",
                                   features=FEATURES, sensitive=["sex"])


@functools.lru_cache(maxsize=None)
def numeric_frame(n=300, seed=1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.normal(size=(n, 5)), columns=[f"x{i}" for i in range(5)])
    frame.loc[rng.random(n) < 0.05, "x3"] = np.nan
    score = 1.5 * frame["x0"] - frame["x1"] + 0.5 * frame["x2"].fillna(0) + rng.normal(scale=0.5, size=n)
    frame["label"] = np.where(score > 0, "yes", "no")
    frame["amount"] = 3 * frame["x0"] + frame["x1"] ** 2 + rng.normal(scale=0.1, size=n)
    frame["kind"] = np.select([score < -1, score < 1], ["low", "mid"], "high")
    frame["flag"] = (frame["label"] == "yes").astype(int)
    return frame


NUMERIC = [f"x{i}" for i in range(5)]


def _fit(name):
    """(adapter, data) for a named small model."""
    frame = credit_frame()
    numeric = numeric_frame()
    if name == "credit_gbm_pipeline":
        return load_model(make_pipeline_model(frame)), credit_data()
    if name == "credit_logreg_pipeline":
        return load_model(make_pipeline_model(frame, LogisticRegression(max_iter=500))), credit_data()
    if name == "numeric_forest":
        model = RandomForestClassifier(n_estimators=15, max_depth=5, random_state=0).fit(numeric[NUMERIC].fillna(0), numeric["label"])
        data = AuditDataset.from_frame(numeric.fillna({"x3": 0.0}), target="label", positive_label="yes", features=NUMERIC)
        return load_model(model), data
    if name == "numeric_forest_multiclass":
        model = RandomForestClassifier(n_estimators=10, max_depth=4, random_state=0).fit(numeric[NUMERIC].fillna(0), numeric["kind"])
        data = AuditDataset.from_frame(numeric.fillna({"x3": 0.0}), target="kind", features=NUMERIC)
        return load_model(model), data
    if name == "numeric_gbr":
        model = GradientBoostingRegressor(n_estimators=20, max_depth=3, random_state=0).fit(numeric[NUMERIC].fillna(0), numeric["amount"])
        data = AuditDataset.from_frame(numeric.fillna({"x3": 0.0}), target="amount", features=NUMERIC)
        return load_model(model), data
    if name == "numeric_xgboost":
        import xgboost

        model = xgboost.XGBClassifier(n_estimators=15, max_depth=3, random_state=0).fit(
            numeric[NUMERIC], (numeric["label"] == "yes").astype(int))
        data = AuditDataset.from_frame(numeric, target="flag", features=NUMERIC)
        return load_model(model), data
    if name == "numeric_lightgbm":
        import lightgbm

        model = lightgbm.LGBMClassifier(n_estimators=15, num_leaves=7, verbose=-1, random_state=0).fit(
            numeric[NUMERIC], numeric["label"])
        data = AuditDataset.from_frame(numeric, target="label", positive_label="yes", features=NUMERIC)
        return load_model(model), data
    if name == "torch_tabular":
        import torch

        from xai_audit.adapters.torch import TorchAdapter

        torch.manual_seed(0)
        filled = numeric.fillna({"x3": 0.0})
        net = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
        inputs = torch.as_tensor(filled[NUMERIC].to_numpy(dtype=np.float32))
        labels = torch.as_tensor((filled["label"] == "yes").to_numpy().astype(np.int64))
        optimiser = torch.optim.Adam(net.parameters(), lr=0.05)
        for _ in range(30):
            optimiser.zero_grad()
            torch.nn.functional.cross_entropy(net(inputs), labels).backward()
            optimiser.step()
        adapter = TorchAdapter(net, task="binary", classes=["no", "yes"], feature_names=NUMERIC, device="cpu")
        data = AuditDataset.from_frame(filled, target="label", positive_label="yes", features=NUMERIC)
        return adapter, data
    raise KeyError(name)


@functools.lru_cache(maxsize=None)
def small_model(name):
    return _fit(name)


MODEL_NAMES = ("credit_gbm_pipeline", "credit_logreg_pipeline", "numeric_forest", "numeric_forest_multiclass",
               "numeric_gbr", "numeric_xgboost", "numeric_lightgbm", "torch_tabular")


@pytest.fixture(scope="module")
def one_thread():
    """Models' OpenMP / BLAS pools limited to one thread: on a small, shared machine their spinning
    threads make many small prediction calls (permutation importance, deletion curves) many times
    slower when another process holds a core."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield
