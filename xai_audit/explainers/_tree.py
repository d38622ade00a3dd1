"""Exact Tree SHAP for tree ensembles, fast at real sizes.

The trees are read straight from the model by :mod:`xai_audit.explainers._tree_reader` (no shap
import); a model it does not read exactly (it says why) is read by shap's ``TreeExplainer`` instead.

- scikit-learn trees, forests, GradientBoosting and HistGradientBoosting: explained by
  :mod:`xai_audit.explainers._fasttree` (shap's values, computed with per-leaf subset tables,
  compiled, rows spread over threads) — or, with ``backend="processes"`` / ``"dask"``, in chunks over
  worker processes or a Dask cluster (:func:`xai_audit.parallel.map_chunks`). Where the fast kernel
  does not apply (categorical splits), shap's own ``shap_values`` runs, in chunks over processes
  when that pays.
- XGBoost and LightGBM: the same compiled kernel on every core when it agrees with the library's
  own Tree SHAP (``pred_contribs`` / ``pred_contrib=True``) on a probe of rows (LightGBM's float64
  values to 1e-6; XGBoost's are float32); else, and for small work, the library's own values
  unchanged. See benchmarks/RESULTS.md for the speeds.
- Probability space for boosted binary classifiers (:func:`probability_attributions`):
  interventional Tree SHAP against a background sample, as shap's ``model_output="probability"``
  (:mod:`xai_audit.explainers._interventional`).

:func:`tree_attributions` returns, for each row, the attributions of one class (the one the caller
explains), the base value and the model's own output for that class, computed by the model itself.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np
from sklearn.pipeline import Pipeline

from xai_audit.exceptions import InvalidInputError, UnsupportedModelError
from xai_audit.explainers._tree_reader import path_base, read_trees
from xai_audit.parallel import available_workers, map_chunks, split_rows

SKLEARN_TREE_CLASSES = frozenset({
    "DecisionTreeClassifier", "DecisionTreeRegressor", "ExtraTreeClassifier", "ExtraTreeRegressor",
    "RandomForestClassifier", "RandomForestRegressor", "ExtraTreesClassifier", "ExtraTreesRegressor",
    "GradientBoostingClassifier", "GradientBoostingRegressor",
    "HistGradientBoostingClassifier", "HistGradientBoostingRegressor",
})
PROBABILITY_TREES = ("DecisionTree", "ExtraTree", "RandomForest")  # leaves hold class frequencies
BACKENDS = ("auto", "threads", "processes", "dask", "serial")

PROBE_ROWS = 64  # for shap's fallback path: explained in-process to estimate whether workers pay
START_SECONDS = 3.0  # starting loky workers and importing shap there takes about 2-3 s
SMALL_WORK = 2_000_000  # rows x tree nodes: shap does this in about 0.2 s, less than loading numba
_KERNEL_LOCK = threading.Lock()  # numba's default thread pool must not be entered twice at once


@dataclass(frozen=True)
class TreeAttributions:
    """Tree SHAP values of one class per row.

    values : (n_rows, n_inputs); base : (n_rows,); output : (n_rows,), the model's own output for
    that class (not derived from the values); space : ``"probability"``, ``"log_odds"``,
    ``"margin"`` or ``"value"``; algorithm, precision : what computed them (the same wherever they
    ran); workers, execution : how they ran ("2 thread(s)", "12 chunks over dask").
    """

    values: np.ndarray
    base: np.ndarray
    output: np.ndarray
    space: str
    algorithm: str
    precision: str
    workers: int = 1
    execution: str = "in this process"


def tree_family(estimator) -> str | None:
    """``"sklearn"``, ``"xgboost"`` or ``"lightgbm"`` for a supported tree ensemble, else None.

    Examples
    --------
    >>> from sklearn.ensemble import RandomForestRegressor
    >>> tree_family(RandomForestRegressor(n_estimators=2).fit([[0], [1]], [0, 1]))
    'sklearn'
    """
    if isinstance(estimator, Pipeline):
        estimator = estimator[-1]
    module = type(estimator).__module__.split(".")[0]
    name = type(estimator).__name__
    if module == "sklearn" and name in SKLEARN_TREE_CLASSES:
        categorical = getattr(estimator, "is_categorical_", None)
        if categorical is not None and np.any(categorical):
            return None  # shap does not read HistGradientBoosting's categorical splits
        return "sklearn"
    if module == "xgboost" and hasattr(estimator, "get_booster"):
        return "xgboost"
    if module == "lightgbm" and hasattr(estimator, "booster_"):
        return "lightgbm"
    return None


def tree_attributions(estimator, Z, classes=None, *, backend="auto", workers=None, scheduler=None,
                      progress=None) -> TreeAttributions:
    """Exact Tree SHAP values of ``estimator`` on its input ``Z``, one class per row.

    Parameters
    ----------
    estimator : fitted tree ensemble (the final step, not a Pipeline)
    Z : array-like or DataFrame
        What the estimator takes (the preprocessor's output, for a Pipeline).
    classes : array of int, optional
        Per row, the index (into ``estimator.classes_``) of the class to explain; None for regression.
    backend : {"auto", "threads", "processes", "dask", "serial"}
        For scikit-learn models. ``"auto"`` and ``"threads"``: the compiled kernel on every core of
        this process. ``"processes"``: chunks over loky worker processes. ``"dask"``: chunks on a Dask
        cluster (``scheduler``). ``"serial"``: one thread.
    workers, scheduler
        As for :func:`xai_audit.parallel.map_chunks`.
    progress : callable, optional
        ``progress(rows_done, rows_total)``.

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeRegressor
    >>> model = DecisionTreeRegressor(max_depth=2).fit([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]], [0.0, 1.0, 3.0])
    >>> result = tree_attributions(model, np.array([[2.0, 2.0]]))
    >>> round(float(result.values.sum() + result.base[0]), 12), float(result.output[0])
    (3.0, 3.0)
    """
    family = tree_family(estimator)
    n_rows = len(Z)
    if classes is None:
        classes = np.zeros(n_rows, dtype=int)
    classes = np.broadcast_to(np.asarray(classes, dtype=int), (n_rows,))
    if family in ("xgboost", "lightgbm"):
        native = _xgboost if family == "xgboost" else _lightgbm
        return _boosted(estimator, Z, classes, native, workers=workers if backend != "serial" else 1)
    if backend not in BACKENDS:
        raise InvalidInputError(f"backend must be one of {list(BACKENDS)}; got {backend!r}.")
    return _sklearn(estimator, Z, classes, backend=backend, workers=workers, scheduler=scheduler,
                    progress=progress)


def probability_space_unavailable(estimator) -> str | None:
    """None when :func:`probability_attributions` applies to ``estimator``, else why not.

    It applies to boosted binary classifiers whose trees add up to the log-odds: scikit-learn's
    GradientBoosting (log-loss) and HistGradientBoosting classifiers, XGBoost ``binary:logistic`` and
    LightGBM ``binary``. Forests and single trees already explain the probability.
    """
    name = type(estimator).__name__
    known = getattr(estimator, "classes_", None)
    if known is None:
        return "a regression model has no probability"
    if len(known) != 2:
        return ("the classes' probabilities come from a softmax over every class's margin, which no exact "
                "per-class Tree SHAP in probability space covers")
    if name.startswith(PROBABILITY_TREES):
        return f"{name}'s Tree SHAP already explains the probability"
    family = tree_family(estimator)
    if family == "sklearn" and str(getattr(estimator, "loss", "log_loss")) not in ("log_loss", "deviance", "auto"):
        return f"the loss {estimator.loss!r} does not make the margin a log-odds"
    if family == "xgboost" and str(getattr(estimator, "objective", "binary:logistic")) != "binary:logistic":
        return f"the objective {estimator.objective!r} is not binary:logistic"
    if family == "lightgbm":
        objective = getattr(estimator, "objective_", None) or getattr(estimator, "objective", None) or "binary"
        if objective not in ("binary", "cross_entropy", "xentropy"):
            return f"the objective {objective!r} is not LightGBM's binary log-loss"
    return None if family is not None else f"{name} is not a supported tree ensemble"


def probability_attributions(estimator, Z, Z_background, classes, *, workers=None) -> TreeAttributions:
    """Interventional Tree SHAP of the probability of ``classes`` (per row) against a background.

    shap's ``TreeExplainer(model, data=background, model_output="probability",
    feature_perturbation="interventional")``, computed by :mod:`xai_audit.explainers._interventional`
    on every core. The values add up to the model's probability; the base value is the mean
    probability of the background rows. Raises UnsupportedModelError when the trees' margin does not
    reproduce the model's own probability (then the log-odds is explained instead).
    """
    from xai_audit.explainers import _interventional

    ensemble, shap_reason = read_ensemble(estimator)
    if getattr(ensemble, "tree_output", "log_odds") != "log_odds" or np.asarray(ensemble.values).shape[-1] != 1:
        raise UnsupportedModelError(f"the trees of {type(estimator).__name__} do not add up to one log-odds")
    if np.any(np.asarray(ensemble.threshold_types)[np.asarray(ensemble.children_left) >= 0] != 0):  # -1: leaves
        raise UnsupportedModelError("categorical splits")
    trees = _interventional.from_shap(ensemble)
    threads = workers or available_workers()
    with _KERNEL_LOCK:
        values, base, probability = _interventional.explain_rows(np.asarray(Z, dtype=float),
                                                                np.asarray(Z_background, dtype=float), trees,
                                                                threads=threads)
    positive = np.asarray(estimator.predict_proba(Z), dtype=float)[:, 1]
    gap = float(np.max(np.abs(probability - positive))) if len(positive) else 0.0
    if gap > 1e-5:
        raise UnsupportedModelError(f"the trees as read give probabilities up to {gap:.2g} away from the model's own")
    sign = np.where(np.asarray(classes) == 0, -1.0, 1.0)  # class 0: 1 - p, so the values change sign
    return TreeAttributions(
        values=values * sign[:, None], base=np.where(sign > 0, base, 1.0 - base),
        output=np.where(sign > 0, positive, 1.0 - positive), space="probability",
        algorithm=("interventional Tree SHAP of the probability against a background sample (shap's "
                   "TreeExplainer model_output='probability': each background row's exact log-odds attributions "
                   f"rescaled to the probability difference, averaged; {_reading(ensemble, shap_reason)}; xai-audit's "
                   "compiled kernel)"),
        precision="float64", workers=threads, execution=f"{threads} thread(s)")


def read_ensemble(estimator):
    """The trees of ``estimator`` as the kernels read them, and None or why shap had to read them.

    xai-audit's own reader first (no shap import); shap's ``TreeExplainer(estimator).model`` for a
    model that reader refuses, or whose files it cannot parse (a layout it has not met). Raises
    UnsupportedModelError when neither reads it.
    """
    try:
        return read_trees(estimator), None
    except UnsupportedModelError as error:
        reason = str(error)
    except (KeyError, IndexError, ValueError, TypeError, AttributeError) as error:
        reason = f"xai-audit's reader could not parse it: {type(error).__name__} {error}"
    return _shap_explainer(estimator).model, reason


def _shap_explainer(estimator):
    import shap

    try:
        return shap.TreeExplainer(estimator)
    except Exception as error:  # shap's InvalidModelError and kin: a model shap cannot read
        raise UnsupportedModelError(f"shap's TreeExplainer cannot read {type(estimator).__name__}: {error}") from error


def _reading(ensemble, shap_reason) -> str:
    """How the trees were read, for the record's algorithm text."""
    if shap_reason is None:
        return f"the trees read from the model ({ensemble.source})"
    return f"shap's reading of the trees ({shap_reason})"


