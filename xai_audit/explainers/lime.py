"""LIME for tabular models, batched: the perturbations of many rows are scored in one model call.

The scheme is ``lime.lime_tabular.LimeTabularExplainer``'s defaults, step for step:

- numeric features are discretised into quartiles of the data (``QuartileDiscretizer``);
  categorical features are categories; each feature's perturbed values are drawn from the data's
  bin (or category) frequencies, and a numeric bin is turned back into a number by a normal
  truncated to the bin, with the bin's mean and standard deviation (lime's ``undiscretize``);
- the interpretable representation is binary (1: same bin or category as the explained row), the
  distance is the euclidean distance in it, the kernel ``sqrt(exp(-d**2 / width**2))`` with
  ``width = 0.75 * sqrt(n_features)``, and the surrogate is ``Ridge(alpha=1)`` fitted with those
  weights on all features (``num_features`` = every feature), the first sample being the row itself.

What differs: the perturbations do not depend on the explained row (only their binary
representation does), so by default one sample serves every row and the model scores it once
(:func:`batched_lime`); the draws are vectorised (numpy's Generator, not lime's per-column
RandomState calls); the weighted ridge regressions are solved in closed form for many rows at
once; and a bin holding a single value yields that value (lime yields its z-score there, a slip in
``get_undiscretize_values``). The result is checked against the ``lime`` package (see
:func:`lime_package_weights` and the tests).
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from scipy import special

from xai_audit.adapters.threads import one_thread
from xai_audit.exceptions import InvalidInputError
from xai_audit.explainers._tabular import (
    CategoryCodec,
    explainable_table_model,
    explained_class,
    output_matrix,
    output_space,
    pick,
    require_table_model,
)
from xai_audit.explainers.base import Explainer, Explanation

MAX_BATCH_ROWS = 2_000_000  # perturbations scored per model call (even unshared, 300 rows x 5000 fit in one)
MISSING = -1.0  # the code of a missing category in the binary representation


class LimeExplainer(Explainer):
    """LIME weights per original feature, batched (see the module docstring for the scheme).

    Parameters
    ----------
    num_samples : int
        Perturbations per explained row (lime's default 5000).
    kernel_width : float, optional
        Default ``0.75 * sqrt(n_features)``, as lime.
    max_rows : int
        The most rows explained (a seeded sample beyond that; stated in ``meta``).
    training_rows : int, optional
        Rows of the data the bin edges and frequencies come from (a seeded sample); default all.
    share_samples : bool
        One perturbation sample for all rows (default; see :func:`batched_lime`), or one per row.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from xai_audit import AuditDataset, load_model
    >>> df = pd.DataFrame({"a": np.arange(40.0), "c": ["x", "y"] * 20, "y": [0] * 20 + [1] * 20})
    >>> model = load_model(LogisticRegression().fit(df[["a"]], df["y"]))
    >>> data = AuditDataset.from_frame(df, target="y")
    >>> e = LimeExplainer(num_samples=500).explain(model, data, ["a"], np.array([0, 39]), random_state=0)
    >>> e.values.shape, bool(e.values[1, 0] > 0)
    ((2, 1), True)
    """

    name = "lime"
    additive = False
    local = True

    def __init__(self, *, num_samples=5000, kernel_width=None, max_rows=1000, training_rows=None, share_samples=True):
        if not isinstance(num_samples, (int, np.integer)) or num_samples < 2:
            raise InvalidInputError(f"num_samples must be an integer of at least 2; got {num_samples!r}.")
        if kernel_width is not None and not kernel_width > 0:
            raise InvalidInputError(f"kernel_width must be positive; got {kernel_width!r}.")
        self.num_samples = int(num_samples)
        self.kernel_width = kernel_width
        self.max_rows = int(max_rows)
        self.training_rows = training_rows
        self.share_samples = bool(share_samples)

    @classmethod
    def supports(cls, adapter) -> bool:
        return explainable_table_model(adapter)

    def row_limit(self, adapter) -> int | None:
        return self.max_rows

    def explain(self, adapter, data, features, rows, *, random_state=None) -> Explanation:
        require_table_model(adapter, self.name)
        started = time.perf_counter()
        rng = np.random.default_rng(random_state)
        rows = np.asarray(rows, dtype=int)
        features = list(features)
        training = data.frame.loc[:, features]
        if self.training_rows is not None and self.training_rows < len(training):
            training = training.iloc[np.sort(rng.choice(len(training), self.training_rows, replace=False))]
        X = data.frame.iloc[rows].loc[:, features]
        sampler = LimeSampler(training, features, data.feature_kinds)
        columns = explained_class(adapter, X)
        width = self.kernel_width or default_kernel_width(len(features))
        result = batched_lime(adapter, sampler, X, columns, num_samples=self.num_samples, kernel_width=width, rng=rng,
                              share_samples=self.share_samples)
        meta = {
            "algorithm": "LIME, batched (lime.lime_tabular defaults: quartile discretisation, categorical "
                         "features as categories, exponential kernel, Ridge(alpha=1) on all features)",
            "output_space": output_space(adapter),
            "explained_class": str(adapter.positive_class) if adapter.task == "binary" else (
                "the predicted class of each row" if adapter.task == "multiclass" else None),
            "num_samples": self.num_samples,
            "perturbations": ("one sample shared by all rows (common random numbers; each row's explanation has "
                              "lime's distribution)" if self.share_samples else "drawn for each row, as lime"),
            "kernel_width": float(width),
            "discretizer": "quartile",
            "training_rows": int(len(training)),
            "categorical_features": [f for f in features if sampler.codec.is_categorical(f)],
            "local_prediction": result["local_prediction"].tolist(),
            "local_r2": result["score"].tolist(),
            "local_r2_median": float(np.median(result["score"])) if len(rows) else None,
            "model_calls": result["model_calls"],
            "uses_background": True,
            "seconds": round(time.perf_counter() - started, 4),
        }
        return Explanation(values=result["weights"], base_values=result["intercept"], output=result["output"],
                           data=X, feature_names=tuple(features), row_index=rows, method=self.name, meta=meta)


class LimeSampler:
    """lime's discretisation and sampling statistics, computed once from the data.

    Parameters
    ----------
    training : DataFrame
        The rows that define bins (quartiles of numeric features) and frequencies.
    features : list of str
    kinds : dict
        ``"numeric"`` / ``"categorical"`` per feature.

    Examples
    --------
    >>> sampler = LimeSampler(pd.DataFrame({"a": np.arange(8.0)}), ["a"], {"a": "numeric"})
    >>> sampler.edges[0].tolist(), sampler.discretize(np.array([[0.0], [7.0]])).ravel().tolist()
    ([1.75, 3.5, 5.25], [0.0, 3.0])
    """

    def __init__(self, training: pd.DataFrame, features, kinds: dict):
        self.features = list(features)
        self.codec = CategoryCodec(training, self.features, kinds)
        encoded = self.codec.encode(training)
        self.numeric = [j for j, f in enumerate(self.features) if not self.codec.is_categorical(f)]
        self.edges, self.stats, self.values, self.cumulative = {}, {}, {}, {}
        for j in range(len(self.features)):
            column = encoded[:, j]
            if j in self.numeric:
                edges = np.unique(np.nanpercentile(column, [25, 50, 75])) if np.isfinite(column).any() else np.array([0.0])
                self.edges[j] = edges
                bins = np.searchsorted(edges, column)  # lime's discretize (side="left"); NaN falls in the last bin
                low, high = np.nanmin(column) if np.isfinite(column).any() else 0.0, np.nanmax(column) if np.isfinite(column).any() else 0.0
                means, stds = [], []
                for b in range(len(edges) + 1):
                    selected = column[(bins == b) & np.isfinite(column)]
                    means.append(selected.mean() if len(selected) else 0.0)
                    stds.append((selected.std() if len(selected) else 0.0) + 1e-11)
                self.stats[j] = (np.array(means), np.array(stds), np.concatenate([[low], edges]),
                                 np.concatenate([edges, [high]]))
                labels = bins.astype(float)
            else:
                labels = np.where(np.isnan(column), MISSING, column)
            found, counts = np.unique(labels, return_counts=True)
            self.values[j] = found
            self.cumulative[j] = np.cumsum(counts) / counts.sum()

    def discretize(self, encoded: np.ndarray) -> np.ndarray:
        """Bin numbers for numeric features, category codes (MISSING for none) for the others."""
        out = np.empty_like(encoded)
        for j in range(encoded.shape[1]):
            if j in self.numeric:
                out[:, j] = np.searchsorted(self.edges[j], encoded[:, j])
            else:
                out[:, j] = np.where(np.isnan(encoded[:, j]), MISSING, encoded[:, j])
        return out

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` draws of every feature's bin / category, by the data's frequencies: (n, F)."""
        draws = np.empty((n, len(self.features)))
        for j in range(len(self.features)):
            index = np.searchsorted(self.cumulative[j], rng.random(n), side="right")
            draws[:, j] = self.values[j][np.minimum(index, len(self.values[j]) - 1)]
        return draws

    def undiscretize(self, draws: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Numbers for the drawn bins (a normal truncated to the bin); codes as they are, NaN for missing."""
        out = np.empty_like(draws)
        for j in range(draws.shape[1]):
            if j in self.numeric:
                means, stds, lows, highs = self.stats[j]
                bins = draws[:, j].astype(int)
                out[:, j] = truncated_normal(means[bins], stds[bins], lows[bins], highs[bins], rng)
            else:
                out[:, j] = np.where(draws[:, j] == MISSING, np.nan, draws[:, j])
        return out


def truncated_normal(mean, std, low, high, rng: np.random.Generator) -> np.ndarray:
    """Draws from normal(mean, std) truncated to [low, high], by inverting the CDF.

    Where ``low == high`` the value is ``low``. Tails are sampled on the side where the CDF is
    accurate (a bound above the mean is mirrored below it).

    Examples
    --------
    >>> x = truncated_normal(np.zeros(1000), np.ones(1000), np.full(1000, 1.0), np.full(1000, 2.0), np.random.default_rng(0))
    >>> bool(x.min() >= 1.0 and x.max() <= 2.0)
    True
    """
    a = (low - mean) / std
    b = (high - mean) / std
    flip = a > 0  # both bounds above the mean: sample the mirror image, where ndtr is accurate
    lower, upper = np.where(flip, -b, a), np.where(flip, -a, b)
    p_lower, p_upper = special.ndtr(lower), special.ndtr(upper)
    z = special.ndtri(p_lower + (p_upper - p_lower) * rng.random(np.shape(mean)))
    z = np.clip(z, lower, upper)
    z = np.where(flip, -z, z)
    return np.where(low == high, low, mean + std * z)


def batched_lime(adapter, sampler: LimeSampler, X: pd.DataFrame, columns: np.ndarray, *, num_samples: int,
                 kernel_width: float, rng: np.random.Generator, share_samples: bool = True) -> dict:
    """LIME weights for every row of ``X``, with one model call for all of them.

    lime's perturbations do not depend on the explained row — each feature's bin or category is
    drawn from the data's frequencies, and a bin's value from its truncated normal — only their
    binary representation (same bin / category as the row?) and hence their weights do. With
    ``share_samples`` (the default) one draw of ``num_samples - 1`` perturbations serves every row
    (common random numbers): each row's explanation has exactly lime's distribution, the model
    scores ``num_samples - 1 + n_rows`` rows instead of ``n_rows * num_samples``, and rows'
    sampling errors are correlated rather than independent. ``share_samples=False`` draws for each
    row separately, as the lime package does.

    Returns a dict of arrays: ``weights`` (n, F), ``intercept``, ``local_prediction``, ``score``
    (the surrogate's weighted R²), ``output`` (the model's output for the row) and ``model_calls``.
    """
    n_rows, n_features = len(X), len(sampler.features)
    encoded = sampler.codec.encode(X)
    instance = sampler.discretize(encoded)
    n_draws = num_samples - 1  # the first "sample" of every row is the row itself
    if share_samples:
        draws = sampler.sample(n_draws, rng)
        inverse = sampler.undiscretize(draws, rng)
        scores, calls = _score(adapter, sampler, np.concatenate([encoded, inverse]))
        own = pick(scores[:n_rows], columns)
        shared = scores[n_rows:]
    else:
        draws = sampler.sample(n_rows * n_draws, rng).reshape(n_rows, n_draws, n_features)
        inverse = sampler.undiscretize(draws.reshape(-1, n_features), rng)
        scores, calls = _score(adapter, sampler, np.concatenate([encoded, inverse]))
        own = pick(scores[:n_rows], columns)
        shared = scores[n_rows:].reshape(n_rows, n_draws, -1)
    coef = np.empty((n_rows, n_features))
    intercept, score = np.empty(n_rows), np.empty(n_rows)
    block = max(1, 2_000_000 // max(num_samples * n_features, 1))  # rows per step: bounds memory
    for start in range(0, n_rows, block):
        stop = min(n_rows, start + block)
        rows = np.arange(start, stop)
        row_draws = draws[None] if share_samples else draws[rows]
        binary = np.ones((len(rows), num_samples, n_features))
        binary[:, 1:, :] = row_draws == instance[rows, None, :]
        y = np.empty((len(rows), num_samples))
        y[:, 0] = own[rows]
        y[:, 1:] = shared[:, columns[rows]].T if share_samples else np.take_along_axis(
            shared[rows], columns[rows, None, None], axis=2)[:, :, 0]
        distances = np.sqrt(np.maximum(n_features - binary.sum(axis=2), 0.0))
        weights = lime_kernel(distances, kernel_width)
        coef[rows], intercept[rows], score[rows] = weighted_ridge(binary, y, weights, alpha=1.0)
    return {"weights": coef, "intercept": intercept, "local_prediction": intercept + coef.sum(axis=1),
            "score": score, "output": own, "model_calls": calls}


def default_kernel_width(n_features: int) -> float:
    """LIME's default kernel width for tabular data: 0.75 times the square root of the number of features.

    Examples
    --------
    >>> default_kernel_width(16)
    3.0
    """
    return 0.75 * float(np.sqrt(n_features))


def lime_kernel(distances, kernel_width: float) -> np.ndarray:
    """The weight of a perturbed sample at ``distances`` from the explained row, as ``lime`` weighs
    it: ``sqrt(exp(-d**2 / width**2))``.

    Examples
    --------
    >>> lime_kernel(np.array([0.0, 3.0]), 3.0).round(4).tolist()
    [1.0, 0.6065]
    """
    return np.sqrt(np.exp(-(np.asarray(distances, dtype=float) ** 2) / kernel_width ** 2))


def _score(adapter, sampler, matrix):
    """The model's output columns for encoded rows, in as few calls as memory allows."""
    outputs, calls = [], 0
    for start in range(0, len(matrix), MAX_BATCH_ROWS):
        outputs.append(output_matrix(adapter, sampler.codec.decode(matrix[start:start + MAX_BATCH_ROWS])))
        calls += 1
    return np.concatenate(outputs), calls


def weighted_ridge(Z: np.ndarray, y: np.ndarray, w: np.ndarray, *, alpha: float):
    """``Ridge(alpha, fit_intercept=True).fit(Z[r], y[r], sample_weight=w[r])`` for every r at once.

    Z: (R, S, F); y, w: (R, S). Returns coef (R, F), intercept (R,), weighted R² (R,).

    Everything is computed from the weighted moments (sums of w z z', w z, w z y, w y, w y²), so
    the (R, S, F) samples are read twice (one product with the weights, one matrix product), not
    centred and copied; the moments of 0/1 features lose nothing to the centring after the sums.

    The Gram matrices are multiplied on one BLAS thread: threads split the sum over samples by
    their number, so the weights would change in the last bits with the machine's cores; and
    small products like these are faster on one thread than on a team.

    Examples
    --------
    >>> from sklearn.linear_model import Ridge
    >>> rng = np.random.default_rng(0)
    >>> Z, y, w = rng.random((1, 50, 3)), rng.random((1, 50)), rng.random((1, 50))
    >>> coef, intercept, _ = weighted_ridge(Z, y, w, alpha=1.0)
    >>> reference = Ridge(alpha=1.0).fit(Z[0], y[0], sample_weight=w[0])
    >>> bool(np.allclose(coef[0], reference.coef_) and np.isclose(intercept[0], reference.intercept_))
    True
    """
    total = w.sum(axis=1)
    weighted = Z * w[:, :, None]
    with one_thread("blas"):
        gram = np.matmul(weighted.transpose(0, 2, 1), Z)  # sum over samples of w z z'
    z_sum = weighted.sum(axis=1)  # sum of w z
    zy = np.einsum("rsf,rs->rf", weighted, y)  # sum of w z y
    wy, wyy = (w * y).sum(axis=1), (w * y * y).sum(axis=1)
    z_mean, y_mean = z_sum / total[:, None], wy / total
    centred_gram = gram - z_sum[:, :, None] * z_mean[:, None, :] + alpha * np.eye(Z.shape[2])[None]
    coef = np.linalg.solve(centred_gram, (zy - z_sum * y_mean[:, None])[:, :, None])[:, :, 0]
    intercept = y_mean - (z_mean * coef).sum(axis=1)
    # sum of w (y - Z coef - intercept)^2, expanded into the same moments
    fitted_squares = (np.einsum("rf,rfg,rg->r", coef, gram, coef) + 2 * intercept * (z_sum * coef).sum(axis=1)
                      + intercept ** 2 * total)
    residual = wyy - 2 * ((zy * coef).sum(axis=1) + intercept * wy) + fitted_squares
    spread = wyy - wy * y_mean
    score = np.where(spread > 0, 1 - residual / np.where(spread > 0, spread, 1), 1.0)
    return coef, intercept, score


def lime_package_weights(adapter, data, features, rows, *, num_samples=5000, random_state=None) -> np.ndarray:
    """The same explanations from the ``lime`` package, one ``explain_instance`` call per row.

    The reference the batched implementation is checked and benchmarked against: lime gets the same
    data (categories as integer codes, as it requires), explains the same output column with all
    features, and returns the weights as an (n_rows, n_features) array.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from xai_audit import AuditDataset, load_model
    >>> df = pd.DataFrame({"a": np.arange(40.0), "y": [0] * 20 + [1] * 20})
    >>> model = load_model(LogisticRegression().fit(df[["a"]], df["y"]))
    >>> lime_package_weights(model, AuditDataset.from_frame(df, target="y"), ["a"], [39], num_samples=200, random_state=0).shape
    (1, 1)
    """
    from lime.lime_tabular import LimeTabularExplainer

    features = list(features)
    training = data.frame.loc[:, features]
    codec = CategoryCodec(training, features, data.feature_kinds)
    encoded = np.where(np.isnan(codec.encode(training)), MISSING, codec.encode(training))
    categorical = [j for j, f in enumerate(features) if codec.is_categorical(f)]
    explainer = LimeTabularExplainer(encoded, mode="regression" if adapter.task == "regression" else "classification",
                                     feature_names=features, categorical_features=categorical,
                                     random_state=random_state)
    X = data.frame.iloc[list(rows)].loc[:, features]
    columns = explained_class(adapter, X)

    def predict(matrix):
        decoded = codec.decode(np.where(matrix == MISSING, np.nan, matrix))
        if adapter.task == "regression":
            return adapter.predict(decoded).astype(float)
        return adapter.predict_proba(decoded)

    weights = np.zeros((len(X), len(features)))
    instances = np.where(np.isnan(codec.encode(X)), MISSING, codec.encode(X))
    for r, (row, column) in enumerate(zip(instances, columns)):
        label = 1 if adapter.task == "regression" else int(column) if adapter.task == "multiclass" else adapter.positive_index
        explanation = explainer.explain_instance(row, predict, labels=(label,), num_features=len(features),
                                                 num_samples=num_samples)
        for j, weight in explanation.local_exp[label]:
            weights[r, j] = weight
    return weights
