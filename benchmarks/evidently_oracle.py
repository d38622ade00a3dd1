"""Evidently as an oracle for data drift: which columns its DataDriftPreset calls drifted, with its default tests.

Runs wherever ``evidently`` imports (a test imports :func:`evidently_drift`; the drift benchmark runs
this file with the Python of a separate environment, because Evidently 0.7 does not import with
pandas 3):

    python evidently_oracle.py SAMPLES_DIR

``SAMPLES_DIR`` holds ``columns.json`` (``{"numeric": [...], "categorical": [...]}``) and one
``NAME.reference.csv`` / ``NAME.current.csv`` pair per sample; the answer, ``{name: {column:
{"method", "score", "threshold", "drifted"}}}``, is printed as JSON. Evidently's defaults choose
the test by column type and size: up to 1,000 rows, the KS p-value (numeric), χ² p-value or
Z-test p-value (categorical, two categories), each drifted below 0.05 without a multiplicity
correction; above 1,000 rows, the Wasserstein distance over the reference's standard deviation
(numeric) or the Jensen–Shannon distance (categorical), drifted at or above 0.1.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

os.environ.setdefault("DO_NOT_TRACK", "1")  # Evidently's usage telemetry stays off (and offline)


def evidently_drift(reference, current, numeric: list, categorical: list) -> dict:
    """Evidently's default drift verdict per column for one pair of DataFrames."""
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    definition = DataDefinition(numerical_columns=list(numeric), categorical_columns=list(categorical))
    snapshot = Report([DataDriftPreset()]).run(
        current_data=Dataset.from_pandas(current, data_definition=definition),
        reference_data=Dataset.from_pandas(reference, data_definition=definition))
    answer = {}
    for metric in snapshot.dict()["metrics"]:
        config = metric["config"]
        if not config.get("type", "").endswith("ValueDrift"):
            continue
        score, threshold = float(metric["value"]), float(config["threshold"])
        by_p_value = bool(re.search(r"p_value", config["method"]))
        answer[config["column"]] = {"method": config["method"], "score": score, "threshold": threshold,
                                    "drifted": score < threshold if by_p_value else score >= threshold}
    return answer


def main(folder: str) -> int:
    import pandas as pd

    root = Path(folder)
    columns = json.loads((root / "columns.json").read_text())
    answers = {}
    for path in sorted(root.glob("*.reference.csv")):
        name = path.name[: -len(".reference.csv")]
        types = {c: str for c in columns["categorical"]}
        reference = pd.read_csv(path, dtype=types)
        current = pd.read_csv(root / f"{name}.current.csv", dtype=types)
        answers[name] = evidently_drift(reference, current, columns["numeric"], columns["categorical"])
    print(json.dumps(answers))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