# -- scikit-learn ------------------------------------------------------------------------------------------


def _sklearn(estimator, Z, classes, *, backend, workers, scheduler, progress) -> TreeAttributions:
    ensemble, shap_reason = read_ensemble(estimator)
    rows = np.asarray(Z, dtype=float)
    name = type(estimator).__name__
    known = getattr(estimator, "classes_", None)
    # Which leaf-value column holds the explained class, and its sign: binary gradient boosting
    # stores the log-odds of class 1 only; the log-odds of class 0 is its negative.
    binary_margin = known is not None and len(known) == 2 and not name.startswith(PROBABILITY_TREES)
    columns = np.zeros_like(classes) if binary_margin else classes
    sign = np.where(classes == 0, -1.0, 1.0) if binary_margin else np.ones(len(rows))

    fast_reason = _fast_kernel_unavailable(ensemble, len(rows), small_work_counts=shap_reason is not None)
    if fast_reason is None:
        values, used, execution = _fast_values(ensemble, rows, columns, backend=backend, workers=workers,
                                               scheduler=scheduler, progress=progress)
        algorithm = (f"path-dependent Tree SHAP ({_reading(ensemble, shap_reason)}; xai-audit's compiled "
                     "subset-table kernel)")
        expected = path_base(ensemble)
    else:
        explainer = _shap_explainer(estimator)
        values, used, execution = _shap_values(explainer, rows, backend=backend, workers=workers, scheduler=scheduler,
                                               progress=progress)
        values = values[np.arange(len(rows)), :, columns]
        algorithm = f"shap.TreeExplainer (path-dependent Tree SHAP; not the compiled kernel: {fast_reason})"
        expected = np.atleast_1d(np.asarray(explainer.expected_value, dtype=float))
    base = expected[columns] * sign
    values = values * sign[:, None]
    if known is None:  # the model's own output, from the input as given (names kept)
        output, space = np.asarray(estimator.predict(Z), dtype=float), "value"
    elif name.startswith(PROBABILITY_TREES):
        output, space = np.asarray(estimator.predict_proba(Z), dtype=float)[np.arange(len(rows)), classes], "probability"
    else:
        margin = np.asarray(estimator.decision_function(Z), dtype=float)
        if binary_margin:
            output, space = margin.reshape(-1) * sign, "log_odds"
        else:
            output, space = margin[np.arange(len(rows)), classes], "margin"
    return TreeAttributions(values=values, base=base, output=output, space=space, algorithm=algorithm,
                            precision="float64", workers=used, execution=execution)


