"""``Audit`` and ``audit()``: the one orchestrator every front end calls.

``Audit(...)`` stores the configuration; ``run(model, data)`` validates the pairing of model and
data, computes every section (performance, explanations, fairness, reasons), judges the findings
against the policy and returns a frozen :class:`AuditResult`. No UI code lives here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from xai_audit.adapters import ModelAdapter, PredictionsAdapter, load_model
from xai_audit.adapters.pairing import align_classes, resolve_features
from xai_audit.challenger import audit_challenger
from xai_audit.checks import evaluate, overall_status
from xai_audit.data import AuditDataset
from xai_audit.exceptions import InvalidInputError, ModelError
from xai_audit.explainers import explanations_section
from xai_audit.explainers.glass_box import glass_box_section
from xai_audit.fairness import disparity_attribution, fairness_report, proxy_scan
from xai_audit.manifest import build_manifest
from xai_audit.model_card import check_model_card
from xai_audit.parallel import Chunking, chunking, predict_chunked
from xai_audit.performance import performance_report
from xai_audit.policy import load_policy
from xai_audit.reasons import adverse_action_reasons, mark_proxy_reasons
from xai_audit.recourse import recourse_section
from xai_audit.result import AuditResult, RowPredictions


# The proxy scan ranks every feature once per group; a seeded sample of this many rows bounds its cost.
PROXY_SCAN_ROWS = 200_000


@dataclass(frozen=True)
class Audit:
    """The configuration of an audit. ``run`` does the work.

    Parameters
    ----------
    policy : str, path, dict or Policy
        A bundled policy name (``"default"``, ``"lenient"``), a TOML file, or a Policy.
    random_state : int, optional
        Seed for every sampled or resampled step; the same seed gives the same record.
    explainers : sequence of str, optional
        Override the policy's explainer list (``[]`` for none).
    explain_rows : int, optional
        Override how many rows are explained locally.
    n_resamples : int, optional
        Override the bootstrap resamples for intervals.
    model_card : dict, optional
        Intended use, decision role, human oversight, limitations, owner, version, name, data period
        (the keys of :data:`xai_audit.model_card.MODEL_CARD_KEYS`; others are refused, to catch typos).
    progress : callable, optional
        Called as ``progress(step: str, fraction: float)`` while the audit runs.
    on_section : callable, optional
        Called as ``on_section(name: str, section)`` as each section of the record is ready, cheap ones
        first (``"performance"``, ``"fairness"``, then ``"explanations"``, ``"reasons"``, ...), so a front
        end can show them while the explainers still run. ``"fairness"`` comes twice when explanations
        add its disparity attribution. The sections are the record's own; do not change them.
    backend : {None, "serial", "processes", "dask"}, optional
        Where the chunked work runs: the model's predictions over the rows, exact Tree SHAP of the
        explained rows, and the fairness tables' row-level bootstrap. None: ``"dask"`` with a
        ``scheduler``, ``"processes"`` with ``workers``, else everything in this process as by default.
        The record is the same whatever runs it (only the SHAP ``meta`` says how it was computed).
    workers : int, optional
        Local worker processes (or the size of the local Dask cluster started for ``backend="dask"``).
    scheduler : dask.distributed.Client or str, optional
        A client, or a scheduler address ``"tcp://HOST:PORT"`` (connected for this run and closed after).
    train : AuditDataset, optional
        The model's training data: glass-box challengers are fitted on it and compared with the model on
        the audit data (:mod:`xai_audit.challenger`); without it they run only when the policy's
        ``[challenger] enabled`` is true, by cross-fitting on the audit data. A linear or logistic
        model's coefficient intervals (``glass_box``) are computed on it too, else on the audit data.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> df = pd.DataFrame({"x": np.arange(40.0), "g": ["a", "b"] * 20, "y": [0] * 20 + [1] * 20})
    >>> model = LogisticRegression().fit(df[["x"]], df["y"])
    >>> data = AuditDataset.from_frame(df, target="y", sensitive=["g"], features=["x"])
    >>> result = Audit(explainers=[], n_resamples=50, random_state=0).run(model, data)
    >>> result.performance["overall"]["accuracy"], sorted(result.fairness)
    (1.0, ['g'])
    >>> result.status == max((f.status for f in result.findings), key=["pass", "info", "warn", "fail"].index)
    True
    """

    policy: object = "default"
    random_state: int | None = None
    explainers: tuple | None = None
    explain_rows: int | None = None
    n_resamples: int | None = None
    model_card: dict = field(default_factory=dict)
    progress: object = None
    on_section: object = None
    backend: str | None = None
    workers: int | None = None
    scheduler: object = None
    train: AuditDataset | None = None

    def run(self, model, data: AuditDataset) -> AuditResult:
        """Audit ``model`` (an adapter, a fitted object, a file path, or None for predictions-only)
        on ``data`` and return the frozen result."""
        if not isinstance(data, AuditDataset):
            raise InvalidInputError(
                f"data must be an AuditDataset (AuditDataset.from_frame / from_csv / ...); got {type(data).__name__}."
            )
        with chunking(self.backend, workers=self.workers, scheduler=self.scheduler) as how:
            return self._run(model, data, how)

    def _run(self, model, data: AuditDataset, how: Chunking) -> AuditResult:
        policy = load_policy(self.policy)
        model_card = check_model_card(self.model_card)  # before the work: a typo should not cost an audit
        self._report("Checking the model against the data", 0.0)
        adapter = PredictionsAdapter(data) if model is None else load_model(model)
        features = resolve_features(adapter, data)
        adapter = align_classes(adapter, data)
        X = data.model_input(features)
        y_pred, proba = predict(adapter, X, data, features, how=how)

        self._report("Measuring performance", 0.1)
        sections = {"model": adapter.describe(), "data": data.describe(features)}
        if data.target is not None:
            sections["performance"] = performance_report(
                data.y_true(), y_pred, proba=proba, classes=adapter.classes,
                positive_index=adapter.positive_index if adapter.task == "binary" else None,
                task=adapter.task, groups=data.groups,
                n_resamples=self.n_resamples or policy.setting("fairness", "n_resamples", 1000),
                confidence=policy.setting("audit", "confidence", 0.95), random_state=self.random_state)
        else:
            sections["performance"] = {}

        self._section("performance", sections["performance"])
        fair = data.target is not None and data.sensitive and adapter.task in ("binary", "regression")
        if fair:  # before the explainers: cheap, and what an analyst reads first
            self._report("Measuring fairness across groups", 0.2)
            sections["fairness"] = self._fairness(adapter, data, y_pred, proba, policy, how)
            self._section("fairness", sections["fairness"])

        attributions = None
        settings = {**self._explain_settings(policy), **_chunk_settings(how)}
        if settings["explainers"] and not isinstance(adapter, PredictionsAdapter):
            self._report("Explaining the model", 0.3)
            section = explanations_section(
                adapter, data, features, settings=settings, random_state=self.random_state,
                progress=lambda step, fraction: self._report(step, 0.3 + 0.4 * fraction), predictions=(y_pred, proba))
            attributions = section.pop("attributions_for_fairness", None)
            sections["explanations"] = section
            self._section("explanations", section)

        if fair:
            self._report("Finding the features behind the group gaps", 0.7)
            self._why_gaps(sections["fairness"], data, features, attributions, policy,
                           full_output=full_data_output(adapter, y_pred, proba, attributions))
            self._section("fairness", sections["fairness"])

        if adapter.task == "binary" and not isinstance(adapter, PredictionsAdapter):
            self._report("Finding the reasons for declined cases", 0.8)
            found = adverse_action_reasons(
                adapter, data, features, n_cases=policy.setting("audit", "reason_cases", 20),
                prohibited=policy.setting("reasons", "prohibited", []), random_state=self.random_state,
                decisions=y_pred, scores=None if proba is None else proba[:, adapter.positive_index])
            sections["reasons"], sections["reasons_summary"] = found["cases"], found["summary"]
            mark_proxy_reasons(sections["reasons"], sections.get("fairness"))
            self._section("reasons", sections["reasons"])
            self._report("Finding what declined cases would have to change (recourse)", 0.85)
            sections["recourse"] = recourse_section(
                adapter, data, policy, features=features, random_state=self.random_state, decisions=y_pred,
                shown=[case["position"] for case in sections["reasons"]], labels=getattr(data, "labels", None),
                n_resamples=self.n_resamples)
            self._section("recourse", sections["recourse"])

        if not isinstance(adapter, PredictionsAdapter):
            sections["glass_box"] = glass_box_section(adapter, data, features, train=self.train,
                                                      confidence=policy.setting("audit", "confidence", 0.95))
            self._report("Fitting the glass-box challengers", 0.9)
            sections["challenger"] = audit_challenger(
                adapter, data, features, policy, proba=proba, decisions=y_pred, train=self.train,
                random_state=self.random_state, n_resamples=self.n_resamples)
            self._section("challenger", sections["challenger"])

        findings = evaluate(policy, sections)
        config = {"policy": policy.to_dict(), "explainers": None if self.explainers is None else list(self.explainers),
                  "explain_rows": self.explain_rows, "n_resamples": self.n_resamples}
        self._report("Done", 1.0)
        return AuditResult(
            status=overall_status(findings), findings=tuple(findings),
            model=sections["model"], data=sections["data"], performance=sections["performance"],
            explanations=sections.get("explanations", {}), fairness=sections.get("fairness", {}),
            reasons=sections.get("reasons", []), reasons_summary=sections.get("reasons_summary", {}),
            recourse=sections.get("recourse", {}), challenger=sections.get("challenger", {}),
            glass_box=sections.get("glass_box", {}), model_card=model_card,
            manifest=build_manifest(random_state=self.random_state, config=config,
                                    model_sha256=adapter.sha256, data_sha256=data.sha256),
            rows=_row_predictions(adapter, data, y_pred, proba),
        )

    def _fairness(self, adapter, data, y_pred, proba, policy, how=Chunking()) -> dict:
        """The fairness section: group metrics with intervals for every attribute and intersection."""
        if adapter.task == "binary":
            y_true = data.y_true_positive()
            decisions = (np.asarray(y_pred) == adapter.positive_class).astype(int)
            scores = None if proba is None else proba[:, adapter.positive_index]
        else:
            y_true, decisions, scores = data.y_true().astype(float), np.asarray(y_pred, dtype=float), None
        return fairness_report(
            y_true, decisions, data.groups, scores=scores, task=adapter.task,
            reference_groups=policy.setting("fairness", "reference_groups") or None,
            intersections=policy.setting("fairness", "intersections", True),
            n_resamples=self.n_resamples or policy.setting("fairness", "n_resamples", 1000),
            confidence=policy.setting("audit", "confidence", 0.95),
            min_group_size=policy.setting("fairness", "min_group_size", 30),
            random_state=self.random_state, **_chunk_settings(how),
        )

    def _explain_settings(self, policy) -> dict:
        """The policy's ``[audit]`` settings with this audit's overrides of explainers and rows."""
        settings = dict(policy.settings.get("audit", {}))
        if self.explainers is not None:
            settings["explainers"] = list(self.explainers)
        if self.explain_rows is not None:
            settings["explain_rows"] = self.explain_rows
        settings.setdefault("explainers", [])
        return settings

    def _why_gaps(self, fairness: dict, data, features, attributions, policy, full_output=None) -> None:
        """Add to each attribute's table the features that drive its gaps and those that act as proxies.

        Disparity attribution needs additive per-row attributions (SHAP) and covers the rows they were
        computed on (every row for exact, fast SHAP; else a group-stratified sample), with the full
        data's gap in the same output beside it; the proxy scan needs only the features.
        """
        if attributions and attributions.get("rows"):
            rows = attributions["rows"]
            groups = data.groups.iloc[rows]
            references = {name: fairness[name].get("reference_group") for name in groups.columns
                          if name in fairness and fairness[name].get("reference_group") in set(groups[name].astype(str))}
            split = disparity_attribution(
                attributions["values"], attributions["output"], groups, reference_groups=references or None,
                feature_names=attributions["feature_names"],
                population=None if full_output is None else (full_output, data.groups))
            space = attributions.get("output_description") or "the model's output"
            selection = attributions.get("selection") or f"{len(rows)} explained rows"
            note = f"; from {attributions['method']} values on {selection}, in {space}"
            for name, table in split.items():
                if name in fairness:
                    fairness[name]["disparity_attribution"] = {
                        **table, "convention": table["convention"] + note, "rows_selection": selection,
                        "output_space": attributions.get("output_space"), "output_description": space}
        if features:
            proxy_rules = policy.rules_for("proxy_features")
            threshold = proxy_rules[0].threshold if proxy_rules else 0.7
            explained = None
            if attributions and attributions.get("rows") and set(features) <= set(attributions["feature_names"]):
                explained = pd.DataFrame(attributions["values"], columns=attributions["feature_names"])[features]
            positions = np.arange(data.n_rows)
            if data.n_rows > PROXY_SCAN_ROWS:
                positions = np.sort(np.random.default_rng(self.random_state).choice(data.n_rows, PROXY_SCAN_ROWS, replace=False))
            scan = proxy_scan(data.frame.iloc[positions, data.frame.columns.get_indexer(features)],
                              data.groups.iloc[positions], attributions=explained,
                              random_state=self.random_state, threshold=threshold,
                              min_group_size=policy.setting("fairness", "min_group_size", 30))
            for name, table in scan.items():
                table["rows_scanned"] = int(len(positions))
                fairness[name]["proxies"] = table

    def _report(self, step: str, fraction: float) -> None:
        if self.progress is not None:
            self.progress(step, fraction)

    def _section(self, name: str, section) -> None:
        if self.on_section is not None:
            self.on_section(name, section)


def _row_predictions(adapter, data: AuditDataset, y_pred, proba) -> RowPredictions:
    """The rows' decisions and positive-class scores the audit computed, for ``AuditResult.predictions()``."""
    binary = adapter.task == "binary"
    return RowPredictions(
        index=data.frame.index.to_numpy(), decision=np.asarray(y_pred),
        score=np.asarray(proba, dtype=float)[:, adapter.positive_index] if binary and proba is not None else None,
        target=None if data.target is None else data.y_true(),
        positive_class=adapter.positive_class if binary else None)


