"""One ``[[audit]]`` table of a batch file → an :class:`~xai_audit.spec.AuditSpec`, with every problem listed.

Paths in the table are relative to the batch file's folder. TOML has no null: ``""`` clears a default.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from xai_audit.model_card import MODEL_CARD_KEYS

ENTRY_KEYS = frozenset({
    "name", "model", "data", "target", "positive_label", "sensitive", "bins", "predictions", "scores",
    "features", "policy", "out", "seed", "trusted_types", "trust_pickle", "formats", "model_card", "labels",
    "train",
})
# A report name: letters, digits, dots, dashes and underscores, so it cannot leave the output folder.
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
BATCH_FORMATS = ("html", "json", "md")
KIND_NAMES = {str: "string", int: "whole number", bool: "boolean (true or false)", dict: "table"}
TYPE_CHECKS = {"name": str, "model": str, "data": str, "target": str, "predictions": str, "scores": str,
               "policy": str, "out": str, "seed": int, "trust_pickle": bool, "bins": dict, "model_card": dict,
               "labels": str, "train": str}


def parse_toml_table(table, base_dir: Path, *, defaults=None, out: Path | None = None, where: str = "[[audit]]"):
    """``(AuditSpec keyword arguments or None, [problems])`` for one batch entry, ``defaults`` applied first.

    Examples
    --------
    >>> fields, problems = parse_toml_table({"data": "d.csv", "predictions": "p", "seed": 3}, Path("/b"))
    >>> fields["data"], fields["random_state"], fields["name"], fields["formats"], problems
    (PosixPath('/b/d.csv'), 3, 'd', ('html', 'json', 'md'), [])
    >>> parse_toml_table({"data": "d.csv", "seed": "x"}, Path("/b"))[1][0]
    '[[audit]] needs model = "FILE", or predictions = "COLUMN" for a predictions-only audit'
    """
    defaults = dict(defaults or {})
    if not isinstance(table, dict):
        return None, [f"{where} must be a table"]
    merged = {**{k: v for k, v in defaults.items() if k != "out"}, **table}
    cards = [defaults.get("model_card", {}), table.get("model_card", {})]
    if not all(isinstance(card, dict) for card in cards):
        return None, [f"{where}: model_card must be a table ([audit.model_card] or [defaults.model_card])"]
    merged["model_card"] = {**cards[0], **cards[1]}
    problems = [f"{where} has unknown key '{key}' (allowed: {', '.join(sorted(ENTRY_KEYS))})"
                for key in sorted(set(merged) - ENTRY_KEYS)]
    problems += [f"{where} has unknown model_card key '{key}' (allowed: {', '.join(sorted(MODEL_CARD_KEYS))})"
                 for key in sorted(set(merged["model_card"]) - set(MODEL_CARD_KEYS))]
    if "data" not in merged:
        problems.append(f"{where} needs data = \"FILE\"")
    if "model" not in merged and "predictions" not in merged:
        problems.append(f"{where} needs model = \"FILE\", or predictions = \"COLUMN\" for a predictions-only audit")
    for key, kind in TYPE_CHECKS.items():
        if key in merged and not (isinstance(merged[key], kind) and not (kind is int and isinstance(merged[key], bool))):
            problems.append(f"{where}: {key} must be a {KIND_NAMES[kind]}; got {merged[key]!r}")
    lists = {key: _names(merged.get(key)) for key in ("sensitive", "features", "trusted_types", "formats")}
    problems += [f"{where}: {key} must be a list of strings or a comma-separated string; got {merged[key]!r}"
                 for key, value in lists.items() if value is None]
    unknown_formats = sorted(set(lists["formats"] or ()) - {*BATCH_FORMATS, "pdf"})
    if unknown_formats:
        problems.append(f"{where}: formats {unknown_formats} are unknown; choose from {[*BATCH_FORMATS, 'pdf']}")
    bins = merged.get("bins", {})
    if isinstance(bins, dict):
        for column, edges in bins.items():
            if not (isinstance(edges, list) and edges and all(isinstance(e, (int, float)) for e in edges)):
                problems.append(f"{where}: bins.{column} must be a list of numbers; got {edges!r}")
    name = merged.get("name") or Path(str(merged.get("model") or merged.get("data", "audit"))).stem
    if isinstance(name, str) and not NAME_PATTERN.fullmatch(name):
        problems.append(f"{where}: the name {name!r} must be letters, digits, '.', '_' or '-' (it names the report files)")
    if isinstance(merged.get("seed"), int) and merged["seed"] < 0:
        problems.append(f"{where}: seed must be a non-negative whole number; got {merged['seed']!r}")
    if problems:
        return None, problems
    for key in ("target", "positive_label", "predictions", "scores"):
        if merged.get(key) == "":
            merged[key] = None
    policy = merged.get("policy", "default")
    if policy.endswith(".toml") or (base_dir / policy).is_file():
        policy = str(under(base_dir, policy))
    formats = tuple(dict.fromkeys([*(lists["formats"] or BATCH_FORMATS), "json"]))
    folder = under(base_dir, merged["out"]) if "out" in merged else (out or under(base_dir, "reports"))
    return dict(
        name=name, data=under(base_dir, merged["data"]), out=folder,
        model=under(base_dir, merged["model"]) if "model" in merged else None, target=merged.get("target"),
        positive_label=merged.get("positive_label"), sensitive=tuple(lists["sensitive"] or ()),
        bins={column: [float(e) for e in edges] for column, edges in bins.items()},
        predictions=merged.get("predictions"), scores=merged.get("scores"),
        features=tuple(lists["features"]) if lists["features"] else None, policy=policy,
        random_state=merged.get("seed", 0), trusted_types=tuple(lists["trusted_types"] or ()),
        trust_pickle=merged.get("trust_pickle", False), formats=formats, model_card=merged["model_card"],
        labels=under(base_dir, merged["labels"]) if merged.get("labels") else None,
        train=under(base_dir, merged["train"]) if merged.get("train") else None,
    ), []


def under(base: Path, path: str) -> Path:
    """``path`` relative to the batch file's folder (absolute paths stay as they are), normalised."""
    return Path(os.path.normpath(base / path))


def _names(value):
    """A list of names from a list of strings or a comma-separated string; [] for None; None if neither."""
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    return None
