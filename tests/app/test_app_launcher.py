"""``xai-audit app``: the streamlit command line it runs, the pickle opt-in, and the app's safety rules."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from xai_audit.cli import build_parser, main
from xai_audit.cli import app as launcher

APPS = Path(__file__).resolve().parents[2] / "apps"


def test_command_is_headless_without_telemetry_with_an_upload_limit():
    command = launcher.app_command(port=9123, max_upload_mb=25)
    assert command[1:4] == ["-m", "streamlit", "run"]
    assert Path(command[4]) == APPS / "streamlit_app.py"
    options = dict(zip(command[5::2], command[6::2]))
    assert options["--server.headless"] == "true"
    assert options["--browser.gatherUsageStats"] == "false"
    assert options["--server.maxUploadSize"] == "25"
    assert options["--server.address"] == "127.0.0.1"
    assert options["--server.port"] == "9123"


def test_bad_limits_are_input_errors():
    with pytest.raises(ValueError, match="--max-upload-mb must be at least 1"):
        launcher.app_command(max_upload_mb=0)
    with pytest.raises(ValueError, match="--port must be between"):
        launcher.app_command(port=70000)


def test_pickle_opt_in_is_passed_only_when_asked():
    assert launcher.app_environment(allow_pickle=True, base={"PATH": "/bin"}) == {"PATH": "/bin",
                                                                                  "XAI_AUDIT_ALLOW_PICKLE": "1"}
    assert "XAI_AUDIT_ALLOW_PICKLE" not in launcher.app_environment(allow_pickle=False,
                                                                    base={"XAI_AUDIT_ALLOW_PICKLE": "1"})


def test_app_subcommand_runs_streamlit_with_the_opt_in(monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(launcher, "serve", lambda command, env, cwd: calls.append((command, env, cwd)) or 0)
    assert main(["app", "--port", "8600", "--max-upload-mb", "10", "--allow-pickle"]) == 0
    command, environment, cwd = calls[0]
    assert "--server.maxUploadSize" in command and command[command.index("--server.maxUploadSize") + 1] == "10"
    assert environment["XAI_AUDIT_ALLOW_PICKLE"] == "1"
    assert Path(cwd) == APPS.parent
    assert "run code on this machine" in capsys.readouterr().err


def test_app_subcommand_is_documented():
    help_text = build_parser()._subparsers._group_actions[0].choices["app"].format_help()
    assert "--allow-pickle" in help_text and "--max-upload-mb" in help_text


def test_streamlit_config_disables_telemetry():
    config = (APPS.parent / ".streamlit" / "config.toml").read_text()
    assert re.search(r"^gatherUsageStats\s*=\s*false", config, re.MULTILINE)


def test_app_never_renders_raw_html():
    sources = [path for path in APPS.rglob("*.py")]
    assert sources
    for path in sources:
        text = path.read_text()
        assert "unsafe_allow_html" not in text, path
        assert "components.html" not in text and "st.html(" not in text, path


CHILD = "import os, sys, time; open(sys.argv[1], 'w').write(str(os.getpid())); time.sleep(120)"
PARENT = """
import sys
from xai_audit.cli.app import serve
sys.exit(serve([sys.executable, '-c', {child!r}, {pid_file!r}], stop_timeout=5))
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped by anyone) counts as stopped
    status = Path(f"/proc/{pid}/stat")
    return not (status.exists() and status.read_text().split()[2] == "Z")


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_stopping_the_launcher_stops_the_server_it_started(tmp_path, stop):
    pid_file = tmp_path / "child.pid"
    parent = subprocess.Popen([sys.executable, "-c", PARENT.format(child=CHILD, pid_file=str(pid_file))],
                              env={**os.environ, "PYTHONPATH": str(APPS.parent)})
    deadline = time.monotonic() + 60
    while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < deadline:
        time.sleep(0.1)
    child = int(pid_file.read_text())
    assert _alive(child)
    parent.send_signal(stop)
    assert parent.wait(timeout=30) == 0
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(child), "the server child outlived the launcher"
