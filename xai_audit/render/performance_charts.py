"""The figures of the performance section that come from ``performance.decisions``: ROC and confusion."""

from __future__ import annotations

from xai_audit.render.text import is_number, num

MAX_CLASSES_DRAWN = 20  # a confusion matrix of more classes is not drawn (its cells would be unreadable)


def decision_figures(ctx, perf: dict) -> tuple[list, str]:
    """The ROC and confusion-matrix charts of a classification record, and a note on what is left out.

    Records written before ``performance.decisions`` existed get no figure and a note saying so;
    regression records get neither (the group charts show observed beside predicted values).
    """
    decisions = perf.get("decisions")
    if not isinstance(decisions, dict):
        overall = perf.get("overall") or {}
        if any(m in overall for m in ("accuracy", "roc_auc")):
            return [], "No ROC curve or confusion matrix: this record predates them (re-run the audit to add them)."
        return [], ""
    figures, notes = [], []
    labels = [str(v) for v in decisions.get("labels") or []]
    matrix = decisions.get("confusion")
    binary = "positive_label" in decisions
    cut = decisions.get("cut_off")
    at = (f"at the decision cut-off {cut:g} on the probability of {decisions['positive_label']!r}" if binary and cut
          else "at the model's own decisions")
    curves = [c for c in decisions.get("roc") or [] if isinstance(c, dict)]
    if binary and curves:
        curve, point = curves[0], decisions.get("operating_point") or {}
        reading = (f"The area under the curve is {num(curve.get('auc'), 3)}; the model's decisions {at} reach a true "
                   f"positive rate of {num(point.get('tpr'), 3)} at a false positive rate of {num(point.get('fpr'), 3)}.")
        thinned = (f" {curve['n_points']} of the curve's {curve['n_points_full']} points are drawn."
                   if curve.get("n_points_full", 0) > curve.get("n_points", 0) else "")
        figures.append(ctx.charts.roc(
            decisions, title=f"ROC curve of the probability of {decisions['positive_label']!r}",
            desc=f"True positive rate against false positive rate as the cut-off moves; AUC {num(curve.get('auc'), 3)}; "
                 f"operating point of the decisions: false positive rate {num(point.get('fpr'), 3)}, true positive "
                 f"rate {num(point.get('tpr'), 3)}.{thinned}", reading=reading + thinned))
    elif curves:
        aucs = "; ".join(f"{c.get('class')}: {num(c.get('auc'), 4)}" for c in curves)
        low = min((c for c in curves if is_number(c.get("auc"))), key=lambda c: c["auc"], default=None)
        figures.append(ctx.charts.roc(
            decisions, title="One-vs-rest ROC curves, one per class",
            desc=f"One curve per class, that class against all others; AUC per class: {aucs}.",
            reading=(f"The class separated least well from the rest is {low.get('class')!r} (one-vs-rest AUC "
                     f"{num(low['auc'], 4)})." if low else "No class has a one-vs-rest AUC.")))
    elif perf.get("overall", {}).get("roc_auc") is None:
        notes.append("No ROC curve: the model gives no probabilities, or the data holds one class only.")
    if isinstance(matrix, list) and len(matrix) > MAX_CLASSES_DRAWN:
        notes.append(f"No confusion matrix figure: {len(matrix)} classes are too many to draw legibly; the counts "
                     "are in the JSON record (performance.decisions.confusion).")
    elif isinstance(matrix, list) and matrix and len(matrix) == len(labels):
        total = sum(sum(r) for r in matrix)
        correct = sum(matrix[i][i] for i in range(len(matrix)))
        desc = "; ".join(f"true {labels[i]}, predicted {labels[j]}: {matrix[i][j]}"
                         for i in range(len(labels)) for j in range(len(labels)))
        figures.append(ctx.charts.confusion(
            matrix, labels, title="Confusion matrix " + ("at the decision cut-off" if binary else "per class"),
            desc=f"Counts of {total} rows by true class (rows) and predicted class (columns): {desc}.",
            reading=f"{correct} of {total} rows ({num(correct / total * 100 if total else None, 1)}%) are on the "
                    f"diagonal (predicted correctly), counted {at}."))
    return figures, " ".join(notes)
