"""Section views of the report, one module per job."""
