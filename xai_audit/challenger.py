"""The glass-box challenger: would an inherently interpretable model do as well as the audited one?

Two challengers are fitted on the audit's training data when it is given (``Audit(train=...)``), else
by cross-fitting on the audit data (each row scored by challengers fitted on the other folds, so no
row is scored by a model that saw it):

* ``logistic``: a logistic regression behind median imputation and standard scaling of the numeric
  features and one-hot encoding of the categorical ones (always);
* ``ebm``: an Explainable Boosting Machine (InterpretML's ``interpret-core``, the ``glassbox`` extra),
  main effects only (no pairwise interactions), so that each feature's shape function is the whole
  story of its effect.

Each is scored on the audit data beside the audited model (ROC AUC, accuracy at 0.5, log loss, Brier
score) with paired bootstrap intervals of the difference (challenger minus audited: the same resampled
rows for both), their decisions' selection rate, TPR and FPR per group side by side, and the EBM's
shape functions for its most important features beside the audited model's partial dependence, both
in log-odds and centred to mean zero over the shown values. The ``challenger`` policy check reads the
audited model's AUC advantage over the best interpretable challenger.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from xai_audit._optional import require
from xai_audit.exceptions import InvalidInputError

METRICS = ("roc_auc", "accuracy", "log_loss", "brier")
EBM_SETTINGS = {"interactions": 0, "outer_bags": 4, "n_jobs": 1}
SHAPE_FEATURES = 5
SHAPE_POINTS = 12
PD_ROWS = 200
# Bootstrap weights are processed this many resamples at a time.
CHUNK = 16


def audit_challenger(adapter, data, features, policy, *, proba, decisions, train=None, random_state=None,
                     n_resamples=None) -> dict:
    """The challenger section as the audit runs it: when training data is given, or when the policy's
    ``[challenger] enabled`` is true, for a binary model with probabilities and a target; else ``{}``.

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from xai_audit import AuditDataset, load_model, load_policy
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"x": rng.normal(size=200)})
    >>> df["y"] = (df["x"] + rng.normal(0, 1, 200) > 0).astype(int)
    >>> model = load_model(DecisionTreeClassifier(max_depth=3, random_state=0).fit(df[["x"]], df["y"]))
    >>> data = AuditDataset.from_frame(df, target="y", features=["x"])
    >>> proba, decisions = model.predict_proba(df[["x"]]), model.predict(df[["x"]])
    >>> audit_challenger(model, data, ["x"], load_policy("default"), proba=proba, decisions=decisions)
    {}
    >>> policy = load_policy({"extends": "default", "challenger": {"enabled": True, "models": ["logistic"]}})
    >>> section = audit_challenger(model, data, ["x"], policy, proba=proba, decisions=decisions, random_state=0,
    ...                            n_resamples=50)
    >>> section["training"]["source"], section["best_interpretable"]
    ('cross-fitting', 'logistic')
    """
    settings = dict(policy.settings.get("challenger", {}))
    wanted = train is not None or bool(settings.get("enabled", False))
    if not wanted or proba is None or adapter.task != "binary" or data.target is None:
        return {}
    return challenger_section(
        adapter, data, features, proba_positive=np.asarray(proba)[:, adapter.positive_index], decisions=decisions,
        train=train, settings=settings, random_state=random_state,
        n_resamples=int(n_resamples or settings.get("n_resamples", policy.setting("fairness", "n_resamples", 1000))),
        confidence=policy.setting("audit", "confidence", 0.95))


def challenger_section(adapter, data, features, *, proba_positive, decisions, train=None, settings=None,
                       random_state=None, n_resamples=1000, confidence=0.95) -> dict:
    """The ``challenger`` section for a binary tabular model; ``{}`` for any other.

    Parameters
    ----------
    adapter : ModelAdapter
    data : AuditDataset
        The audit data, with its target.
    features : list of str
    proba_positive : array-like
        The audited model's probability of the favourable class on every row of ``data``.
    decisions : array-like
        The audited model's predicted labels on every row.
    train : AuditDataset, optional
        Training data with the same features and target; without it, cross-fitting on ``data``.
    settings : dict, optional
        The policy's ``[challenger]`` table: ``models`` (default ``["logistic", "ebm"]``), ``folds`` (3).
    random_state : int, optional
    n_resamples : int
    confidence : float

    Examples
    --------
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from xai_audit import AuditDataset, load_model
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"x": rng.normal(size=300), "g": ["a", "b", "c"] * 100})
    >>> df["y"] = (df["x"] + rng.normal(0, 1, 300) > 0).astype(int)
    >>> model = load_model(RandomForestClassifier(n_estimators=20, random_state=0).fit(df[["x"]], df["y"]))
    >>> data = AuditDataset.from_frame(df, target="y", sensitive=["g"], features=["x"])
    >>> section = challenger_section(model, data, ["x"], proba_positive=model.output(df[["x"]]),
    ...                              decisions=model.predict(df[["x"]]), settings={"models": ["logistic"]},
    ...                              random_state=0, n_resamples=100)
    >>> section["training"]["source"], sorted(section["models"])
    ('cross-fitting', ['audited', 'logistic'])
    """
    if adapter.task != "binary" or data.target is None or adapter.input_kind != "tabular":
        return {}
    settings = dict(settings or {})
    names = list(settings.get("models", ["logistic", "ebm"]))
    folds = int(settings.get("folds", 3))
    X = _frame(data.frame, features, data.feature_kinds)
    y = np.asarray(data.y_true_positive(), dtype=int)
    if len(np.unique(y)) < 2:
        return {}
    unavailable, factories = {}, {}
    for name in names:
        try:
            factories[name] = _factory(name, X, random_state)
        except ImportError as error:
            unavailable[name] = str(error)
    if train is not None:
        _check_train(train, data, features)
        X_train = _frame(train.frame, features, data.feature_kinds)
        y_train = np.asarray(train.y_true_positive(), dtype=int)
        fitted = {name: make().fit(X_train, y_train) for name, make in factories.items()}
        scores = {name: _positive(model, X) for name, model in fitted.items()}
        training = {"source": "training data", "n_rows": int(len(X_train)), "sha256": train.sha256,
                    "description": f"fitted on the {len(X_train)} rows of the training data given with the audit"}
    else:
        scores, fitted = _cross_fit(factories, X, y, folds, random_state)
        training = {"source": "cross-fitting", "n_rows": int(len(X)), "folds": folds,
                    "description": (f"{folds}-fold cross-fitting on the audit data: each row is scored by challengers "
                                    "fitted on the other folds (no training data was given)")}
    audited = np.asarray(proba_positive, dtype=float)
    models = {"audited": {**_metrics(y, audited), "description": f"the audited model ({adapter.name})"}}
    paired = _paired_bootstrap(y, audited, scores, n_resamples, confidence, random_state)
    for name, score in scores.items():
        models[name] = {**_metrics(y, score), "description": DESCRIPTIONS[name], **paired[name]}
    section = {"training": training, "models": models, "unavailable": unavailable,
               "n_resamples": int(n_resamples), "confidence": float(confidence),
               "difference": "challenger minus audited model; intervals from a paired bootstrap of the audit rows"}
    if scores:
        best = max(scores, key=lambda n: models[n]["roc_auc"] if models[n]["roc_auc"] is not None else -1)
        ci = paired[best]["ci"]["roc_auc"]
        section.update({"best_interpretable": best,
                        "auc_advantage": _neg(paired[best]["difference"]["roc_auc"]),
                        "auc_advantage_ci": None if ci is None else [-ci[1], -ci[0]]})
    section["fairness"] = _fairness_side_by_side(data, y, np.asarray(decisions) == adapter.positive_class, scores)
    if "ebm" in fitted:
        section["shapes"] = _shapes(fitted["ebm"], adapter, X, features, random_state)
        section["shapes_note"] = ("EBM shape function (its additive term) beside the audited model's partial dependence "
                                  f"(mean log-odds over {min(PD_ROWS, len(X))} sampled rows), both centred to mean zero "
                                  "over the values shown" + ("; the EBM of the first fold" if train is None else ""))
    return section


SHORT_NAMES = {"logistic": "logistic regression", "ebm": "Explainable Boosting Machine"}
DESCRIPTIONS = {
    "logistic": "logistic regression (numeric: median imputation and standard scaling; categorical: one-hot)",
    "ebm": "Explainable Boosting Machine (interpret-core; main effects only, 4 outer bags)",
}


# -- fitting ----------------------------------------------------------------------------------------


def _frame(frame: pd.DataFrame, features, kinds) -> pd.DataFrame:
    """The features, categorical ones as strings (missing stays missing)."""
    X = frame.loc[:, list(features)].copy()
    for feature in features:
        if kinds.get(feature, "numeric") != "numeric":
            X[feature] = X[feature].astype(object).where(X[feature].notna(), None).map(
                lambda v: v if v is None else str(v))
    return X


def _check_train(train, data, features) -> None:
    from xai_audit.data import AuditDataset

    if not isinstance(train, AuditDataset):
        raise InvalidInputError(f"train must be an AuditDataset (AuditDataset.from_frame / from_csv); got "
                                f"{type(train).__name__}.")
    missing = [f for f in features if f not in train.frame.columns]
    if missing:
        raise InvalidInputError(f"The training data lacks the model's input columns {missing}; it must have the same "
                                "columns as the audit data.")
    if train.target != data.target or train.positive_label != data.positive_label:
        raise InvalidInputError(
            f"The training data's target is {train.target!r} with favourable label {train.positive_label!r}, but the "
            f"audit data's is {data.target!r} with {data.positive_label!r}; give both the same target and positive_label.")
    if len(np.unique(train.y_true_positive())) < 2:
        raise InvalidInputError("The training data has a single outcome; challengers need both outcomes to learn from.")


def _factory(name, X, random_state):
    if name == "logistic":
        from sklearn.compose import ColumnTransformer
        from sklearn.impute import SimpleImputer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import OneHotEncoder, StandardScaler

        numeric = [c for c in X.columns if pd.api.types.is_numeric_dtype(X[c])]
        categorical = [c for c in X.columns if c not in numeric]
        encode = ColumnTransformer([
            ("num", Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]), numeric),
            ("cat", Pipeline([("impute", SimpleImputer(strategy="constant", fill_value="missing")),
                              ("onehot", OneHotEncoder(handle_unknown="ignore"))]), categorical)])
        return lambda: Pipeline([("encode", encode), ("model", LogisticRegression(max_iter=2000))])
    if name == "ebm":
        glassbox = require("interpret.glassbox", extra="glassbox", purpose="The EBM glass-box challenger")
        return lambda: glassbox.ExplainableBoostingClassifier(random_state=random_state, **EBM_SETTINGS)
    raise InvalidInputError(f"Unknown challenger {name!r} in the policy's [challenger] models; the challengers are "
                            f"{sorted(DESCRIPTIONS)}.")


def _positive(model, X) -> np.ndarray:
    return np.asarray(model.predict_proba(X), dtype=float)[:, list(model.classes_).index(1)]


def _cross_fit(factories, X, y, folds, random_state):
    from sklearn.model_selection import StratifiedKFold

    scores = {name: np.full(len(X), np.nan) for name in factories}
    first = {}
    for k, (fit_rows, score_rows) in enumerate(
            StratifiedKFold(n_splits=folds, shuffle=True, random_state=random_state).split(X, y)):
        for name, make in factories.items():
            model = make().fit(X.iloc[fit_rows], y[fit_rows])
            scores[name][score_rows] = _positive(model, X.iloc[score_rows])
            if k == 0:
                first[name] = model
    return scores, first


# -- metrics and the paired bootstrap ---------------------------------------------------------------


def _metrics(y, p) -> dict:
    from sklearn.metrics import roc_auc_score

    clipped = np.clip(p, 1e-15, 1 - 1e-15)
    return {"roc_auc": float(roc_auc_score(y, p)), "accuracy": float(np.mean((p >= 0.5) == (y == 1))),
            "log_loss": float(-np.mean(y * np.log(clipped) + (1 - y) * np.log(1 - clipped))),
            "brier": float(np.mean((p - y) ** 2)), "n": int(len(y))}


def weighted_auc(y, p, weights) -> np.ndarray:
    """ROC AUC of ``p`` for each row of ``weights`` (how often each row is drawn), ties counting a half.

    Examples
    --------
    >>> from sklearn.metrics import roc_auc_score
    >>> y, p = np.array([0, 1, 0, 1, 1]), np.array([0.1, 0.4, 0.4, 0.8, 0.3])
    >>> w = np.array([[1, 2, 0, 1, 3]])
    >>> bool(np.isclose(weighted_auc(y, p, w)[0], roc_auc_score(np.repeat(y, w[0]), np.repeat(p, w[0]))))
    True
    """
    order = np.argsort(p, kind="stable")
    p, y, weights = p[order], y[order], weights[:, order]
    _, starts = np.unique(p, return_index=True)
    positive = np.where(y == 1, weights, 0).astype(float)
    negative = np.where(y == 0, weights, 0).astype(float)
    pos_tied = np.add.reduceat(positive, starts, axis=1)
    neg_tied = np.add.reduceat(negative, starts, axis=1)
    neg_below = np.cumsum(neg_tied, axis=1) - neg_tied
    wins = (pos_tied * (neg_below + 0.5 * neg_tied)).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return wins / (positive.sum(axis=1) * negative.sum(axis=1))


def _weighted_metrics(y, p, w) -> dict:
    total = w.sum(axis=1)
    clipped = np.clip(p, 1e-15, 1 - 1e-15)
    loss = -(y * np.log(clipped) + (1 - y) * np.log(1 - clipped))
    return {"roc_auc": weighted_auc(y, p, w), "accuracy": (w @ ((p >= 0.5) == (y == 1)).astype(float)) / total,
            "log_loss": (w @ loss) / total, "brier": (w @ (p - y) ** 2) / total}


def _paired_bootstrap(y, audited, scores, n_resamples, confidence, random_state) -> dict:
    """Per challenger: the difference (challenger minus audited) of each metric and its percentile interval,
    every resample drawing the same rows for both models."""
    rng = np.random.default_rng(random_state)
    draws = {name: {m: [] for m in METRICS} for name in scores}
    for start in range(0, n_resamples, CHUNK):
        size = min(CHUNK, n_resamples - start)
        picks = rng.integers(0, len(y), size=(size, len(y)))
        weights = np.stack([np.bincount(row, minlength=len(y)) for row in picks])
        base = _weighted_metrics(y, audited, weights)
        for name, score in scores.items():
            other = _weighted_metrics(y, score, weights)
            for m in METRICS:
                draws[name][m].append(other[m] - base[m])
    alpha = 1 - confidence
    full = _metrics(y, audited)
    out = {}
    for name, score in scores.items():
        own = _metrics(y, score)
        out[name] = {"difference": {m: own[m] - full[m] for m in METRICS}, "ci": {}}
        for m in METRICS:
            values = np.concatenate(draws[name][m]) if draws[name][m] else np.array([])
            values = values[np.isfinite(values)]
            out[name]["ci"][m] = ([float(v) for v in np.quantile(values, [alpha / 2, 1 - alpha / 2])]
                                  if len(values) else None)
    return out


def _neg(value):
    return None if value is None else -float(value)


# -- fairness side by side and shapes ---------------------------------------------------------------


def _fairness_side_by_side(data, y, audited_approved, scores) -> dict:
    """Per attribute and group: selection rate, TPR and FPR of each model's decisions (challengers at 0.5)."""
    decisions = {"audited": np.asarray(audited_approved, dtype=bool),
                 **{name: np.asarray(p) >= 0.5 for name, p in scores.items()}}
    out = {}
    for attribute in data.groups.columns:
        labels = data.groups[attribute].astype(str).to_numpy()
        groups = {}
        for group in sorted(set(labels)):
            rows = labels == group
            groups[group] = {"n": int(rows.sum()),
                             **{name: _rates(y[rows], d[rows]) for name, d in decisions.items()}}
        sizes = {g: v["n"] for g, v in groups.items()}
        out[attribute] = {"reference_group": sorted(sizes, key=lambda g: (-sizes[g], g))[0], "groups": groups}
    return out


