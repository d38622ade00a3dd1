"""``xai-audit run``: audit one model on one dataset; the exit code gates a merge.

The command line becomes an :class:`~xai_audit.spec.AuditSpec` (:func:`spec_from_args`), which is
checked, run and written like every other front end's.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from xai_audit.exceptions import InvalidInputError
from xai_audit.spec import FORMATS, AuditSpec, parse_bins, split_list


def add_parser(sub) -> argparse.ArgumentParser:
    """Register the ``run`` sub-command on the CLI's sub-parsers.

    Examples
    --------
    >>> parser = argparse.ArgumentParser(prog="xai-audit")
    >>> _ = add_parser(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["run", "--data", "d.csv", "--predictions", "p", "--seed", "3"])
    >>> args.data, args.predictions, args.seed, args.format
    ('d.csv', 'p', 3, 'html,json')
    """
    run = sub.add_parser("run", help="audit one model on one dataset")
    add_audit_arguments(run)
    run.add_argument("--junit", metavar="FILE", help="also write JUnit XML for CI: each finding a testcase "
                     "(fail: <failure>, warn: <skipped>); writes the JSON record too")
    run.add_argument("--markdown", metavar="FILE", help="also write a Markdown summary for a pull-request comment; "
                     "writes the JSON record too")
    run.add_argument("--summaries", nargs="+", default=[], metavar="FILE",
                     help="summary files from `xai-audit summarize` (one per site): the pooled audit of their counts, "
                          "in place of --data and --model")
    run.add_argument("--out-of-core", action=argparse.BooleanOptionalAction, default=None,
                     help="audit Parquet data partition by partition, holding only summaries and a sample here "
                          "(default: when the Parquet data has more than 2,000,000 rows)")
    run.add_argument("--sample-rows", type=int, metavar="N",
                     help="out of core: rows kept, stratified by group, for explanations, reasons and proxies "
                          "(default 20000)")
    run.set_defaults(handler=run_command)
    return run


def add_audit_arguments(parser: argparse.ArgumentParser) -> None:
    """The options that describe one audit (the fields of an :class:`AuditSpec`)."""
    parser.add_argument("--model", help="model file (.skops, .pt, .pt2, .toml manifest); omit with --predictions")
    parser.add_argument("--data", help="data file (.csv, .parquet, a folder or glob of .parquet, or .npz with images "
                        "and labels)")
    parser.add_argument("--target", help="the true-outcome column")
    parser.add_argument("--positive-label", help="the favourable value of the target, e.g. good")
    parser.add_argument("--sensitive", default="", help="comma-separated sensitive attributes, e.g. sex,age_group")
    parser.add_argument("--bins", action="append", default=[], metavar="COL=E1,E2",
                        help="bin edges for a continuous sensitive attribute, e.g. age_years=25 (repeatable)")
    parser.add_argument("--features", help="comma-separated model input columns (default: as the model declares)")
    parser.add_argument("--predictions", help="column with the model's decisions (predictions-only audit)")
    parser.add_argument("--scores", help="column with the model's scores or probabilities")
    parser.add_argument("--labels", metavar="FILE",
                        help="labels.toml with plain names for columns and category codes (used by every output)")
    parser.add_argument("--train", metavar="TRAIN.csv",
                        help="the model's training data, with the audit data's columns: the glass-box challengers are "
                             "fitted on it (without it, cross-fitted on the audit data when the policy enables them)")
    parser.add_argument("--policy", default="default", help="bundled policy name or a policy TOML file")
    parser.add_argument("--out", default="reports", help="output folder (default: reports)")
    parser.add_argument("--name", help="report file name stem (default: the model or data file name)")
    parser.add_argument("--format", default="html,json", help=f"comma-separated, from {','.join(FORMATS)}")
    parser.add_argument("--seed", type=int, default=0, help="random state for sampling and resampling")
    parser.add_argument("--model-card", metavar="FILE",
                        help="TOML file with the model card: intended_use, decision_role, human_oversight, "
                             "limitations, owner, version, name, data_period (shown in the report)")
    parser.add_argument("--trust-pickle", action="store_true",
                        help="allow a pickle/joblib model file (runs code from the file: only for files you made)")
    parser.add_argument("--trust-type", action="append", default=[], metavar="TYPE",
                        help="trust one more type name in a .skops file (repeatable)")
    parser.add_argument("--workers", type=int, metavar="N",
                        help="spread predictions, Tree SHAP and the fairness bootstrap over N local processes "
                             "(or the local Dask cluster's size); the record is the same")
    parser.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                        help="run that work on an existing Dask cluster (its workers must see the data path)")


def spec_from_args(args) -> AuditSpec:
    """The :class:`AuditSpec` that the ``run`` command line describes (not yet validated).

    Examples
    --------
    >>> parser = argparse.ArgumentParser()
    >>> _ = add_parser(parser.add_subparsers(dest="command"))
    >>> spec = spec_from_args(parser.parse_args(["run", "--data", "d.csv", "--predictions", "p",
    ...                                          "--sensitive", "sex, age", "--bins", "age=30"]))
    >>> spec.sensitive, spec.bins, spec.name
    (('sex', 'age'), {'age': [30.0]}, None)
    """
    summaries = tuple(Path(path) for path in getattr(args, "summaries", []) or [])
    if not args.data and not summaries:
        raise InvalidInputError("Give --data FILE (the rows to audit), or --summaries FILE ... (summary files "
                                "from `xai-audit summarize`).")
    formats = tuple(split_list(args.format))
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise InvalidInputError(f"--format {args.format!r} names {unknown}; choose from {list(FORMATS)}.")
    return AuditSpec(
        model=args.model, data=Path(args.data) if args.data else None, target=args.target,
        positive_label=args.positive_label,
        sensitive=tuple(split_list(args.sensitive)), bins=parse_bins(args.bins),
        features=tuple(split_list(args.features)) or None, predictions=args.predictions, scores=args.scores,
        labels=getattr(args, "labels", None), train=getattr(args, "train", None), policy=args.policy, model_card=args.model_card,
        random_state=args.seed, trust_pickle=args.trust_pickle, trusted_types=tuple(args.trust_type),
        workers=args.workers, scheduler=args.scheduler, out=Path(args.out),
        name=args.name or _default_name(args, summaries), formats=formats, summaries=summaries,
        out_of_core=getattr(args, "out_of_core", None), sample_rows=getattr(args, "sample_rows", None),
        junit=getattr(args, "junit", None), markdown=getattr(args, "markdown", None),
    )


def _default_name(args, summaries) -> str | None:
    """"pooled" for summaries; for a glob of data files without a model, the folder's name (else as the spec)."""
    if summaries:
        return "pooled"
    if not args.model and args.data and any(c in Path(args.data).name for c in "*?["):
        return Path(args.data).parent.name or "audit"
    return None


def run_command(args) -> int:
    """Check, run and write the audit; print each output's path; return the gate's exit code."""
    from xai_audit.spec import exit_code

    spec = spec_from_args(args).validate()
    result = spec.run()
    for fmt, path in spec.write(result).items():
        print(f"{fmt}: {path}")
    return exit_code(result)