def full_data_output(adapter, y_pred, proba, attributions):
    """The model output the attributions explain, on every row of the data (the positive class's
    probability or log-odds, or the predicted value), or None when it cannot be matched: the values
    on the attributed rows must agree with the attributions' own output to 1e-6."""
    if not attributions or not attributions.get("rows"):
        return None
    space = attributions.get("output_space")
    if space == "value" and adapter.task == "regression":
        output = np.asarray(y_pred, dtype=float)
    elif space in ("probability", "log_odds") and adapter.task == "binary" and proba is not None:
        output = np.asarray(proba, dtype=float)[:, adapter.positive_index]
        if space == "log_odds":
            with np.errstate(divide="ignore"):
                output = np.log(output) - np.log1p(-output)
    else:
        return None
    explained = np.asarray(attributions["output"], dtype=float)
    at_rows = output[np.asarray(attributions["rows"], dtype=int)]
    if not np.isfinite(output).all() or not np.allclose(at_rows, explained, rtol=1e-6, atol=1e-6):
        return None
    return output


def _chunk_settings(how: Chunking) -> dict:
    """``backend``, ``workers``, ``scheduler`` for the chunked steps; empty when nothing is chunked.
    On a Dask cluster ``workers`` is the cluster's, which sets the number of chunks."""
    if how.backend is None:
        return {}
    return {"backend": how.backend, "workers": how.n_workers if how.client is not None else how.workers,
            "scheduler": how.client}


