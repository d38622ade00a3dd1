"""Report: download the audit as the HTML compliance report, the JSON record, and a PDF."""

import time

import streamlit as st

from audit_app import exports
from audit_app.display import page_header, require_audit
from audit_app.setup_sources import report_error

page_header("Report", "The same report the command line writes for the same inputs: a self-contained HTML file "
            "for reviewers, the JSON record for pipelines and `xai-audit diff`, and a PDF for the archive.")
entry = require_audit()


def download(label: str, view: str, compute, *, name: str, mime: str, primary=False) -> None:
    try:
        content = entry.view(view, compute)
    except Exception as error:
        report_error(error, what=f"Preparing the {label}")
        return
    st.download_button(f"Download the {label}", content, file_name=name, mime=mime, key=f"report_download_{view}",
                       type="primary" if primary else "secondary", icon=":material/download:", width="stretch")
    st.caption(f"{name} · {len(content) / 1024:,.0f} KB")


def pdf(result, stem: str) -> None:
    if not exports.pdf_available():
        st.info("PDF export needs WeasyPrint and its system libraries: pip install 'xai-audit[pdf]'.",
                icon=":material/info:")
    elif "pdf" in entry.views:
        download("PDF", "pdf", lambda: entry.views["pdf"], name=f"{stem}.pdf", mime="application/pdf")
        if "pdf_seconds" in entry.views:
            st.caption(f"Rendered in {entry.views['pdf_seconds']:.0f} s.")
    elif st.button("Prepare the PDF", key="report_prepare_pdf", icon=":material/picture_as_pdf:", width="stretch"):
        try:
            started = time.monotonic()
            with st.spinner("Rendering the PDF (WeasyPrint lays out every page; this can take a minute or more)"):
                entry.views["pdf"] = exports.pdf_bytes(result)
            entry.views["pdf_seconds"] = time.monotonic() - started
        except Exception as error:
            report_error(error, what="Rendering the PDF")
        else:
            st.rerun()
    else:
        st.caption("The PDF is made on request: WeasyPrint lays out every page of the report, which can take a "
                   "minute or more on a busy machine.")


if entry is not None:
    result = entry.result
    stem = exports.file_stem(entry)
    st.text(f"{entry.label}  ·  status {result.status}  ·  created {result.manifest.get('created_at', '')}")
    columns = st.columns(3)
    with columns[0], st.container(border=True):
        st.markdown("**HTML report**")
        download("HTML report", "html", lambda: exports.html_bytes(result), name=f"{stem}.html", mime="text/html",
                 primary=True)
    with columns[1], st.container(border=True):
        st.markdown("**JSON record**")
        download("JSON record", "json", lambda: exports.json_bytes(result), name=f"{stem}.json",
                 mime="application/json")
    with columns[2], st.container(border=True):
        st.markdown("**PDF**")
        pdf(result, stem)

    st.subheader("Reproduce this audit")
    st.caption("The same audit from the command line (paths as on your machine):")
    st.code(exports.cli_command(entry), language="bash", wrap_lines=True)
    if entry.settings.get("explain_rows") is not None or entry.settings.get("n_resamples") is not None:
        st.caption("The rows explained and the resamples were changed from the policy's values; on the command "
                   "line, set them in a policy file ([audit] explain_rows, [fairness] n_resamples).")
    st.caption("The record's manifest: tool and package versions, hashes of the model and the data, the seed and "
               "every setting.")
    st.json({k: v for k, v in result.manifest.items() if k != "packages"}, expanded=False)