def _rates(y, decided) -> dict:
    positives, negatives = y == 1, y == 0
    return {"selection_rate": float(decided.mean()) if len(decided) else None,
            "tpr": float(decided[positives].mean()) if positives.any() else None,
            "fpr": float(decided[negatives].mean()) if negatives.any() else None}


def _shapes(ebm, adapter, X, features, random_state) -> dict:
    """The EBM's shape function of its most important features beside the audited model's partial dependence."""
    importances = np.asarray(ebm.term_importances())
    names = [str(n) for n in ebm.term_names_]
    top = [names[i] for i in np.argsort(-importances, kind="stable") if names[i] in features][:SHAPE_FEATURES]
    rng = np.random.default_rng(random_state)
    sample = X.iloc[np.sort(rng.choice(len(X), size=min(PD_ROWS, len(X)), replace=False))].reset_index(drop=True)
    template = X.loc[:, list(features)].iloc[[0]]
    out = {}
    for feature in top:
        column = X[feature].dropna()
        if pd.api.types.is_numeric_dtype(column):
            grid = list(np.unique(np.quantile(column.to_numpy(dtype=float), np.linspace(0, 1, SHAPE_POINTS),
                                              method="inverted_cdf")))
            kind = "numeric"
        else:
            grid = list(column.value_counts().index[:SHAPE_POINTS])
            kind = "categorical"
        rows = template.iloc[np.zeros(len(grid), dtype=int)].reset_index(drop=True)
        rows[feature] = grid
        term = np.asarray(ebm.eval_terms(rows))[:, names.index(feature)]
        dependence = []
        for value in grid:
            varied = sample.copy()
            varied[feature] = value
            p = np.clip(adapter.output(varied), 1e-12, 1 - 1e-12)
            dependence.append(float(np.mean(np.log(p) - np.log1p(-p))))
        dependence = np.asarray(dependence)
        out[feature] = {"kind": kind, "values": [_plain(v) for v in grid],
                        "ebm": [float(v) for v in term - term.mean()],
                        "audited": [float(v) for v in dependence - dependence.mean()],
                        "ebm_importance": float(importances[names.index(feature)])}
    return out


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value
