"""Model-agnostic search for the cheapest change that turns a decline into an approval.

For every declined case at once:

1. **Single changes.** Each mutable feature is set in turn to each candidate value allowed for the
   case: for a numeric feature its observed values at 21 quantile levels (minimum and maximum
   included) within the allowed interval (:func:`constraints.allowed_interval`), for a categorical one
   every other observed category. All variants are scored in batches.
2. **Pairs and triples** (up to ``max_features`` changes). The ``beam`` variants of the previous level
   that raised the approval score most without reaching approval are extended by one more single
   change each; any variant that would cost more than the case's cheapest approval found so far is
   not scored at all.
3. **Linearised candidates.** From the single changes, each numeric feature's rise in log-odds per
   unit of cost; the cheapest set of at most ``max_features`` numeric features under that linear
   model is added as a candidate (:func:`_linearised`), whatever the beam kept.
4. **Refinement.** Grid values overshoot: the boundary usually lies between two of them. For the
   ``refine`` cheapest sets of changed features per case, the cheapest approved variant of the set
   is pulled back towards the case, in two ways, keeping whichever is cheaper and still approved: (a) all numeric changes shrunk by one common factor, by
   bisection; (b) the numeric changes re-planned as a linear model of the log-odds would have them
   (the most efficient feature first, each up to its bound; the slopes come from the single changes)
   and the needed rise found by bisection. For a model linear in the log-odds, (b) on the linearised
   candidate is the exact minimum over the numeric features (the tests check it against the closed
   form). Whole-numbered features are then rounded away from the case's value.

Every variant kept is one the model scored as approved, and the returned suggestions are re-scored
through the model adapter itself (:func:`approved_by_model`): a refined change it does not approve
falls back to the case's cheapest approval on the grid, or to none.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd

from xai_audit.recourse.constraints import numeric_grid
from xai_audit.recourse.scoring import approved_by_model, logit

APPROVAL = 0.5
BISECTION_STEPS = 24
# Refined changes step this far (relative) past the boundary bisection finds, so that a rounding error
# in how the value is encoded cannot put it back on the declined side of a split.
PAST_BOUNDARY = 1e-9


@dataclass(frozen=True)
class Suggestion:
    """One case's cheapest change found: ``changes`` is a tuple of ``(feature, old, new)``."""

    changes: tuple
    cost: float
    score: float


@dataclass
class _Options:
    """Every single change the search may make: option ``o`` sets ``feature[o]`` to ``value[o]``."""

    feature: np.ndarray      # (O,) index into features
    position: np.ndarray     # (O,) index into that feature's grid
    value: list              # (O,) the new value
    grids: dict              # feature index -> grid values
    blocks: dict             # feature index -> encoded grid (G, width)
    allowed: np.ndarray      # (n, O) bool
    cost: np.ndarray         # (n, O) float


