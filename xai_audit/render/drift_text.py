"""``drift_summary``: the plain-language summary of a drift result, the sentence its report opens with."""

from __future__ import annotations

from xai_audit.render.drift import summary_sentence


def drift_summary(result) -> str:
    """The one-sentence summary of a :class:`~xai_audit.DriftResult` (or its record), as the drift report says it.

    Front ends show this sentence rather than composing their own, so the app, the HTML report and
    the Markdown summary say the same thing.

    Examples
    --------
    >>> import xai_audit as xa
    >>> xa.drift_summary({"features": {"n_features": 4, "n_drifted": 0, "features": {}}})
    '0 of 4 inputs changed.'
    """
    record = result if isinstance(result, dict) else result.to_dict()
    return summary_sentence(record)
