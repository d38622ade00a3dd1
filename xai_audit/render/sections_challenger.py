"""Section view for the glass-box challenger: interpretable models beside the audited one, their
decisions per group, and the EBM's shape functions beside the audited model's partial dependence.
Reads only the record's ``challenger`` section."""

from __future__ import annotations

from xai_audit.render.context import Context, not_computed, section
from xai_audit.render.glossary import display_name
from xai_audit.render.tables import Column
from xai_audit.render.text import interval, is_number, join_and, num, quoted, plain

METRICS = ("roc_auc", "accuracy", "log_loss", "brier")
NAMES = {"audited": "Audited model", "logistic": "Logistic regression", "ebm": "Explainable Boosting Machine"}


def challenger(ctx: Context) -> dict:
    record = ctx.part("challenger")
    findings = ctx.findings_for("challenger")
    if not record or not isinstance(record.get("models"), dict):
        return not_computed("challenger", "No training data was given (Audit(train=...)) and the policy's "
                            "[challenger] enabled is false, or the model is not a binary classifier with probabilities.",
                            findings=findings)
    models = record["models"]
    order = ["audited"] + [m for m in models if m != "audited"]
    level = f"{float(record.get('confidence', 0.95)) * 100:g}%"
    performance = ctx.tables.make(
        "The audited model and its interpretable challengers on the audit data", _reading(record),
        [Column("Model")] + [Column(display_name(m), key=m, numeric=True) for m in METRICS],
        [[NAMES.get(name, name)] + [_with_difference(models[name], m, name) for m in METRICS] for name in order],
        notes=[f"Challengers: {plain(record.get('training', {}).get('description', ''))}.",
               f"Under each challenger's value: its difference from the audited model with the {level} interval of a "
               f"paired bootstrap ({num(record.get('n_resamples'))} resamples of the audit rows, the same rows for both).",
               *[f"{NAMES.get(n, n)}: {plain(models[n].get('description', ''))}." for n in order]]
        + [f"Not run: {plain(n)} ({plain(why)})." for n, why in (record.get("unavailable") or {}).items()])
    return section("challenger", performance=performance, fairness=_fairness(ctx, record, order),
                   shapes=_shapes(ctx, record), findings=findings)


def _with_difference(entry, metric, name) -> str:
    value = num(entry.get(metric), 3)
    if name == "audited":
        return value
    difference = (entry.get("difference") or {}).get(metric)
    span = interval((entry.get("ci") or {}).get(metric), 3)
    return f"{value} ({'+' if is_number(difference) and difference >= 0 else ''}{num(difference, 3)}" + (
        f"; {span})" if span else ")")


def _reading(record) -> str:
    best, advantage = record.get("best_interpretable"), record.get("auc_advantage")
    if best is None or not is_number(advantage):
        return "No interpretable challenger could be fitted."
    span = interval(record.get("auc_advantage_ci"), 3)
    side = "exceeds" if advantage >= 0 else "falls plain of"
    return (f"The audited model's ROC AUC {side} the best interpretable challenger's ({NAMES.get(best, best)}) by "
            f"{num(abs(advantage), 3)}" + (f" (interval of the advantage {span})" if span else "") + ".")


def _fairness(ctx, record, order):
    rows = []
    for attribute, table in (record.get("fairness") or {}).items():
        for group, entry in (table.get("groups") or {}).items():
            cells = [f"{plain(attribute)}: {plain(group)}", num(entry.get("n"))]
            for name in order:
                rates = entry.get(name) or {}
                cells.append(" / ".join(num(rates.get(k), 2) for k in ("selection_rate", "tpr", "fpr")))
            rows.append(cells)
    if not rows:
        return None
    return ctx.tables.make(
        "Decisions per group: audited model and challengers side by side",
        "Selection rate / true positive rate / false positive rate of each model's decisions in each group "
        "(challengers approve at a probability of 0.5), so a reader can see whether an interpretable model would "
        "treat the groups differently.",
        [Column("Group"), Column("Rows", numeric=True)] + [Column(NAMES.get(n, n)) for n in order], rows,
        notes=["No intervals: these rates are shown for comparison; the fairness section judges the audited model."])


def _shapes(ctx, record) -> list:
    tables = []
    for feature, shape in (record.get("shapes") or {}).items():
        values, ebm, audited = shape.get("values") or [], shape.get("ebm") or [], shape.get("audited") or []
        rows = [[plain(str(v)), num(e, 3), num(a, 3)] for v, e, a in zip(values, ebm, audited)]
        far = [plain(str(v)) for v, e, a in zip(values, ebm, audited)
               if is_number(e) and is_number(a) and abs(e - a) > 0.5]
        reading = (f"The two disagree by more than 0.5 in log-odds at {join_and(quoted(v) for v in far)}."
                   if far else "The EBM's shape and the audited model's partial dependence agree within 0.5 in log-odds.")
        tables.append(ctx.tables.make(
            f"{plain(feature)}: EBM shape function and the audited model's partial dependence", reading,
            [Column("Value"), Column("EBM term (log-odds)", numeric=True),
             Column("Audited partial dependence (log-odds)", numeric=True)], rows,
            notes=[plain(record.get("shapes_note", ""))] if record.get("shapes_note") else []))
    return tables
