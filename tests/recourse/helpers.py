"""Small seeded problems shared by the recourse tests."""

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from xai_audit import AuditDataset, load_model
from xai_audit.recourse.constraints import build_constraints
from xai_audit.recourse.cost import fit_costs
from xai_audit.recourse.scoring import make_codec

NUMERIC = ["a", "b", "c", "d"]


def linear_problem(seed=0, n=500, policy=None):
    """A logistic model on four continuous features (no whole numbers, so nothing is rounded)."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(2, 3, size=n), "c": rng.uniform(0, 10, size=n),
                          "d": rng.normal(size=n)})
    weights = rng.normal(0, 1, 4)
    logit = frame[NUMERIC].to_numpy() @ weights + rng.normal(0, 1, n)
    frame["y"] = (logit > np.quantile(logit, 0.4)).astype(int)
    frame["g"] = rng.choice(["p", "q"], size=n)
    model = load_model(LogisticRegression().fit(frame[NUMERIC], frame["y"]))
    data = AuditDataset.from_frame(frame, target="y", sensitive=["g"], features=NUMERIC)
    constraints = build_constraints(data, NUMERIC, policy_settings=policy or {})
    costs = fit_costs(frame, NUMERIC)
    declined = frame.loc[model.predict(frame[NUMERIC]) != model.positive_class, NUMERIC].reset_index(drop=True)
    return model, data, constraints, costs, declined


def apply(case: pd.Series, changes) -> pd.Series:
    """The case with a suggestion's changes applied."""
    changed = case.copy()
    for feature, _, new in changes:
        changed[feature] = new
    return changed


def codec_for(model, constraints, frame):
    return make_codec(model, constraints.features, constraints.kinds, frame, random_state=0)