def search_recourse(codec, constraints, costs, cases: pd.DataFrame, frame: pd.DataFrame, *,
                    beam: int = 6, refine: int = 4) -> list:
    """The cheapest approved variant of each case found by the search, or None where none is found.

    Parameters
    ----------
    codec : EncodedCodec or FrameCodec
        How variants are built and scored (:func:`xai_audit.recourse.scoring.make_codec`).
    constraints : Constraints
    costs : CostModel
    cases : pandas.DataFrame
        The declined cases (the model's input columns).
    frame : pandas.DataFrame
        The data the candidate values are taken from (observed quantiles and categories).
    beam : int
        Variants per case extended at each level.
    refine : int
        Sets of changed features per case whose cheapest approved variant is pulled back towards the case.

    Returns
    -------
    list of Suggestion or None

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from xai_audit import AuditDataset, load_model
    >>> from xai_audit.recourse import build_constraints, fit_costs
    >>> from xai_audit.recourse.scoring import make_codec
    >>> df = pd.DataFrame({"income": np.arange(20.0), "y": [0] * 10 + [1] * 10})
    >>> model = load_model(LogisticRegression().fit(df[["income"]], df["y"]))
    >>> data = AuditDataset.from_frame(df, target="y", features=["income"])
    >>> constraints, costs = build_constraints(data, ["income"]), fit_costs(df, ["income"])
    >>> codec = make_codec(model, ["income"], constraints.kinds, df)
    >>> [s] = search_recourse(codec, constraints, costs, df.loc[[3], ["income"]], df)
    >>> s.changes[0][:2], s.changes[0][2] > 9, int(model.predict(pd.DataFrame({"income": [s.changes[0][2]]}))[0])
    (('income', 3.0), True, 1)
    """
    features = list(constraints.features)
    cases = cases.loc[:, features].reset_index(drop=True)
    n = len(cases)
    if n == 0:
        return []
    base = codec.encode(cases)
    p0 = codec.score(base)
    options = _options(codec, constraints, costs, cases, frame)
    best_cost = np.full(n, np.inf)
    best = [None] * n
    found = []  # (case, options (m, L), cost, score) of approved variants, all levels

    level_case = np.nonzero(options.allowed)[0]
    level_opts = np.nonzero(options.allowed)[1][:, None]
    single_scores = np.full(options.allowed.shape, np.nan)
    for level in range(1, constraints.max_features + 1):
        if len(level_case) == 0:
            break
        cost = options.cost[level_case[:, None], level_opts].sum(axis=1)
        keep = cost < best_cost[level_case]
        level_case, level_opts, cost = level_case[keep], level_opts[keep], cost[keep]
        scores = codec.score(_variants(codec, base, options, level_case, level_opts))
        if level == 1:
            single_scores[level_case, level_opts[:, 0]] = scores
        approved = scores > APPROVAL
        found.append((level_case[approved], level_opts[approved], cost[approved], scores[approved]))
        _update_best(best_cost, best, level_case[approved], level_opts[approved], cost[approved], scores[approved])
        if level == constraints.max_features:
            break
        level_case, level_opts = _extend(options, level_case[~approved], level_opts[~approved],
                                         scores[~approved], cost[~approved], best_cost, beam)

    on_grid = list(best)
    found.append(_linearised(constraints, options, p0, single_scores))
    if any(len(f[0]) for f in found):
        _refine(codec, constraints, costs, options, cases, base, p0, single_scores, found, best_cost, best, refine)
    suggestions = [None if best[i] is None else _suggestion(best[i], cases.iloc[i], features, options, costs)
                   for i in range(n)]
    # Re-score on the model itself; a refined change the model does not approve (a value a rounding
    # error away from a tree's split) falls back to the case's cheapest approval on the grid.
    approved = approved_by_model(codec.adapter, cases, suggestions)
    for i in np.flatnonzero(~approved):
        if best[i] is not on_grid[i] and on_grid[i] is not None:
            fallback = _suggestion(on_grid[i], cases.iloc[i], features, options, costs)
            suggestions[i] = fallback if approved_by_model(codec.adapter, cases.iloc[[i]], [fallback])[0] else None
        else:
            suggestions[i] = None
    return suggestions


def _suggestion(entry, case: pd.Series, features, options, costs) -> Suggestion:
    """The changes of a kept variant as ``(feature, old, new)``, with the cost recomputed from them."""
    opts, values, _, score = entry
    changes = []
    for slot, o in enumerate(opts):
        if o < 0:
            continue
        name = features[options.feature[o]]
        new = options.value[o]
        if values is not None and np.isfinite(values[slot]):
            new = float(values[slot])
        old = _plain(case[name])
        if _equal(old, new):
            continue
        if isinstance(new, float) and new == round(new) and isinstance(old, (int, np.integer)):
            new = int(round(new))
        changes.append((name, old, _plain(new)))
    cost = float(sum(costs.change_cost(f, old, new) for f, old, new in changes))
    return Suggestion(changes=tuple(changes), cost=cost, score=float(score))


