"""``xai-audit demo``: audit the bundled German-credit model and write ``reports/demo.html``."""

from __future__ import annotations

import argparse
from pathlib import Path

from xai_audit.exceptions import InvalidInputError

DEMO_MODEL = "credit_gbm.skops"
DEMO_DATA = "data/german_credit_test.csv"
DEMO_LABELS = "german_credit_labels.toml"
# Consumer credit: sex and marital status are prohibited bases under ECOA, never adverse-action reasons.
DEMO_POLICY = "credit"
DEMO_MODEL_CARD = {
    "name": "German credit gradient boosting (sample)", "owner": "xai-audit sample models",
    "intended_use": "Demonstration of xai-audit on public data; not for real credit decisions.",
    "decision_role": "Illustrative: scores loan applicants as good or bad credit risks.",
    "data_period": "Not stated by the source (Statlog German credit data, University of Hamburg, 1994)",
}


def add_parser(sub) -> argparse.ArgumentParser:
    """Register the ``demo`` sub-command on the CLI's sub-parsers.

    Examples
    --------
    >>> parser = argparse.ArgumentParser(prog="xai-audit")
    >>> _ = add_parser(parser.add_subparsers(dest="command"))
    >>> parser.parse_args(["demo", "--seed", "2"]).seed
    2
    """
    demo = sub.add_parser("demo", help="audit the bundled credit model and write reports/demo.html")
    demo.add_argument("--out", default="reports", help="folder for the report (default: reports)")
    demo.add_argument("--seed", type=int, default=0)
    demo.set_defaults(handler=run_command)
    return demo


def demo_spec(*, out="reports", seed=0):
    """The :class:`~xai_audit.spec.AuditSpec` of the demo audit."""
    from xai_audit.spec import AuditSpec

    samples = find_sample_models()
    return AuditSpec(model=samples / DEMO_MODEL, data=samples / DEMO_DATA, target="credit_risk",
                     positive_label="good", sensitive=("sex", "age_group"), out=Path(out), name="demo",
                     formats=("html", "json"), random_state=seed, model_card=dict(DEMO_MODEL_CARD),
                     policy=DEMO_POLICY, labels=samples / DEMO_LABELS)


def run_command(args) -> int:
    """Audit the bundled model, print the verdict and the report's path; always 0 (the gate is ``run``'s)."""
    spec = demo_spec(out=args.out, seed=args.seed).validate()
    result = spec.run()
    paths = spec.write(result)
    counts = {status: sum(f.status == status for f in result.findings) for status in ("fail", "warn", "pass")}
    print(f"Verdict: {result.status} ({counts['fail']} failed, {counts['warn']} warnings, {counts['pass']} passed)")
    print(f"Report: {paths['html'].resolve()}")
    return 0


def find_sample_models() -> Path:
    """The sample_models folder of a source checkout (or the current folder's)."""
    for base in (Path(__file__).resolve().parents[2], Path.cwd()):
        if (base / "sample_models" / DEMO_MODEL).is_file():
            return base / "sample_models"
    raise InvalidInputError(
        "The sample models were not found. Run the demo from a checkout of the xai-audit repository "
        "(they live in sample_models/; rebuild them with python sample_models/build.py)."
    )
