"""Setup, steps 3 and 4: the roles of the data's columns, the policy, and the sampling controls.

Every choice is validated by the library as it is made (``AuditDataset.from_frame``, the audit's
own model-and-data checks, ``load_policy``) and an error is shown beside the control that caused it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import pandas as pd
import streamlit as st

from audit_app import inputs, state
from audit_app.display import md
from audit_app.setup_labels import labels_step
from audit_app.setup_sources import ModelChoice, report_error
from xai_audit import XaiAuditError, load_policy
from xai_audit.spec import check_predictions_only, model_features, model_for_data, parse_bins

ROLE_KEYS = ("keep_target", "keep_positive", "keep_sensitive", "keep_predictions", "keep_scores")
BINS_PREFIX = "keep_bins::"
MAX_LABEL_CHOICES = 50
BIN_HINT_UNIQUE = 12
ALL_METHODS = ("shap", "lime", "permutation", "integrated_gradients", "saliency", "deeplift", "gradient_shap",
               "occlusion")


@dataclass
class Roles:
    """The validated dataset and the role choices that made it."""

    dataset: object = None
    values: dict = field(default_factory=dict)
    ok: bool = False


def roles_step(model: ModelChoice | None, table: inputs.Table) -> Roles:
    """Step 3: target, favourable label, sensitive attributes with bins, predictions and scores."""
    st.subheader("3 · Columns")
    _apply_preset(model, table)
    if st.session_state.get("roles_note"):
        st.info(md(st.session_state["roles_note"]), icon=":material/info:")
    if table.images is not None:
        st.caption("Image data: the true classes come from the file's 'labels' array.")
        return _check_pairing(model, Roles(dataset=table.images, values={}, ok=True), slots={})
    frame = table.frame
    columns = list(frame.columns)
    slots = {}
    left, right = st.columns(2)
    target = _selectbox(left, "Target: the true outcome", [None, *columns], "keep_target",
                        none_label="— none (no ground truth) —")
    positive = _selectbox(right, "Favourable outcome (positive label)", [None, *_label_choices(frame, target)],
                          "keep_positive", none_label="— infer (only for 0/1, True/False) —",
                          help="The value of the target that is good for the person: approved, repaid, hired.")
    slots["target"] = st.container()

    candidates = [c for c in columns if c != target]
    _clean_multiselect("keep_sensitive", columns)
    sensitive = st.multiselect("Sensitive attributes", columns, key="keep_sensitive",
                               help="Groups are compared on these columns; missing values form the group 'unknown'.")
    bins, bin_error = _bins_inputs(frame, sensitive)
    slots["sensitive"] = st.container()
    if bin_error:
        slots["sensitive"].error(md(bin_error), icon=":material/error:")

    predictions = scores = None
    if model is not None and model.source == "predictions":
        left, right = st.columns(2)
        predictions = _selectbox(left, "Predictions column (the model's decisions)", [None, *candidates],
                                 "keep_predictions", none_label="— choose a column —")
        scores = _selectbox(right, "Scores column (optional)", [None, *candidates], "keep_scores",
                            none_label="— none —")
    slots["predictions"] = st.container()
    labels = labels_step(model)
    slots["labels"] = st.container()
    slots["data"] = st.container()

    values = {"target": target, "positive_label": positive, "sensitive": list(sensitive), "bins": bins,
              "predictions": predictions, "scores": scores, "labels": labels.source if labels else None}
    if bin_error or labels is None:
        return Roles(values=values)
    dataset, control, message = inputs.build_dataset(table, values, labels.table)
    if message:
        slots[control].error(md(message), icon=":material/error:")
        return Roles(values=values)
    return _check_pairing(model, Roles(dataset=dataset, values=values, ok=True), slots)


def _apply_preset(model: ModelChoice | None, table: inputs.Table) -> None:
    """When another table is loaded, start its column choices from the sample's (or from blank)."""
    identity = f"{table.source}|{table.n_rows}|{st.session_state.get('data_upload_id', '')}"
    if st.session_state.get("roles_for") == identity:
        return
    first = "roles_for" not in st.session_state
    st.session_state.pop("roles_note", None)
    before = {key: st.session_state.get(key) for key in ("keep_target", "keep_sensitive", "keep_predictions",
                                                          "keep_scores")}
    st.session_state["roles_for"] = identity
    state.reset_keys(*ROLE_KEYS)
    state.reset_prefix(BINS_PREFIX)
    sample = model.sample if model is not None else None
    columns = set(table.frame.columns) if table.images is None else set()
    if sample is not None:
        _preset_sample(sample, columns)
    if not first:
        note = cleared_roles_note(before, {key: st.session_state.get(key) for key in before}, table.name)
        if note:
            st.session_state["roles_note"] = note