def _equal(a, b) -> bool:
    try:
        if pd.isna(a) and pd.isna(b):
            return True
    except (TypeError, ValueError):
        pass
    return bool(a == b)


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


# -- options and variants -------------------------------------------------------------------------


def _options(codec, constraints, costs, cases, frame) -> _Options:
    features = list(constraints.features)
    n = len(cases)
    feature_ids, positions, values, allowed, cost = [], [], [], [], []
    grids = {}
    for j, feature in enumerate(features):
        if feature not in constraints.mutable:
            continue
        if constraints.kinds[feature] == "numeric":
            grid = numeric_grid(frame[feature])
            x = pd.to_numeric(cases[feature], errors="coerce").to_numpy(dtype=float)
            low = np.minimum(constraints.low[feature], x)
            high = np.maximum(constraints.high[feature], x)
            way = constraints.direction.get(feature)
            if way == "increase":
                low = x
            elif way == "decrease":
                high = x
            ok = (grid[None, :] != x[:, None]) & (grid[None, :] >= low[:, None]) & (grid[None, :] <= high[:, None])
            step = np.abs(grid[None, :] - x[:, None]) / costs.scales[feature]
        else:
            grid = np.array(constraints.categories[feature], dtype=object)
            x = cases[feature].to_numpy(dtype=object)
            ok = np.array([[not _equal(v, g) for g in grid] for v in x], dtype=bool).reshape(n, len(grid))
            step = np.full((n, len(grid)), costs.category_cost)
        if len(grid) == 0:
            continue
        grids[j] = grid
        feature_ids.append(np.full(len(grid), j))
        positions.append(np.arange(len(grid)))
        values.extend(grid.tolist())
        allowed.append(ok)
        cost.append(np.where(ok, step, np.inf))
    if not feature_ids:
        return _Options(np.zeros(0, int), np.zeros(0, int), [], {}, {}, np.zeros((n, 0), bool), np.zeros((n, 0)))
    encoded = codec.blocks({features[j]: list(grid) for j, grid in grids.items()})  # one preprocessor call
    blocks = {j: encoded[features[j]] for j in grids}
    return _Options(np.concatenate(feature_ids), np.concatenate(positions), values, grids, blocks,
                    np.hstack(allowed), np.hstack(cost))


def _variants(codec, base, options, case, opts) -> np.ndarray:
    """Encoded rows: each case's row with the options of its variant applied (-1: no option)."""
    encoded = base[case].copy()
    for slot in range(opts.shape[1]):
        chosen = opts[:, slot]
        active = chosen >= 0
        for j in np.unique(options.feature[chosen[active]]):
            rows = np.flatnonzero(active & (options.feature[np.maximum(chosen, 0)] == j))
            columns = codec.columns[codec.features[j]]
            encoded[rows[:, None], columns[None, :]] = options.blocks[j][options.position[chosen[rows]]]
    return encoded


def _extend(options, case, opts, scores, cost, best_cost, beam):
    """The ``beam`` highest-scoring variants per case, each extended by every other allowed single
    change of another feature, without repeats and without any that would cost more than the best."""
    if len(case) == 0:
        return case, opts
    order = np.lexsort((-scores, case))
    case, opts, cost = case[order], opts[order], cost[order]
    rank = np.arange(len(case)) - np.searchsorted(case, case, side="left")
    keep = (rank < beam) & (cost < best_cost[case])
    case, opts, cost = case[keep], opts[keep], cost[keep]
    if len(case) == 0:
        return case, opts
    used = np.zeros((len(case), len(options.feature)), dtype=bool)
    for slot in range(opts.shape[1]):
        used |= options.feature[None, :] == options.feature[opts[:, slot]][:, None]
    ok = options.allowed[case] & ~used & (cost[:, None] + options.cost[case] < best_cost[case][:, None])
    entry, new = np.nonzero(ok)
    combined = np.sort(np.hstack([opts[entry], new[:, None]]), axis=1)
    rows = np.unique(np.hstack([case[entry][:, None], combined]), axis=0)
    return rows[:, 0], rows[:, 1:]


