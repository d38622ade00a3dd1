"""Shared fixtures: small real models and data built in a few milliseconds, seeded."""

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler


def make_credit_frame(n=400, seed=0) -> pd.DataFrame:
    """A small synthetic credit table: numeric and categorical features, two sensitive attributes."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "income": rng.normal(50, 15, n).round(1),
        "debt": rng.gamma(2.0, 5.0, n).round(2),
        "purpose": rng.choice(["car", "house", "education", "other"], n),
        "age": rng.integers(18, 80, n),
        "sex": rng.choice(["female", "male"], n, p=[0.4, 0.6]),
    })
    logit = 0.06 * (frame["income"] - 50) - 0.08 * (frame["debt"] - 10) + (frame["purpose"] == "house") * 0.8
    frame["outcome"] = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "repaid", "default")
    return frame


FEATURES = ["income", "debt", "purpose", "age"]


def make_pipeline_model(frame, estimator=None):
    encoder = make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore", sparse_output=False), make_column_selector(dtype_include=object)),
        (StandardScaler(), make_column_selector(dtype_include="number")),
    )
    estimator = estimator or HistGradientBoostingClassifier(max_iter=30, random_state=0)
    return make_pipeline(encoder, estimator).fit(frame[FEATURES], frame["outcome"])


@pytest.fixture(scope="session")
def credit_frame():
    return make_credit_frame()


@pytest.fixture(scope="session")
def credit_gbm(credit_frame):
    return make_pipeline_model(credit_frame)


@pytest.fixture(scope="session")
def credit_logreg(credit_frame):
    return make_pipeline_model(credit_frame, LogisticRegression(max_iter=500))
