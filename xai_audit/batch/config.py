"""Reading a batch file: ``[defaults]`` and ``[[audit]]`` tables → a :class:`BatchPlan` of ``AuditSpec``\\ s.

Paths in the file are relative to it. Every problem in the file is reported at once, before anything runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from xai_audit._spec_toml import parse_toml_table, under
from xai_audit.spec import AuditSpec
from xai_audit._toml import read_toml
from xai_audit.exceptions import InvalidInputError


@dataclass(frozen=True)
class BatchPlan:
    """A parsed batch file: where it came from, where its outputs go, and its entries in file order."""

    source: Path
    out: Path
    entries: tuple  # of AuditSpec


def load_batch(path, *, out=None) -> BatchPlan:
    """Read and check a batch file; every problem in it is reported at once, before anything runs.

    Parameters
    ----------
    path : str or Path
        The TOML batch file.
    out : str or Path, optional
        The output folder (``--out``); default: ``out`` in ``[defaults]`` (relative to the batch file),
        else ``reports/`` next to the batch file.

    Returns
    -------
    BatchPlan

    Examples
    --------
    >>> import tempfile, os
    >>> folder = tempfile.mkdtemp()
    >>> with open(os.path.join(folder, "audits.toml"), "w") as f:
    ...     _ = f.write('[defaults]\\ntarget = "y"\\n[[audit]]\\nmodel = "m.skops"\\ndata = "d.csv"\\n')
    >>> plan = load_batch(os.path.join(folder, "audits.toml"))
    >>> [(e.name, e.target, e.model.name) for e in plan.entries], plan.out.name
    ([('m', 'y', 'm.skops')], 'reports')
    """
    source = Path(path).resolve()
    raw = read_toml(source)
    base = source.parent
    problems = [f"unknown top-level key '{key}' (use [defaults] and [[audit]])" for key in raw
                if key not in ("defaults", "audit")]
    defaults = raw.get("defaults", {})
    audits = raw.get("audit", [])
    if not isinstance(defaults, dict):
        problems.append("[defaults] must be a table")
        defaults = {}
    if not isinstance(audits, list) or not audits:
        problems.append("there is no [[audit]] entry")
        audits = []
    if not isinstance(defaults.get("out", ""), str):
        problems.append(f"[defaults] out must be a folder path (a string); got {defaults['out']!r}")
        defaults = {k: v for k, v in defaults.items() if k != "out"}
    folder = Path(out).resolve() if out is not None else under(base, defaults.get("out", "reports"))
    entries = []
    for position, table in enumerate(audits, start=1):
        fields, entry_problems = parse_toml_table(table, base, defaults=defaults, out=folder,
                                                  where=f"[[audit]] #{position}")
        problems += entry_problems
        if fields is not None:
            entries.append(AuditSpec(**fields))
    seen = set()
    for spec in entries:
        if spec.name in seen:
            problems.append(f"two entries are named '{spec.name}'; give each a unique name = \"...\"")
        seen.add(spec.name)
    if problems:
        listed = "; ".join(problems)
        raise InvalidInputError(f"The batch file '{source}' has {len(problems)} problem(s): {listed}.")
    return BatchPlan(source=source, out=folder, entries=tuple(entries))