def _update_best(best_cost, best, case, opts, cost, scores, values=None):
    """Keep, per case, the cheapest approved variant: (options, values or None, cost, score)."""
    for k in np.argsort(cost, kind="stable"):
        i = case[k]
        if cost[k] < best_cost[i]:
            best_cost[i] = cost[k]
            best[i] = (tuple(int(o) for o in opts[k]), None if values is None else values[k], float(cost[k]), float(scores[k]))


# -- refinement -------------------------------------------------------------------------------------


def _linearised(constraints, options, p0, single_scores):
    """Candidate sets of numeric changes from a linear model of each case's log-odds.

    For each case and numeric feature, the single change to the farthest allowed value in each
    direction gives a rise in log-odds per unit of cost (its efficiency) and the most it can give.
    Over every set of at most ``max_features`` such features, the cheapest way to reach approval
    under that linear model fills the most efficient first; the cheapest set per case becomes a
    candidate (its changes at their farthest values), for the refinement to verify and pull back.
    For a model linear in the log-odds this is the exact minimum over the numeric features, whatever
    the beam kept. Returns ``(case, options, estimated cost, scores)`` like the search levels.
    """
    n = len(p0)
    base = logit(p0)
    needed = np.maximum(-base, 0.0) + 1e-12
    choices = []  # per numeric feature: (option ids (n,), efficiency (n,), capacity (n,))
    for j in np.unique(options.feature):
        name = constraints.features[j]
        if constraints.kinds[name] != "numeric":
            continue
        ids = np.flatnonzero(options.feature == j)
        values = np.array([options.value[o] for o in ids], dtype=float)
        best = (np.full(n, -1), np.zeros(n), np.zeros(n))
        for pick in (np.argmax, np.argmin):  # farthest up, farthest down
            allowed = options.allowed[:, ids]
            ranked = np.where(allowed, values[None, :] if pick is np.argmax else -values[None, :], -np.inf)
            column = np.argmax(ranked, axis=1)
            has = allowed[np.arange(n), column]
            o = ids[column]
            rise = np.where(has, logit(np.nan_to_num(single_scores[np.arange(n), o], nan=0.5)) - base, 0.0)
            efficiency = np.where(has & (rise > 0), rise / options.cost[np.arange(n), o], 0.0)
            better = efficiency > best[1]
            best = (np.where(better, o, best[0]), np.where(better, efficiency, best[1]),
                    np.where(better, rise, best[2]))
        choices.append(best)
    best_cost, best_set = np.full(n, np.inf), np.full((n, constraints.max_features), -1)
    for size in range(1, min(constraints.max_features, len(choices)) + 1):
        for subset in combinations(range(len(choices)), size):
            ids = np.stack([choices[k][0] for k in subset], axis=1)
            efficiency = np.stack([choices[k][1] for k in subset], axis=1)
            capacity = np.stack([choices[k][2] for k in subset], axis=1)
            order = np.argsort(-efficiency, axis=1)
            remaining, cost = needed.copy(), np.zeros(n)
            for column in order.T:
                eff = efficiency[np.arange(n), column]
                take = np.where(eff > 0, np.minimum(capacity[np.arange(n), column], remaining), 0.0)
                cost += np.where(eff > 0, take / np.where(eff > 0, eff, 1.0), 0.0)
                remaining -= take
            better = (remaining <= 1e-12) & (ids >= 0).all(axis=1) & (cost < best_cost)
            best_cost[better] = cost[better]
            best_set[better, :size] = ids[better]
            best_set[better, size:] = -1
    case = np.flatnonzero(np.isfinite(best_cost))
    return case, best_set[case], best_cost[case], np.full(len(case), np.nan)


