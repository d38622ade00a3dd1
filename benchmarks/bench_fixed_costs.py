"""Fixed costs: what a fresh process pays before any audit work, against the plain libraries.

Each line is a fresh Python process, run ``--repeats`` times (median of CPU and wall seconds,
from ``/usr/bin/time`` where present, else the wall clock and the child's own CPU clock):

- ``import xai_audit`` and ``xai-audit --help`` (the CLI parses its arguments before importing
  anything heavy);
- ``xai_audit.load_model`` of the German-credit ``.skops`` sample (skops, every type vetted);
- the plain libraries on the same model: ``joblib.load`` of the same model pickled (what the model
  costs to bring back with no checks at all) and ``skops.io.load`` with skops' own import;
- the floor: importing only the modules the model itself needs (pandas and scikit-learn's ensemble,
  pipeline, compose and preprocessing).

    python benchmarks/bench_fixed_costs.py [--quick] [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
MODEL = ROOT / "sample_models" / "credit_gbm.skops"


def cases(pickle_path: Path) -> list[tuple[str, str]]:
    """(label, Python source run in a fresh process)."""
    return [
        ("`import xai_audit`", "import xai_audit"),
        ("`xai-audit --help`", "import sys; sys.argv = ['xai-audit', '--help']\nfrom xai_audit.cli.main import main\n"
                                "try:\n    main()\nexcept SystemExit:\n    pass"),
        ("`import xai_audit` + `load_model(.skops)` (every type vetted)",
         f"import xai_audit; xai_audit.load_model({str(MODEL)!r})"),
        ("plain: `skops.io.load` (skops' own import, its trusted-type list)",
         f"import skops.io as sio; p = {str(MODEL)!r}; sio.load(p, trusted=sio.get_untrusted_types(file=p))"),
        ("plain: `joblib.load` of the same model pickled (no checks)", f"import joblib; joblib.load({str(pickle_path)!r})"),
        ("floor: import the modules the model needs",
         "import pandas, sklearn.ensemble, sklearn.pipeline, sklearn.compose, sklearn.preprocessing"),
    ]


def run_once(source: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one fresh process running ``source``."""
    timed = ["/usr/bin/time", "-f", "%U %S"] if Path("/usr/bin/time").exists() else []
    started = time.perf_counter()
    done = subprocess.run([*timed, sys.executable, "-c", source], cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed")
    if timed:
        user, system = done.stderr.strip().splitlines()[-1].split()
        return wall, float(user) + float(system)
    return wall, float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one run each")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    repeats = 1 if args.quick else args.repeats
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        pickle_path = Path(scratch) / "credit_gbm.joblib"
        subprocess.run([sys.executable, "-c", "import joblib, xai_audit; "
                        f"joblib.dump(xai_audit.load_model({str(MODEL)!r}).estimator, {str(pickle_path)!r})"],
                       cwd=ROOT, check=True)
        measured = {label: [] for label, _ in cases(pickle_path)}
        for _ in range(repeats):  # interleaved, so a change in the machine's load falls on every line alike
            for label, source in cases(pickle_path):
                measured[label].append(run_once(source))
    lines = ["## Fixed costs (bench_fixed_costs.py)", "",
             f"Fresh processes, medians of {repeats}; CPU = user + system seconds of the process.", "",
             "| what | wall s | CPU s |", "|---|---:|---:|"]
    for label, runs in measured.items():
        wall = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        lines.append(f"| {label} | {wall:.2f} | {cpu:.2f} |")
    text = "\n".join(lines) + "\n"
    (OUT / "fixed_costs.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
