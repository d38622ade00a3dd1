"""Significance of a selection-rate gap between a group and the reference group.

The 2×2 table is (selected, not selected) × (group, reference). Fisher's exact test is used when
any observed or expected cell is under 5 — where the chi-square approximation is poor — and
Pearson's chi-square test (no continuity correction) otherwise.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from xai_audit.fairness.jsonable import as_number

SMALL_CELL = 5


def selection_rate_test(selected: int, size: int, reference_selected: int, reference_size: int) -> dict:
    """Two-sided test that the group and the reference group have the same selection rate.

    Parameters
    ----------
    selected, size : int
        Selected rows and all rows of the group.
    reference_selected, reference_size : int
        The same for the reference group.

    Returns
    -------
    dict
        ``{"metric": "selection_rate", "test": "fisher_exact" | "chi_square", "p_value": float,
        "table": [[selected, not selected], [reference selected, reference not selected]]}``.

    Examples
    --------
    >>> selection_rate_test(3, 10, 8, 10)["test"]
    'fisher_exact'
    >>> result = selection_rate_test(45, 100, 60, 100)
    >>> result["test"], round(result["p_value"], 4)
    ('chi_square', 0.0337)
    """
    table = np.array([[selected, size - selected], [reference_selected, reference_size - reference_selected]])
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / max(table.sum(), 1)
    if table.min() < SMALL_CELL or expected.min() < SMALL_CELL:
        name, p_value = "fisher_exact", stats.fisher_exact(table).pvalue
    else:
        name, p_value = "chi_square", stats.chi2_contingency(table, correction=False).pvalue
    return {"metric": "selection_rate", "test": name, "p_value": as_number(p_value),
            "table": table.astype(int).tolist()}
