"""The frozen result of a drift run: what moved between a reference and a current period, and the verdicts.

Its JSON record (``kind: "drift"``, ``schema_version``) holds the sections ``reference`` and
``current`` (the data each period held), ``features``, ``predictions``, ``explanations``,
``fairness``, ``findings`` and ``manifest``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from xai_audit._io import write_atomic
from xai_audit.exceptions import InvalidInputError
from xai_audit.policy import Finding

DRIFT_SCHEMA_VERSION = "1.0"
SECTIONS = ("model", "reference", "current", "features", "predictions", "explanations", "fairness", "manifest")


@dataclass(frozen=True)
class DriftResult:
    """What changed between two periods, with a verdict per policy rule.

    Attributes
    ----------
    status : str
        ``"pass"``, ``"warn"`` or ``"fail"``: the worst finding's status.
    findings : tuple of Finding
    model, reference, current : dict
        The model's description (empty for predictions only) and each period's data description.
    features : dict
        Data drift per feature (:func:`xai_audit.drift.features.feature_drift`).
    predictions : dict
        Prediction, score, outcome and performance drift.
    explanations : dict
        Explanation drift on a stated sample (empty without a model).
    fairness : dict
        Group rates in both periods and their changes (empty without sensitive attributes).
    manifest : dict
        Tool version, packages, random state, creation time and configuration.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np, pandas as pd, xai_audit as xa
    >>> rng = np.random.default_rng(1)
    >>> def period(shift):
    ...     x = rng.normal(shift, 1, 300)
    ...     frame = pd.DataFrame({"x": x, "pred": (x > 0).astype(int)})
    ...     return xa.AuditDataset.from_frame(frame, predictions="pred", features=["x"])
    >>> result = xa.drift(None, period(0.0), period(1.5), random_state=0)
    >>> result.status, result.features["features"]["x"]["verdict"]
    ('fail', 'drifted')
    >>> path = result.save_json(os.path.join(tempfile.mkdtemp(), "drift.json"))
    >>> xa.DriftResult.load_json(path).features == result.features
    True
    """

    status: str
    findings: tuple
    model: dict = field(default_factory=dict)
    reference: dict = field(default_factory=dict)
    current: dict = field(default_factory=dict)
    features: dict = field(default_factory=dict)
    predictions: dict = field(default_factory=dict)
    explanations: dict = field(default_factory=dict)
    fairness: dict = field(default_factory=dict)
    manifest: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """The JSON record as a dict.

        Examples
        --------
        >>> DriftResult("pass", ()).to_dict()["kind"]
        'drift'
        """
        record = {"kind": "drift", "schema_version": DRIFT_SCHEMA_VERSION, "status": self.status,
                  "findings": [f.to_dict() for f in self.findings]}
        record.update({name: getattr(self, name) for name in SECTIONS})
        return record

    @classmethod
    def from_dict(cls, record: dict) -> "DriftResult":
        """Rebuild a result from :meth:`to_dict`'s output."""
        if record.get("kind") != "drift":
            raise InvalidInputError(
                f"This record is not a drift record (its 'kind' is {record.get('kind')!r}, expected 'drift'); "
                "read audit records with AuditResult.load_json."
            )
        return cls(status=record["status"], findings=tuple(Finding.from_dict(f) for f in record.get("findings", [])),
                   **{name: record.get(name, {}) for name in SECTIONS})

    def to_json(self) -> str:
        """The record as indented JSON with sorted keys."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True, allow_nan=False, ensure_ascii=False) + "\n"

    def save_json(self, path) -> Path:
        """Write the JSON record atomically and return its path."""
        return write_atomic(path, self.to_json())

    @classmethod
    def load_json(cls, path) -> "DriftResult":
        """Read a record written by :meth:`save_json`.

        Examples
        --------
        >>> import os, tempfile
        >>> path = DriftResult("warn", ()).save_json(os.path.join(tempfile.mkdtemp(), "drift.json"))
        >>> DriftResult.load_json(path).status
        'warn'
        """
        try:
            record = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError as error:
            raise InvalidInputError(f"The drift record '{path}' does not exist.") from error
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise InvalidInputError(f"The file '{path}' is not a JSON drift record: {error}.") from error
        return cls.from_dict(record)

    def save_html(self, path) -> Path:
        """Write the HTML drift report (self-contained, no scripts) atomically."""
        from xai_audit.render.drift import render_drift_html

        return write_atomic(path, render_drift_html(self.to_dict()))

    def save_markdown(self, path) -> Path:
        """Write a Markdown summary (a pull-request comment) atomically."""
        from xai_audit.render.drift import render_drift_markdown

        return write_atomic(path, render_drift_markdown(self.to_dict()))