def _refine(codec, constraints, costs, options, cases, base, p0, single_scores, found, best_cost, best, refine):
    """Pull the cheapest approved variants back towards their cases (see the module docstring)."""
    case = np.concatenate([f[0] for f in found])
    width = max(f[1].shape[1] for f in found)
    opts = np.vstack([np.hstack([f[1], np.full((len(f[1]), width - f[1].shape[1]), -1)]) for f in found])
    cost = np.concatenate([f[2] for f in found])
    linearised = np.isnan(np.concatenate([f[3] for f in found]))
    order = np.lexsort((cost, case))
    case, opts, cost, linearised = case[order], opts[order], cost[order], linearised[order]
    # the cheapest approved variant of each set of changed features (and each linearised candidate),
    # then the cheapest sets
    feature_sets = np.sort(np.where(opts >= 0, options.feature[np.maximum(opts, 0)], -1), axis=1)
    key = np.hstack([case[:, None], linearised[:, None], feature_sets])
    _, first = np.unique(key, axis=0, return_index=True)
    first = np.sort(first)
    case, opts, cost = case[first], opts[first], cost[first]
    rank = np.arange(len(case)) - np.searchsorted(case, case, side="left")
    numeric = np.zeros(opts.shape, dtype=bool)
    for slot in range(width):
        valid = opts[:, slot] >= 0
        numeric[valid, slot] = [constraints.kinds[constraints.features[j]] == "numeric"
                                for j in options.feature[opts[valid, slot]]]
    keep = (rank < refine) & numeric.any(axis=1)
    case, opts, numeric = case[keep], opts[keep], numeric[keep]
    if len(case) == 0:
        return
    features = list(constraints.features)
    m = len(case)
    # x, target value, bound, scale and log-odds slope of each numeric slot (NaN where not numeric)
    x, target, bound, scale, slope = (np.full((m, width), np.nan) for _ in range(5))
    for slot in range(width):
        for k in np.flatnonzero(numeric[:, slot]):
            o = opts[k, slot]
            name = features[options.feature[o]]
            x[k, slot] = float(cases.iloc[case[k]][name])
            target[k, slot] = float(options.value[o])
            way = np.sign(target[k, slot] - x[k, slot])
            low, high = constraints.low[name], constraints.high[name]
            bound[k, slot] = high if way > 0 else low
            scale[k, slot] = costs.scales[name]
            rise = logit(single_scores[case[k], o]) - logit(p0[case[k]])
            slope[k, slot] = rise / (target[k, slot] - x[k, slot])
    fixed_cost = np.zeros(m)
    categorical_only = np.where(numeric, -1, opts)
    for slot in range(width):
        chosen = categorical_only[:, slot]
        fixed_cost += np.where(chosen >= 0, options.cost[case, np.maximum(chosen, 0)], 0.0)
    slot_feature = np.where(numeric, options.feature[np.maximum(opts, 0)], -1)
    start = _build(codec, base, options, case, categorical_only, slot_feature, x)
    p_start = codec.score(start)

    def approved(values):
        return codec.score(_build(codec, base, options, case, categorical_only, slot_feature, values)) > APPROVAL

    # (a) shrink all numeric changes by one common factor
    lo, hi = np.zeros(m), np.ones(m)
    for _ in range(BISECTION_STEPS):
        mid = (lo + hi) / 2
        ok = approved(x + mid[:, None] * (target - x))
        hi, lo = np.where(ok, mid, hi), np.where(ok, lo, mid)
    shrunk = x + np.minimum(hi * (1 + PAST_BOUNDARY) + 1e-12, 1.0)[:, None] * (target - x)

    # (b) re-plan along the log-odds slopes, most efficient feature first
    needed = np.maximum(-logit(p_start), 0.0)
    helpful = numeric & (slope * (target - x) > 0)
    top = needed * (1 + 1e-9) + 1e-12
    planned_top = _plan(top, x, bound, scale, slope, helpful)
    feasible = ~np.isnan(planned_top).all(axis=1) & approved(np.where(np.isnan(planned_top), x, planned_top))
    lo, hi = np.zeros(m), top.copy()
    for _ in range(BISECTION_STEPS):
        mid = (lo + hi) / 2
        plan = _plan(mid, x, bound, scale, slope, helpful)
        ok = approved(np.where(np.isnan(plan), x, plan))
        hi, lo = np.where(ok, mid, hi), np.where(ok, lo, mid)
    planned = _plan(hi * (1 + PAST_BOUNDARY) + 1e-12, x, bound, scale, slope, helpful)
    planned = np.where(np.isnan(planned), x, planned)

    for values, usable in ((shrunk, np.ones(m, dtype=bool)), (planned, feasible)):
        values = _round_integers(values, x, features, options, opts, numeric, constraints)
        scores = codec.score(_build(codec, base, options, case, categorical_only, slot_feature, values))
        total = fixed_cost + np.nansum(np.abs(values - x) / scale, axis=1)
        good = usable & (scores > APPROVAL)
        for k in np.flatnonzero(good):
            i = case[k]
            if total[k] < best_cost[i] - 1e-12:
                best_cost[i] = total[k]
                best[i] = (tuple(int(o) for o in opts[k]), values[k].copy(), float(total[k]), float(scores[k]))


