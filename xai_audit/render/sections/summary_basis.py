"""How a record's performance and fairness numbers were computed when they come from summaries (merged
per-group counts and score histograms, not rows): one plain sentence for each section, and the list of
sections that summaries cannot give.

A record from rows has no ``computed_from`` and gets no sentence.
"""

from __future__ import annotations

import math

import numpy as np

from xai_audit.render.text import is_number, join_and, plural


def basis_sentence(data: dict, part: dict, bound=None) -> str:
    """The sentence that says how the numbers of ``part`` (a performance section or one fairness table)
    were computed, or "" when they come from rows.

    ``bound`` is the largest ROC AUC error bound the part states (None: no AUC from histograms).

    Examples
    --------
    >>> data = {"n_rows": 3000, "summary_basis": {"parts": 3, "part_kind": "site", "score_bins": 4096}}
    >>> basis_sentence(data, {"computed_from": "summaries"}, 0.0001)
    'Computed from per-group counts and 4,096-bin score histograms of 3,000 rows, merged from 3 sites, not from the rows themselves; ROC AUC within 0.0001 of the exact value.'
    >>> basis_sentence(data, {})
    ''
    """
    if not part.get("computed_from"):
        return ""
    basis = data.get("summary_basis") if isinstance(data.get("summary_basis"), dict) else {}
    bins = basis.get("score_bins")
    what = (f"per-group counts and {int(bins):,}-bin score histograms" if is_number(bins)
            else "per-group counts (no scores were summarised)")
    rows = f" of {plural(int(data['n_rows']), 'row')}" if is_number(data.get("n_rows")) else ""
    parts = basis.get("parts")
    merged = (f", merged from {plural(int(parts), str(basis.get('part_kind') or 'part'))}"
              if is_number(parts) else "")
    auc = f"; ROC AUC within {bound_text(bound)} of the exact value" if is_number(bound) and bound > 0 else ""
    return f"Computed from {what}{rows}{merged}, not from the rows themselves{auc}."


def bound_text(bound: float) -> str:
    """A positive error bound in plain decimals, rounded up to two significant digits (a bound must not
    be understated).

    Examples
    --------
    >>> bound_text(0.0001), bound_text(0.000123), bound_text(0.25)
    ('0.0001', '0.00013', '0.25')
    """
    scale = 10.0 ** (1 - math.floor(math.log10(bound)))
    return np.format_float_positional(math.ceil(round(bound * scale, 9)) / scale, trim="-")


def unavailable_sentence(data: dict) -> str:
    """The sections a record from summaries alone does not have, or "" when it has them all.

    Examples
    --------
    >>> unavailable_sentence({"not_available_from_summaries": ["explanations", "reasons"]})
    'Not available from summaries (they need rows): explanations and reasons.'
    """
    missing = [str(name) for name in data.get("not_available_from_summaries") or []]
    return f"Not available from summaries (they need rows): {join_and(missing)}." if missing else ""


def largest_bound(values) -> float | None:
    """The largest number among ``values`` (None when there is none)."""
    numbers = [float(v) for v in values if is_number(v)]
    return max(numbers) if numbers else None
