"""``xai-audit summarize``: the summary file of one site's data scored by the model — counts per group,
score histograms and moments, never a row — for a federated audit (``xai-audit run --summaries``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from xai_audit.exceptions import InvalidInputError


def add_parser(sub) -> argparse.ArgumentParser:
    """Register the ``summarize`` sub-command.

    Examples
    --------
    >>> parser = argparse.ArgumentParser(prog="xai-audit")
    >>> _ = add_parser(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["summarize", "--data", "d.csv", "--target", "y", "--predictions", "p",
    ...                           "--out", "site.json", "--min-cell", "10"])
    >>> args.out, args.min_cell, args.scores_histograms
    ('site.json', 10, True)
    """
    command = sub.add_parser("summarize", help="write a summary file (counts only) for a federated audit")
    command.add_argument("--model", help="model file (.skops, .pt, .pt2, .toml manifest); omit with --predictions")
    command.add_argument("--data", required=True, help="data file (.csv, .parquet, a folder or glob of .parquet)")
    command.add_argument("--target", required=True, help="the true-outcome column")
    command.add_argument("--positive-label", help="the favourable value of the target, e.g. good")
    command.add_argument("--sensitive", default="", help="comma-separated sensitive attributes, e.g. sex,age_group")
    command.add_argument("--bins", action="append", default=[], metavar="COL=E1,E2",
                         help="bin edges for a continuous sensitive attribute (repeatable)")
    command.add_argument("--features", help="comma-separated model input columns (default: as the model declares)")
    command.add_argument("--predictions", help="column with the model's decisions (no model)")
    command.add_argument("--scores", help="column with the model's scores (no model)")
    command.add_argument("--policy", default="default", help="policy whose [fairness] intersections setting applies")
    command.add_argument("--out", required=True, help="the summary file to write (.json)")
    command.add_argument("--site", help="this site's name, recorded in the file")
    command.add_argument("--min-cell", type=int, default=0, metavar="K",
                         help="withhold every group with a nonzero confusion cell below K (default 0: none)")
    command.add_argument("--no-score-histograms", dest="scores_histograms", action="store_false",
                         help="share counts only, not score histograms (no AUC or calibration in the pooled audit)")
    command.add_argument("--bins-from", metavar="SUMMARY",
                         help="bin the numeric features on this reference summary file's edges (needed to merge "
                              "or compare sketches; default: this data's deciles)")
    command.add_argument("--trust-pickle", action="store_true", help="allow a pickle/joblib model file")
    command.add_argument("--trust-type", action="append", default=[], metavar="TYPE",
                         help="trust one more type name in a .skops file (repeatable)")
    command.set_defaults(handler=summarize_command)
    return command


def summarize_command(args) -> int:
    """Read the data, score it, write the summary file; print what it holds and what it withheld."""
    from xai_audit.policy import load_policy
    from xai_audit.scale import summarize_data
    from xai_audit.spec import AuditSpec, parse_bins, split_list
    from dataclasses import replace

    from xai_audit.summaries import load_summary, save_summary
    from xai_audit.summaries.sketches import feature_sketches, pool_small_categories, sketch_edges

    if args.min_cell < 0:
        raise InvalidInputError(f"--min-cell must be a whole number ≥ 0; got {args.min_cell}.")
    out = Path(args.out)
    if out.is_dir():
        raise InvalidInputError(f"--out '{out}' is a folder; give the summary file's path, e.g. {out / 'site.json'}.")
    spec = AuditSpec(model=args.model, data=Path(args.data), target=args.target, positive_label=args.positive_label,
                     sensitive=tuple(split_list(args.sensitive)), bins=parse_bins(args.bins),
                     features=tuple(split_list(args.features)) or None, predictions=args.predictions,
                     scores=args.scores, policy=args.policy, trust_pickle=args.trust_pickle,
                     trusted_types=tuple(args.trust_type), out=out.parent if str(out.parent) else Path("."),
                     out_of_core=False).validate()
    adapter, data, _ = spec.load()
    policy = load_policy(args.policy)
    summary = summarize_data(adapter, data, intersections=bool(policy.setting("fairness", "intersections", True)),
                             min_cell=args.min_cell, with_scores=args.scores_histograms,
                             site={"name": args.site or Path(args.data).stem})
    edges = None
    if args.bins_from:
        reference = load_summary(args.bins_from)
        if reference.sketches is None:
            raise InvalidInputError(f"--bins-from '{args.bins_from}' has no feature sketches; summarise the "
                                    "reference with this version of xai-audit first.")
        edges = sketch_edges(reference.sketches)
    features = list(summary.meta.get("features") or [])
    sketches, pooled = pool_small_categories(
        feature_sketches(data.frame[features], data.feature_kinds, edges=edges), args.min_cell)
    summary = replace(summary, sketches=sketches)
    path = save_summary(summary, out)
    withheld = summary.sites[0]["withheld_groups"]
    print(f"summary: {path} ({summary.n_rows:,} rows; counts per group, "
          f"{'score histograms, ' if summary.has_scores else ''}"
          f"{len(summary.sketches)} feature sketches, no rows)")
    if args.min_cell:
        print(f"small cells: groups with a nonzero cell below {args.min_cell} withheld: "
              f"{', '.join(withheld) if withheld else 'none'}; categories below it pooled in the feature "
              f"sketches: {', '.join(f'{n} of {f}' for f, n in pooled.items()) if pooled else 'none'}")
    return 0
