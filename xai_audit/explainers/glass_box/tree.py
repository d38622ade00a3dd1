"""A decision tree read as itself: its rules, to a stated depth, with the cases each one covers.

Each rule is a path from the root: the conditions along it, the number and share of the audit's rows
that reach its node (counted by the tree's own ``decision_path``), and the node's decision (the class
the tree gives there, with the share of training weight of the favourable class, or the predicted
value). Paths longer than the stated depth are cut there: the rule then names a subtree, and its
decision is the subtree's majority, which the rows under it need not all get.
"""

from __future__ import annotations

import numpy as np

MAX_DEPTH = 4


def is_tree(adapter) -> bool:
    """True for scikit-learn's single decision trees (alone or last in a Pipeline), binary or regression."""
    final = getattr(adapter, "final_estimator", None)
    return (final is not None and type(final).__name__ in ("DecisionTreeClassifier", "DecisionTreeRegressor")
            and adapter.task in ("binary", "regression"))


def tree_reading(adapter, terms, *, max_depth: int = MAX_DEPTH) -> dict:
    """The tree's rules to ``max_depth``, with the audit rows each covers.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from xai_audit import load_model
    >>> from xai_audit.explainers.glass_box.terms import model_terms
    >>> df = pd.DataFrame({"x": [0.0, 1, 2, 3, 4, 5], "y": [0, 0, 0, 1, 1, 1]})
    >>> adapter = load_model(DecisionTreeClassifier(random_state=0).fit(df[["x"]], df["y"]))
    >>> reading = tree_reading(adapter, model_terms(adapter, df, ["x"]))
    >>> [(r["conditions"][0]["op"], r["n"], r["decision"]) for r in reading["rules"]]
    [('<=', 3, 0), ('>', 3, 1)]
    """
    from xai_audit.explainers.glass_box.linear import _as_input

    final = adapter.final_estimator
    tree = final.tree_
    X = _as_input(final, terms)
    reached = np.asarray(final.decision_path(X).sum(axis=0)).reshape(-1)
    n_rows = len(terms.matrix)
    rules = []
    stack = [(0, 0, [])]
    while stack:
        node, depth, conditions = stack.pop()
        left, right = tree.children_left[node], tree.children_right[node]
        if left == right or depth == max_depth:
            rules.append(_rule(adapter, final, node, conditions, int(reached[node]), n_rows, subtree=left != right))
            continue
        j, threshold = int(tree.feature[node]), float(tree.threshold[node])
        stack.append((right, depth + 1, conditions + [_condition(terms, j, ">", threshold)]))
        stack.append((left, depth + 1, conditions + [_condition(terms, j, "<=", threshold)]))
    own = np.asarray(final.predict(X))
    shown = _shown_decisions(final, X, rules)
    agree = own == shown if adapter.task == "binary" else np.isclose(own.astype(float), shown.astype(float))
    return {
        "kind": "tree",
        "depth": int(final.get_depth()), "n_leaves": int(final.get_n_leaves()), "shown_depth": int(max_depth),
        "n_rows": int(n_rows), "rules": rules,
        "fidelity": {"measure": "share of rows whose shown rule gives the model's own decision",
                     "value": float(np.mean(agree)) if n_rows else None},
    }


def _condition(terms, j, op, threshold) -> dict:
    """One test on the path, with the original feature and, where it can be said, its own units."""
    condition = {"term": terms.names[j], "feature": terms.features[j], "op": op, "threshold": threshold}
    step, offset = terms.per_unit[j], terms.offset[j]
    if terms.transformed and step is not None:
        flipped = {"<=": ">", ">": "<="}[op] if step < 0 else op
        condition["feature_threshold"] = {"op": flipped, "value": float((threshold - offset) / step)}
    elif terms.transformed and terms.features[j] is not None:
        prefix = terms.names[j].split("__", 1)[-1]
        if prefix.startswith(f"{terms.features[j]}_") and 0 < threshold < 1:
            condition["category"] = {"value": prefix[len(terms.features[j]) + 1:],
                                     "is": op == ">"}  # a one-hot column above 0.5 means the category holds
    return condition


def _rule(adapter, final, node, conditions, n, n_rows, *, subtree) -> dict:
    value = np.asarray(final.tree_.value[node], dtype=float).reshape(-1)
    rule = {"conditions": conditions, "n": n, "share": n / n_rows if n_rows else None, "node": int(node),
            "subtree": bool(subtree)}
    if adapter.task == "binary":
        classes = list(final.classes_)
        weights = value / value.sum() if value.sum() > 0 else value
        decision = classes[int(np.argmax(value))]
        rule["decision"] = decision.item() if isinstance(decision, np.generic) else decision
        rule["favourable_share"] = float(weights[classes.index(adapter.positive_class)])
    else:
        rule["decision"] = float(value[0])
    return rule


def _shown_decisions(final, X, rules) -> np.ndarray:
    """The decision of the shown rule each row falls under."""
    path = final.decision_path(X).tocsc()
    decisions = np.empty(path.shape[0], dtype=object)
    for rule in rules:
        rows = path[:, rule["node"]].nonzero()[0]
        decisions[rows] = rule["decision"]
    return decisions
