"""Words for the scale an attribution axis is on, from the explanation's ``meta``.

The same contract as ``render/names.py``'s ``scale_words(meta, method)`` (written at the same time
by the report-text work); the charts use this copy until the two are merged into one.
"""

from __future__ import annotations

SPACE_WORDS = {"log_odds": "log-odds", "probability": "probability", "value": "the target's units",
               "margin": "raw margin (before softmax)"}
UNSIGNED = "unsigned magnitude"
UNSIGNED_METHODS = ("saliency",)


def is_unsigned(meta, method=None) -> bool:
    """True for magnitudes with no direction (saliency, absolute values).

    Examples
    --------
    >>> is_unsigned({"absolute": True}), is_unsigned({}, "saliency"), is_unsigned({"output_space": "log_odds"})
    (True, True, False)
    """
    meta = meta if isinstance(meta, dict) else {}
    return bool(meta.get("absolute")) or method in UNSIGNED_METHODS


def scale_words(meta, method=None) -> str:
    """The scale of an explanation's values, in words, for an axis label.

    Examples
    --------
    >>> scale_words({"output_space": "log_odds"}), scale_words({"output_space": "value"})
    ('log-odds', "the target's units")
    >>> scale_words({"output_space": "probability", "absolute": True}), scale_words(None)
    ('unsigned magnitude (gradient of the probability)', 'output scale not recorded')
    >>> scale_words({"scoring": "roc_auc"}, "permutation")
    'drop in roc_auc when shuffled'
    """
    meta = meta if isinstance(meta, dict) else {}
    space = meta.get("output_space") or meta.get("output")
    words = SPACE_WORDS.get(str(space), str(space).replace("_", "-")) if space else ""
    if method == "permutation":
        return f"drop in {meta.get('scoring') or 'score'} when shuffled"
    if is_unsigned(meta, method):
        return f"{UNSIGNED} (gradient of the {words})" if words else UNSIGNED
    return words or "output scale not recorded"
