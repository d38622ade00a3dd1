"""Definitions of every metric and method the report uses, with formulas where one exists.

Keys match the metric keys of the audit record (``roc_auc``, ``selection_rate``...) and the
explainer registry names (``shap``, ``integrated_gradients``...), so a table column or a method
heading can link to its definition.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    key: str
    term: str
    definition: str
    formula: str = ""


def _t(key, term, definition, formula="") -> Term:
    return Term(key, term, definition, formula)


PERFORMANCE_TERMS = (
    _t("accuracy", "Accuracy", "Share of rows whose predicted class is the true class.",
       "(correct predictions) / (rows)"),
    _t("balanced_accuracy", "Balanced accuracy", "Average, over the true classes, of the share of that class "
       "predicted correctly; unlike accuracy it is not inflated by a majority class.", "mean over classes of TPR"),
    _t("roc_auc", "ROC AUC", "For a binary model, the probability that a randomly chosen favourable case scores "
       "higher than a randomly chosen unfavourable one; 0.5 is chance, 1.0 perfect ranking. For a multiclass model, "
       "one-vs-rest: each class's AUC against all the other classes, averaged over the classes (macro average).",
       "area under the ROC curve"),
    _t("log_loss", "Log loss", "Average negative log-probability the model gave to the true class; lower is "
       "better, and confident mistakes cost most.", "\u2212mean log p(true class)"),
    _t("brier", "Brier score", "Mean squared difference between the predicted probability and the outcome "
       "(1 or 0); lower is better.", "mean (p \u2212 y)\u00b2"),
    _t("ece", "Expected calibration error (ECE)", "Debiased binned ECE: how far predicted probabilities are from "
       "observed rates, averaged over ten equal-width probability bins weighted by their rows, with the excess "
       "that noise in small bins adds removed (Kumar et al. 2019), so it can be slightly below 0 for a well "
       "calibrated model. Its size, not its direction: 0.05 means scores are off by about five percentage points "
       "on average, too high or too low. Per group it is computed the same way, with no interval.",
       "\u03a3 (n_bin / n) \u00b7 (2|d_bin| \u2212 E|N(d_bin, \u03c3\u00b2_bin)|), d_bin = observed rate \u2212 mean predicted"),
    _t("reliability", "Reliability diagram", "Observed rate of the favourable outcome against the mean "
       "predicted probability, per probability bin. Points on the diagonal are perfectly calibrated."),
    _t("mae", "Mean absolute error (MAE)", "Average absolute difference between prediction and truth.",
       "mean |\u0177 \u2212 y|"),
    _t("rmse", "Root mean squared error (RMSE)", "Square root of the average squared error; punishes large "
       "errors more than MAE.", "\u221a mean (\u0177 \u2212 y)\u00b2"),
    _t("r2", "R\u00b2", "Share of the outcome's variance the model explains; 1 is perfect, 0 no better than "
       "predicting the mean.", "1 \u2212 \u03a3(\u0177 \u2212 y)\u00b2 / \u03a3(y \u2212 \u0233)\u00b2"),
)

FAIRNESS_TERMS = (
    _t("selection_rate", "Selection rate", "Share of a group that receives the favourable outcome from the model.",
       "(favourable predictions in group) / (rows in group)"),
    _t("tpr", "True positive rate (TPR)", "Of the group's rows whose true outcome is favourable, the share the "
       "model predicts favourable (also recall, sensitivity).", "TP / (TP + FN)"),
    _t("fpr", "False positive rate (FPR)", "Of the group's rows whose true outcome is unfavourable, the share the "
       "model nevertheless predicts favourable.", "FP / (FP + TN)"),
    _t("fnr", "False negative rate (FNR)", "Of the group's rows whose true outcome is favourable, the share the "
       "model predicts unfavourable: people wrongly declined.", "FN / (FN + TP)"),
    _t("tnr", "True negative rate (TNR)", "Of the rows whose true outcome is unfavourable, the share predicted "
       "unfavourable (specificity).", "TN / (TN + FP)"),
    _t("ppv", "Positive predictive value (PPV)", "Of the rows predicted favourable, the share whose true outcome "
       "is favourable (precision).", "TP / (TP + FP)"),
    _t("npv", "Negative predictive value (NPV)", "Of the rows predicted unfavourable, the share whose true outcome "
       "is unfavourable.", "TN / (TN + FN)"),
    _t("base_rate", "Base rate", "Share of a group whose true outcome is favourable, whatever the model predicts.",
       "(TP + FN) / (rows in group)"),
    _t("fdr", "False discovery rate (FDR)", "Of the rows predicted favourable, the share whose true outcome is "
       "unfavourable.", "FP / (TP + FP)"),
    _t("for", "False omission rate (FOR)", "Of the rows predicted unfavourable, the share whose true outcome is "
       "favourable.", "FN / (TN + FN)"),
    _t("mean_score", "Mean score", "Average predicted probability of the favourable outcome in the group."),
    _t("mean_prediction", "Mean prediction", "Average predicted value in the group (regression)."),
    _t("mean_residual", "Mean residual", "Average of prediction minus truth in the group: positive means the "
       "model over-predicts for it.", "mean (ŷ − y)"),
    _t("auc", "Group AUC", "ROC AUC computed within one group only."),
    _t("share", "Share", "The group's rows as a share of all rows."),
    _t("reference_group", "Reference group", "The group every other group is compared with; each table names it."),
    _t("difference", "Difference", "A group's metric minus the reference group's. The table states its sign "
       "convention; 0 means parity.", "metric(group) \u2212 metric(reference)"),
    _t("ratio", "Ratio", "A group's metric divided by the reference group's; 1 means parity.",
       "metric(group) / metric(reference)"),
    _t("impact_ratio", "Impact ratio", "A group's selection rate divided by the highest selection rate among the "
       "groups (UGESP four-fifths rule and NYC Local Law 144 both use it).",
       "selection rate(group) / max selection rate"),
    _t("four_fifths", "Four-fifths rule", "An impact ratio below 0.8 is generally regarded as evidence of adverse "
       "impact (29 CFR \u00a71607.4(D)); it is a rule of thumb, not a test of significance."),
    _t("ll144", "LL144 impact ratio", "NYC Local Law 144's bias-audit ratio: a category's selection rate (or, for "
       "scores, its scoring rate above the median) over that of the most selected category."),
    _t("intersection", "Intersection", "Groups formed by two sensitive attributes together (keyed \"a*b\"), so "
       "that a disadvantage hidden in each attribute alone can show."),
    _t("ci", "95% interval", "A range built so that, over repeated samples, 95% of such ranges would contain the "
       "true value of the metric in the population the data comes from; it is not a 95% chance for this one "
       "range. The note under each table says how its intervals are computed (in the fairness tables: Wilson score "
       "for group rates, Newcombe for differences, Katz for ratios; elsewhere a bootstrap, the metric recomputed "
       "on resampled data). Wide intervals "
       "mean few rows; an interval that reaches over a policy line means the data cannot settle the verdict."),
    _t("small_group", "Small group (\u2020)", "A group with fewer rows than the policy's minimum group size; its "
       "numbers are shown but too uncertain to judge, and findings do not rest on them."),
    _t("unknown", "Unknown group", "Rows whose sensitive attribute is missing. They form their own group, are "
       "counted and reported, and are never dropped."),
    _t("demographic_parity_difference", "Demographic parity difference / ratio", "Largest minus smallest selection "
       "rate among the compared groups (difference), and smallest over largest (ratio).",
       "max selection rate \u2212 min selection rate"),
    _t("equalized_odds_difference", "Equalized odds difference / ratio", "The larger of the between-group gaps in "
       "true positive rate and in false positive rate: whether the model errs equally often for every group.",
       "max(TPR spread, FPR spread)"),
    _t("equal_opportunity_difference", "Equal opportunity difference", "Between-group gap in true positive rate: "
       "whether people who deserve the favourable outcome get it equally often in every group."),
    _t("predictive_parity_difference", "Predictive parity difference", "Between-group gap in positive predictive "
       "value: whether a favourable prediction is equally reliable for every group."),
    _t("calibration_gap", "Calibration gap", "Between-group spread of calibration-in-the-large: the largest "
       "minus the smallest group value of (mean score \u2212 observed rate), over the compared groups; whether "
       "a score means the same probability in every group. It is not a gap in ECE. Each group's signed "
       "difference from the reference group is reported with its interval, and verdicts use those.",
       "max over groups (mean p\u0302 \u2212 mean y) \u2212 min over groups (mean p\u0302 \u2212 mean y)"),
    _t("calibration_in_the_large", "Calibration-in-the-large", "Signed: the group's mean score (mean predicted "
       "probability of the favourable outcome) minus its observed rate of that outcome. Positive means the model "
       "over-predicts the favourable outcome for the group, negative that it under-predicts; 0 is calibrated on "
       "average (errors within the group may still cancel).", "mean (p\u0302) \u2212 mean (y)"),
    _t("scoring_rate", "Scoring rate (LL144)", "Share of a category scoring above the median score of the whole "
       "sample; Local Law 144's rate for tools that score rather than select."),
    _t("p_value", "p-value", "Probability of a gap at least this large if the groups truly had the same rate; "
       "small values (below 0.05) say the gap is unlikely to be chance, not that it is large."),
    _t("disparity_attribution", "Disparity attribution", "Splits the gap in mean model output between a group "
       "and the reference group into one part per feature: each feature's mean attribution in the group minus "
       "its mean in the reference group, on the attributed rows. The output is in the space the attributions add "
       "up in, which each table names (log-odds, probability or the predicted value); it is not the gap in "
       "selection rates, which depends on the decision threshold as well.",
       "gap = mean f(group) \u2212 mean f(reference) = \u03a3\u1d62 [mean \u03c6\u1d62(group) \u2212 mean \u03c6\u1d62(reference)]"),
    _t("proxy", "Proxy", "A feature that predicts a sensitive attribute well (ROC AUC at or above the policy's "
       "line), so the model can treat groups differently through it even without seeing the attribute."),
)

METHOD_TERMS = (
    _t("shap", "SHAP", "Shapley additive explanations: each feature's share of the difference between a row's "
       "output and the average output, under a game-theoretic fairness rule. Attributions plus the base value add "
       "up to the output.", "f(x) = \u03c6\u2080 + \u03a3\u1d62 \u03c6\u1d62"),
    _t("lime", "LIME", "Local interpretable model-agnostic explanations: a weighted linear model fitted to the "
       "model's outputs on perturbed copies of one row; its coefficients are the attributions."),
    _t("permutation", "Permutation importance", "Drop in performance when one feature's values are shuffled "
       "across rows, breaking its link with the outcome; a global measure only."),
    _t("integrated_gradients", "Integrated gradients", "Gradients of the output averaged along a straight path "
       "from a baseline input to the row, times the distance travelled; they add up to the output difference "
       "up to a convergence delta.", "(x \u2212 x\u2032) \u00b7 \u222b \u2202f(x\u2032 + \u03b1(x \u2212 x\u2032)) d\u03b1"),
    _t("saliency", "Saliency", "Absolute gradient of the output with respect to each input: an unsigned "
       "magnitude, which pixels or values the output is most sensitive to, with no direction (it never says "
       "whether a feature raises or lowers the output)."),
    _t("deeplift", "DeepLIFT", "Back-propagates differences from a reference input through the network's "
       "layers; attributions add up to the output difference."),
    _t("gradient_shap", "GradientSHAP", "Expected gradients: integrated gradients averaged over random "
       "baselines and noisy inputs; an approximation of SHAP values for differentiable models."),
    _t("occlusion", "Occlusion", "Change in output when a patch of the input is replaced by a baseline value."),
    _t("global_importance", "Global importance", "Mean absolute attribution of a feature over the explained "
       "rows: how much it moves outputs, whatever the direction, on the scale of the method's output (log-odds, "
       "probability or the target's units, as each caption says). Methods on different scales compare by rank "
       "only."),
    _t("dependence", "Dependence plot", "Each explained row's attribution for one feature against that "
       "feature's value; the shape shows how the feature drives the output."),
    _t("pdp", "Partial dependence", "Average model output when one feature is set to each value of a grid for "
       "every row; the model's average response to that feature alone."),
    _t("additivity_error", "Additivity error", "Largest gap, over the explained rows, between the attributions "
       "plus the base value and the model output."),
    _t("completeness_error", "Completeness error (convergence delta)", "Largest gap between the sum of the "
       "attributions and the output change they explain (integrated gradients, approximate SHAP)."),
    _t("local_r2_median", "LIME local fit (median R\u00b2)", "How well LIME's local linear models reproduce the "
       "model near each explained row; low values mean the linear explanation is a poor fit."),
    _t("agreement", "Explainer agreement", "Rank correlation (or top-k overlap) between the feature rankings of "
       "two explanation methods; low agreement means the ranking depends on the method."),
    _t("additivity", "Additivity / completeness", "Whether attributions plus the base value reproduce the model's "
       "output; a large error means the attributions do not account for the output."),
    _t("faithfulness", "Faithfulness (deletion curves)", "Whether removing the features an explanation ranks "
       "highest moves the model's output faster than removing features in random order; 0 means the ranking is no "
       "better than chance."),
    _t("stability", "Stability", "Whether repeated explanations of the same rows with different seeds agree."),
    _t("sanity_check", "Sanity check (model randomisation)", "Attributions are recomputed after the model's "
       "weights are randomised; maps that do not change depend on the input, not on the model, and cannot be "
       "trusted as explanations (Adebayo et al., 2018)."),
    _t("adverse_action", "Adverse-action reason", "A principal reason a case was declined, which a lender could "
       "send the applicant (Regulation B \u00a71002.9): a factor whose value differs from the typical value of "
       "approved applicants and which, set alone to that value and re-scored on the model, raises the approval "
       "score; at most four, the largest rise first. A factor equal to the comparison, or a prohibited basis, is "
       "never a reason."),
    _t("prohibited_basis", "Prohibited basis", "A characteristic a credit decision may not rest on (under ECOA / "
       "Regulation B, e.g. sex, marital status, race, religion, national origin): here every sensitive attribute and "
       "every feature the policy declares prohibited. It is never given as a reason; how much the model's declines "
       "lean on it is a finding of its own."),
    _t("baseline", "Baseline", "What a case is compared with to state reasons: here, a seeded sample of "
       "applicants the model approves."),
    _t("sha256", "SHA-256 hash", "A fingerprint of the model file or the data; any change to them changes it."),
    _t("random_state", "Seed (random state)", "The number that fixes every sampled or resampled step; the same "
       "seed on the same inputs gives the same numbers."),
)

TERMS: tuple[Term, ...] = PERFORMANCE_TERMS + FAIRNESS_TERMS + METHOD_TERMS
BY_KEY = {term.key: term for term in TERMS}


MULTICLASS_AUC = Term("roc_auc", "ROC AUC (one-vs-rest)", "For each class, the probability that a randomly "
                      "chosen row of that class scores higher for it than a randomly chosen row of another class; the "
                      "report gives the average over the classes (macro average). 0.5 is chance, 1.0 perfect "
                      "ranking.", "mean over classes of AUC(class vs rest)")


def terms_for(record: dict) -> tuple[Term, ...]:
    """The glossary a report shows: every term, in the words of its task. A multiclass report defines
    ROC AUC one-vs-rest, and leaves out the terms of a favourable outcome (group rates, reliability
    diagram) when it has no fairness section or calibration to use them.

    Examples
    --------
    >>> [t.term for t in terms_for({"model": {"task": "multiclass"}}) if t.key == "roc_auc"]
    ['ROC AUC (one-vs-rest)']
    >>> any(t.key == "selection_rate" for t in terms_for({"model": {"task": "multiclass"}}))
    False
    >>> len(terms_for({"model": {"task": "binary"}})) == len(TERMS)
    True
    """
    task = (record.get("model") or {}).get("task") or (record.get("data") or {}).get("task")
    if task != "multiclass":
        return TERMS
    fairness = bool(record.get("fairness"))
    calibration = bool(((record.get("performance") or {}).get("calibration") or {}).get("bins"))
    fairness_keys = {t.key for t in FAIRNESS_TERMS}
    shown = []
    for term in TERMS:
        if term.key == "roc_auc":
            shown.append(MULTICLASS_AUC)
        elif (term.key in fairness_keys and not fairness) or (term.key == "reliability" and not calibration):
            continue
        else:
            shown.append(term)
    return tuple(shown)


def lookup(key) -> Term | None:
    """The glossary entry for a metric or method key, or None.

    Examples
    --------
    >>> lookup("ece").term
    'Expected calibration error (ECE)'
    >>> lookup("no such metric") is None
    True
    """
    return BY_KEY.get(str(key))


def display_name(key) -> str:
    """How a metric or method key is written in tables: its glossary term, else the key itself.

    Examples
    --------
    >>> display_name("fnr"), display_name("custom_metric")
    ('False negative rate (FNR)', 'custom_metric')
    """
    term = lookup(key)
    return term.term if term else str(key)
