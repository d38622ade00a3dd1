"""SHAP values for tabular models, the algorithm chosen from the model and stated in ``meta``.

- Tree ensembles (scikit-learn, XGBoost, LightGBM; the final step of a Pipeline, explained on the
  preprocessor's output): exact Tree SHAP. By default (``output_space="auto"``) of the probability,
  the scale a non-expert reads: path-dependent for forests and single trees, interventional against
  a background sample for boosted binary classifiers (as shap's ``model_output="probability"``);
  the class margin for multiclass boosting, the value for regression. ``output_space="log_odds"``
  keeps boosting's path-dependent log-odds. See :mod:`xai_audit.explainers._tree`.
- Linear models: shap's ``LinearExplainer`` (interventional) of the log-odds / margin / value,
  against a sampled background.
- PyTorch models: DeepLIFT-SHAP via ``xai_audit.explainers.captum.deep_shap``.
- Anything else: permutation SHAP of the probability (or value), sampled rows and background,
  evaluations per row budgeted (see :mod:`xai_audit.explainers._sampling_shap`).

Attributions of one-hot encoded columns are summed per original feature (additivity is kept).
"""

from __future__ import annotations

import importlib
import time

import numpy as np
import pandas as pd

from xai_audit.exceptions import InvalidInputError, UnsupportedModelError
from xai_audit.explainers._sampling_shap import permutation_shap
from xai_audit.explainers._tabular import (
    CategoryCodec,
    background_positions,
    dense,
    explainable_table_model,
    explained_class,
    group_matrix,
    output_matrix,
    output_space,
    pick,
    require_table_model,
)
from xai_audit.explainers._tree import (
    probability_attributions,
    probability_space_unavailable,
    tree_attributions,
    tree_family,
)
from xai_audit.explainers.base import Explainer, Explanation

ALGORITHMS = ("auto", "tree", "linear", "deep", "permutation")
OUTPUT_SPACES = ("auto", "probability", "log_odds")
SPACE_WORDS = {
    "probability": "the probability of the explained class",
    "log_odds": "the log-odds of the explained class (the model's raw margin)",
    "margin": "the raw margin (pre-softmax score) of the explained class",
    "value": "the predicted value",
}