def cleared_roles_note(before: dict, after: dict, table_name: str) -> str | None:
    """The sentence that tells the analyst which column roles a new table cleared or changed.

    Examples
    --------
    >>> cleared_roles_note({"keep_target": "y", "keep_sensitive": ["sex"]}, {"keep_target": None,
    ...                    "keep_sensitive": []}, "new.csv")
    "'new.csv' was loaded, so the column roles were set again for it: target y → none; sensitive attributes sex → none. Check them below."
    """
    names = {"keep_target": "target", "keep_sensitive": "sensitive attributes", "keep_predictions": "predictions column",
             "keep_scores": "scores column"}
    changed = [f"{names[key]} {state.setting_text(before.get(key))} → {state.setting_text(after.get(key))}"
               for key in names if key in before
               and state.setting_text(before.get(key)) != state.setting_text(after.get(key))
               and state.setting_text(before.get(key)) != "none"]
    if not changed:
        return None
    return f"'{table_name}' was loaded, so the column roles were set again for it: {'; '.join(changed)}. Check them below."


def _preset_sample(sample, columns: set) -> None:
    """Start the column choices from a bundled sample's roles (those of its columns that exist)."""
    if sample.target in columns:
        st.session_state["keep_target"] = sample.target
        if sample.positive_label is not None:
            st.session_state["keep_positive"] = str(sample.positive_label)
    st.session_state["keep_sensitive"] = [c for c in sample.sensitive if c in columns]
    for column, edges in sample.bins.items():
        st.session_state[BINS_PREFIX + column] = ", ".join(f"{e:g}" for e in edges)


def _selectbox(where, label, options, key, *, none_label, help=None):
    if st.session_state.get(key) not in options:
        st.session_state[key] = options[0]
    return where.selectbox(label, options, key=key, help=help,
                           format_func=lambda value: none_label if value is None else str(value))


def _clean_multiselect(key, options) -> None:
    if key in st.session_state:
        st.session_state[key] = [v for v in st.session_state[key] if v in options]
    else:
        st.session_state[key] = []


def _label_choices(frame: pd.DataFrame, target) -> list[str]:
    if target is None:
        return []
    values = frame[target].dropna().unique()
    if len(values) > MAX_LABEL_CHOICES:
        return []
    return sorted({str(v) for v in values.tolist()})


def _bins_inputs(frame: pd.DataFrame, sensitive) -> tuple[dict, str | None]:
    """A bin-edges box for each numeric sensitive attribute; the parsed edges or the first error."""
    bins, error = {}, None
    for column in sensitive:
        values = frame[column]
        if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            continue
        key = BINS_PREFIX + str(column)
        many = values.nunique() > BIN_HINT_UNIQUE
        st.session_state.setdefault(key, "")
        text = st.text_input(f"Bin edges for {md(column)}" + (" (needed: many distinct values)" if many else ""),
                             key=key, placeholder="e.g. 25, 60  →  groups < 25, 25 to < 60, ≥ 60",
                             help="Comma-separated increasing numbers. Leave empty to use each value as a group.")
        if not text.strip():
            continue
        try:
            bins.update(parse_bins([f"{column}={text}"]))
        except XaiAuditError as problem:
            error = error or str(problem)
    return bins, error


