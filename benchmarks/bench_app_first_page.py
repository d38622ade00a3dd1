"""The app's first page against the command line: the default German-credit audit, side by side.

The app (driven headless by Streamlit's AppTest, the same script a browser gets) runs the bundled
gradient-boosting sample with its default settings (default policy, 300 rows explained, 1,000
resamples, seed 0) and shows each section of the record as soon as the audit reports it; the seconds
from the click to each section are what the app keeps in ``run_timings``. The command line runs the
same inputs (``xai-audit run ... --format json``) in a fresh interpreter, imports included. The target:
the first page (performance and fairness) in under 10 s.

    python benchmarks/bench_app_first_page.py [--quick]

``--quick`` explains 20 rows with 100 resamples in both. Writes benchmarks/out/app_first_page.json and
benchmarks/out/app_first_page.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(__file__).resolve().parent / "out"
APP = ROOT / "apps" / "streamlit_app.py"
SAMPLES = ROOT / "sample_models"
TARGET_S = 10.0


def app_run(explain_rows: int, resamples: int) -> dict:
    """Seconds to the first page render, to each section after the click, and to the finished audit."""
    from streamlit.testing.v1 import AppTest

    started = time.perf_counter()
    at = AppTest.from_file(str(APP), default_timeout=900).run()
    first_render = time.perf_counter() - started
    at.number_input(key="keep_explain_rows").set_value(explain_rows)
    at.number_input(key="keep_resamples").set_value(resamples).run()
    started = time.perf_counter()
    at.button(key="btn_run").click().run()
    total = time.perf_counter() - started
    if at.exception:
        raise RuntimeError([e.value for e in at.exception])
    return {"setup_page_s": first_render, "sections_s": dict(at.session_state["run_timings"]), "audit_s": total}


def cli_run(explain_rows: int, resamples: int) -> float:
    """Wall seconds of ``xai-audit run`` on the same inputs, in a fresh interpreter."""
    with tempfile.TemporaryDirectory() as out:
        command = [sys.executable, "-c", "import sys; from xai_audit.cli.main import main; sys.exit(main())", "run",
                   "--model", str(SAMPLES / "credit_gbm.skops"),
                   "--data", str(SAMPLES / "data" / "german_credit_test.csv"),
                   "--target", "credit_risk", "--positive-label", "good", "--sensitive", "sex,age_group",
                   "--labels", str(SAMPLES / "german_credit_labels.toml"),
                   "--out", out, "--format", "json", "--seed", "0"]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        policy = Path(out) / "bench_policy.toml"
        policy.write_text(f'name = "bench"\nextends = "default"\n[audit]\nexplain_rows = {explain_rows}\n'
                          f'[fairness]\nn_resamples = {resamples}\n')
        command += ["--policy", str(policy)]
        started = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - started
        if done.returncode not in (0, 1):
            raise RuntimeError(done.stderr[-2000:])
    return wall


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 rows explained, 100 resamples")
    args = parser.parse_args()
    rows, resamples = (20, 100) if args.quick else (300, 1000)
    sys.path.insert(0, str(ROOT))
    load_before = load()
    app = app_run(rows, resamples)
    cli = cli_run(rows, resamples)
    sections = app["sections_s"]
    first_page = max(sections.get("performance", float("inf")), sections.get("fairness", 0.0))
    record = {"explain_rows": rows, "n_resamples": resamples, "app": app, "cli_s": cli,
              "first_page_s": first_page, "target_s": TARGET_S, "within_target": first_page < TARGET_S,
              "load": load_before}
    OUT.mkdir(exist_ok=True)
    (OUT / "app_first_page.json").write_text(json.dumps(record, indent=2) + "\n")
    lines = "".join(f"| App: {name} shown | {seconds:.1f} |\n" for name, seconds in sections.items())
    table = (f"## App first page vs command line\n\nThe bundled German-credit gradient-boosting audit, default "
             f"policy, {rows} rows explained, {resamples:,} resamples, seed 0; the app driven headless by "
             f"Streamlit's AppTest, the command line in a fresh interpreter (imports included). Measured at "
             f"{load_before}.\n\n"
             "| Step | Wall (s) |\n|---|---|\n"
             f"| App: Setup page drawn | {app['setup_page_s']:.1f} |\n"
             f"{lines}"
             f"| App: whole audit, click to result pages | {app['audit_s']:.1f} |\n"
             f"| Command line: `xai-audit run` | {cli:.1f} |\n\n"
             f"Target: performance and fairness on screen under {TARGET_S:.0f} s after the click — "
             f"{'met' if first_page < TARGET_S else 'NOT met'} ({first_page:.1f} s).\n")
    (OUT / "app_first_page.md").write_text(table)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