def _fast_kernel_unavailable(ensemble, n_rows, *, small_work_counts=True) -> str | None:
    """None when the compiled kernel should run, else why shap's (or the library's) own code runs.

    The choice depends on the model and the work alone, never on the backend or on what this
    process ran before: the two give the same values up to rounding, and the same audit must record
    the same digits wherever and however it runs. ``small_work_counts=False`` (trees read without
    shap): the kernel runs at any size, since loading it costs less than importing shap.
    """
    from xai_audit.explainers import _fasttree

    if small_work_counts and n_rows * int(np.sum(ensemble.num_nodes)) < SMALL_WORK:
        return "too little work to be worth loading the compiled kernel (about 1 s)"
    try:
        import numba  # noqa: F401
    except ImportError as error:
        return str(error)
    return _fasttree.supported(ensemble)


def _fast_values(ensemble, rows, columns, *, backend, workers, scheduler, progress):
    from xai_audit.explainers import _fasttree

    n_inputs = rows.shape[1]
    trees = _fasttree.from_shap(ensemble, n_inputs)
    rows = np.asarray(rows, dtype=trees.input_dtype)  # what the trees compare in; halves what travels
    n_workers = workers or available_workers()
    if backend in ("processes", "dask") and n_workers > 1 or backend == "dask":
        slices = split_rows(len(rows), n_chunks=min(4 * n_workers, max(1, len(rows) // PROBE_ROWS)))
        sizes = np.cumsum([s.stop - s.start for s in slices])
        chunks = [rows[s] for s in slices]
        column_chunks = [columns[s] for s in slices]
        mapped = map_chunks(_fast_chunk, list(zip(chunks, column_chunks)), backend=backend, scheduler=scheduler,
                            workers=n_workers, args=(trees,),
                            progress=None if progress is None else lambda done, total: progress(int(sizes[done - 1]), len(rows)))
        return np.concatenate(mapped)[:, :, 0], n_workers, f"{len(chunks)} chunks over {backend}"
    threads = 1 if backend == "serial" else n_workers
    with _KERNEL_LOCK:
        values = _fasttree.explain_rows(rows, trees, column=columns, threads=threads)
    if progress is not None:
        progress(len(rows), len(rows))
    return values[:, :, 0], threads, f"{threads} thread(s)"


def _fast_chunk(chunk, trees):
    """One chunk of rows in a worker process (or on a Dask worker): ``(rows, columns)``."""
    from xai_audit.explainers import _fasttree

    rows, columns = chunk
    with _KERNEL_LOCK:
        return _fasttree.explain_chunk(rows, trees, column=columns)


def explain_chunk(rows: np.ndarray, explainer) -> np.ndarray:
    """shap's Tree SHAP values of one chunk of rows, (n_rows, n_inputs, n_outputs) float64."""
    values = np.asarray(explainer.shap_values(rows, check_additivity=False), dtype=float)
    return values[:, :, None] if values.ndim == 2 else values


def _shap_values(explainer, rows, *, backend, workers, scheduler, progress):
    """shap's own single-threaded ``shap_values``, in chunks over processes when that pays off."""
    n = len(rows)
    n_workers = workers or available_workers()
    if backend in ("serial", "threads") or n_workers == 1 or n <= 2 * PROBE_ROWS:
        values = explain_chunk(rows, explainer)
        _report(progress, n, n)
        return values, 1, "in this process"
    done = []
    if backend == "auto":  # explain a probe here, and measure whether workers would pay off
        started = time.perf_counter()
        done.append(explain_chunk(rows[:PROBE_ROWS], explainer))
        seconds_left = (time.perf_counter() - started) / PROBE_ROWS * (n - PROBE_ROWS)
        _report(progress, PROBE_ROWS, n)
        if seconds_left / n_workers + START_SECONDS >= seconds_left:
            done.append(explain_chunk(rows[PROBE_ROWS:], explainer))
            _report(progress, n, n)
            return np.concatenate(done), 1, "in this process"
    offset = PROBE_ROWS if done else 0
    remaining = rows[offset:]
    slices = split_rows(len(remaining), n_chunks=min(4 * n_workers, max(1, len(remaining) // PROBE_ROWS)))
    sizes = np.cumsum([s.stop - s.start for s in slices])
    where = "dask" if backend == "dask" else "processes"
    mapped = map_chunks(explain_chunk, [remaining[s] for s in slices], backend=where, scheduler=scheduler,
                        workers=n_workers, args=(explainer,),
                        progress=lambda chunks_done, total: _report(progress, offset + int(sizes[chunks_done - 1]), n))
    return np.concatenate(done + mapped), n_workers, f"{len(slices)} chunks over {where}"


def _report(progress, done, total):
    if progress is not None:
        progress(done, total)


# -- XGBoost and LightGBM: their own Tree SHAP --------------------------------------------------------


def _boosted(estimator, Z, classes, native, *, workers) -> TreeAttributions:
    """XGBoost or LightGBM: the compiled kernel on every core when it applies and agrees with the
    library's own Tree SHAP on a probe of rows, else the library's own (``native``).

    Measured (benchmarks/RESULTS.md, 200 trees, 20 features): the kernel is faster than
    LightGBM's ``pred_contrib`` and XGBoost's ``pred_contribs`` at 10,000 and 50,000 rows, and
    equals shap's float64 values to 1e-12. XGBoost computes in float32, so its own values differ
    from the exact ones by up to about 1e-5; the probe allows that, and no more.
    """
    n_rows = len(Z)
    try:
        ensemble, shap_reason = read_ensemble(estimator)
        rows = np.asarray(Z, dtype=float)
    except (UnsupportedModelError, ValueError, TypeError):  # unreadable trees or categorical columns
        return native(estimator, Z, classes)
    reason = _fast_kernel_unavailable(ensemble, n_rows)
    if reason is not None:
        return native(estimator, Z, classes)
    from xai_audit.explainers import _fasttree

    known = getattr(estimator, "classes_", None)
    multiclass = known is not None and len(known) > 2
    columns = classes if multiclass else np.zeros(n_rows, dtype=int)
    sign = np.where(classes == 0, -1.0, 1.0) if known is not None and not multiclass else np.ones(n_rows)
    trees = _fasttree.from_shap(ensemble, rows.shape[1])
    probe = slice(0, min(PROBE_ROWS, n_rows))
    reference = native(estimator, Z.iloc[probe] if hasattr(Z, "iloc") else Z[probe], classes[probe])
    threads = workers or available_workers()
    with _KERNEL_LOCK:
        values = _fasttree.explain_rows(rows, trees, column=columns, threads=threads)[:, :, 0]
    expected = path_base(ensemble)
    values, base = values * sign[:, None], expected[columns] * sign
    scale = max(1.0, float(np.max(np.abs(reference.values)))) if reference.values.size else 1.0
    tolerance = 1e-6 * scale if reference.precision == "float64" else 2e-5 * scale
    gap = max(float(np.max(np.abs(values[probe] - reference.values), initial=0.0)),
              float(np.max(np.abs(base[probe] - reference.base), initial=0.0)))
    if gap > tolerance:  # the trees as read differ from the model: keep the library's values
        return native(estimator, Z, classes)
    output = native_output(estimator, Z, classes)
    return TreeAttributions(values=values, base=base, output=output, space=reference.space,
                            algorithm=(f"path-dependent Tree SHAP ({_reading(ensemble, shap_reason)}; xai-audit's "
                                       f"compiled subset-table kernel; equal to {reference.algorithm.split(':')[0]} "
                                       f"to {gap:.1g} on a probe of {probe.stop} rows)"),
                            precision="float64", workers=threads, execution=f"{threads} thread(s)")


def native_output(estimator, Z, classes) -> np.ndarray:
    """The model's own margin (log-odds, class margin or value) of the explained class, per row."""
    rows = np.arange(len(Z))
    if tree_family(estimator) == "xgboost":
        import xgboost

        try:
            iteration_range = estimator._get_iteration_range(None)
        except AttributeError:
            iteration_range = (0, 0)
        matrix = xgboost.DMatrix(Z, missing=getattr(estimator, "missing", np.nan),
                                 enable_categorical=bool(getattr(estimator, "enable_categorical", False)))
        margin = estimator.get_booster().predict(matrix, output_margin=True, iteration_range=iteration_range)
    else:
        margin = estimator.predict(Z, raw_score=True)
    margin = np.asarray(margin, dtype=float)
    if margin.ndim == 2:
        return margin[rows, classes]
    known = getattr(estimator, "classes_", None)
    return margin * np.where(classes == 0, -1.0, 1.0) if known is not None else margin


def _xgboost(estimator, Z, classes) -> TreeAttributions:
    import xgboost

    booster = estimator.get_booster()
    try:
        iteration_range = estimator._get_iteration_range(None)
    except AttributeError:
        iteration_range = (0, 0)
    matrix = xgboost.DMatrix(Z, missing=getattr(estimator, "missing", np.nan),
                             enable_categorical=bool(getattr(estimator, "enable_categorical", False)))
    contributions = booster.predict(matrix, pred_contribs=True, iteration_range=iteration_range)
    margin = booster.predict(matrix, output_margin=True, iteration_range=iteration_range)
    return _native(estimator, contributions, margin, classes,
                   algorithm="XGBoost's Tree SHAP: Booster.predict(pred_contribs=True)", precision="float32")


def _lightgbm(estimator, Z, classes) -> TreeAttributions:
    contributions = np.asarray(estimator.predict(Z, pred_contrib=True))
    raw = np.asarray(estimator.predict(Z, raw_score=True))
    known = getattr(estimator, "classes_", None)
    if known is not None and len(known) > 2:
        contributions = contributions.reshape(len(contributions), len(known), -1)
    return _native(estimator, contributions, raw, classes,
                   algorithm="LightGBM's Tree SHAP: predict(pred_contrib=True)", precision="float64")


def _native(estimator, contributions, margin, classes, *, algorithm, precision) -> TreeAttributions:
    """Split native contributions (the last column is the bias) into values, base and output."""
    rows = np.arange(len(contributions))
    margin = np.asarray(margin, dtype=float)
    if contributions.ndim == 3:  # (n, K, d + 1): multiclass, one margin per class
        chosen = contributions[rows, classes].astype(float)
        return TreeAttributions(chosen[:, :-1], chosen[:, -1], margin.reshape(len(rows), -1)[rows, classes],
                                "margin", algorithm, precision)
    values = contributions[:, :-1].astype(float)
    base = contributions[:, -1].astype(float)
    output = margin.reshape(-1)
    if getattr(estimator, "classes_", None) is None:
        return TreeAttributions(values, base, output, "value" if _identity_link(estimator) else "margin",
                                algorithm, precision)
    sign = np.where(classes == 0, -1.0, 1.0)  # the margin is class 1's log-odds; class 0's is its negative
    return TreeAttributions(values * sign[:, None], base * sign, output * sign, "log_odds", algorithm, precision)


def _identity_link(estimator) -> bool:
    """Whether a regressor's margin is its prediction (squared-error-like objectives)."""
    objective = str(getattr(estimator, "objective", "") or "")
    return not any(word in objective for word in ("poisson", "gamma", "tweedie", "logistic", "cox"))
