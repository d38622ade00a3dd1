"""Support for the Streamlit app's pages: session state, inputs, display helpers and charts.

Everything computed here comes from ``xai_audit``; these modules only move results between the
library and ``st.*`` calls.
"""
