"""Compiled report templates kept between processes, so a fresh process does not compile them again.

jinja2 turns every template into Python code before its first render: for the report's 18 templates
about 0.2 s of each process that writes a report. jinja2's own bytecode cache keeps that code in its
per-user folder of the system's temporary directory, which it creates readable by its owner only and
refuses to use if anyone else owns it or can write to it (loading the cache runs the code in it). A
cached template is used only while its source is unchanged (jinja2 compares a checksum) and under the
same Python and jinja2 versions; the file names also carry a digest of the environment's options,
which change the compiled code without changing the source. Where no cache can be kept (no safe
folder, a read-only disk), templates are compiled as before.
"""

from __future__ import annotations

import hashlib

import jinja2


class _KeepWhatCanBeKept(jinja2.FileSystemBytecodeCache):
    """jinja2's file cache, silent when a compiled template cannot be written (it is then compiled again)."""

    def dump_bytecode(self, bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


def template_cache(options: dict) -> jinja2.BytecodeCache | None:
    """A bytecode cache for an environment made with ``options``, or None where none can be kept safely.

    Examples
    --------
    >>> cache = template_cache({"autoescape": True})
    >>> cache is None or cache.pattern.startswith("__xai_audit_")
    True
    """
    digest = hashlib.sha256(repr(sorted(options.items())).encode()).hexdigest()[:12]
    try:
        return _KeepWhatCanBeKept(pattern=f"__xai_audit_{digest}_%s.cache")
    except (OSError, RuntimeError):  # no private temporary folder for this user
        return None