def audit(model, data: AuditDataset, *, policy="default", random_state=None, **options) -> AuditResult:
    """Audit ``model`` on ``data``: shorthand for ``Audit(policy=..., random_state=..., **options).run(model, data)``.

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> df = pd.DataFrame({"x": np.arange(60.0), "g": ["a", "b", "c"] * 20, "y": [0, 1] * 30})
    >>> model = DecisionTreeClassifier(random_state=0).fit(df[["x"]], df["y"])
    >>> data = AuditDataset.from_frame(df, target="y", sensitive=["g"], features=["x"])
    >>> audit(model, data, explainers=[], n_resamples=50, random_state=0).performance["overall"]["accuracy"]
    1.0
    """
    return Audit(policy=policy, random_state=random_state, **options).run(model, data)


def predict(adapter: ModelAdapter, X, data: AuditDataset, features, *, how: Chunking = Chunking()):
    """Predictions and probabilities, with bad values in the features named if the model fails.

    With ``how`` parallel, in row chunks on its workers; for data read from Parquet each worker reads
    its own row groups of the feature columns (:func:`xai_audit.parallel.predict_chunked`).
    """
    if isinstance(X, pd.DataFrame):
        numeric = X.select_dtypes("number")
        infinite = [c for c in numeric.columns if np.isinf(numeric[c].to_numpy(dtype=float)).any()]
        if infinite:
            raise InvalidInputError(f"The feature columns {infinite} contain infinite values; replace or drop them.")
    try:
        if how.parallel and isinstance(X, pd.DataFrame) and len(X) > 1:
            source = data.parquet if data.parquet is not None and features else None
            y_pred, proba = predict_chunked(adapter, X, how, source=source, columns=features,
                                            dtypes=None if source is None else X.dtypes.to_dict())
        else:
            y_pred = adapter.predict(X)
            proba = adapter.predict_proba(X) if adapter.has_proba else None
    except ModelError as error:
        with_nan = [c for c in features if data.frame[c].isna().any()] if features else []
        if with_nan:
            raise InvalidInputError(
                f"The model failed on the data, whose columns {with_nan} have missing values (NaN) that "
                f"this model cannot take. Impute or drop them first. The model said: {error}"
            ) from error
        raise
    if proba is not None and not np.isfinite(proba).all():
        raise ModelError(f"The model '{adapter.name}' returned NaN or infinite probabilities.")
    return y_pred, proba
