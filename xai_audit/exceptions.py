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
    """The data, an option or a configuration file is not what the audit needs.

    A ``ValueError`` too, so ``except ValueError`` keeps working.

    Examples
    --------
    >>> import xai_audit as xa
    >>> try:
    ...     xa.load_policy("no-such-policy")
    ... except ValueError as error:
    ...     print(isinstance(error, xa.InvalidInputError), str(error)[:38])
    True The policy 'no-such-policy' is neither
    """


class UnsupportedModelError(XaiAuditError, TypeError):
    """The model is of a kind xai-audit cannot audit, or is not fitted.

    A ``TypeError`` too.

    Examples
    --------
    >>> import xai_audit as xa
    >>> try:
    ...     xa.load_model(object())
    ... except TypeError as error:
    ...     print(type(error).__name__)
    UnsupportedModelError
    """


class UntrustedModelError(XaiAuditError):
    """Loading the model file would run or trust code the user has not approved.

    Examples
    --------
    >>> import pickle, tempfile, os
    >>> import xai_audit as xa
    >>> path = os.path.join(tempfile.mkdtemp(), "model.pkl")
    >>> with open(path, "wb") as handle:
    ...     pickle.dump({"weights": [1, 2]}, handle)
    >>> try:
    ...     xa.load_model(path)
    ... except xa.UntrustedModelError as error:
    ...     print(isinstance(error, xa.XaiAuditError))
    True
    """


class ModelError(XaiAuditError, RuntimeError):
    """The model raised, or returned output of the wrong shape, when asked to predict.

    A ``RuntimeError`` too.

    Examples
    --------
    >>> import xai_audit as xa
    >>> issubclass(xa.ModelError, RuntimeError), issubclass(xa.ModelError, xa.XaiAuditError)
    (True, True)
    >>> str(xa.ModelError("The model 'm' returned NaN or infinite probabilities."))
    "The model 'm' returned NaN or infinite probabilities."
    """


class MissingDependencyError(XaiAuditError, ImportError):
    """An optional dependency is needed for this feature and is not installed.

    An ``ImportError`` too; the message names the extra to install.

    Examples
    --------
    >>> import xai_audit as xa
    >>> try:
    ...     raise xa.MissingDependencyError("PDF reports need weasyprint: pip install 'xai-audit[pdf]'")
    ... except ImportError as error:
    ...     print("xai-audit[pdf]" in str(error), isinstance(error, xa.XaiAuditError))
    True True
    """
