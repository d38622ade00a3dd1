"""A linear or logistic model read as itself: its coefficients, odds ratios and their intervals.

The intervals are Wald intervals, coefficient ± z · standard error, from the inverse of the observed
Fisher information at the fitted coefficients, computed on stated rows:

* logistic regression: ``D' W D`` with ``W = p (1 - p)`` from the model's own probabilities, where
  ``D`` is the terms with a column of ones for the intercept;
* linear regression: ``σ² D' D`` with ``σ²`` the residual variance on those rows (``RSS / (n - k)``).

scikit-learn fits these models with an L2 penalty by default (``C`` for logistic regression, ``alpha``
for ridge); the penalty's curvature is added to the information (``I / C``, ``alpha · I``, never on the
intercept), which makes the interval the Laplace approximation of the penalised fit and, for an
unpenalised fit, exactly the textbook Wald interval. An L1 penalty (lasso, elastic net) has no such
curvature: no interval is given then. The rows are the training data when it is given, else the
audit data, which stands in for it: the interval then describes the fitted coefficients' uncertainty
only insofar as the audit rows resemble the training rows in number and spread.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

# Information matrices worse conditioned than this leave coefficients unidentified (e.g. every one-hot
# column of a feature beside an intercept, without a penalty): no interval is claimed for them.
MAX_CONDITION = 1e12


def is_linear(adapter) -> bool:
    """True for scikit-learn's linear regressors and its binary logistic regression (alone or last in a
    Pipeline)."""
    final = getattr(adapter, "final_estimator", None)
    if final is None or getattr(final, "coef_", None) is None:
        return False
    if not type(final).__module__.startswith("sklearn.linear_model"):
        return False
    if adapter.task == "regression":
        return np.asarray(final.coef_).ndim == 1 or np.asarray(final.coef_).shape[0] == 1
    return adapter.task == "binary" and type(final).__name__.startswith("LogisticRegression")


def linear_reading(adapter, terms, *, y=None, rows_basis: str, confidence: float = 0.95) -> dict:
    """Coefficients (and odds ratios for a logistic model) per term, with Wald intervals.

    Parameters
    ----------
    adapter : ModelAdapter
        A model for which :func:`is_linear` holds.
    terms : Terms
        The model's terms on the rows the intervals are computed from.
    y : array-like, optional
        The true values on those rows (needed for a linear regression's residual variance).
    rows_basis : str
        What those rows are, said in the record ("the 800 rows of the audit data").
    confidence : float

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> from xai_audit import load_model
    >>> from xai_audit.explainers.glass_box.terms import model_terms
    >>> df = pd.DataFrame({"x": [0.0, 1, 2, 3, 4, 5, 6, 7], "y": [0, 0, 1, 0, 1, 0, 1, 1]})
    >>> adapter = load_model(LogisticRegression().fit(df[["x"]], df["y"]))
    >>> reading = linear_reading(adapter, model_terms(adapter, df, ["x"]), rows_basis="8 rows")
    >>> entry = reading["coefficients"][0]
    >>> entry["term"], round(entry["coefficient"], 6) == round(float(adapter.estimator.coef_[0, 0]), 6)
    ('x', True)
    >>> entry["ci"][0] < entry["coefficient"] < entry["ci"][1], reading["scale"]
    (True, 'log-odds')
    """
    final = adapter.final_estimator
    logistic = adapter.task == "binary"
    coef = np.asarray(final.coef_, dtype=float).reshape(-1)
    intercept = float(np.asarray(getattr(final, "intercept_", 0.0), dtype=float).reshape(-1)[0])
    sign = 1.0
    if logistic and adapter.positive_class != list(final.classes_)[-1]:
        sign = -1.0  # coef_ speaks for classes_[1]; the record speaks for the favourable outcome
    Z = terms.matrix
    covariance, why_not = _covariance(final, Z, coef, intercept, y=y, logistic=logistic)
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    fitted = Z @ coef + intercept
    entries = []
    for j, term in enumerate(terms.names):
        value = sign * coef[j]
        se = None if covariance is None else float(np.sqrt(max(covariance[j, j], 0.0)))
        ci = None if se is None else [float(value - z * se), float(value + z * se)]
        entry = {"term": term, "feature": terms.features[j], "coefficient": float(value), "std_error": se,
                 "ci": ci, "spread": float(np.std(Z[:, j]))}
        if logistic:
            entry.update(_odds(value, ci))
        if terms.transformed and terms.per_unit[j] is not None:
            step = terms.per_unit[j]
            unit_value = value * step
            unit_ci = None if ci is None else sorted([float(ci[0] * step), float(ci[1] * step)])
            entry["per_feature_unit"] = {"term_units_per_feature_unit": step, "coefficient": float(unit_value),
                                         "ci": unit_ci, **(_odds(unit_value, unit_ci) if logistic else {})}
        entries.append(entry)
    return {
        "kind": "logistic" if logistic else "linear",
        "scale": "log-odds" if logistic else "predicted value",
        "intercept": float(sign * intercept),
        "coefficients": entries,
        "intervals": {
            "method": "wald", "level": float(confidence), "z": z,
            "information": ("observed Fisher information D'WD (W = p(1-p) from the model's probabilities)"
                            if logistic else "residual variance times D'D"),
            "penalty": _penalty_text(final),
            "rows": rows_basis,
            "available": covariance is not None,
            "why_not": why_not,
        },
        "fidelity": _fidelity(adapter, sign * fitted, terms),
    }


def _odds(value, ci) -> dict:
    return {"odds_ratio": float(np.exp(value)), "odds_ratio_ci": None if ci is None else [float(np.exp(c)) for c in ci]}


def _penalty(final):
    """The L2 curvature added to the information (a number), or None when the fit has an L1 part."""
    params = final.get_params()
    name = type(final).__name__
    if name.startswith("LogisticRegression"):
        penalty = params.get("penalty")
        # LogisticRegressionCV keeps the chosen C and l1 ratio in C_ and l1_ratio_ once fitted
        C = float(np.ravel(getattr(final, "C_", [params.get("C", 1.0)]))[0])
        l1_ratio = float(np.ravel(getattr(final, "l1_ratio_", [params.get("l1_ratio") or 0.0]))[0] or 0.0)
        if penalty == "l1" or l1_ratio > 0:
            return None
        if penalty in (None, "none") or not np.isfinite(C):
            return 0.0
        return 1.0 / C
    if name in ("LinearRegression",):
        return 0.0
    if name == "Ridge" and np.ndim(params.get("alpha", 1.0)) == 0:
        return float(params.get("alpha", 1.0))
    return None


def _penalty_text(final) -> str:
    curvature = _penalty(final)
    if curvature is None:
        return f"{type(final).__name__} has an L1 penalty or settings without a Wald interval"
    if curvature == 0:
        return "none (unpenalised fit)"
    return f"L2, curvature {curvature:g} added on every coefficient but the intercept"


def _covariance(final, Z, coef, intercept, *, y, logistic):
    curvature = _penalty(final)
    if curvature is None:
        return None, "the fit has an L1 penalty (or settings such as class weights) for which no Wald interval holds"
    if getattr(final, "class_weight", None) is not None:
        return None, "the fit weights classes, which the observed information on unweighted rows does not describe"
    fit_intercept = bool(getattr(final, "fit_intercept", True))
    D = np.column_stack([np.ones(len(Z)), Z]) if fit_intercept else Z
    if logistic:
        p = 1.0 / (1.0 + np.exp(-(Z @ coef + intercept)))
        information = D.T @ (D * (p * (1 - p))[:, None])
        scale = 1.0
    else:
        if y is None:
            return None, "the rows carry no true values, from which a linear model's residual variance is measured"
        residual = np.asarray(y, dtype=float) - (Z @ coef + intercept)
        dof = len(Z) - D.shape[1]
        if dof <= 0:
            return None, "there are no more rows than coefficients"
        information = D.T @ D
        scale = float(residual @ residual / dof)
    penalty = np.full(D.shape[1], curvature)
    if fit_intercept:
        penalty[0] = 0.0
    information = information + np.diag(penalty)
    if not np.isfinite(information).all() or np.linalg.cond(information) > MAX_CONDITION:
        return None, ("the information matrix is singular: some coefficients are not identified by these rows "
                      "(e.g. every one-hot column of a feature beside an intercept, without a penalty)")
    covariance = scale * np.linalg.inv(information)
    return (covariance[1:, 1:] if fit_intercept else covariance), None


def _fidelity(adapter, reproduced, terms) -> dict:
    """How exactly intercept + coefficients reproduce the model's own output on the rows."""
    final = adapter.final_estimator
    if adapter.task == "binary":
        own = np.asarray(final.decision_function(_as_input(final, terms)), dtype=float)
        if adapter.positive_class != list(final.classes_)[-1]:
            own = -own
    else:
        own = np.asarray(final.predict(_as_input(final, terms)), dtype=float).reshape(-1)
    gap = np.abs(own - reproduced)
    return {"measure": "share of rows whose output intercept + sum of coefficient x term reproduces to 1e-6",
            "value": float(np.mean(gap <= 1e-6 * np.maximum(1.0, np.abs(own)))), "max_abs_gap": float(gap.max(initial=0.0))}


def _as_input(final, terms):
    """The terms as the final estimator takes them: a frame when it was fitted on named columns."""
    import pandas as pd

    names = getattr(final, "feature_names_in_", None)
    if names is not None and len(names) == len(terms.names):
        return pd.DataFrame(terms.matrix, columns=list(names))
    return terms.matrix