class ShapExplainer(Explainer):
    """SHAP values per original feature, with the algorithm chosen for the model.

    Parameters
    ----------
    algorithm : {"auto", "tree", "linear", "deep", "permutation"}
        ``"auto"``: Tree SHAP for tree ensembles, Linear SHAP for linear models, DeepLIFT-SHAP for
        PyTorch, permutation SHAP otherwise.
    background_rows : int
        Background sample (seeded) for the linear, deep and permutation algorithms.
    max_evals : int
        Permutation SHAP: model evaluations per explained row (each with the whole background), as
        shap's ``PermutationExplainer`` counts them; sets the number of sampled feature orders.
    sampling_rows : int
        Permutation SHAP explains at most this many rows (a seeded sample; stated in ``meta``).
    max_model_rows : int
        Permutation SHAP: model evaluations in all (rows x evaluations x background); fewer rows are
        explained (a seeded sample, stated in ``meta``) when the budget would be exceeded.
    output_space : {"auto", "probability", "log_odds"}
        Tree SHAP of classifiers: what the values add up to. ``"auto"`` (the report's default): the
        probability of the explained class, the scale a non-expert reads and the one LIME explains,
        wherever it is exact — forests and single trees (path-dependent Tree SHAP), and boosted
        binary classifiers (interventional Tree SHAP against ``background_rows`` sampled rows, as
        shap's ``model_output="probability"``; costs rows x background x trees); else the raw
        margin (multiclass boosting: a softmax couples the classes). ``"log_odds"``: the boosted
        model's log-odds (path-dependent, no background). ``meta["output_space"]`` always says which.
    backend, workers, scheduler
        Tree SHAP for scikit-learn models: see :func:`xai_audit.explainers._tree.tree_attributions`.
    progress : callable, optional
        ``progress(step, fraction)``.

    Examples
    --------
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from xai_audit import AuditDataset, load_model
    >>> df = pd.DataFrame({"a": [0.0, 1, 2, 3, 4, 5], "b": [1.0, 0, 1, 0, 1, 0], "y": [0, 0, 0, 1, 1, 1]})
    >>> model = load_model(RandomForestClassifier(n_estimators=5, random_state=0).fit(df[["a", "b"]], df["y"]))
    >>> e = ShapExplainer().explain(model, AuditDataset.from_frame(df, target="y"), ["a", "b"], np.arange(6))
    >>> e.values.shape, e.meta["output_space"], e.additivity_error() < 1e-9
    ((6, 2), 'probability', True)
    """

    name = "shap"
    additive = True
    local = True

    def __init__(self, *, algorithm="auto", background_rows=100, max_evals=200, sampling_rows=100,
                 max_model_rows=1_000_000, output_space="auto", backend="auto", workers=None, scheduler=None,
                 progress=None):
        if algorithm not in ALGORITHMS:
            raise InvalidInputError(f"algorithm must be one of {list(ALGORITHMS)}; got {algorithm!r}.")
        if output_space not in OUTPUT_SPACES:
            raise InvalidInputError(f"output_space must be one of {list(OUTPUT_SPACES)}; got {output_space!r}.")
        for label, value in (("background_rows", background_rows), ("max_evals", max_evals),
                             ("sampling_rows", sampling_rows), ("max_model_rows", max_model_rows)):
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise InvalidInputError(f"{label} must be a positive integer; got {value!r}.")
        self.algorithm = algorithm
        self.output_space = output_space
        self.background_rows = int(background_rows)
        self.max_evals = int(max_evals)
        self.sampling_rows = int(sampling_rows)
        self.max_model_rows = int(max_model_rows)
        self.backend = backend
        self.workers = workers
        self.scheduler = scheduler
        self.progress = progress

    @classmethod
    def supports(cls, adapter) -> bool:
        return explainable_table_model(adapter)

    def row_limit(self, adapter) -> int | None:
        return self.sampling_rows if self.choose(adapter)[0] == "permutation" else None

    def choose(self, adapter) -> tuple[str, str]:
        """The algorithm for ``adapter`` and why (``"tree"``, ``"linear"``, ``"deep"``, ``"permutation"``)."""
        if self.algorithm != "auto":
            return self.algorithm, "requested"
        if adapter.framework == "torch":
            return "deep", "a PyTorch model"
        estimator = getattr(adapter, "final_estimator", None)
        if estimator is None:
            return "permutation", "the model is not a scikit-learn-compatible estimator"
        traceable = adapter.preprocessor is None or adapter.column_groups() is not None
        if not traceable:
            return "permutation", ("the preprocessor's output columns cannot be traced back to the original "
                                   "features, so encoded-column attributions could not be summed per feature")
        if tree_family(estimator) is not None:
            return "tree", f"{type(estimator).__name__} is a tree ensemble"
        if _is_linear(estimator):
            return "linear", f"{type(estimator).__name__} is a linear model"
        return "permutation", f"{type(estimator).__name__} has no model-specific SHAP algorithm"

    def explain(self, adapter, data, features, rows, *, random_state=None) -> Explanation:
        require_table_model(adapter, self.name)
        started = time.perf_counter()
        algorithm, reason = self.choose(adapter)
        rows = np.asarray(rows, dtype=int)
        frame = data.frame.iloc[rows]
        X = frame.loc[:, list(features)]
        classes = explained_class(adapter, X) if adapter.task == "multiclass" else None
        rng = np.random.default_rng(random_state)
        algorithms = {"tree": lambda: self._tree(adapter, data, X, features, classes, rng),
                      "linear": lambda: self._linear(adapter, data, X, features, classes, rng),
                      "deep": lambda: self._deep(adapter, data, X, features, rng, random_state),
                      "permutation": lambda: self._permutation(adapter, data, X, features, classes, rng)}
        try:
            result = algorithms[algorithm]()
        except UnsupportedModelError as error:  # e.g. multiclass GradientBoosting, TorchScript for DeepLIFT
            if self.algorithm != "auto" or algorithm == "permutation":
                raise
            algorithm, reason = "permutation", f"the {algorithm} algorithm does not apply ({error})"
            result = algorithms["permutation"]()
        values, base, output, meta, keep = result
        if self.output_space != "auto" and meta["output_space"] != self.output_space:
            raise InvalidInputError(
                f"output_space={self.output_space!r} is not available for '{adapter.name}' with the {algorithm} "
                f"algorithm, which explains {SPACE_WORDS.get(meta['output_space'], meta['output_space'])}. "
                "Use output_space='auto'.")
        meta.setdefault("output_space_requested", self.output_space)
        if keep is not None:  # permutation SHAP explained a sample of the rows, within its budget
            rows, X = rows[keep], X.iloc[keep]
            classes = None if classes is None else np.asarray(classes)[keep]
        meta.update({
            "algorithm_key": algorithm,
            "algorithm_reason": reason,
            "output_description": SPACE_WORDS.get(meta["output_space"], meta["output_space"]),
            "explained_class": _explained_class_text(adapter, classes),
            "seconds": round(time.perf_counter() - started, 4),
        })
        return Explanation(values=values, base_values=base, output=output, data=X, feature_names=tuple(features),
                           row_index=rows, method=self.name, meta=meta)

    # -- algorithms ------------------------------------------------------------------------------------

    def _tree(self, adapter, data, X, features, classes, rng):
        estimator = adapter.final_estimator
        Z, grouping = _model_space(adapter, X, features)
        class_index = _class_index(adapter, len(X), classes)
        unavailable = probability_space_unavailable(estimator)
        if self.output_space == "probability" and unavailable is not None and "already" not in unavailable:
            raise InvalidInputError(f"output_space='probability' is not available for '{adapter.name}': {unavailable}. "
                                    "Use output_space='auto', or algorithm='permutation' (model-agnostic, sampled).")
        why = None
        if self.output_space in ("auto", "probability") and unavailable is None:
            background = data.frame.iloc[background_positions(data.n_rows, self.background_rows, rng)]
            Z_background, _ = _model_space(adapter, background.loc[:, list(features)], features)
            try:
                result = probability_attributions(estimator, Z, Z_background, class_index, workers=self.workers)
            except UnsupportedModelError as error:
                if self.output_space == "probability":
                    raise
                why = f"the probability could not be explained exactly ({error}), so the log-odds is"
            else:
                meta = {"algorithm": result.algorithm, "output_space": "probability", "precision": result.precision,
                        "workers": result.workers, "execution": result.execution,
                        "background": {"kind": "sampled rows", "size": int(len(Z_background))},
                        "uses_background": True, "feature_perturbation": "interventional",
                        "output_space_requested": self.output_space,
                        "output_space_reason": ("the probability, the scale a non-expert reads and the one "
                                                "LIME explains; exact and additive (interventional, against "
                                                "the background)"),
                        **_grouping_meta(grouping, Z)}
                return _grouped(result.values, grouping), result.base, result.output, meta, None
        tick = None if self.progress is None else (lambda done, total: self.progress("Tree SHAP", done / max(total, 1)))
        result = tree_attributions(estimator, Z, class_index, backend=self.backend, workers=self.workers,
                                   scheduler=self.scheduler, progress=tick)
        if self.output_space == "log_odds" and result.space != "log_odds":
            raise InvalidInputError(f"output_space='log_odds' is not available for '{adapter.name}': its Tree SHAP "
                                    f"explains {SPACE_WORDS.get(result.space, result.space)}. Use output_space='auto'.")
        if self.output_space == "log_odds":
            why = "the log-odds was requested (output_space='log_odds'), so it is"
        elif why is None:
            why = (f"{unavailable}; the model's own output is" if unavailable and "already" not in unavailable
                   else "the model's Tree SHAP explains the probability directly, so it is")
        values = _grouped(result.values, grouping)
        meta = {"algorithm": result.algorithm, "output_space": result.space, "precision": result.precision,
                "workers": result.workers, "execution": result.execution, "background": None, "uses_background": False,
                "feature_perturbation": "tree_path_dependent", "output_space_requested": self.output_space,
                "output_space_reason": f"{why} explained", **_grouping_meta(grouping, Z)}
        return values, result.base, result.output, meta, None

    def _linear(self, adapter, data, X, features, classes, rng):
        import shap

        estimator = adapter.final_estimator
        Z, grouping = _model_space(adapter, X, features)
        background = data.frame.iloc[background_positions(data.n_rows, self.background_rows, rng)]
        Z_background, _ = _model_space(adapter, background.loc[:, list(features)], features)
        model_input = Z  # the model is called on what it was fitted on (column names kept)
        Z, Z_background = dense(Z), dense(Z_background)
        explainer = shap.LinearExplainer(estimator, shap.maskers.Independent(Z_background, max_samples=len(Z_background)))
        raw = np.asarray(explainer.shap_values(Z), dtype=float)
        expected = np.atleast_1d(np.asarray(explainer.expected_value, dtype=float))
        if adapter.task == "regression":
            values, base = raw.reshape(len(Z), -1), np.full(len(Z), expected[0])
            output, space = np.asarray(estimator.predict(model_input), dtype=float).reshape(-1), "value"
        else:
            margin = np.asarray(estimator.decision_function(model_input), dtype=float)
            if margin.ndim == 1:  # binary: the log-odds of classes_[1]
                sign = 1.0 if adapter.positive_index == 1 else -1.0
                values, base = sign * raw.reshape(len(Z), -1), np.full(len(Z), sign * expected[0])
                output, space = sign * margin, "log_odds"
            else:
                index = np.asarray(classes)
                values = raw[np.arange(len(Z)), :, index] if raw.ndim == 3 else raw
                base, output, space = expected[index], pick(margin, index), "margin"
        meta = {"algorithm": "shap.LinearExplainer (interventional)", "output_space": space, "precision": "float64",
                "background": {"kind": "sampled rows", "size": int(len(Z_background))}, "uses_background": True,
                **_grouping_meta(grouping, Z)}
        return _grouped(values, grouping), base, output, meta, None

    def _deep(self, adapter, data, X, features, rng, random_state):
        try:
            captum_module = importlib.import_module("xai_audit.explainers.captum")
        except ModuleNotFoundError as error:
            if error.name != "xai_audit.explainers.captum":
                raise
            captum_module = None
        deep_shap = getattr(captum_module, "deep_shap", None)
        if deep_shap is None:
            raise UnsupportedModelError(
                f"SHAP for the PyTorch model '{adapter.name}' needs DeepLIFT-SHAP "
                "(xai_audit.explainers.captum.deep_shap), which is not available in this installation."
            )
        background = data.frame.iloc[background_positions(data.n_rows, self.background_rows, rng)]
        inputs = adapter.model_input(X)
        background_inputs = adapter.model_input(background.loc[:, list(features)])
        result = deep_shap(adapter, inputs, background_inputs, random_state=random_state)
        values, base, extra = _unpack_deep(result)
        output = adapter.output(X)
        if base is None:  # DeepLIFT-SHAP attributions add up to f(x) - mean f(background)
            base = np.full(len(X), float(np.mean(adapter.output(background.loc[:, list(features)]))))
        grouping = group_matrix(adapter, features, values.shape[1]) if adapter.preprocessor is not None else None
        if adapter.preprocessor is not None and grouping is None:
            raise UnsupportedModelError(
                f"The preprocessor of '{adapter.name}' gives columns that cannot be traced back to the features; "
                "DeepLIFT-SHAP attributions could not be summed per original feature."
            )
        meta = {"algorithm": "DeepLIFT-SHAP (captum DeepLiftShap)", "output_space": output_space(adapter),
                "precision": "float32", "background": {"kind": "sampled rows", "size": int(len(background))},
                "uses_background": True, **_grouping_meta(grouping, inputs), **extra}
        return _grouped(np.asarray(values, dtype=float), grouping), np.asarray(base, dtype=float), output, meta, None

    def _permutation(self, adapter, data, X, features, classes, rng):
        frame = data.frame.loc[:, list(features)]
        codec = CategoryCodec(frame, features, data.feature_kinds)
        background = frame.iloc[background_positions(len(frame), self.background_rows, rng)]
        n_features = len(features)
        n_permutations = max(1, self.max_evals // max(2 * n_features, 1))
        columns = np.zeros(len(X), dtype=int) if classes is None else np.asarray(classes)
        per_row = 2 * n_permutations * max(n_features - 1, 1) * len(background)
        affordable = max(1, self.max_model_rows // per_row)
        keep = None
        if len(X) > affordable:  # keep the budget: explain a seeded sample of the rows
            keep = np.sort(rng.choice(len(X), affordable, replace=False))
            X, columns = X.iloc[keep], columns[keep]

        def model_output(matrix):
            decoded = codec.decode(matrix)
            decoded.index = pd.RangeIndex(len(decoded))
            return output_matrix(adapter, decoded)

        values, base = permutation_shap(model_output, codec.encode(X), codec.encode(background), columns,
                                        n_permutations=n_permutations, rng=rng)
        output = pick(output_matrix(adapter, X), columns)
        meta = {"algorithm": "permutation SHAP (antithetic permutation sampling, as shap's PermutationExplainer; batched)",
                "output_space": output_space(adapter), "precision": "float64",
                "background": {"kind": "sampled rows", "size": int(len(background))}, "uses_background": True,
                "n_permutations": int(2 * n_permutations), "evaluations_per_row": int(2 * n_permutations * n_features),
                "model_rows_budget": self.max_model_rows, "grouped_encoded_columns": False, "encoded_columns": None}
        return values, base, output, meta, keep


def _is_linear(estimator) -> bool:
    module = type(estimator).__module__
    return module.startswith("sklearn.linear_model") and hasattr(estimator, "coef_") and hasattr(estimator, "intercept_")


def _model_space(adapter, X, features):
    """What the final estimator takes for ``X``, and the encoded-column grouping (None: identity)."""
    X = adapter.select_features(X)
    if adapter.preprocessor is None:
        if adapter.feature_names is None:
            return X.to_numpy(), None
        return X, None
    Z = adapter.preprocessor.transform(X)
    n_encoded = Z.shape[1]
    grouping = group_matrix(adapter, features, n_encoded)
    if grouping is None:
        raise UnsupportedModelError(
            f"The preprocessor of '{adapter.name}' gives {n_encoded} columns that cannot be traced back to the "
            "features; use algorithm='permutation', which explains the original features through the whole model."
        )
    if hasattr(Z, "toarray"):
        Z = Z.toarray()
    return Z, grouping


def _grouped(values: np.ndarray, grouping) -> np.ndarray:
    """Encoded-column attributions summed per original feature (additive methods keep their sum)."""
    return values if grouping is None else values @ grouping


def _grouping_meta(grouping, Z) -> dict:
    return {"grouped_encoded_columns": grouping is not None, "encoded_columns": int(Z.shape[1])}


def _class_index(adapter, n_rows, classes):
    if adapter.task == "regression":
        return None
    if adapter.task == "binary":
        return np.full(n_rows, adapter.positive_index)
    return np.asarray(classes)


def _explained_class_text(adapter, classes):
    if adapter.task == "binary":
        return str(adapter.positive_class)
    if adapter.task == "multiclass":
        return "the predicted class of each row"
    return None


def _unpack_deep(result):
    """``deep_shap``'s result as (values, base or None, extra meta): an Explanation-like object,
    a tuple ``(values, base[, meta])``, or the values alone."""
    if hasattr(result, "values") and hasattr(result, "base_values"):
        return np.asarray(result.values), np.asarray(result.base_values), dict(getattr(result, "meta", {}) or {})
    if isinstance(result, tuple):
        values = np.asarray(result[0])
        base = None if len(result) < 2 or result[1] is None else np.asarray(result[1])
        extra = dict(result[2]) if len(result) > 2 and isinstance(result[2], dict) else {}
        return values, base, extra
    return np.asarray(result), None, {}
