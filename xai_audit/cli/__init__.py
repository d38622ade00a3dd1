"""The ``xai-audit`` command line: ``main.py`` parses arguments, one module per command does the work.

``from xai_audit.cli import main`` keeps working (the console script is ``xai_audit.cli.main:entry``, which calls it).
"""

from xai_audit.cli.main import EXIT_ERROR, EXIT_FAIL, EXIT_PASS, build_parser, main

__all__ = ["EXIT_ERROR", "EXIT_FAIL", "EXIT_PASS", "build_parser", "main"]
