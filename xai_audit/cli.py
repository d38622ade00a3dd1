"""The ``xai-audit`` command line: argument handling only; every audit goes through ``Audit``.

Exit codes: 0 the audit passed or warned, 1 it failed, 2 an input or usage error (a one-paragraph
message on stderr, no traceback unless ``--debug``).
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path

from xai_audit.exceptions import InvalidInputError, XaiAuditError

EXIT_PASS, EXIT_FAIL, EXIT_ERROR = 0, 1, 2
FORMATS = ("html", "json", "md", "pdf")
DEMO_MODEL = "credit_gbm.skops"
DEMO_DATA = "data/german_credit_test.csv"


def main(argv=None) -> int:
    """Run the command line and return its exit code (also the process's, via the console script)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_ERROR
    try:
        return args.handler(args)
    except XaiAuditError as error:
        if args.debug:
            traceback.print_exc()
        print(f"xai-audit: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:  # the reader went away (xai-audit ... | head): nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("xai-audit: interrupted. Every file is written whole or not at all: outputs already finished "
              "are kept and none is left half-written.", file=sys.stderr)
        return EXIT_ERROR
    except Exception as error:  # an unexpected failure: still one paragraph, details behind --debug
        if args.debug:
            traceback.print_exc()
        print(f"xai-audit: unexpected error ({type(error).__name__}): {error}. "
              "Run again with --debug for the traceback, and report it if the inputs look right.", file=sys.stderr)
        return EXIT_ERROR


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="xai-audit", description=__doc__.splitlines()[0])
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser("demo", help="audit the bundled credit model and write reports/demo.html")
    demo.add_argument("--out", default="reports", help="folder for the report (default: reports)")
    demo.add_argument("--seed", type=int, default=0)
    demo.set_defaults(handler=run_demo)

    run = sub.add_parser("run", help="audit one model on one dataset")
    add_audit_arguments(run)
    run.add_argument("--junit", metavar="FILE", help="also write JUnit XML for CI: each finding a testcase "
                     "(fail: <failure>, warn: <skipped>); writes the JSON record too")
    run.add_argument("--markdown", metavar="FILE", help="also write a Markdown summary for a pull-request comment; "
                     "writes the JSON record too")
    run.set_defaults(handler=run_audit)

    from xai_audit.commands.app import add_app_parser
    from xai_audit.commands.batch import add_batch_parser
    from xai_audit.commands.diff import add_diff_parser

    add_app_parser(sub)
    add_batch_parser(sub)
    add_diff_parser(sub)

    for sub_parser in sub.choices.values():
        # SUPPRESS: without the flag here, the top-level --debug (before the command) still counts.
        sub_parser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                                help="show tracebacks on errors")
    return parser


def add_audit_arguments(parser: argparse.ArgumentParser) -> None:
    """The options shared by ``run`` and the batch file's entries."""
    parser.add_argument("--model", help="model file (.skops, .pt, .pt2, .toml manifest); omit with --predictions")
    parser.add_argument("--data", required=True, help="data file (.csv, .parquet, or .npz with images and labels)")
    parser.add_argument("--target", help="the true-outcome column")
    parser.add_argument("--positive-label", help="the favourable value of the target, e.g. good")
    parser.add_argument("--sensitive", default="", help="comma-separated sensitive attributes, e.g. sex,age_group")
    parser.add_argument("--bins", action="append", default=[], metavar="COL=E1,E2",
                        help="bin edges for a continuous sensitive attribute, e.g. age_years=25 (repeatable)")
    parser.add_argument("--features", help="comma-separated model input columns (default: as the model declares)")
    parser.add_argument("--predictions", help="column with the model's decisions (predictions-only audit)")
    parser.add_argument("--scores", help="column with the model's scores or probabilities")
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


def run_demo(args) -> int:
    """Audit the bundled German-credit gradient-boosting model and write the report."""
    from xai_audit.commands.common import audit_and_write

    samples = find_sample_models()
    result, paths = audit_and_write(
        model=samples / DEMO_MODEL, data_path=samples / DEMO_DATA, target="credit_risk",
        positive_label="good", sensitive=["sex", "age_group"], out=Path(args.out), name="demo",
        formats=["html", "json"], seed=args.seed,
        model_card={"name": "German credit gradient boosting (sample)", "owner": "xai-audit sample models",
                    "intended_use": "Demonstration of xai-audit on public data; not for real credit decisions.",
                    "decision_role": "Illustrative: scores loan applicants as good or bad credit risks.",
                    "data_period": "Not stated by the source (Statlog German credit data, University of Hamburg, 1994)"},
    )
    counts = {status: sum(f.status == status for f in result.findings) for status in ("fail", "warn", "pass")}
    print(f"Verdict: {result.status} ({counts['fail']} failed, {counts['warn']} warnings, {counts['pass']} passed)")
    print(f"Report: {paths['html'].resolve()}")
    return EXIT_PASS  # the demo shows a report; the verdict is the gate's business (xai-audit run)


def run_audit(args) -> int:
    from xai_audit.commands.common import audit_and_write, exit_code
    from xai_audit.model_card import read_model_card

    formats = [f.strip() for f in args.format.split(",") if f.strip()]
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise InvalidInputError(f"--format {args.format!r} names {unknown}; choose from {list(FORMATS)}.")
    if args.model is None and args.predictions is None:
        raise InvalidInputError("Give --model FILE, or --predictions COLUMN for a predictions-only audit.")
    if (args.junit or args.markdown) and "json" not in formats:
        formats.append("json")  # the gate outputs are read from the record
    trusted = True if args.trust_pickle else (args.trust_type or None)
    result, paths = audit_and_write(
        model=args.model, data_path=Path(args.data), target=args.target, positive_label=args.positive_label,
        sensitive=split_list(args.sensitive), bins=parse_bins(args.bins), features=split_list(args.features) or None,
        predictions=args.predictions, scores=args.scores, policy=args.policy, out=Path(args.out),
        name=args.name or Path(args.model or args.data).stem, formats=formats, seed=args.seed, trusted=trusted,
        workers=args.workers, scheduler=args.scheduler,
        model_card=read_model_card(args.model_card) if args.model_card else None,
    )
    if args.junit or args.markdown:
        from xai_audit.gate import write_gate_outputs

        paths.update(write_gate_outputs(result, name=paths["json"].stem,
                                        junit=args.junit, markdown=args.markdown))
    for fmt, path in paths.items():
        print(f"{fmt}: {path}")
    return exit_code(result)


def split_list(text) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def parse_bins(specs) -> dict:
    """``["age_years=25,60"]`` → ``{"age_years": [25.0, 60.0]}``, with a clear error otherwise."""
    bins = {}
    for spec in specs:
        column, _, edges = spec.partition("=")
        try:
            bins[column.strip()] = [float(e) for e in edges.split(",")]
        except ValueError:
            raise InvalidInputError(f"--bins {spec!r} must look like COLUMN=EDGE1,EDGE2 (numbers), e.g. age_years=25.") from None
        if not column.strip():
            raise InvalidInputError(f"--bins {spec!r} must look like COLUMN=EDGE1,EDGE2, e.g. age_years=25.")
    return bins


def find_sample_models() -> Path:
    """The sample_models folder of a source checkout (or the current folder's)."""
    for base in (Path(__file__).resolve().parents[1], Path.cwd()):
        if (base / "sample_models" / DEMO_MODEL).is_file():
            return base / "sample_models"
    raise InvalidInputError(
        "The sample models were not found. Run the demo from a checkout of the xai-audit repository "
        "(they live in sample_models/; rebuild them with python sample_models/build.py)."
    )


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
