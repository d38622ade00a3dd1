"""Run every benchmark in this folder and collect their tables into benchmarks/RESULTS.md.

Each ``bench_*.py`` measures xai-audit against the plain library on the same rows in one process and
writes a Markdown table to ``benchmarks/out/<name>.md``; this script runs them one after another (so
they do not compete for the cores) and writes the machine they ran on above the tables.

    python benchmarks/run_all.py [--quick] [--only shap,lime,coverage]

``bench_coverage.py`` is the statistics benchmark: empirical coverage of every interval the audit
reports, by simulation against known true values (``--only coverage`` runs it alone).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"


def machine() -> str:
    """A short description of the machine, the interpreter and the measured libraries."""
    from xai_audit.manifest import package_versions

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                       if line.startswith("MemTotal")))
        memory = f", {kib / 2**20:.0f} GiB memory"
    except (OSError, StopIteration, ValueError):
        pass
    versions = ", ".join(f"{name} {version}" for name, version in package_versions().items())
    return (f"- Machine: {cpu}, {os.cpu_count()} cores{memory}, {platform.system()} {platform.release()}\n"
            f"- Python {platform.python_version()}; {versions}\n"
            f"- Run: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument("--only", help="comma-separated benchmark names (the part after bench_)")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    scripts = sorted(HERE.glob("bench_*.py"))
    if args.only:
        wanted = {name.strip() for name in args.only.split(",")}
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in wanted]
    failures = []
    for script in scripts:
        print(f"== {script.name}", flush=True)
        command = [sys.executable, str(script)] + (["--quick"] if args.quick else [])
        if subprocess.run(command, cwd=HERE.parent).returncode != 0:
            failures.append(script.name)
    tables = [path.read_text().strip() for path in sorted(OUT.glob("*.md"))]
    text = ("# Benchmark results\n\nRatios are measured in one process against the plain library on the same "
            "rows; `make bench` regenerates this file.\n\n" + machine() + "\n\n" + "\n\n".join(tables) + "\n")
    (HERE / "RESULTS.md").write_text(text)
    print(f"Wrote {HERE / 'RESULTS.md'}")
    if failures:
        print(f"Failed: {', '.join(failures)}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
