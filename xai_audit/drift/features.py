"""Data drift per feature: has the distribution of an input changed between two periods?

Numeric features: the two-sample Kolmogorov–Smirnov test (``scipy.stats.ks_2samp``); its statistic
D (the largest gap between the two empirical distribution functions) is the effect size, with an
interval from the Dvoretzky–Kiefer–Wolfowitz inequality; the Wasserstein distance
(``scipy.stats.wasserstein_distance``) and the population stability index (PSI, on the reference's
deciles) are reported beside it. Categorical features: Pearson's χ² test of homogeneity on the
2 × k table of counts (``scipy.stats.chi2_contingency``); the total variation distance between the
two shares is the effect size, with an interval from the Bretagnolle–Huber–Carol inequality; the
Jensen–Shannon distance (base 2) and PSI are reported beside it.

The p-values of all features are adjusted together (Benjamini–Hochberg by default); a feature
"drifted" when its adjusted p-value is below ``alpha``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial.distance import jensenshannon

from xai_audit.stats.tests import adjust_p_values

PSI_BINS = 10
HISTOGRAM_BINS = 20
# A share of 0 would make PSI infinite; shares are floored at this value (the usual convention).
PSI_FLOOR = 1e-4
MISSING = "missing"
CORRECTIONS = ("fdr_bh", "holm", "none")


def numeric_drift(reference, current, *, confidence: float = 0.95) -> dict:
    """Kolmogorov–Smirnov test, KS statistic with its DKW interval, Wasserstein distance and PSI.

    Missing values are dropped and counted. The interval of D is simultaneous and conservative:
    with ``eps_i = sqrt(log(4 / (1 - confidence)) / (2 n_i))`` each empirical distribution function
    lies within ``eps_i`` of its truth with probability at least ``1 - (1 - confidence) / 2``
    (Massart's constant), so the true D lies within ``D ± (eps_1 + eps_2)``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> row = numeric_drift(rng.normal(size=500), rng.normal(1, 1, size=500))
    >>> row["test"], row["p_value"] < 1e-6, row["statistic"] > 0.3
    ('ks', True, True)
    """
    ref = np.asarray(reference, dtype=np.float64)
    cur = np.asarray(current, dtype=np.float64)
    ref_ok, cur_ok = ref[~np.isnan(ref)], cur[~np.isnan(cur)]
    row = {"kind": "numeric", "test": "ks", "n_reference": int(ref_ok.size), "n_current": int(cur_ok.size),
           "missing_reference": int(ref.size - ref_ok.size), "missing_current": int(cur.size - cur_ok.size)}
    if ref_ok.size == 0 or cur_ok.size == 0:
        return {**row, "statistic": None, "p_value": None, "effect": None, "effect_ci": None,
                "wasserstein": None, "psi": None, "note": "no non-missing values in one period"}
    ks = stats.ks_2samp(ref_ok, cur_ok)
    d = float(ks.statistic)
    eps = sum(math.sqrt(math.log(4.0 / (1.0 - confidence)) / (2.0 * n)) for n in (ref_ok.size, cur_ok.size))
    spread = float(np.std(ref_ok))
    wasserstein = wasserstein_1d(np.sort(ref_ok), np.sort(cur_ok))
    return {**row, "statistic": d, "p_value": float(ks.pvalue), "effect": d, "effect_name": "ks_statistic",
            "effect_ci": [max(0.0, d - eps), min(1.0, d + eps)], "wasserstein": wasserstein,
            "wasserstein_std": wasserstein / spread if spread > 0 else None,
            "psi": numeric_psi(ref_ok, cur_ok), "histogram": shared_histogram(ref_ok, cur_ok),
            "mean_reference": float(ref_ok.mean()), "mean_current": float(cur_ok.mean())}


def wasserstein_1d(reference_sorted: np.ndarray, current_sorted: np.ndarray) -> float:
    """The first Wasserstein distance of two sorted samples: the area between their distribution functions.

    The formula of ``scipy.stats.wasserstein_distance`` (equal to it up to rounding), without its
    two argsorts: the samples come sorted, and merging two sorted runs is linear (a stable sort).

    Examples
    --------
    >>> wasserstein_1d(np.array([0.0, 1.0]), np.array([1.0, 2.0]))
    1.0
    """
    merged = np.sort(np.concatenate((reference_sorted, current_sorted)), kind="stable")
    deltas = np.diff(merged)
    ref_cdf = np.searchsorted(reference_sorted, merged[:-1], side="right") / reference_sorted.size
    cur_cdf = np.searchsorted(current_sorted, merged[:-1], side="right") / current_sorted.size
    return float(np.sum(np.abs(ref_cdf - cur_cdf) * deltas))


def shared_histogram(reference: np.ndarray, current: np.ndarray, n_bins: int = HISTOGRAM_BINS) -> dict:
    """Each period's share of rows in ``n_bins`` equal-width bins over both periods' range (for the report).

    Examples
    --------
    >>> h = shared_histogram(np.array([0.0, 1.0]), np.array([1.0, 1.0]), n_bins=2)
    >>> h["edges"], h["reference"], h["current"]
    ([0.0, 0.5, 1.0], [0.5, 0.5], [0.0, 1.0])
    """
    low, high = float(min(reference.min(), current.min())), float(max(reference.max(), current.max()))
    if high == low:
        high = low + 1.0
    edges = np.linspace(low, high, n_bins + 1)
    ref_counts = np.histogram(reference, bins=edges)[0]
    cur_counts = np.histogram(current, bins=edges)[0]
    return {"edges": edges.tolist(), "reference": (ref_counts / reference.size).tolist(),
            "current": (cur_counts / current.size).tolist()}


def numeric_psi(reference: np.ndarray, current: np.ndarray, n_bins: int = PSI_BINS) -> float:
    """Population stability index over bins at the reference's quantiles.

    ``PSI = sum((c_i - r_i) * log(c_i / r_i))`` over bins, shares floored at ``PSI_FLOOR``.

    Examples
    --------
    >>> x = np.arange(1000.0)
    >>> numeric_psi(x, x)
    0.0
    """
    edges = np.unique(np.quantile(reference, np.linspace(0, 1, n_bins + 1)[1:-1]))
    ref_counts = np.bincount(np.searchsorted(edges, reference, side="right"), minlength=edges.size + 1)
    cur_counts = np.bincount(np.searchsorted(edges, current, side="right"), minlength=edges.size + 1)
    return psi_from_counts(ref_counts, cur_counts)


def psi_from_counts(reference_counts, current_counts) -> float:
    """PSI of two count vectors over the same bins (shares floored at ``PSI_FLOOR``).

    Examples
    --------
    >>> round(psi_from_counts([50, 50], [60, 40]), 4)
    0.0405
    """
    r = np.asarray(reference_counts, dtype=np.float64)
    c = np.asarray(current_counts, dtype=np.float64)
    r = np.maximum(r / r.sum(), PSI_FLOOR)
    c = np.maximum(c / c.sum(), PSI_FLOOR)
    return float(np.sum((c - r) * np.log(c / r)))


def category_counts(values) -> dict:
    """Rows per category, categories named by their text (so 1 and "1" are one category), missing as ``"missing"``.

    The values are coded once with ``pandas.factorize`` in their own dtype; only the distinct values
    are turned into text, so a million rows cost one hashing pass.

    Examples
    --------
    >>> category_counts(["b", "a", None, "b", 1, "1"])
    {'b': 2, 'a': 1, '1': 2, 'missing': 1}
    """
    codes, uniques = pd.factorize(pd.Series(values) if not isinstance(values, pd.Series) else values)
    sizes = np.bincount(codes[codes >= 0], minlength=len(uniques))
    counts: dict = {}
    for value, size in zip(uniques, sizes):
        counts[str(value)] = counts.get(str(value), 0) + int(size)
    missing = int((codes < 0).sum())
    if missing:
        counts[MISSING] = counts.get(MISSING, 0) + missing
    return counts


def categorical_drift(reference, current, *, confidence: float = 0.95) -> dict:
    """χ² test of homogeneity, total variation distance with its interval, Jensen–Shannon distance, PSI.

    Missing values form their own category ``"missing"``. The interval of the total variation
    distance (TVD, half the L1 distance of the shares) is conservative: by the
    Bretagnolle–Huber–Carol inequality each period's shares lie within L1 distance
    ``sqrt(2 (k log 2 + log(2 / (1 - confidence))) / n_i)`` of their truth with probability at
    least ``1 - (1 - confidence) / 2``; TVD moves by at most half the sum.

    Examples
    --------
    >>> row = categorical_drift(["a"] * 70 + ["b"] * 30, ["a"] * 30 + ["b"] * 70)
    >>> row["test"], round(row["effect"], 2), row["p_value"] < 1e-6
    ('chi2', 0.4, True)
    """
    ref_counts, cur_counts = category_counts(reference), category_counts(current)
    categories = sorted(set(ref_counts) | set(cur_counts))
    table = np.array([[ref_counts.get(c, 0) for c in categories], [cur_counts.get(c, 0) for c in categories]],
                     dtype=np.int64)
    n_ref, n_cur = int(table[0].sum()), int(table[1].sum())
    row = {"kind": "categorical", "test": "chi2", "n_reference": n_ref, "n_current": n_cur,
           "categories": categories, "counts_reference": table[0].tolist(), "counts_current": table[1].tolist()}
    if n_ref == 0 or n_cur == 0:
        return {**row, "statistic": None, "p_value": None, "effect": None, "effect_ci": None,
                "jensen_shannon": None, "psi": None, "note": "no values in one period"}
    shares_ref, shares_cur = table[0] / n_ref, table[1] / n_cur
    tvd = float(0.5 * np.abs(shares_ref - shares_cur).sum())
    k = len(categories)
    radius = sum(math.sqrt(2.0 * (k * math.log(2.0) + math.log(2.0 / (1.0 - confidence))) / n)
                 for n in (n_ref, n_cur)) / 2.0
    if k < 2:
        statistic, p_value = 0.0, 1.0  # one category in both periods: nothing can have moved
    else:
        test = stats.chi2_contingency(table)
        statistic, p_value = float(test.statistic), float(test.pvalue)
    return {**row, "statistic": statistic, "p_value": p_value, "effect": tvd, "effect_name": "total_variation",
            "effect_ci": [max(0.0, tvd - radius), min(1.0, tvd + radius)],
            "jensen_shannon": float(jensenshannon(shares_ref, shares_cur, base=2)),
            "psi": psi_from_counts(table[0], table[1])}


def feature_drift(reference: pd.DataFrame, current: pd.DataFrame, features, kinds: dict, *,
                  alpha: float = 0.05, correction: str = "fdr_bh", confidence: float = 0.95) -> dict:
    """The per-feature drift table, p-values adjusted across features, and the share that drifted.

    Parameters
    ----------
    reference, current : pandas.DataFrame
        The two periods; both hold every column in ``features``.
    features : list of str
    kinds : dict
        ``"numeric"`` or ``"categorical"`` per feature (the dataset's ``feature_kinds``).
    alpha : float
        A feature drifted when its adjusted p-value is below ``alpha``.
    correction : {"fdr_bh", "holm", "none"}
    confidence : float
        Level of the effect-size intervals.

    Returns
    -------
    dict
        ``{"features": {name: row}, "n_features", "n_drifted", "share_drifted", "alpha", "correction"}``.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> ref = pd.DataFrame({"x": rng.normal(size=400), "z": rng.normal(size=400)})
    >>> cur = pd.DataFrame({"x": rng.normal(1, 1, size=400), "z": rng.normal(size=400)})
    >>> table = feature_drift(ref, cur, ["x", "z"], {"x": "numeric", "z": "numeric"})
    >>> table["features"]["x"]["verdict"], table["n_drifted"]
    ('drifted', 1)
    """
    if correction not in CORRECTIONS:
        raise ValueError(f"correction must be one of {list(CORRECTIONS)}; got {correction!r}.")
    rows = {}
    for name in features:
        if kinds.get(name, "numeric") == "numeric":
            rows[name] = numeric_drift(reference[name].to_numpy(), current[name].to_numpy(), confidence=confidence)
        else:
            rows[name] = categorical_drift(reference[name].to_numpy(), current[name].to_numpy(), confidence=confidence)
    raw = np.array([np.nan if row["p_value"] is None else row["p_value"] for row in rows.values()], dtype=float)
    adjusted = raw if correction == "none" else adjust_p_values(raw, correction)
    for row, p in zip(rows.values(), adjusted):
        row["p_adjusted"] = None if np.isnan(p) else float(p)
        row["verdict"] = "not tested" if np.isnan(p) else "drifted" if p < alpha else "stable"
    tested = [row for row in rows.values() if row["verdict"] != "not tested"]
    n_drifted = sum(row["verdict"] == "drifted" for row in tested)
    return {"features": rows, "n_features": len(tested), "n_drifted": int(n_drifted),
            "share_drifted": n_drifted / len(tested) if tested else None,
            "alpha": alpha, "correction": correction, "confidence": confidence}
