"""Setup, step 5: run the audit with visible progress, or reuse the cached result of the same inputs.

The choices of steps 1-4 become one :class:`xai_audit.spec.AuditSpec`, the same description of a run
that the command line and the batch file build; its ``key()`` says whether a result can be reused.
"""

from __future__ import annotations

import streamlit as st

from audit_app import state
from audit_app.display import md, verdict
from audit_app.setup_options import Options, Roles
from audit_app.setup_sources import ModelChoice, report_error
from xai_audit.spec import AuditSpec

RESULT_PAGES = (("views/overview.py", "Overview", ":material/dashboard:"),
                ("views/explanations.py", "Explanations", ":material/insights:"),
                ("views/fairness.py", "Fairness", ":material/balance:"),
                ("views/report.py", "Report", ":material/download:"))


def run_step(model: ModelChoice | None, table, roles: Roles, options: Options) -> None:
    """Step 5: the run button, the progress bar, and where to go next."""
    st.subheader("5 · Run")
    ready = model is not None and table is not None and roles.ok and options.ok
    key = spec = settings = None
    if ready:
        settings = {"source": model.source, "model": model.label, "model_file": model.file, **_plain(roles.values),
                    **options.settings()}
        spec = build_spec(model, roles, options)
        key = spec.key()
    existing = state.cached(key) if key else None
    label = "Show the results" if existing else "Run the audit"
    clicked = st.button(label, type="primary", disabled=not ready, key="btn_run", icon=":material/play_arrow:")
    if not ready:
        st.caption("Choose a model, data and valid column roles above to run the audit.")
    elif existing:
        st.caption("These inputs were audited in this session already: their results are reused, not recomputed.")
    if clicked and ready:
        if existing:
            state.select(key)
        else:
            _run(key, spec, model, table, roles, settings)
    entry = state.current()
    if entry is None:
        return
    if key is not None and entry.key != key:
        st.info(f"The result pages show the last audit ({md(entry.label)}); the settings above have changed since. "
                "Run the audit to see the new ones.", icon=":material/history:")
        return
    verdict(entry.result.status)
    columns = st.columns(len(RESULT_PAGES))
    for column, (page, title, icon) in zip(columns, RESULT_PAGES):
        column.page_link(page, label=title, icon=icon)


def build_spec(model: ModelChoice, roles: Roles, options: Options) -> AuditSpec:
    """The run the setup describes: the loaded model and checked dataset, the roles, the options."""
    values = roles.values
    return AuditSpec(
        model=model.adapter, data=roles.dataset, target=values.get("target"),
        positive_label=values.get("positive_label"), sensitive=tuple(values.get("sensitive") or ()),
        bins=dict(values.get("bins") or {}), predictions=values.get("predictions"), scores=values.get("scores"),
        policy=options.policy, model_card=dict(options.model_card), random_state=options.seed,
        explainers=options.explainers, explain_rows=options.explain_rows, n_resamples=options.n_resamples,
    )


def _run(key, spec: AuditSpec, model, table, roles, settings) -> None:
    bar = st.progress(0.0, text="Starting the audit")

    def progress(step, fraction):
        bar.progress(min(max(float(fraction), 0.0), 1.0), text=str(step))

    try:
        result = spec.run(progress=progress)
    except Exception as error:
        bar.empty()
        report_error(error, what="The audit")
        return
    bar.empty()
    state.store(state.AuditEntry(key=key, result=result, adapter=model.adapter, data=roles.dataset,
                                 settings=settings, label=f"{model.label} on {table.name}"))
    st.toast("The audit is done.", icon=":material/task_alt:")


def _plain(values: dict) -> dict:
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in values.items()}
