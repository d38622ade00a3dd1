"""Setup, step 5: run the audit with visible progress, or reuse the cached result of the same inputs.

The choices of steps 1-4 become one :class:`xai_audit.spec.AuditSpec`, the same description of a run
that the command line and the batch file build; its ``key()`` says whether a result can be reused.
"""

from __future__ import annotations

import time

import streamlit as st

from audit_app import state
from audit_app.live_sections import LiveSections
from audit_app.display import md, result_verdict
from audit_app.setup_options import Options, Roles
from audit_app.setup_sources import ModelChoice, report_error
from xai_audit.spec import AuditSpec

RESULT_PAGES = (("views/overview.py", "Overview", ":material/dashboard:"),
                ("views/explanations.py", "Explanations", ":material/insights:"),
                ("views/fairness.py", "Fairness", ":material/balance:"),
                ("views/report.py", "Report", ":material/download:"))


def run_step(model: ModelChoice | None, table, roles: Roles, options: Options) -> None:
    """Step 5: the run button (naming what changed since the audit on screen), progress, next pages.

    A result is reused only when the spec's ``key()`` is that of an audit of this session; any
    other run needs a click on a button that says what is different.
    """
    st.subheader("5 · Run")
    ready = model is not None and table is not None and roles.ok and options.ok
    key = spec = settings = None
    if ready:
        settings = current_settings(model, table, roles, options)
        spec = build_spec(model, roles, options)
        key = spec.key()
    existing = state.cached(key) if key else None
    shown = state.current()
    changes = state.setting_changes(shown.settings, settings) if shown and settings and shown.key != key else []
    if existing:
        label = "Show the results"
    elif shown is not None and ready:
        label = "Run a new audit with the changed settings"
    else:
        label = "Run the audit"
    clicked = st.button(label, type="primary", disabled=not ready, key="btn_run", icon=":material/play_arrow:")
    if not ready:
        st.caption("Choose a model, data and valid column roles above to run the audit.")
    elif existing:
        st.caption("These inputs were audited in this session already: their results are reused, not recomputed.")
    if shown is not None and shown.key != key:
        _changed_note(shown, changes)
    if clicked and ready:
        if existing:
            state.select(key)
            st.rerun()  # the sidebar and every page show the chosen audit at once
        elif _run(key, spec, model, table, roles, settings):
            st.rerun()
    if st.session_state.get("btn_cancel"):
        st.info("The audit was cancelled; nothing was stored. The result pages show the last finished audit, if any.",
                icon=":material/stop_circle:")
    if st.session_state.pop("audit_just_finished", False):
        st.toast("The audit is done.", icon=":material/task_alt:")
    entry = state.current()
    if entry is None or (key is not None and entry.key != key):
        return
    result_verdict(entry.result)
    columns = st.columns(len(RESULT_PAGES))
    for column, (page, title, icon) in zip(columns, RESULT_PAGES):
        column.page_link(page, label=title, icon=icon)


def _changed_note(shown: state.AuditEntry, changes: list[str]) -> None:
    """The result pages show another audit than the form describes: say what differs, offer the way back."""
    with st.container(border=True):
        st.markdown(f":material/history: The result pages show the audit of **{md(shown.label)}**. "
                    "The settings above differ from the ones that produced it"
                    + (":" if changes else "."))
        for line in changes:
            st.markdown(f"- {md(line)}")
        st.caption("Nothing is re-run until you click the button above.")
        st.button("Put back the settings of the audit on screen", key="btn_restore_form", icon=":material/undo:",
                  on_click=state.restore_form, args=(shown.key,))


def current_settings(model: ModelChoice, table, roles: Roles, options: Options) -> dict:
    """The form's choices as plain values: what the button and the pages name as this run's settings."""
    return {"source": model.source, "model": model.label, "model_file": model.file, "data": table.name,
            **_plain(roles.values), **options.settings()}


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


def _run(key, spec: AuditSpec, model, table, roles, settings) -> bool:
    """Run the audit with a line per step, each section shown when ready, and a Cancel button; store it
    and return True, or show why not.

    Cancel reruns the page, which stops the audit at its next step (a step itself is not interrupted);
    nothing of a cancelled audit is stored.
    """
    st.button("Cancel the audit", key="btn_cancel", icon=":material/stop_circle:",
              help="Stops the audit when its current step ends; nothing is stored.")
    status = st.status("Running the audit", expanded=True)
    bar = status.progress(0.0, text="Starting the audit")
    clock = {"start": time.monotonic(), "step": None, "step_start": time.monotonic()}

    def progress(step, fraction):
        now = time.monotonic()
        if str(step) != clock["step"]:
            if clock["step"] is not None:
                status.write(f":material/check: {md(clock['step'])} · {now - clock['step_start']:.1f} s")
            clock["step"], clock["step_start"] = str(step), now
        bar.progress(min(max(float(fraction), 0.0), 1.0),
                     text=f"{step} · {now - clock['start']:.0f} s so far")

    live = LiveSections(roles.dataset)
    try:
        result = spec.run(progress=progress, on_section=live.show)
    except Exception as error:
        status.update(label="The audit stopped with an error", state="error", expanded=False)
        report_error(error, what="The audit")
        return False
    status.update(label=f"Audit done in {time.monotonic() - clock['start']:.1f} s", state="complete", expanded=False)
    state.store(state.AuditEntry(key=key, result=result, adapter=model.adapter, data=roles.dataset,
                                 settings=settings, label=f"{model.label} on {table.name}", spec=spec,
                                 widgets=state.form_values()))
    st.session_state["audit_just_finished"] = True
    st.session_state.pop("roles_note", None)
    return True


def _plain(values: dict) -> dict:
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in values.items()}
