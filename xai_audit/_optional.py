"""One helper for importing optional heavy dependencies lazily.

torch, captum, streamlit, dask and weasyprint are imported only when a feature needs them, and a
missing one gives a :class:`MissingDependencyError` naming the extra to install.
"""

import importlib
from types import ModuleType

from xai_audit.exceptions import MissingDependencyError


def require(module: str, *, extra: str, purpose: str) -> ModuleType:
    """Import ``module`` or raise an error that names the extra providing it.

    Parameters
    ----------
    module : str
        Dotted module name, e.g. ``"captum.attr"``.
    extra : str
        The xai-audit extra that installs it, e.g. ``"torch"``.
    purpose : str
        What the caller needs it for, shown in the message.

    Examples
    --------
    >>> json = require("json", extra="dev", purpose="reading records")
    >>> json.dumps([1])
    '[1]'
    """
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise MissingDependencyError(
            f"{purpose} needs the package '{module.split('.')[0]}', which is not installed "
            f"({error}). Install it with: pip install 'xai-audit[{extra}]'"
        ) from error
