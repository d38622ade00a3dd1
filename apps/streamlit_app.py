"""xai-audit app: the entry point. Page set-up, navigation, and the current audit in the sidebar.

Start it with ``xai-audit app`` (or ``streamlit run apps/streamlit_app.py``). Every number shown
comes from ``xai_audit``; the pages only arrange it.
"""

import sys
from pathlib import Path

import streamlit as st

APP_DIR = Path(__file__).resolve().parent
if str(APP_DIR) not in sys.path:
    sys.path.insert(0, str(APP_DIR))

from audit_app import brand, sidebar, state  # noqa: E402

st.set_page_config(page_title="xai-audit", page_icon=brand.icon(), layout="wide",
                   initial_sidebar_state="expanded")
state.restore_widget_values()

PAGES = {
    "Audit": [
        st.Page("views/setup.py", title="Setup", icon=":material/tune:", default=True),
        st.Page("views/overview.py", title="Overview", icon=":material/dashboard:"),
    ],
    "Results": [
        st.Page("views/performance.py", title="Performance", icon=":material/speed:"),
        st.Page("views/explanations.py", title="Explanations", icon=":material/insights:"),
        st.Page("views/what_if.py", title="What-if", icon=":material/science:"),
        st.Page("views/fairness.py", title="Fairness", icon=":material/balance:"),
        st.Page("views/images.py", title="Images", icon=":material/image:"),
        st.Page("views/monitoring.py", title="Monitoring", icon=":material/monitoring:"),
    ],
    "Export": [
        st.Page("views/report.py", title="Report", icon=":material/download:"),
    ],
}

page = st.navigation(PAGES, position="sidebar", expanded=True)
sidebar.show()
try:
    page.run()
finally:
    state.save_widget_values()
