"""``xai-audit app``: start the Streamlit app (``apps/streamlit_app.py``) on this machine.

The app runs headless, without usage statistics, bound to the loopback address unless told
otherwise, with a stated upload limit. Pickle model files (and uploaded Python code, which a
manifest's ``architecture = "file.py:Class"`` would run) are refused unless the app is started with
``--allow-pickle``: the app then reads ``XAI_AUDIT_ALLOW_PICKLE=1`` from its environment.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

from xai_audit._optional import require
from xai_audit.exceptions import InvalidInputError

ALLOW_PICKLE_ENV = "XAI_AUDIT_ALLOW_PICKLE"
DEFAULT_MAX_UPLOAD_MB = 200
DEFAULT_ADDRESS = "127.0.0.1"
DEFAULT_PORT = 8501
STOP_TIMEOUT_S = 10.0


def add_parser(sub) -> argparse.ArgumentParser:
    """Register the ``app`` sub-command on the CLI's sub-parsers.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        What ``ArgumentParser.add_subparsers`` returned.

    Returns
    -------
    argparse.ArgumentParser

    Examples
    --------
    >>> parser = argparse.ArgumentParser(prog="xai-audit")
    >>> app = add_parser(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["app", "--allow-pickle", "--port", "9000"])
    >>> args.allow_pickle, args.port, args.max_upload_mb
    (True, 9000, 200)
    """
    app = sub.add_parser("app", help="start the Streamlit app (analysts audit a model without writing code)")
    app.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port to serve on (default: {DEFAULT_PORT})")
    app.add_argument("--address", default=DEFAULT_ADDRESS,
                     help=f"address to bind (default: {DEFAULT_ADDRESS}, this machine only; 0.0.0.0 exposes "
                          "the app to the network)")
    app.add_argument("--max-upload-mb", type=int, default=DEFAULT_MAX_UPLOAD_MB,
                     help=f"largest upload the app accepts, in MB (default: {DEFAULT_MAX_UPLOAD_MB})")
    app.add_argument("--allow-pickle", action="store_true",
                     help="accept pickle/joblib model uploads and manifests that run uploaded Python code. "
                          "Anyone who can reach the app could then run code on this machine: use it only "
                          "on a private machine, for files you made yourself")
    app.set_defaults(handler=run_command)
    return app


def app_command(*, port=DEFAULT_PORT, address=DEFAULT_ADDRESS, max_upload_mb=DEFAULT_MAX_UPLOAD_MB,
                script: Path | None = None) -> list[str]:
    """The ``streamlit run`` command line that serves the app.

    Examples
    --------
    >>> command = app_command(port=9000, script=Path("apps/streamlit_app.py"))
    >>> command[1:4], "--browser.gatherUsageStats" in command
    (['-m', 'streamlit', 'run'], True)
    """
    if max_upload_mb < 1:
        raise InvalidInputError(f"--max-upload-mb must be at least 1; got {max_upload_mb}.")
    if not 0 < port < 65536:
        raise InvalidInputError(f"--port must be between 1 and 65535; got {port}.")
    return [
        sys.executable, "-m", "streamlit", "run", str(script or find_app_script()),
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--server.maxUploadSize", str(int(max_upload_mb)),
        "--client.toolbarMode", "minimal",
        "--server.address", str(address),
        "--server.port", str(int(port)),
    ]


def app_environment(*, allow_pickle: bool, base=None) -> dict:
    """The app's environment: ``base`` (default: this process's) with the pickle opt-in set or removed.

    Examples
    --------
    >>> app_environment(allow_pickle=True, base={})[ALLOW_PICKLE_ENV]
    '1'
    >>> ALLOW_PICKLE_ENV in app_environment(allow_pickle=False, base={ALLOW_PICKLE_ENV: "1"})
    False
    """
    environment = dict(os.environ if base is None else base)
    environment.pop(ALLOW_PICKLE_ENV, None)
    if allow_pickle:
        environment[ALLOW_PICKLE_ENV] = "1"
    return environment


def find_app_script() -> Path:
    """``apps/streamlit_app.py`` of a source checkout (or of the current folder)."""
    for base in (Path(__file__).resolve().parents[2], Path.cwd()):
        script = base / "apps" / "streamlit_app.py"
        if script.is_file():
            return script
    raise InvalidInputError(
        "The app was not found: run `xai-audit app` from a checkout of the xai-audit repository "
        "(the app lives in apps/streamlit_app.py)."
    )


def run_command(args) -> int:
    """Serve the app until interrupted; return streamlit's exit code."""
    require("streamlit", extra="app", purpose="The xai-audit app")
    command = app_command(port=args.port, address=args.address, max_upload_mb=args.max_upload_mb)
    if args.allow_pickle:
        print("xai-audit: --allow-pickle: pickle uploads are accepted. Anyone who can reach this app can "
              "run code on this machine.", file=sys.stderr)
    print(f"xai-audit: serving the app on http://{args.address}:{args.port} (Ctrl+C stops it)", file=sys.stderr)
    script = Path(command[4])
    return serve(command, env=app_environment(allow_pickle=args.allow_pickle), cwd=script.parents[1])


def serve(command: list[str], *, env=None, cwd=None, stop_timeout: float = STOP_TIMEOUT_S) -> int:
    """Run the Streamlit server as a child process and stop it when this process is stopped.

    Ctrl+C (SIGINT) and SIGTERM are passed on to the child, which is given ``stop_timeout``
    seconds to exit before it is killed, so no server is left listening on the port.

    Parameters
    ----------
    command : list of str
        The server's command line (:func:`app_command`).
    env : dict, optional
        The child's environment.
    cwd : Path, optional
        The child's working folder.
    stop_timeout : float
        Seconds the child may take to exit once asked to stop.

    Returns
    -------
    int
        The child's exit code; 0 when it was stopped by Ctrl+C or SIGTERM.
    """
    child = subprocess.Popen(command, env=env, cwd=cwd)
    stopped = []

    def on_signal(signum, _frame):
        # only ask here: waiting inside a handler would deadlock with the wait below
        stopped.append(signum)
        if child.poll() is None:
            child.terminate()

    handled = [signal.SIGINT, signal.SIGTERM]
    previous = {number: signal.signal(number, on_signal) for number in handled}
    try:
        code = _wait_for(child, stopped, stop_timeout)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        _stop_child(child, stop_timeout)
    return 0 if stopped else code


def _wait_for(child: subprocess.Popen, stopped: list, stop_timeout: float) -> int:
    """Wait for ``child``; once a stop was asked for, kill it if it outlives ``stop_timeout``."""
    waited_since_stop = 0.0
    while True:
        try:
            return child.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            if stopped:
                waited_since_stop += 0.5
                if waited_since_stop >= stop_timeout:
                    child.kill()
        except KeyboardInterrupt:  # a Ctrl+C that reached Python's default handler
            stopped.append(signal.SIGINT)
            child.terminate()


def _stop_child(child: subprocess.Popen, timeout: float) -> None:
    """Ask ``child`` to stop (SIGTERM), and kill it if it has not exited within ``timeout`` seconds."""
    if child.poll() is not None:
        return
    child.terminate()
    try:
        child.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
