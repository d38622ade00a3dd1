"""``recourse_for``: the cheapest change that turns each of a few given cases from a decline into an
approval, under the constraints the policy sets for the audited data.

The audit's ``recourse`` section answers for a sample of the declined rows of the audited data; this
answers for any rows, including edited ones that are not in the data (the app's what-if). The
constraints (immutable and sensitive features, one-way features, at most ``max_features`` changes,
observed ranges) and the costs come from ``data`` and the policy's ``[recourse]`` table, as in the
audit. Every suggestion is re-scored on the model itself and dropped if the model does not approve it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from xai_audit.exceptions import InvalidInputError
from xai_audit.recourse.linear import closed_form_recourse, linear_form
from xai_audit.recourse.scoring import approved_by_model, make_codec
from xai_audit.recourse.search import search_recourse
from xai_audit.recourse.section import _case_record, _label_dict, _rescore, case_sentence, constraints_and_costs


def recourse_for(model, data, cases, *, policy="default", random_state=None) -> list[dict]:
    """For each case, the cheapest change the model approves, or why there is none.

    Parameters
    ----------
    model : ModelAdapter or anything :func:`xai_audit.load_model` takes
        A binary classifier with probabilities, reading tabular input.
    data : AuditDataset
        The audited data: it sets the observed ranges and categories, the costs (a scale per
        numeric feature) and which columns are sensitive (never changed).
    cases : pandas.DataFrame
        The cases, one per row, with (at least) the model's input columns; they need not be rows of
        ``data``.
    policy : str, dict or Policy
        Its ``[recourse]`` table sets the immutable and one-way features, ``max_features`` and the
        budget (as for the audit's recourse section).
    random_state : int, optional

    Returns
    -------
    list of dict
        One per case, in order: ``declined`` (the model declines the case as given), ``score`` (its
        probability of the favourable class), ``found``, ``changes`` (``feature``, ``from``, ``to``,
        ``kind``), ``n_changed``, ``cost``, ``within_budget``, ``new_score`` (re-scored on the model)
        and ``text`` (the plain sentence, with the data's plain names). A case the model already
        approves has ``declined`` False and no changes.

    Raises
    ------
    InvalidInputError
        For a model that is not a binary classifier with probabilities on tabular input, or cases
        missing some of the model's input columns.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> import xai_audit as xa
    >>> df = pd.DataFrame({"income": np.arange(20.0), "y": [0] * 10 + [1] * 10})
    >>> model = xa.load_model(LogisticRegression().fit(df[["income"]], df["y"]))
    >>> data = xa.AuditDataset.from_frame(df, target="y", features=["income"])
    >>> [case] = xa.recourse_for(model, data, df.loc[[3], ["income"]], random_state=0)
    >>> case["declined"], case["found"], case["changes"][0]["from"], case["changes"][0]["to"] > 9
    (True, True, 3.0, True)
    """
    from xai_audit.adapters import load_model
    from xai_audit.adapters.pairing import align_classes, resolve_features
    from xai_audit.policy import load_policy

    adapter = align_classes(load_model(model), data)
    if adapter.task != "binary" or not adapter.has_proba or adapter.input_kind != "tabular":
        raise InvalidInputError(
            f"Recourse needs a binary classifier with probabilities on tabular input; this model does "
            f"{adapter.task} on {adapter.input_kind} input{'' if adapter.has_proba else ' without probabilities'}.")
    features = list(resolve_features(adapter, data))
    if not isinstance(cases, pd.DataFrame):
        raise InvalidInputError(
            f"The cases must be a pandas DataFrame of the model's inputs; got {type(cases).__name__}.")
    missing = [f for f in features if f not in cases.columns]
    if missing:
        raise InvalidInputError(f"The cases lack the model's input columns {missing}; give every column of {features}.")
    policy = load_policy(policy)
    settings = dict(policy.settings.get("recourse", {}))
    constraints, costs = constraints_and_costs(data, features, settings)
    frame = data.frame.loc[:, features]
    rows = cases.loc[:, features].reset_index(drop=True)
    scores = np.asarray(adapter.output(rows), dtype=float)
    declined = np.flatnonzero(np.asarray(adapter.predict(rows)) != adapter.positive_class)
    found = {}
    if len(declined):
        chosen = rows.iloc[declined].reset_index(drop=True)
        codec = make_codec(adapter, features, constraints.kinds, frame, random_state=random_state)
        suggestions = search_recourse(codec, constraints, costs, chosen, frame)
        form = linear_form(adapter, constraints, frame)
        if form is not None:
            exact = closed_form_recourse(form, constraints, costs, chosen)
            holds = approved_by_model(adapter, chosen, exact)
            suggestions = [b if ok and (a is None or b.cost < a.cost) else a
                           for a, b, ok in zip(suggestions, exact, holds)]
        kept, _ = _rescore(adapter, chosen, suggestions)
        found = dict(zip(declined.tolist(), kept))
    labels = _label_dict(getattr(data, "labels", None))
    out = []
    for position in range(len(rows)):
        if position not in found:
            out.append({"declined": False, "score": float(scores[position]), "found": False, "changes": [],
                        "n_changed": 0, "cost": None, "within_budget": False, "new_score": None,
                        "text": "The model already approves this case: no change is needed."})
            continue
        case = _case_record(data, rows, position, scores[position], found[position], constraints)
        case.pop("row"), case.pop("position")
        case["declined"] = True
        case["text"] = case_sentence(case, max_features=constraints.max_features, labels=labels)
        out.append(case)
    return out