def _plan(gain, x, bound, scale, slope, helpful) -> np.ndarray:
    """Numeric values reaching a log-odds rise of ``gain`` (per row), the most efficient feature first,
    each up to its bound; NaN where a slot does not move. A row whose features cannot supply ``gain``
    moves every helpful feature to its bound."""
    efficiency = np.where(helpful, np.abs(slope) * scale, -np.inf)
    capacity = np.where(helpful, np.abs(slope) * np.abs(bound - x), 0.0)
    values = np.full(x.shape, np.nan)
    remaining = np.asarray(gain, dtype=float).copy()
    for rank_order in np.argsort(-efficiency, axis=1, kind="stable").T:
        rows = np.arange(len(x))
        use = helpful[rows, rank_order]
        take = np.minimum(capacity[rows, rank_order], remaining)
        step = np.where(use, take / np.where(use, np.abs(slope[rows, rank_order]), 1.0), 0.0)
        direction = np.sign(bound[rows, rank_order] - x[rows, rank_order])
        moved = x[rows, rank_order] + direction * step
        values[rows[use], rank_order[use]] = moved[use]
        remaining = np.where(use, remaining - take, remaining)
    return values


def _round_integers(values, x, features, options, opts, numeric, constraints) -> np.ndarray:
    """Whole-numbered features rounded away from the case's value (a further step in the same direction)."""
    values = values.copy()
    for slot in range(values.shape[1]):
        for k in np.flatnonzero(numeric[:, slot]):
            name = features[options.feature[opts[k, slot]]]
            if constraints.integer.get(name) and np.isfinite(values[k, slot]):
                up = values[k, slot] >= x[k, slot]
                values[k, slot] = np.ceil(values[k, slot] - 1e-9) if up else np.floor(values[k, slot] + 1e-9)
    return values


def _build(codec, base, options, case, categorical_only, slot_feature, values) -> np.ndarray:
    """Encoded rows: the categorical changes of ``categorical_only`` applied, and each numeric slot
    (``slot_feature`` >= 0) set to ``values``."""
    encoded = _variants(codec, base, options, case, categorical_only)
    for slot in range(values.shape[1]):
        column = slot_feature[:, slot]
        for j in np.unique(column[column >= 0]):
            rows = np.flatnonzero(column == j)
            name = codec.features[j]
            encoded[rows[:, None], codec.columns[name][None, :]] = codec.block(name, values[rows, slot])
    return encoded
