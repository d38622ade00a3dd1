"""``python -m xai_audit.cli``: the same as the ``xai-audit`` console script."""

from xai_audit.cli.main import entry

entry()
