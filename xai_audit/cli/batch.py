"""``xai-audit batch audits.toml``: many audits from one file, in parallel processes or on a Dask cluster.

Exit code: the worst over the entries (2 if any entry errored, else 1 if any failed, else 0).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_parser(sub) -> argparse.ArgumentParser:
    """Register the ``batch`` sub-command on the CLI's sub-parsers.

    Examples
    --------
    >>> parser = argparse.ArgumentParser(prog="xai-audit")
    >>> _ = add_parser(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["batch", "audits.toml", "--workers", "3", "--force"])
    >>> args.file, args.workers, args.scheduler, args.force
    ('audits.toml', 3, None, True)
    """
    batch = sub.add_parser("batch", help="run every [[audit]] of a TOML batch file; index.html and summary.json",
                           description=__doc__.splitlines()[0])
    batch.add_argument("file", help="the batch file (TOML: [defaults] and [[audit]] entries; paths relative to it)")
    where = batch.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, metavar="N",
                       help="parallel worker processes (default: min(2, entries to run); 1 runs in this process)")
    where.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                       help="run the entries on an existing Dask cluster (workers must see the same paths)")
    batch.add_argument("--dask", action="store_true",
                       help="run on a local Dask cluster of --workers processes (needs the 'dist' extra)")
    batch.add_argument("--out", help="output folder (default: 'out' in [defaults], else reports/ next to the file)")
    batch.add_argument("--force", action="store_true", help="re-run every entry, even unchanged ones")
    batch.add_argument("--junit", metavar="FILE", help="also write JUnit XML: one testsuite per entry")
    batch.add_argument("--markdown", metavar="FILE", help="also write a Markdown table of entries and verdicts")
    batch.set_defaults(handler=run_command)
    return batch


def run_command(args) -> int:
    """Run the batch named on the command line and return its exit code."""
    from xai_audit.batch import batch_markdown, junit_suites, load_batch, run_batch
    from xai_audit.gate import write_junit

    if args.dask and args.scheduler:
        args.dask = False  # an address already says which cluster
    plan = load_batch(Path(args.file), out=args.out)

    def echo(line: str) -> None:
        print(line, flush=True)

    report = run_batch(plan, workers=args.workers, scheduler=args.scheduler, dask=args.dask, force=args.force,
                       echo=echo)
    if args.junit:
        print(f"junit: {write_junit(args.junit, junit_suites(report), name=f'xai-audit batch {plan.source.name}')}")
    if args.markdown:
        from xai_audit._io import write_atomic

        print(f"markdown: {write_atomic(args.markdown, batch_markdown(report))}")
    if getattr(args, "debug", False):
        for record in report.records:
            if record.get("traceback"):
                print(f"--- {record['name']}\n{record['traceback']}", file=sys.stderr)
    errored = [r["name"] for r in report.records if r["status"] == "error"]
    if errored:
        print(f"xai-audit: {len(errored)} entr{'y' if len(errored) == 1 else 'ies'} could not be audited: "
              f"{', '.join(errored)}; the reasons are in {plan.out / 'summary.json'} and index.html.",
              file=sys.stderr)
    return report.exit_code
