"""``xai-audit diff old.json new.json``: what changed between two audit records.

Exit code: 1 when the new audit regresses (its status or a finding got worse, or a failed or warned
finding moved further the wrong way than the policy's [diff] worsening_tolerance), 0 otherwise, 2 when
a record or the policy cannot be read.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from xai_audit.diff import DEFAULT_TOLERANCE, DEFAULT_TOP_K


def add_parser(sub) -> argparse.ArgumentParser:
    """Register the ``diff`` sub-command on the CLI's sub-parsers.

    Examples
    --------
    >>> parser = argparse.ArgumentParser(prog="xai-audit")
    >>> _ = add_parser(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["diff", "a.json", "b.json", "--tolerance", "0.05"])
    >>> args.old, args.new, args.tolerance, args.top_k, args.policy
    ('a.json', 'b.json', 0.05, 5, None)
    """
    diff = sub.add_parser("diff", help="compare two audit records (JSON); exit 1 when the new one regresses",
                          description=__doc__.splitlines()[0])
    diff.add_argument("old", help="the earlier audit record (.json)")
    diff.add_argument("new", help="the later audit record (.json)")
    diff.add_argument("--tolerance", type=float, default=DEFAULT_TOLERANCE,
                      help=f"report metric changes larger than this (default: {DEFAULT_TOLERANCE})")
    diff.add_argument("--top-k", type=int, default=DEFAULT_TOP_K,
                      help=f"features compared for explanation drift (default: {DEFAULT_TOP_K})")
    diff.add_argument("--policy", metavar="P",
                      help="policy whose [diff] worsening_tolerance and rule directions judge findings that got "
                           "worse inside a status that stayed failed (default: the policy the new audit recorded)")
    diff.add_argument("--markdown", metavar="FILE", help="also write the diff as Markdown (a pull-request comment)")
    diff.add_argument("--json", metavar="FILE", help="also write the diff as JSON")
    diff.set_defaults(handler=run_command)
    return diff


def run_command(args) -> int:
    """Print the diff of two records; return 1 if the new one regresses, else 0."""
    import json

    from xai_audit._io import write_atomic
    from xai_audit.diff import diff_results
    from xai_audit.result import AuditResult

    old, new = (AuditResult.load_json(Path(path)).to_dict() for path in (args.old, args.new))
    change = diff_results(old, new, tolerance=args.tolerance, top_k=args.top_k, names=(args.old, args.new),
                          policy=args.policy)
    print(change.to_text())
    if args.markdown:
        write_atomic(args.markdown, change.to_markdown())
    if args.json:
        write_atomic(args.json, json.dumps(change.to_dict(), indent=2, default=str) + "\n")
    return 1 if change.regressed else 0
