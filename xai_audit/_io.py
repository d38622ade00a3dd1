"""Atomic file writes: a report or record is written whole or not at all, and a set of outputs
(the HTML, JSON, Markdown and PDF of one audit) appears under its final names all together.

Temporary files and folders of this tool end in ``.part`` and carry the writing process's id
(``.credit.html.4242.k3j9.part``, ``.credit.4242.set.part/``); :func:`sweep_stale` removes those of
processes that no longer run (a killed run), finishing a set whose staging had completed.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

# .<final name>.<pid>.<random>.part (a file) or .<stem>.<pid>.set.part (a staging folder)
_PART = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.(?P<tail>[A-Za-z0-9_]+(?:\.set)?)\.part$")
COMMIT_FILE = "COMMITTED"


def write_atomic(path, content: str | bytes) -> Path:
    """Write ``content`` to ``path`` through a temporary file in the same folder and a rename.

    A crash or error half-way leaves any previous file untouched and no partial file behind.

    Examples
    --------
    >>> import tempfile, os
    >>> target = os.path.join(tempfile.mkdtemp(), "out.txt")
    >>> write_atomic(target, "hello").read_text()
    'hello'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = content.encode("utf-8") if isinstance(content, str) else content
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        # mkstemp makes the file private (0600); a report gets the usual permissions, as open() would give.
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def write_set(folder, writers: dict) -> dict:
    """Write several files into ``folder`` so that they appear under their final names together.

    Each writer is called with a path in a staging folder (``.<first stem>.<pid>.set.part``) inside
    ``folder``; when all have finished, a commit marker is written and every file is renamed into
    place. A run killed before the marker leaves no final file (its staging folder is swept by the
    next run); one killed after it is finished by the next run's :func:`sweep_stale`.

    Parameters
    ----------
    folder : str or Path
        The output folder (made if missing).
    writers : dict
        ``{file name: callable(path) -> anything}``, in writing order.

    Returns
    -------
    dict
        ``{file name: final Path}``.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> paths = write_set(folder, {"a.txt": lambda p: p.write_text("a"), "b.txt": lambda p: p.write_text("b")})
    >>> sorted(p.name for p in folder.iterdir())
    ['a.txt', 'b.txt']
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    sweep_stale(folder)
    names = list(writers)
    stem = Path(names[0]).stem if names else "outputs"
    staging = Path(tempfile.mkdtemp(prefix=f".{stem}.{os.getpid()}.", suffix=".set.part", dir=folder))
    try:
        for name, writer in writers.items():
            writer(staging / name)
        write_atomic(staging / COMMIT_FILE, "\n".join(names) + "\n")
        _fsync_folder(staging)
        _finish(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return {name: folder / name for name in names}


def sweep_stale(folder) -> list:
    """Remove this tool's temporary files and staging folders left in ``folder`` by processes that no
    longer run; a staging folder with its commit marker is finished (its files renamed into place)
    first. Return the paths removed or finished.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / ".x.html.999999999.ab.part").write_text("half")
    >>> [p.name for p in sweep_stale(folder)], list(folder.iterdir())
    (['.x.html.999999999.ab.part'], [])
    """
    folder = Path(folder)
    done = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return done
    for entry in entries:
        match = _PART.match(entry.name)
        if not match or _alive(int(match["pid"])):
            continue
        try:
            if entry.is_dir() and not entry.is_symlink():
                if (entry / COMMIT_FILE).is_file():
                    _finish(entry, folder)
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
        except OSError:
            continue
        done.append(entry)
    return done


def _finish(staging: Path, folder: Path) -> None:
    """Rename every staged file listed by the commit marker into ``folder``; remove the staging folder."""
    names = [n for n in (staging / COMMIT_FILE).read_text().splitlines() if n]
    for name in names:
        if (staging / name).is_file():
            os.replace(staging / name, folder / name)
    _fsync_folder(folder)
    shutil.rmtree(staging, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except PermissionError:  # another user's process
        return True
    except (ProcessLookupError, OverflowError, OSError):
        return False
    return True


def _fsync_folder(folder: Path) -> None:
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


def _umask() -> int:
    """This process's umask: read from /proc on Linux; elsewhere set and set straight back (which
    briefly changes it for other threads, so only where it cannot be read)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
