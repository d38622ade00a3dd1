"""The ``"explanations"`` section of the audit record: every configured explainer, checked.

:func:`explanations_section` runs the explainers the policy's ``[audit]`` settings name on one
seeded sample of rows, measures each explanation's quality (:mod:`xai_audit.explainers.quality`),
compares the methods, and returns plain JSON-ready data with bounded sizes.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from xai_audit.exceptions import XaiAuditError
from xai_audit.explainers import quality
from xai_audit.explainers._tabular import select_rows
from xai_audit.explainers.examples import reviewer_examples
from xai_audit.explainers.api import make_explainer
from xai_audit.explainers.pdp import partial_dependence

DEFAULTS = {
    "explainers": ["shap", "lime", "permutation"],
    "explain_rows": 300,
    "background_rows": 100,
    "permutation_rows": 2000,  # rows scored by permutation importance
    "n_repeats": 10,  # permutation importance shuffles per feature
    "lime_samples": 5000,
    "stability_rows": 50,  # rows explained a second time for stability
    "faithfulness_rows": 100,  # rows of the deletion curves
    "top_features": 5,  # features with dependence data and partial dependence
    "bootstrap": 200,  # resamples for the interval of global importance
    "confidence": 0.95,
}
TORCH_EXTRAS = ("integrated_gradients", "saliency")
RECORD_EXCLUDED_META = ("local_prediction", "local_r2", "importances", "seconds")


def explanations_section(adapter, data, features, *, settings, random_state, progress=None, predictions=None) -> dict:
    """Run and check the configured explainers; the JSON-ready ``"explanations"`` section.

    Parameters
    ----------
    adapter : ModelAdapter
        With classes aligned to the data (``xai_audit.adapters.pairing.align_classes``).
    data : AuditDataset
    features : list of str
        The model's input columns (``xai_audit.adapters.pairing.resolve_features``).
    settings : dict
        The policy's ``[audit]`` table: ``explainers``, ``explain_rows``, ``background_rows``; optional
        keys of :data:`DEFAULTS` tune the rest.
    random_state : int or None
    progress : callable, optional
        ``progress(step: str, fraction: float)``, the fraction of this section done.
    predictions : tuple, optional
        ``(decisions, probabilities)`` of every row of ``data`` (probabilities None for a regression),
        as the audit computed them: the reviewer's example cases are chosen from them instead of
        asking the model again.

    Returns
    -------
    dict
        ``{method: {"global_importance", "global_importance_ci", "quality", "meta", "local",
        "dependence", "pdp"}, ..., "agreement", "coverage", "attributions_for_fairness"}``; a method
        that failed has ``{"error": message}``; a model that cannot be explained gives
        ``{"skipped": reason, "coverage": ...}``. Plain Python types, None for missing numbers.

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from xai_audit import AuditDataset, load_model
    >>> df = pd.DataFrame({"a": np.arange(40.0), "b": np.tile([0.0, 1.0], 20), "y": [0] * 20 + [1] * 20})
    >>> model = load_model(DecisionTreeClassifier(random_state=0).fit(df[["a", "b"]], df["y"]))
    >>> section = explanations_section(model, AuditDataset.from_frame(df, target="y"), ["a", "b"],
    ...                                settings={"explainers": ["shap"], "explain_rows": 10}, random_state=0)
    >>> list(section["shap"]["global_importance"]), section["coverage"]["rows_explained"]
    (['a', 'b'], 10)
    """
    config = {**DEFAULTS, **{k: v for k, v in (settings or {}).items() if v is not None}}
    report = progress or (lambda step, fraction: None)
    positions, sampled = select_rows(data.n_rows, int(config["explain_rows"]), random_state=random_state)
    coverage = {"rows_explained": int(len(positions)), "rows_total": int(data.n_rows), "sampled": bool(sampled)}
    reason = _unexplainable(adapter)
    if reason:
        return {"skipped": reason, "coverage": coverage}
    if adapter.input_kind == "image":
        return _image_section(adapter, data, positions, coverage, random_state)

    methods = list(config["explainers"])
    if adapter.framework == "torch":
        methods += [m for m in TORCH_EXTRAS if m not in methods]
    section, explanations = {}, {}
    examples = {}  # explained rows -> the reviewer's cases: methods explaining the same rows share them
    for index, method in enumerate(methods):
        report(f"Explaining with {method}", index / max(len(methods), 1))
        try:
            explanation = _run(method, adapter, data, features, positions, config, random_state)
        except XaiAuditError as error:
            section[method] = {"error": str(error)}
            continue
        except Exception as error:  # one explainer's failure must not cost the rest of the audit
            section[method] = {"error": f"The explainer '{method}' failed unexpectedly ({type(error).__name__}: "
                                        f"{error}); the rest of the audit is complete. Please report it with the "
                                        "model's type."}
            continue
        explanations[method] = explanation
        section[method] = _entry(explanation, adapter, data, features, config, random_state, examples, predictions)
    report("Comparing the explanations", 0.9)
    importances = {m: section[m]["global_importance"] for m in explanations}
    section["agreement"] = quality.agreement(importances)
    _attach_pdp(section, explanations, adapter, data, features, config, random_state)
    section["coverage"] = {**coverage, "explainers": list(explanations)}
    section = to_plain(section)
    if "shap" in explanations and getattr(data, "sensitive", None):
        report("Attributing the group gaps", 0.95)
        section["attributions_for_fairness"] = fairness_attributions(
            explanations["shap"], adapter=adapter, data=data, features=features, config=config,
            random_state=random_state)
    report("Explanations done", 1.0)
    return section


def fairness_attributions(explanation, *, adapter=None, data=None, features=None, config=None,
                          random_state=None) -> dict:
    """Per-row attributions for the fairness layer, to split group gaps into per-feature parts.

    With ``adapter`` and ``data`` the rows are chosen for the groups, not taken from the explained
    sample (:func:`attribution_rows`): every row when SHAP is exact and fast for the model (Tree SHAP,
    linear SHAP) and the data has at most ``ALL_ROWS_LIMIT`` rows, else a seeded sample stratified by
    every sensitive group (up to ``attribution_rows_per_group`` rows of each); ``selection`` says which.
    Without them, the explanation's own rows.

    ``rows`` are positions in the data (``data.frame.iloc[rows]``); ``values[i][j]`` is feature j's
    contribution for row i, in ``output_space``; ``sum(values[i]) + base_values[i] == output[i]``.

    Examples
    --------
    >>> from xai_audit.explainers.base import Explanation
    >>> e = Explanation(np.array([[0.1, -0.2]]), np.array([0.5]), np.array([0.4]), None, ("a", "b"), np.array([3]),
    ...                 "shap", meta={"output_space": "probability"})
    >>> fairness_attributions(e)["rows"], fairness_attributions(e)["values"]
    ([3], [[0.1, -0.2]])
    """
    selection = f"the {len(np.asarray(explanation.row_index))} rows explained for the report"
    if adapter is not None and data is not None:
        config = {**DEFAULTS, **(config or {})}
        rows, selection = attribution_rows(explanation, data, config, random_state)
        if not np.array_equal(np.asarray(explanation.row_index), rows):
            explanation = _run("shap", adapter, data, features, rows, config, random_state)
            if len(np.asarray(explanation.row_index)) < len(rows):
                selection += (f"; the explainer's row budget kept {len(np.asarray(explanation.row_index))} of them "
                              "(a seeded sample)")
    return {
        "method": explanation.method,
        "algorithm": explanation.meta.get("algorithm_key"),
        "output_space": explanation.meta.get("output_space"),
        "output_description": explanation.meta.get("output_description"),
        "selection": selection,
        "feature_names": list(explanation.feature_names),
        "rows": np.asarray(explanation.row_index).tolist(),
        "values": np.asarray(explanation.values, dtype=float).tolist(),
        "base_values": np.broadcast_to(np.asarray(explanation.base_values, dtype=float), (explanation.n_rows,)).tolist(),
        "output": np.asarray(explanation.output, dtype=float).tolist(),
    }


# Exact, fast SHAP algorithms: the disparity attribution runs them on every row (up to ALL_ROWS_LIMIT).
EXACT_FAST_ALGORITHMS = ("tree", "linear")
ALL_ROWS_LIMIT = 100_000  # the per-row values travel as plain lists; this bounds their memory
ROWS_PER_GROUP = 200
INTERVENTIONAL_PAIRS_LIMIT = 500_000  # rows x background rows for every-row interventional Tree SHAP (~5 s at 100 trees)


def attribution_rows(explanation, data, config: dict, random_state) -> tuple[np.ndarray, str]:
    """The rows to attribute group gaps on, and a sentence saying how they were chosen.

    Every row when ``explanation`` came from an exact, fast algorithm (``EXACT_FAST_ALGORITHMS``) and
    the data has at most ``ALL_ROWS_LIMIT`` rows; else, for every group of every sensitive attribute,
    a seeded sample of up to ``config["attribution_rows_per_group"]`` (default ``ROWS_PER_GROUP``) of
    its rows, all of a smaller group: the union is large enough to compare every group of that size.
    """
    n = int(data.n_rows)
    algorithm = explanation.meta.get("algorithm_key")
    # interventional Tree SHAP (probability space) costs rows x background rows x trees: fast up to a budget
    background = (explanation.meta.get("background") or {}).get("size", 0) if algorithm == "tree" else 0
    fast = algorithm in EXACT_FAST_ALGORITHMS and n * background <= INTERVENTIONAL_PAIRS_LIMIT
    if fast and n <= ALL_ROWS_LIMIT:
        return np.arange(n), f"every row of the data ({n}), exact {algorithm} SHAP"
    per_group = int(config.get("attribution_rows_per_group", ROWS_PER_GROUP))
    rng = np.random.default_rng(random_state)
    chosen = set()
    groups = data.groups
    for column in groups.columns:
        labels = groups[column].astype(str).to_numpy()
        for label in sorted(set(labels)):
            members = np.flatnonzero(labels == label)
            take = members if len(members) <= per_group else rng.choice(members, per_group, replace=False)
            chosen.update(int(i) for i in take)
    rows = np.array(sorted(chosen), dtype=int)
    if algorithm == "tree" and not fast:
        why = (f"interventional tree SHAP (probability space) costs rows x background rows x trees, and {n} rows x "
               f"{background} background rows exceed {INTERVENTIONAL_PAIRS_LIMIT:,} pairs")
    else:
        why = (f"{algorithm} SHAP is not exact and fast" if algorithm not in EXACT_FAST_ALGORITHMS
               else f"the data has more than {ALL_ROWS_LIMIT} rows")
    return rows, (f"a seeded sample of {len(rows)} of the {n} rows, stratified by sensitive group (up to "
                  f"{per_group} rows of every group of {', '.join(map(str, groups.columns))}), because {why}")


def _unexplainable(adapter) -> str | None:
    if adapter.framework == "predictions":
        return "No model was given (a predictions column), so there is nothing to explain."
    if adapter.task != "regression" and not adapter.has_proba:
        return f"The model '{adapter.name}' gives no class probabilities, which the explainers explain."
    return None


def _image_section(adapter, data, positions, coverage, random_state) -> dict:
    try:
        from xai_audit.explainers.images import image_section
    except ImportError as error:
        return {"skipped": f"Image explanations are not available in this installation ({error}).", "coverage": coverage}
    try:
        images = image_section(adapter, data, positions, random_state=random_state)
    except XaiAuditError as error:
        return {"images": {"error": str(error)}, "coverage": coverage}
    return to_plain({"images": images, "coverage": coverage})


def _options(method: str, config: dict) -> dict:
    if method == "shap":
        # backend, workers, scheduler: where the audit runs its chunked work (Tree SHAP's row chunks)
        chunking = {key: config[key] for key in ("backend", "workers", "scheduler") if config.get(key) is not None}
        space = {"output_space": str(config["shap_output_space"])} if config.get("shap_output_space") else {}
        return {"background_rows": int(config["background_rows"]), **space, **chunking}
    if method == "lime":
        return {"num_samples": int(config["lime_samples"])}
    if method == "permutation":
        return {"n_repeats": int(config["n_repeats"]), "max_rows": int(config["permutation_rows"])}
    return {}


def _run(method, adapter, data, features, positions, config, random_state, *, seed_offset=0):
    explainer = make_explainer(method, _options(method, config))
    if not explainer.supports(adapter):
        from xai_audit.exceptions import UnsupportedModelError

        raise UnsupportedModelError(f"The explainer '{method}' does not apply to the model '{adapter.name}'.")
    state = None if random_state is None else random_state + seed_offset
    if explainer.local:
        limit = explainer.row_limit(adapter)
        rows = positions if limit is None or len(positions) <= limit else np.sort(
            np.random.default_rng(state).choice(positions, limit, replace=False))
    else:
        rows, _ = select_rows(data.n_rows, int(config["permutation_rows"]), random_state=state,
                              limit=explainer.row_limit(adapter))
    explanation = explainer.explain(adapter, data, features, rows, random_state=state)
    explained = len(np.asarray(explanation.row_index))
    explanation.meta.update({"rows_explained": explained, "rows_total": int(data.n_rows),
                             "sampled": bool(explained < data.n_rows)})
    return explanation


def _entry(explanation, adapter, data, features, config, random_state, examples=None, predictions=None) -> dict:
    rng = np.random.default_rng(random_state)
    scores = quality.global_scores(explanation)
    order = sorted(scores, key=lambda f: -scores[f])
    if explanation.meta.get("global_only"):
        interval = explanation.meta.get("ci", {})
    else:
        bounds = quality.bootstrap_interval(explanation.values, n_resamples=int(config["bootstrap"]),
                                            confidence=float(config["confidence"]), rng=rng)
        interval = {f: bounds[j].tolist() for j, f in enumerate(explanation.feature_names)}
    entry = {
        "global_importance": {f: scores[f] for f in order},
        "global_importance_ci": {f: interval.get(f) for f in order},
        "quality": _quality(explanation, adapter, data, features, config, random_state, rng),
        # Wall-clock seconds stay out of the record: the same seed must give the same record.
        "meta": {k: v for k, v in explanation.meta.items() if k not in RECORD_EXCLUDED_META},
    }
    if not explanation.meta.get("global_only"):
        entry["local"] = _local(explanation, int(config["explain_rows"]))
        try:
            entry["local"]["examples"] = _examples(adapter, data, features, entry["local"]["rows"], examples, predictions)
        except Exception as error:  # choosing which rows to show must not cost the explanation itself
            entry["local"]["examples"] = []
            entry["local"]["examples_note"] = (f"The cases for a reviewer could not be chosen ({type(error).__name__}: "
                                               f"{error}); the report shows the first explained rows.")
        entry["dependence"] = _dependence(explanation, order[:int(config["top_features"])])
    return entry


def _examples(adapter, data, features, rows, cache=None, predictions=None) -> list:
    """:func:`reviewer_examples` of ``rows``, chosen once for every method that explains the same rows."""
    key = tuple(np.asarray(rows).tolist())
    if cache is None or key not in cache:
        found = reviewer_examples(adapter, data, features, rows, predictions=predictions)
        if cache is None:
            return found
        cache[key] = found
    return [dict(example) for example in cache[key]]


def _quality(explanation, adapter, data, features, config, random_state, rng) -> dict:
    result = {}
    algorithm = explanation.meta.get("algorithm_key")
    exact = explanation.method == "shap" and algorithm in ("tree", "linear", "permutation")
    if exact:
        result["additivity"] = "exact"
        result["additivity_error"] = quality.additivity_error(explanation)
    elif explanation.method == "shap":
        result["additivity"] = "approximate"
        result["completeness_error"] = quality.additivity_error(explanation)
    delta = quality.completeness_error(explanation)
    if delta is not None:
        result["completeness_error"] = delta
    deletion = quality.deletion_faithfulness(adapter, data, features, explanation,
                                             max_rows=int(config["faithfulness_rows"]), rng=rng)
    result.update({"faithfulness": deletion.pop("faithfulness"), "deletion": deletion})
    if explanation.meta.get("uses_background") and not explanation.meta.get("global_only"):
        rows = np.asarray(explanation.row_index)[:int(config["stability_rows"])]
        try:
            again = _run(explanation.method, adapter, data, features, rows, config, random_state, seed_offset=1)
            result["stability"] = quality.stability(explanation, again)
            result["stability_method"] = (f"{len(rows)} rows explained again with seed + 1 "
                                          "(another background sample / perturbation sample)")
        except XaiAuditError as error:
            result["stability"] = None
            result["stability_method"] = f"not measured: {error}"
    else:
        result["stability"] = None
        result["stability_method"] = ("not applicable: deterministic for a given model (no background or sampling)"
                                      if not explanation.meta.get("global_only") else
                                      "see the interval over repeats (global_importance_ci)")
    if explanation.method == "lime":
        result["local_r2_median"] = explanation.meta.get("local_r2_median")
    return result


def _local(explanation, limit: int) -> dict:
    n = min(explanation.n_rows, limit)
    data = explanation.data
    frame = data.iloc[:n] if isinstance(data, pd.DataFrame) else None
    return {
        "rows": np.asarray(explanation.row_index[:n]),
        "values": np.asarray(explanation.values[:n], dtype=float),
        "base_values": np.broadcast_to(np.asarray(explanation.base_values, dtype=float), (explanation.n_rows,))[:n],
        "output": np.asarray(explanation.output[:n], dtype=float),
        "data": [] if frame is None else _plain_rows(frame),
    }


def _dependence(explanation, top: list) -> dict:
    data = explanation.data
    names = list(explanation.feature_names)
    out = {}
    for feature in top:
        j = names.index(feature)
        x = data[feature] if isinstance(data, pd.DataFrame) else pd.Series(np.asarray(data)[:, j])
        numeric = isinstance(x.dtype, np.dtype) and x.dtype.kind in "iuf"  # to_plain turns NaN into None
        out[feature] = {"x": x.to_numpy() if numeric else x.astype(object).where(x.notna(), None).tolist(),
                        "shap" if explanation.method == "shap" else "attribution":
                            np.asarray(explanation.values[:, j], dtype=float)}
    return out


def _attach_pdp(section, explanations, adapter, data, features, config, random_state):
    """Partial dependence for each method's top features, computed once per feature."""
    cache = {}
    for method in explanations:
        scores = section[method]["global_importance"]
        top = list(scores)[:int(config["top_features"])]
        curves = {}
        for feature in top:
            if feature not in cache:
                try:
                    cache[feature] = partial_dependence(adapter, data, features, feature, random_state=random_state)
                except XaiAuditError as error:
                    cache[feature] = {"error": str(error)}
            curves[feature] = cache[feature]
        section[method]["pdp"] = curves


