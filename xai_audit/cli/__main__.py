"""``python -m xai_audit.cli``: the same as the ``xai-audit`` console script."""

import sys

from xai_audit.cli.main import main

sys.exit(main())
