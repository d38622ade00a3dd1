"""The ``xai-audit`` command line: argument parsing only; every audit goes through an ``AuditSpec``.

Exit codes: 0 the audit passed or warned, 1 it failed, 2 an input or usage error (a one-paragraph
message on stderr, no traceback unless ``--debug``).

This module and the ``add_parser`` functions it calls import nothing heavy (no numpy, pandas,
scikit-learn, shap, torch, matplotlib): ``xai-audit --help`` answers at once. Each command imports
what it needs inside its ``run`` function.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import traceback

from xai_audit.cli import app, batch, demo, diff, drift, run, summarize
from xai_audit.exceptions import XaiAuditError

EXIT_PASS, EXIT_FAIL, EXIT_ERROR = 0, 1, 2
COMMANDS = (demo, run, app, batch, diff, drift, summarize)


def main(argv=None) -> int:
    """Run the command line and return its exit code (also the process's, via the console script).

    Examples
    --------
    >>> main(["diff", "/nowhere/a.json", "/nowhere/b.json"])
    2
    """
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
    """The parser of every command (each command module registers its own sub-parser).

    Examples
    --------
    >>> build_parser().parse_args(["run", "--data", "d.csv", "--labels", "labels.toml"]).labels
    'labels.toml'
    """
    parser = argparse.ArgumentParser(prog="xai-audit", description=__doc__.splitlines()[0])
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(sub)
    for sub_parser in sub.choices.values():
        # SUPPRESS: without the flag here, the top-level --debug (before the command) still counts.
        sub_parser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                                help="show tracebacks on errors")
    return parser


def entry() -> None:
    """The ``xai-audit`` console script and ``python -m xai_audit.cli``: :func:`main`, then exit with its code.

    Before the process ends, the objects it holds are frozen out of the garbage collector
    (``gc.freeze``): at exit Python would otherwise walk every one of them once more only to free
    memory the operating system takes back anyway, about 0.5 s after an audit. Exit handlers still
    run, and every output is already written and closed. :func:`main` does not do this, since tests
    and scripts call it in a process that goes on.
    """
    code = main()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    entry()
