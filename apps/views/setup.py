"""Setup: choose or upload a model and data, give the columns their roles, pick a policy, run."""

from audit_app.display import page_header
from audit_app.setup_options import Roles, options_step, roles_step
from audit_app.setup_run import run_step
from audit_app.setup_sources import data_step, model_step

page_header("Set up an audit", "Pick a bundled sample or upload your own model and data; nothing leaves this "
            "machine. Every choice is checked as you make it.")

model = model_step()
table = data_step(model)
roles = roles_step(model, table) if table is not None else Roles()
options = options_step(model, table.n_rows if table is not None else None)
run_step(model, table, roles, options)
