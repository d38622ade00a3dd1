"""Runs killed at random moments leave all of their outputs or none under the final names, and the
next run leaves no temporary file behind."""

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from xai_audit._io import sweep_stale, write_atomic, write_set
from xai_audit.data import AuditDataset
from xai_audit.spec import AuditSpec

FORMATS = ("json", "md", "html")  # the slow HTML last: a kill while it renders follows the fast ones


def small_result():
    import numpy as np
    import xai_audit as xa

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=200), "sex": rng.choice(["F", "M"], 200),
                          "y": rng.integers(0, 2, 200)})
    frame["p"] = (frame["x"] > 0).astype(int)
    data = AuditDataset.from_frame(frame, target="y", predictions="p", sensitive=["sex"])
    return xa.audit(None, data, n_resamples=50, random_state=0)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_killed_writers_leave_all_outputs_or_none(tmp_path):
    result = small_result()
    spec = AuditSpec(data="d.csv", predictions="p", out=tmp_path / "out", formats=FORMATS)
    spec.replace(name="warm").write(result)  # the first write compiles the templates
    started = time.monotonic()
    spec.replace(name="timing").write(result)
    duration = time.monotonic() - started
    rng = random.Random(0)
    names = [f"run{i}" for i in range(20)]
    for name in names:
        pid = os.fork()
        if pid == 0:  # the child writes the set and leaves without cleaning anything up
            try:
                spec.replace(name=name).write(result)
            finally:
                os._exit(0)
        time.sleep(rng.uniform(0, duration))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    spec.replace(name="after").write(result)  # the next run sweeps what the killed ones left
    leftovers = [p.name for p in (tmp_path / "out").iterdir() if p.name.endswith(".part")]
    assert leftovers == []
    out = tmp_path / "out"
    outcomes = []
    for name in names:
        files = {p.name for p in out.iterdir() if p.name.startswith(f"{name}.")}
        assert files in (set(), {f"{name}.{fmt}" for fmt in FORMATS}), files
        if files:
            check_invariant_one(out, name)
        outcomes.append(bool(files))
    assert not all(outcomes)  # some runs were killed before they finished (else the test proves nothing)


def check_invariant_one(out, name):
    json.loads((out / f"{name}.json").read_text())
    assert (out / f"{name}.html").read_text().rstrip().endswith("</html>")


def test_cli_runs_killed_at_random_moments(tmp_path):
    """A few real ``xai-audit run`` processes killed at random: all outputs or none after the next run."""
    frame = pd.DataFrame({"x": [i / 10 for i in range(120)], "sex": ["F", "M"] * 60, "y": [0, 1, 1, 0] * 30})
    frame["p"] = (frame["x"] > 6).astype(int)
    frame.to_csv(tmp_path / "d.csv", index=False)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "xai_audit.cli", "run", "--data", str(tmp_path / "d.csv"), "--predictions",
               "p", "--target", "y", "--sensitive", "sex", "--out", str(out), "--format", ",".join(FORMATS)]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    started = time.monotonic()
    subprocess.run(command + ["--name", "timing"], check=True, env=env, capture_output=True, timeout=120)
    duration = time.monotonic() - started
    rng = random.Random(1)
    for i in range(4):
        process = subprocess.Popen(command + ["--name", f"k{i}"], env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(duration * 0.5, duration * 1.1))
        process.kill()
        process.wait()
    subprocess.run(command + ["--name", "after"], check=True, env=env, capture_output=True, timeout=120)
    assert [p.name for p in out.iterdir() if p.name.endswith(".part")] == []
    for i in range(4):
        files = {p.name for p in out.iterdir() if p.name.startswith(f"k{i}.")}
        assert files in (set(), {f"k{i}.{fmt}" for fmt in FORMATS}), files


def test_a_committed_set_of_a_dead_writer_is_finished_and_an_uncommitted_one_removed(tmp_path):
    dead = 2**31 - 5  # no process has this id
    committed = tmp_path / f".a.{dead}.x1.set.part"
    committed.mkdir()
    (committed / "a.html").write_text("<html></html>")
    (committed / "a.json").write_text("{}")
    (committed / "COMMITTED").write_text("a.html\na.json\n")
    uncommitted = tmp_path / f".b.{dead}.x2.set.part"
    uncommitted.mkdir()
    (uncommitted / "b.html").write_text("<html>")
    stray = tmp_path / f".c.html.{dead}.zz.part"
    stray.write_text("half")
    live = tmp_path / f".d.html.{os.getpid()}.zz.part"  # a live writer's file is left alone
    live.write_text("writing")
    sweep_stale(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["a.html", "a.json", live.name])


def test_a_failing_writer_leaves_nothing(tmp_path):
    def broken(path):
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_set(tmp_path, {"r.html": lambda p: write_atomic(p, "<html></html>"), "r.json": broken})
    assert list(tmp_path.iterdir()) == []
