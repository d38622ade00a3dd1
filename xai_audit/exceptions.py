"""The exceptions xai-audit raises.

Every error the tool raises on purpose derives from :class:`XaiAuditError`, so a caller (the CLI,
the app, a pipeline) can catch the whole family and show its message. Each subclass also derives
from the matching built-in exception, so ``except ValueError`` keeps working for library users.
Messages name what was given, what was expected, and how to fix it.
"""


class XaiAuditError(Exception):
    """Root of every error raised on purpose by xai-audit: catch it to handle any of them, each
    message naming the problem and the fix.

    Examples
    --------
    >>> import pandas as pd
    >>> import xai_audit as xa
    >>> try:
    ...     xa.AuditDataset.from_frame(pd.DataFrame({"x": [1, 2]}), target="default")
    ... except xa.XaiAuditError as error:
    ...     print(type(error).__name__, "-", str(error)[:46])
    InvalidInputError - The target column 'default' is not in the data
    """


class InvalidInputError(XaiAuditError, ValueError):
    """The data, an option or a configuration file is not what the audit needs."""


class UnsupportedModelError(XaiAuditError, TypeError):
    """The model is of a kind xai-audit cannot audit, or is not fitted."""


class UntrustedModelError(XaiAuditError):
    """Loading the model file would run or trust code the user has not approved."""


class ModelError(XaiAuditError, RuntimeError):
    """The model raised, or returned output of the wrong shape, when asked to predict."""


class MissingDependencyError(XaiAuditError, ImportError):
    """An optional dependency is needed for this feature and is not installed."""
