"""``AuditResult``: the frozen outcome of one audit, and its JSON record.

The result is plain data (dicts, lists, numbers, strings) so that ``to_dict`` / ``save_json`` /
``load_json`` round-trip exactly and every front end (HTML, Markdown, the app, ``diff``) reads the
same record. The record follows the JSON Schema shipped as ``xai_audit/schemas/audit_result.schema.json``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from xai_audit._io import write_atomic
from xai_audit._json import dumps_record, json_copy
from xai_audit.exceptions import InvalidInputError
from xai_audit.policy import Finding

SCHEMA_VERSION = "1.3"  # 1.3: glass_box (an interpretable model read as itself). 1.2: performance.decisions (ROC points, confusion counts), local.examples with
# reason_chosen, image samples say correct. 1.1: data.labels and csv_dialect, reasons_summary, recourse, challenger;
# intervals state method/level/resamples and spreads carry none. 1.0 to 1.2 records still load.
SECTIONS = ("model", "data", "performance", "explanations", "fairness", "reasons", "reasons_summary", "recourse",
            "challenger", "glass_box", "model_card", "manifest")


@dataclass(frozen=True, eq=False)
class RowPredictions:
    """The audited rows' decisions and scores, kept in memory beside the record (never written into it).

    Attributes
    ----------
    index : numpy.ndarray
        The data's row labels (its DataFrame index), so rows join back to the data.
    decision : numpy.ndarray
        The model's prediction per row: a class label, or the predicted value for regression.
    score : numpy.ndarray or None
        The probability of the positive class (binary models with probabilities); None otherwise.
    target : numpy.ndarray or None
        The observed target per row; None when the data has no target.
    positive_class : object
        The favourable class (binary models); None otherwise.
    """

    index: object
    decision: object
    score: object = None
    target: object = None
    positive_class: object = None


@dataclass(frozen=True)
class AuditResult:
    """Everything one audit found. Built by :meth:`Audit.run`; read, saved and compared here.

    Attributes
    ----------
    status : str
        ``"pass"``, ``"warn"`` or ``"fail"``: the worst verdict among the findings.
    findings : tuple of Finding
    model, data, performance, explanations, fairness, model_card, manifest : dict
    reasons : list
        Adverse-action reasons for declined cases.
    reasons_summary : dict
        What the reasons rest on: declined count, cut-off, comparison, how cases were chosen, the
        prohibited bases and the declines' reliance on them (empty in records before schema 1.1).
    recourse : dict
        The cheapest change that would turn declined cases into approvals, and its burden per group
        (:mod:`xai_audit.recourse`); empty in records older than schema 1.1.
    challenger : dict
        Glass-box challengers beside the audited model (:mod:`xai_audit.challenger`); empty when not
        run and in records older than schema 1.1.
    rows : RowPredictions or None
        The audited rows' decisions and scores, read with :meth:`predictions`. Kept in memory only:
        not part of the JSON record, not compared by ``==``, and None for a result read from a record.
    glass_box : dict
        The audited model read as itself when it is interpretable: coefficients or odds ratios with
        intervals, tree rules, or EBM shape functions (:mod:`xai_audit.explainers.glass_box`); empty for
        other models and in records older than schema 1.3.

    Examples
    --------
    >>> import pandas as pd, tempfile, os
    >>> from sklearn.linear_model import LogisticRegression
    >>> import xai_audit as xa
    >>> df = pd.DataFrame({"x": range(40), "g": ["a", "b"] * 20, "y": [0] * 20 + [1] * 20})
    >>> model = LogisticRegression().fit(df[["x"]], df["y"])
    >>> data = xa.AuditDataset.from_frame(df, target="y", sensitive=["g"], features=["x"])
    >>> result = xa.audit(model, data, explainers=[], n_resamples=50, random_state=0)
    >>> path = result.save_json(os.path.join(tempfile.mkdtemp(), "audit.json"))
    >>> again = xa.AuditResult.load_json(path)
    >>> again.status == result.status, again.performance == result.performance
    (True, True)
    >>> rows = result.predictions()
    >>> list(rows.columns), len(rows) == len(df), bool((rows["target"] == df["y"]).all())
    (['decision', 'score', 'target'], True, True)
    """

    status: str
    findings: tuple[Finding, ...]
    model: dict
    data: dict
    performance: dict
    explanations: dict = field(default_factory=dict)
    fairness: dict = field(default_factory=dict)
    reasons: list = field(default_factory=list)
    reasons_summary: dict = field(default_factory=dict)
    recourse: dict = field(default_factory=dict)
    challenger: dict = field(default_factory=dict)
    glass_box: dict = field(default_factory=dict)
    model_card: dict = field(default_factory=dict)
    manifest: dict = field(default_factory=dict)
    schema_version: str = SCHEMA_VERSION
    rows: RowPredictions | None = field(default=None, compare=False, repr=False)

    def to_dict(self, *, sort_keys: bool = False) -> dict:
        """The JSON record as a dict (a deep copy; the result stays frozen), keys sorted on request
        (as ``save_json`` writes them)."""
        return json_copy(self._record(), sort_keys=sort_keys)

    def _record(self) -> dict:
        """The record's sections as they are held (no copy): what :meth:`to_dict` copies and
        :meth:`to_json` writes."""
        record = {"schema_version": self.schema_version, "status": self.status}
        for name in SECTIONS:
            record[name] = getattr(self, name)
        record["findings"] = [f.to_dict() for f in self.findings]
        return record

    @classmethod
    def from_dict(cls, record: dict) -> "AuditResult":
        """Rebuild a result from its record, after checking it against the schema."""
        validate_record(record)
        fields = {name: record.get(name, {} if name != "reasons" else []) for name in SECTIONS}
        return cls(status=record["status"], findings=tuple(Finding.from_dict(f) for f in record["findings"]),
                   schema_version=record["schema_version"], **fields)

    def fairness_tables(self) -> dict:
        """Each sensitive attribute's (and intersection's) fairness table, typed: ``{name: GroupTable}``.

        The same numbers as the record's ``fairness`` section, read into frozen rows
        (:class:`xai_audit.GroupTable`) instead of nested dicts; works on results read from any record,
        schema 1.0 included.

        Examples
        --------
        >>> fairness = {"sex": {"reference_group": "m", "groups": {"f": {"n": 40, "selection_rate": 0.4},
        ...                                                      "m": {"n": 60, "selection_rate": 0.6}},
        ...                     "differences": {"convention": "group minus reference",
        ...                                     "values": {"f": {"selection_rate": {"value": -0.2, "ci": None}}}}}}
        >>> table = AuditResult("pass", (), model={}, data={}, performance={}, fairness=fairness).fairness_tables()["sex"]
        >>> table.row("f").n, table.row("f").difference("selection_rate").value, table.row("m").differences
        (40, -0.2, None)
        """
        from xai_audit.fairness.table import group_tables

        return group_tables(self.fairness)

    def predictions(self):
        """The audited rows' decisions and scores as a DataFrame indexed like the audited data.

        Columns: ``decision`` (the model's prediction: a class label, or the predicted value for
        regression), ``score`` (the probability of the positive class, binary models with
        probabilities only) and ``target`` (the observed value, where the data has a target). These
        are the values every section of the audit was computed from, so a front end that needs them
        (the app's threshold explorer, a per-row download) does not predict again. They are kept in
        memory only and never written into the JSON record.

        Raises
        ------
        InvalidInputError
            For a result read from a JSON record, which holds no per-row values.

        Examples
        --------
        >>> result = AuditResult("pass", (), model={}, data={}, performance={},
        ...                      rows=RowPredictions(index=[10, 11], decision=["yes", "no"], score=[0.8, 0.3]))
        >>> result.predictions().to_dict("index")
        {10: {'decision': 'yes', 'score': 0.8}, 11: {'decision': 'no', 'score': 0.3}}
        """
        import pandas as pd

        if self.rows is None:
            raise InvalidInputError(
                "This result holds no per-row predictions: it was read from a JSON record, which keeps only "
                "the audit's summaries. Run the audit (xai_audit.audit or AuditSpec.run) to get them."
            )
        columns = {"decision": self.rows.decision}
        if self.rows.score is not None:
            columns["score"] = self.rows.score
        if self.rows.target is not None:
            columns["target"] = self.rows.target
        return pd.DataFrame(columns, index=pd.Index(self.rows.index))

    def to_json(self) -> str:
        """The record as indented JSON text with sorted keys (stable for diffs)."""
        return dumps_record(self._record()) + "\n"  # no deep copy first: the text is the copy

    def save_json(self, path) -> Path:
        """Write the JSON record atomically.

        Examples
        --------
        >>> import tempfile, os
        >>> result = AuditResult(
        ...     "pass", (), model={"name": "m", "framework": "sklearn", "task": "binary"},
        ...     data={"n_rows": 1, "sha256": "0" * 64, "target": "y", "features": ["x"], "sensitive": []},
        ...     performance={}, manifest={"tool_version": "0", "packages": {}, "random_state": 0,
        ...                               "created_at": "2026-01-01T00:00:00+00:00", "config": {}})
        >>> path = result.save_json(os.path.join(tempfile.mkdtemp(), "audit.json"))
        >>> AuditResult.load_json(path) == result
        True
        """
        return write_atomic(path, self.to_json())

    @classmethod
    def load_json(cls, path) -> "AuditResult":
        """Read a record written by :meth:`save_json` (or by another tool following the schema)."""
        try:
            record = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError as error:
            raise InvalidInputError(f"The audit record '{path}' does not exist.") from error
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise InvalidInputError(f"The file '{path}' is not a JSON audit record: {error}.") from error
        return cls.from_dict(record)

    def to_html(self) -> str:
        """The HTML compliance report as text, exactly what :meth:`save_html` writes."""
        from xai_audit.render.html import render_html

        return render_html(self)

    def to_pdf(self) -> bytes:
        """The PDF report (needs the ``pdf`` extra), exactly what :meth:`save_pdf` writes."""
        from xai_audit.render.pdf import render_pdf

        content = render_pdf(self)
        return content if isinstance(content, bytes) else content.encode("utf-8")

    def save_html(self, path) -> Path:
        """Render the compliance report to one self-contained HTML file, atomically."""
        from xai_audit.render.html import render_html

        return write_atomic(path, render_html(self))

    def save_markdown(self, path) -> Path:
        """Write a short Markdown summary (verdict and findings), e.g. for a pull-request comment."""
        from xai_audit.render.markdown import render_markdown

        return write_atomic(path, render_markdown(self))

    def save_pdf(self, path) -> Path:
        """Render the report to PDF through WeasyPrint (the ``pdf`` extra), atomically."""
        from xai_audit.render.pdf import render_pdf

        return write_atomic(path, render_pdf(self))

    def diff(self, other, *, tolerance: float = 0.01, top_k: int = 5):
        """What changed from this audit (the old one) to ``other`` (the new one): see :mod:`xai_audit.diff`.

        ``other`` is an AuditResult, its record (``to_dict()``) or a JSON file written by ``save_json``.
        Returns an ``AuditDiff`` with metric deltas beyond ``tolerance``, finding changes, explanation
        drift over the ``top_k`` features, ``regressed``, ``to_text()`` and ``to_markdown()``.
        """
        from xai_audit.diff import diff_results

        if isinstance(other, AuditResult):
            other = other.to_dict()
        elif isinstance(other, (str, Path)):
            other = AuditResult.load_json(other).to_dict()
        elif not isinstance(other, dict):
            raise InvalidInputError(
                f"AuditResult.diff compares with an AuditResult, its record (a dict) or a JSON file path; "
                f"got {type(other).__name__}."
            )
        return diff_results(self.to_dict(), other, tolerance=tolerance, top_k=top_k)

    @property
    def failed(self) -> list[Finding]:
        return [f for f in self.findings if f.status == "fail"]

    @property
    def warned(self) -> list[Finding]:
        return [f for f in self.findings if f.status == "warn"]


def load_schema() -> dict:
    """The JSON Schema of the audit record, as shipped in the package."""
    text = resources.files("xai_audit.schemas").joinpath("audit_result.schema.json").read_text("utf-8")
    return json.loads(text)


def validate_record(record: dict) -> None:
    """Raise :class:`InvalidInputError` naming the first place ``record`` breaks the schema."""
    import jsonschema

    if not isinstance(record, dict):
        raise InvalidInputError(f"An audit record must be a JSON object; got {type(record).__name__}.")
    errors = sorted(jsonschema.Draft202012Validator(load_schema()).iter_errors(record), key=lambda e: list(e.path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.path) or "(top level)"
        raise InvalidInputError(f"The audit record does not follow schema {SCHEMA_VERSION} at '{where}': {first.message}.")


def clean_number(value):
    """A float that is NaN or infinite becomes None, so records never hold NaN."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