def _check_pairing(model: ModelChoice | None, roles: Roles, slots: dict) -> Roles:
    """The audit's own model-and-data checks, run now so a bad choice shows before the run."""
    if model is None or roles.dataset is None:
        return roles
    data_slot = slots.get("data") or st.container()
    try:
        if model.adapter is None:
            check_predictions_only(roles.dataset)
            return roles
        features = model_features(model.adapter, roles.dataset)
    except XaiAuditError as error:
        slot = slots.get("predictions") if model.adapter is None else data_slot
        (slot or data_slot).error(md(error), icon=":material/error:")
        return Roles(values=roles.values)
    try:
        model_for_data(model.adapter, roles.dataset)
    except XaiAuditError as error:
        (slots.get("target") or data_slot).error(md(error), icon=":material/error:")
        return Roles(values=roles.values)
    if features:
        st.caption(f"The model reads {len(features)} columns: {md(', '.join(map(str, features)))}.")
    return roles


@dataclass
class Options:
    """The policy and the run settings, with the overrides the audit is given."""

    policy: object = None
    policy_id: str = ""
    seed: int = 0
    explain_rows: int | None = None
    n_resamples: int | None = None
    explainers: tuple | None = None
    model_card: dict = field(default_factory=dict)
    ok: bool = False
    rows_shown: int | None = None
    resamples_shown: int | None = None
    explainers_shown: tuple = ()

    def settings(self) -> dict:
        """The options as the form shows them (the values the run uses, defaults included)."""
        return {"policy": self.policy_id, "seed": self.seed, "explain_rows": self.rows_shown,
                "n_resamples": self.resamples_shown, "explainers": list(self.explainers_shown),
                "model_card": self.model_card}


def options_step(model: ModelChoice | None, n_rows: int | None) -> Options:
    """Step 4: the policy (bundled or uploaded), rows explained, resamples, seed, explainers, model card.

    ``n_rows`` is None while no data is loaded: the row limits then wait for the data, and no
    value is changed.
    """
    st.subheader("4 · Policy and sampling")
    if st.session_state.get("keep_policy") not in ("default", "lenient", "upload"):
        st.session_state["keep_policy"] = "default"
    choice = st.radio("Policy", ["default", "lenient", "upload"], horizontal=True, key="keep_policy",
                      format_func={"default": "Default", "lenient": "Lenient", "upload": "Upload a policy (TOML)"}.get)
    policy, policy_id = _policy(choice)
    if policy is None:
        return Options()
    if policy.description:
        st.caption(md(policy.description))
    options = Options(policy=policy, policy_id=policy_id, ok=True)
    explains = model is not None and model.adapter is not None
    default_rows = int(policy.setting("audit", "explain_rows", 300))
    default_resamples = int(policy.setting("fairness", "n_resamples", 1000))
    with st.expander("Sampling, seed and explainers", expanded=(n_rows or 0) > 5 * default_rows, icon=":material/tune:"):
        left, middle, right = st.columns(3)
        # only another policy resets these: a table that is missing for a moment (an upload being
        # replaced) or has another size never does, so a setting is never changed behind the analyst's back
        defaults = (policy_id, default_rows, default_resamples)
        if st.session_state.get("sampling_defaults") != defaults:
            if "sampling_defaults" in st.session_state:
                st.toast("Another policy: rows explained, resamples and explainers were reset to its defaults.",
                         icon=":material/restart_alt:")
            st.session_state["sampling_defaults"] = defaults
            state.reset_keys("keep_explain_rows", "keep_resamples", "keep_explainers")
        st.session_state.setdefault("keep_explain_rows", min(default_rows, n_rows or default_rows))
        if n_rows is not None and st.session_state["keep_explain_rows"] > max(1, n_rows):
            st.session_state["keep_explain_rows"] = max(1, n_rows)
            st.caption(f"Rows explained lowered to {n_rows}: the data has only that many rows.")
        st.session_state.setdefault("keep_resamples", default_resamples)
        st.session_state.setdefault("keep_seed", 0)
        rows = int(left.number_input("Rows explained locally", min_value=1,
                                     max_value=None if n_rows is None else max(1, n_rows), step=50,
                                     key="keep_explain_rows", disabled=not explains,
                                     help="A seeded random sample of rows gets local explanations (SHAP, LIME, "
                                          "gradients); fewer rows make large audits faster."))
        resamples = int(middle.number_input("Bootstrap resamples", min_value=10, max_value=10000, step=50,
                                            key="keep_resamples", help="Resamples behind each confidence interval."))
        options.seed = int(right.number_input("Random seed", min_value=0, max_value=2**31 - 1, step=1, key="keep_seed"))
        if explains and n_rows:
            shown = min(rows, n_rows)
            st.caption(f"Local explanations cover {shown} of {n_rows} rows ({shown / max(n_rows, 1):.0%}), a seeded "
                       "random sample; performance, fairness and global importance use every row the policy asks for.")
        if explains:
            options.explainers = _explainers(policy)
            options.explainers_shown = tuple(st.session_state["keep_explainers"])
            options.rows_shown = rows
        options.explain_rows = None if rows == min(default_rows, n_rows or default_rows) else rows
        options.n_resamples = None if resamples == default_resamples else resamples
        options.resamples_shown = resamples
    options.model_card = _model_card()
    return options


