"""What the Report page hands out: the report and record as bytes, and the CLI line that remakes them."""

from __future__ import annotations

import shlex
from functools import lru_cache
from pathlib import Path

from audit_app.state import AuditEntry


def html_bytes(result) -> bytes:
    """The HTML report, exactly as ``AuditResult.save_html`` writes it."""
    return result.to_html().encode("utf-8")


def json_bytes(result) -> bytes:
    """The JSON record, exactly as ``AuditResult.save_json`` writes it."""
    return result.to_json().encode("utf-8")


def pdf_bytes(result) -> bytes:
    return result.to_pdf()


@lru_cache(maxsize=1)
def pdf_available() -> bool:
    """Whether WeasyPrint imports here (it needs system libraries besides the Python package)."""
    try:
        import weasyprint  # noqa: F401
    except Exception:
        return False
    return True


def file_stem(entry: AuditEntry) -> str:
    """The name the CLI gives the outputs by default: the model file's stem (the data's without a model)."""
    name = entry.settings.get("model_file") or Path(str(entry.result.data.get("source") or "audit")).name
    return Path(str(name)).stem or "audit"


def cli_command(entry: AuditEntry) -> str:
    """The ``xai-audit run`` line that audits the same inputs (file names as uploaded or bundled)."""
    settings, result = entry.settings, entry.result
    words = ["xai-audit", "run"]
    if entry.adapter is not None:
        words += ["--model", str(settings.get("model_file") or result.model.get("name"))]
    words += ["--data", Path(str(result.data.get("source") or "data.csv")).name]
    for option, name in (("--target", "target"), ("--positive-label", "positive_label"),
                         ("--predictions", "predictions"), ("--scores", "scores")):
        if settings.get(name) is not None:
            words += [option, str(settings[name])]
    if settings.get("sensitive"):
        words += ["--sensitive", ",".join(map(str, settings["sensitive"]))]
    for column, edges in (settings.get("bins") or {}).items():
        words += ["--bins", f"{column}={','.join(f'{e:g}' for e in edges)}"]
    if settings.get("labels"):
        words += ["--labels", labels_file(settings["labels"])]
    policy = settings.get("policy")
    words += ["--policy", policy if policy in ("default", "lenient") else "POLICY.toml"]
    words += ["--seed", str(settings.get("seed", 0))]
    return shlex.join(words)


def labels_file(setting: str) -> str:
    """The labels file's name from its setting (``"labels.toml (sha256 1a2b…)"`` or a sample's file name).

    Examples
    --------
    >>> labels_file("labels.toml (sha256 1a2b3c…)"), labels_file("german_credit_labels.toml")
    ('labels.toml', 'german_credit_labels.toml')
    """
    return str(setting).split(" (sha256 ")[0]
