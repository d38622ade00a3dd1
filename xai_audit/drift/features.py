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
# scipy's ks_2samp (method "auto") gives the exact p-value up to this many rows in the larger sample
KS_EXACT_N = 10_000


def numeric_drift(reference, current, *, confidence: float = 0.95) -> dict:
    """Kolmogorov–Smirnov test, KS statistic with its DKW interval, Wasserstein distance and PSI.

    Missing values are dropped and counted. The interval of D is simultaneous and conservative:
    with ``eps_i = sqrt(log(4 / (1 - confidence)) / (2 n_i))`` each empirical distribution function
    lies within ``eps_i`` of its truth with probability at least ``1 - (1 - confidence) / 2``
    (Massart's constant), so the true D lies within ``D ± (eps_1 + eps_2)``. Each sample is sorted
    once; the test, the distance, PSI and the histogram all read the sorted samples.

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
    ref_sorted, cur_sorted = np.sort(ref_ok), np.sort(cur_ok)
    values, ref_cdf, cur_cdf = distribution_functions(ref_sorted, cur_sorted)
    d, p_value = ks_test(ref_sorted, cur_sorted, ref_cdf, cur_cdf)
    eps = sum(math.sqrt(math.log(4.0 / (1.0 - confidence)) / (2.0 * n)) for n in (ref_ok.size, cur_ok.size))
    spread = float(np.std(ref_ok))
    wasserstein = float(np.sum(np.abs(ref_cdf[:-1] - cur_cdf[:-1]) * np.diff(values)))
    return {**row, "statistic": d, "p_value": p_value, "effect": d, "effect_name": "ks_statistic",
            "effect_ci": [max(0.0, d - eps), min(1.0, d + eps)], "wasserstein": wasserstein,
            "wasserstein_std": wasserstein / spread if spread > 0 else None,
            "psi": numeric_psi(ref_sorted, cur_sorted), "histogram": shared_histogram(ref_sorted, cur_sorted),
            "mean_reference": float(ref_ok.mean()), "mean_current": float(cur_ok.mean())}


def distribution_functions(reference_sorted: np.ndarray, current_sorted: np.ndarray):
    """The distinct values of two sorted samples, in order, and each sample's distribution function at them.

    The two sorted runs are merged by a stable argsort (linear on two runs); a value's distribution
    function is the share of the sample at or below it, read at the last of its ties — the values
    ``scipy.stats.ks_2samp`` computes with ``searchsorted(..., side="right")``.

    Examples
    --------
    >>> values, f, g = distribution_functions(np.array([0.0, 1.0]), np.array([1.0, 1.0, 2.0]))
    >>> values.tolist(), f.tolist(), g.round(3).tolist()
    ([0.0, 1.0, 2.0], [0.5, 1.0, 1.0], [0.0, 0.667, 1.0])
    """
    both = np.concatenate((reference_sorted, current_sorted))
    order = np.argsort(both, kind="stable")
    merged = both[order]
    from_reference = np.cumsum(order < reference_sorted.size)
    last = np.flatnonzero(np.r_[merged[1:] != merged[:-1], True])
    return (merged[last], from_reference[last] / reference_sorted.size,
            (last + 1 - from_reference[last]) / current_sorted.size)


def ks_test(reference_sorted, current_sorted, reference_cdf, current_cdf) -> tuple[float, float]:
    """The two-sided two-sample Kolmogorov–Smirnov statistic and p-value, equal to ``scipy.stats.ks_2samp``'s.

    Up to ``KS_EXACT_N`` rows in the larger sample scipy's exact p-value is used (``ks_2samp`` itself);
    above it, scipy's own asymptotic branch is followed on the distribution functions already at hand
    (``D`` the largest gap, ``p = kstwo.sf(D, round(n m / (n + m)))``), which saves its two sorts and
    two searches over both samples.

    Examples
    --------
    >>> a, b = np.sort(np.random.default_rng(0).normal(size=(2, 20_000)), axis=1)
    >>> _, f, g = distribution_functions(a, b)
    >>> ks_test(a, b, f, g) == tuple(float(v) for v in stats.ks_2samp(a, b))
    True
    """
    n1, n2 = reference_sorted.size, current_sorted.size
    if max(n1, n2) <= KS_EXACT_N:
        result = stats.ks_2samp(reference_sorted, current_sorted)
        return float(result.statistic), float(result.pvalue)
    gaps = reference_cdf - current_cdf
    d = float(max(gaps.max(), np.clip(-gaps.min(), 0, 1)))
    m, n = sorted([float(n1), float(n2)], reverse=True)
    return d, float(np.clip(stats.kstwo.sf(d, np.round(m * n / (m + n))), 0, 1))


def shared_histogram(reference_sorted: np.ndarray, current_sorted: np.ndarray, n_bins: int = HISTOGRAM_BINS) -> dict:
    """Each period's share of rows in ``n_bins`` equal-width bins over both periods' range (for the report).

    Bins are ``[e_i, e_i+1)``, the last one closed, as ``numpy.histogram``; the samples come sorted,
    so each count is a difference of two positions.

    Examples
    --------
    >>> h = shared_histogram(np.array([0.0, 1.0]), np.array([1.0, 1.0]), n_bins=2)
    >>> h["edges"], h["reference"], h["current"]
    ([0.0, 0.5, 1.0], [0.5, 0.5], [0.0, 1.0])
    """
    low = float(min(reference_sorted[0], current_sorted[0]))
    high = float(max(reference_sorted[-1], current_sorted[-1]))
    if high == low:
        high = low + 1.0
    edges = np.linspace(low, high, n_bins + 1)

    def counts(values):
        below = np.searchsorted(values, edges, side="left")
        below[-1] = np.searchsorted(values, edges[-1], side="right")
        return np.diff(below)

    return {"edges": edges.tolist(), "reference": (counts(reference_sorted) / reference_sorted.size).tolist(),
            "current": (counts(current_sorted) / current_sorted.size).tolist()}


def numeric_psi(reference_sorted: np.ndarray, current_sorted: np.ndarray, n_bins: int = PSI_BINS) -> float:
    """Population stability index over bins at the reference's quantiles (both samples sorted).

    ``PSI = sum((c_i - r_i) * log(c_i / r_i))`` over bins, shares floored at ``PSI_FLOOR``; a value
    equal to an edge falls in the bin above it.

    Examples
    --------
    >>> x = np.arange(1000.0)
    >>> numeric_psi(x, x)
    0.0
    """
    edges = np.unique(np.quantile(reference_sorted, np.linspace(0, 1, n_bins + 1)[1:-1]))

    def counts(values):
        return np.diff(np.r_[0, np.searchsorted(values, edges, side="left"), values.size])

    return psi_from_counts(counts(reference_sorted), counts(current_sorted))


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
    return {**judge_features(rows, alpha=alpha, correction=correction), "confidence": confidence}


def judge_features(rows: dict, *, alpha: float, correction: str) -> dict:
    """Each feature's p-value adjusted across the features (in place: ``p_adjusted``, ``verdict``), and
    the share that drifted. A feature without a p-value is "not tested" and left out of the share.

    Examples
    --------
    >>> table = judge_features({"a": {"p_value": 0.001}, "b": {"p_value": 0.4}, "c": {"p_value": None}},
    ...                        alpha=0.05, correction="fdr_bh")
    >>> [table["features"][f]["verdict"] for f in "abc"], table["share_drifted"]
    (['drifted', 'stable', 'not tested'], 0.5)
    """
    raw = np.array([np.nan if row["p_value"] is None else row["p_value"] for row in rows.values()], dtype=float)
    adjusted = raw if correction == "none" else adjust_p_values(raw, correction)
    for row, p in zip(rows.values(), adjusted):
        row["p_adjusted"] = None if np.isnan(p) else float(p)
        row["verdict"] = "not tested" if np.isnan(p) else "drifted" if p < alpha else "stable"
    tested = [row for row in rows.values() if row["verdict"] != "not tested"]
    n_drifted = sum(row["verdict"] == "drifted" for row in tested)
    return {"features": rows, "n_features": len(tested), "n_drifted": int(n_drifted),
            "share_drifted": n_drifted / len(tested) if tested else None,
            "alpha": alpha, "correction": correction}
