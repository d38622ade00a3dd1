"""``xai-audit drift``: what moved between a reference data set and a current one, and whether it matters.

With ``--reference-summaries``/``--current-summaries`` it compares summary files instead of rows
(data drift only, :mod:`xai_audit.cli.drift_summaries`).

Exit codes: 0 the drift rules passed or warned, 1 one failed, 2 an input or usage error.
"""

from __future__ import annotations

import argparse
from pathlib import Path

FORMATS = ("html", "json", "md")


def add_parser(sub) -> argparse.ArgumentParser:
    """Register the ``drift`` sub-command on the CLI's sub-parsers.

    Examples
    --------
    >>> parser = argparse.ArgumentParser(prog="xai-audit")
    >>> _ = add_parser(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["drift", "--reference", "r.csv", "--current", "c.csv", "--predictions", "p"])
    >>> args.reference, args.current, args.model, args.format, args.labels
    ('r.csv', 'c.csv', None, 'html,json', None)
    >>> parser.parse_args(["drift", "--reference", "r.csv", "--current", "c.csv", "--labels", "labels.toml"]).labels
    'labels.toml'
    """
    drift = sub.add_parser("drift", help="compare a current data set against a reference one (monitoring)",
                           description=__doc__.splitlines()[0])
    drift.add_argument("--model", help="model file (.skops, .pt, .pt2, .toml manifest); omit with --predictions")
    drift.add_argument("--reference", help="reference (validation-time) data: .csv or .parquet")
    drift.add_argument("--current", help="current data: .csv or .parquet, the same columns")
    drift.add_argument("--reference-summaries", nargs="+", metavar="SUMMARY",
                       help="instead of rows: reference summary files (merged); data drift only")
    drift.add_argument("--current-summaries", nargs="+", metavar="SUMMARY",
                       help="instead of rows: current summary files (merged), binned on the reference's edges")
    drift.add_argument("--target", help="the true-outcome column (both files), for performance drift")
    drift.add_argument("--positive-label", help="the favourable value of the target, e.g. good")
    drift.add_argument("--sensitive", default="", help="comma-separated sensitive attributes, e.g. sex,age_group")
    drift.add_argument("--features", help="comma-separated model input columns (default: as the model declares)")
    drift.add_argument("--predictions", help="column with the model's decisions (predictions only, both files)")
    drift.add_argument("--scores", help="column with the model's scores or probabilities (both files)")
    drift.add_argument("--labels", metavar="FILE",
                       help="labels.toml with plain names for columns and category codes (used by every output)")
    drift.add_argument("--policy", default="default", help="bundled policy name or a policy TOML file")
    drift.add_argument("--out", default="reports", help="output folder (default: reports)")
    drift.add_argument("--name", default="drift", help="report file name stem (default: drift)")
    drift.add_argument("--format", default="html,json", help=f"comma-separated, from {','.join(FORMATS)}")
    drift.add_argument("--junit", metavar="FILE", help="also write JUnit XML for CI: each finding a testcase")
    drift.add_argument("--seed", type=int, default=0, help="random state for the explanation sample and bootstrap")
    drift.add_argument("--explain-rows", type=int, metavar="N",
                       help="rows of each period explained for explanation drift (default: the policy's; 0 skips)")
    drift.set_defaults(handler=run_command)
    return drift


def _names(text):
    return [name.strip() for name in (text or "").split(",") if name.strip()]


def run_command(args) -> int:
    """Run the drift comparison, write the requested outputs, print one line per finding; return the exit code."""
    from xai_audit.data import AuditDataset
    from xai_audit.monitoring import drift
    from xai_audit.exceptions import InvalidInputError
    from xai_audit.gate import SuiteSpec, exit_code, write_junit

    formats = _names(args.format)
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown or not formats:
        raise InvalidInputError(f"--format {args.format!r} names {unknown or 'nothing'}; choose from {list(FORMATS)}.")
    if args.reference_summaries or args.current_summaries:
        from xai_audit.cli.drift_summaries import run_from_summaries

        return run_from_summaries(args, formats)
    if not args.reference or not args.current:
        raise InvalidInputError("Give --reference and --current data files (or --reference-summaries and "
                                "--current-summaries summary files).")
    if args.model is None and args.predictions is None:
        raise InvalidInputError("Give --model, or --predictions naming the column with the model's decisions in both files.")
    options = dict(target=args.target, positive_label=args.positive_label, sensitive=_names(args.sensitive),
                   predictions=args.predictions, scores=args.scores, features=_names(args.features) or None,
                   labels=args.labels)
    reference = AuditDataset.from_file(args.reference, **options)
    current = AuditDataset.from_file(args.current, **options)
    result = drift(args.model, reference, current, policy=args.policy, random_state=args.seed,
                   explain_rows=args.explain_rows)
    out = Path(args.out)
    written = []
    if "json" in formats:
        written.append(result.save_json(out / f"{args.name}.json"))
    if "html" in formats:
        written.append(result.save_html(out / f"{args.name}.html"))
    if "md" in formats:
        written.append(result.save_markdown(out / f"{args.name}.md"))
    if args.junit:
        written.append(write_junit(args.junit, [SuiteSpec(name=args.name, findings=tuple(result.findings))],
                                   name="xai-audit drift"))
    for finding in result.findings:
        print(f"[{finding.status.upper():4}] {finding.message}")
    print(f"drift status: {result.status}; wrote {', '.join(str(p) for p in written) or 'nothing'}")
    return exit_code(result.status)
