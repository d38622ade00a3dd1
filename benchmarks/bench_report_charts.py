"""How long ``save_html`` takes for one saved record, cold (a fresh process) and warm (the second call).

    python benchmarks/bench_report_charts.py [reports/demo.json] [--repeats 3] [--quick]

Without a record, the German-credit demo is run first (``xai-audit demo`` in a scratch folder) and its
record is used. The line is also written to ``benchmarks/out/report_charts.md`` for ``run_all.py``.

Prints one line per measurement: the CPU and wall seconds of ``save_html``, whether matplotlib was
imported, the number of figures and the report's size. The record is loaded before timing starts.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"

_ONE_RUN = """
import json, sys, time, tempfile
from pathlib import Path
import xai_audit as xa
result = xa.AuditResult.load_json(sys.argv[1])
out = Path(tempfile.mkdtemp()) / "report.html"
times = []
for _ in range(int(sys.argv[2])):
    wall, cpu = time.perf_counter(), time.process_time()
    result.save_html(out)
    times.append((time.process_time() - cpu, time.perf_counter() - wall))
html = out.read_text(encoding="utf-8")
print(json.dumps({"times": times, "matplotlib": "matplotlib" in sys.modules, "figures": html.count("<svg role="),
                  "bytes": len(html.encode("utf-8"))}))
"""


def measure(record: Path, calls: int) -> dict:
    """One fresh process that saves the report ``calls`` times; the first call is the cold one."""
    done = subprocess.run([sys.executable, "-c", _ONE_RUN, str(record), str(calls)], check=True, capture_output=True,
                          text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("record", type=Path, nargs="?", help="a JSON record written by save_json (default: the demo's)")
    parser.add_argument("--repeats", type=int, default=3, help="fresh processes (medians are printed)")
    parser.add_argument("--quick", action="store_true", help="one fresh process")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats = 1
    with tempfile.TemporaryDirectory() as scratch:
        if args.record is None:
            subprocess.run([sys.executable, "-m", "xai_audit.cli", "demo"], cwd=scratch, check=True, capture_output=True)
            args.record = Path(scratch) / "reports" / "demo.json"
        runs = [measure(args.record, 3) for _ in range(args.repeats)]
    cold = sorted(r["times"][0] for r in runs)[len(runs) // 2]
    warm = sorted(min(r["times"][1:]) for r in runs)[len(runs) // 2]
    first = runs[0]
    line = (f"save_html {args.record.name}: cold {cold[0]:.2f} CPU s ({cold[1]:.2f} wall s), "
          f"warm {warm[0]:.2f} CPU s ({warm[1]:.2f} wall s); {first['figures']} figures, "
            f"{first['bytes'] / 1e6:.2f} MB, matplotlib imported: {first['matplotlib']} (median of {args.repeats})")
    print(line)
    OUT.mkdir(exist_ok=True)
    (OUT / "report_charts.md").write_text(f"## save_html (bench_report_charts.py)\n\n{line}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