def to_plain(value):
    """``value`` with numpy scalars and arrays as Python types and NaN / infinity as None."""
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, PlainRows):
        return list(value)
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return plain_array(value)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value)


def plain_array(array: np.ndarray) -> list:
    """A numpy array as (nested) Python lists, NaN and infinity as None, without a Python loop per element.

    Numbers go through ``ndarray.tolist`` (C speed); only an array of objects is walked by
    :func:`to_plain`. The result equals ``to_plain(array.tolist())``.

    Examples
    --------
    >>> plain_array(np.array([[1.5, np.nan], [np.inf, -2.0]]))
    [[1.5, None], [None, -2.0]]
    >>> plain_array(np.array([3, 4], dtype=np.int32)), plain_array(np.array([True]))
    ([3, 4], [True])
    """
    kind = array.dtype.kind
    if kind in "biu":
        return array.tolist()
    if kind == "f":
        finite = np.isfinite(array)
        if finite.all():
            return array.astype(float, copy=False).tolist()
        cells = array.astype(float).astype(object)
        cells[~finite] = None
        return cells.tolist()
    return to_plain(array.tolist())


class PlainRows(list):
    """Rows already made of plain values (see :func:`_plain_rows`): :func:`to_plain` does not walk them again."""


def _plain_rows(frame: pd.DataFrame) -> PlainRows:
    """A frame's cells as rows of plain values, converted a column at a time (missing values as None).

    Equals ``to_plain(frame.astype(object).where(frame.notna(), None).to_numpy().tolist())``.
    """
    columns = []
    for name in frame.columns:
        column = frame[name]
        if isinstance(column.dtype, np.dtype) and column.dtype.kind in "biuf":
            columns.append(plain_array(column.to_numpy()))
        else:
            columns.append([to_plain(v) for v in column.astype(object).where(column.notna(), None).tolist()])
    return PlainRows(list(row) for row in zip(*columns)) if columns else PlainRows([[]] * len(frame))