def _policy(choice):
    if choice != "upload":
        return load_policy(choice), choice
    upload = st.file_uploader("Policy file", type=inputs.POLICY_TYPES, key="upload_policy",
                              help='A TOML policy; start from a bundled one with extends = "default".')
    if upload is not None and st.session_state.get("policy_upload_id") != upload.file_id:
        st.session_state["policy_upload_id"] = upload.file_id
        st.session_state.pop("uploaded_policy", None)
        st.session_state.pop("policy_upload_error", None)
        try:
            with inputs.saved_uploads([upload]) as paths:
                policy = load_policy(paths[0])
            st.session_state["uploaded_policy"] = (policy, "sha256:" + hashlib.sha256(upload.getvalue()).hexdigest())
        except Exception as error:
            st.session_state["policy_upload_error"] = error
    if upload is None:
        st.session_state.pop("policy_upload_error", None)
    if "policy_upload_error" in st.session_state:
        report_error(st.session_state["policy_upload_error"], what="Reading the policy")
        return None, ""
    if "uploaded_policy" not in st.session_state:
        st.caption("Upload a policy file to continue, or choose a bundled policy.")
        return None, ""
    policy, policy_id = st.session_state["uploaded_policy"]
    st.caption(f":material/check: Policy **{md(policy.name)}** with {len(policy.rules)} rules.")
    return policy, policy_id


def _explainers(policy) -> tuple | None:
    """The explainers to run; None (the policy's list) unless the user changed it."""
    default = [str(m) for m in policy.setting("audit", "explainers", [])]
    choices = list(dict.fromkeys([*default, *ALL_METHODS]))
    if "keep_explainers" not in st.session_state:
        st.session_state["keep_explainers"] = default
    _clean_multiselect("keep_explainers", choices)
    chosen = st.multiselect("Explainers", choices, key="keep_explainers",
                            help="The policy's list by default; gradient methods apply to PyTorch models.")
    return None if list(chosen) == default else tuple(chosen)


def _model_card() -> dict:
    fields = {"intended_use": "Intended use", "decision_role": "Role in decisions", "owner": "Owner",
              "limitations": "Known limitations", "human_oversight": "Human oversight",
              "data_period": "Period the data covers"}
    with st.expander("Model card (optional)", icon=":material/description:"):
        left, right = st.columns(2)
        for index, (name, label) in enumerate(fields.items()):
            st.session_state.setdefault(f"keep_card_{name}", "")
            (left if index % 2 == 0 else right).text_input(label, key=f"keep_card_{name}")
    return {name: st.session_state[f"keep_card_{name}"].strip() for name in fields
            if st.session_state.get(f"keep_card_{name}", "").strip()}
