"""``xai-audit drift --reference-summaries … --current-summaries …``: data drift from summary files, no rows.

Each side's files are merged (:func:`xai_audit.summaries.merge`); every feature's sketches are
tested (:func:`xai_audit.summaries.drift.drift_from_summaries`) and the policy's ``drift_share`` and
``drift_psi`` rules judge the table. The outputs are the record's own: a JSON record (``kind``
``"xai-audit drift from summaries"``: status, findings, the feature table, each side's files and
rows, the policy, what was not computed and why), a Markdown summary and an HTML page. Exit codes
as ``drift``: 0 pass or warn, 1 a rule failed, 2 an input error.
"""

from __future__ import annotations

import html
from dataclasses import replace
from pathlib import Path

from xai_audit.numbers import format_number

KIND = "xai-audit drift from summaries"
RULE_CHECKS = ("drift_share", "drift_psi")


def run_from_summaries(args, formats) -> int:
    """Merge each side's summaries, test every feature, judge by the policy, write the outputs."""
    from xai_audit._io import write_atomic
    from xai_audit._json import dumps_record
    from xai_audit.checks import evaluate, overall_status
    from xai_audit.exceptions import InvalidInputError
    from xai_audit.gate import exit_code
    from xai_audit.policy import load_policy
    from xai_audit.summaries import load_summary, merge
    from xai_audit.summaries.drift import drift_from_summaries

    if not args.reference_summaries or not args.current_summaries:
        raise InvalidInputError("Give both --reference-summaries and --current-summaries (one or more files each).")
    if args.reference or args.current:
        raise InvalidInputError("Give either --reference/--current (rows) or --reference-summaries/"
                                "--current-summaries (summary files), not both.")
    policy = load_policy(args.policy)
    reference = merge(*(load_summary(path) for path in args.reference_summaries))
    current = merge(*(load_summary(path) for path in args.current_summaries))
    table = drift_from_summaries(reference, current, alpha=float(policy.setting("drift", "alpha", 0.05)),
                                 correction=str(policy.setting("drift", "correction", "fdr_bh")))
    rules = [rule for rule in policy.rules if rule.check in RULE_CHECKS]
    findings = evaluate(replace(policy, rules=tuple(rules)), {"drift": {"features": table}})
    status = overall_status(findings)
    record = {"kind": KIND, "status": status, "findings": [finding.to_dict() for finding in findings],
              "features": table, "policy": policy.name,
              "reference": {"files": [str(p) for p in args.reference_summaries], "n_rows": reference.n_rows},
              "current": {"files": [str(p) for p in args.current_summaries], "n_rows": current.n_rows}}
    out = Path(args.out)
    writers = {"json": (dumps_record, "json"), "md": (markdown, "md"), "html": (page, "html")}
    written = []
    for name in formats:
        write, suffix = writers[name]
        written.append(write_atomic(out / f"{args.name}.{suffix}", write(record)))
    for finding in findings:
        print(f"[{finding.status.upper():4}] {finding.message}")
    print(f"drift status: {status}; wrote {', '.join(str(p) for p in written) or 'nothing'}")
    return exit_code(status)


def _rows(record: dict) -> list[list[str]]:
    rows = []
    for name, row in record["features"]["features"].items():
        rows.append([name, row["kind"], f"{row['n_reference']:,} / {row['n_current']:,}",
                     "n/a" if row["p_adjusted"] is None else format_number(row["p_adjusted"]),
                     "n/a" if row["psi"] is None else format_number(row["psi"]),
                     "n/a" if row["jensen_shannon"] is None else format_number(row["jensen_shannon"]), row["verdict"]])
    return rows


HEADER = ["Input", "Kind", "Rows (reference / current)", "Adjusted p (χ²)", "PSI", "Jensen–Shannon", "Verdict"]


def _lead(record: dict) -> str:
    table = record["features"]
    return (f"{table['n_drifted']} of {table['n_features']} inputs changed distribution (χ² test of homogeneity on "
            f"binned or per-category counts, {table['correction']}-adjusted p below {format_number(table['alpha'])}); computed from "
            f"summaries of {record['reference']['n_rows']:,} reference and {record['current']['n_rows']:,} current rows.")


def markdown(record: dict) -> str:
    """The Markdown summary of a drift-from-summaries record."""
    lines = [f"## Drift from summaries: {record['status'].upper()}", "", _lead(record), "",
             "| Status | Finding |", "|---|---|"]
    lines += [f"| {f['status'].upper()} | {f['message']} |" for f in record["findings"]]
    lines += ["", "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(cells) + " |" for cells in _rows(record)]
    lines += ["", f"Not computed: {record['features']['not_computed']}", ""]
    return "\n".join(lines)


def page(record: dict) -> str:
    """A plain HTML page of a drift-from-summaries record; every string escaped."""
    esc = html.escape
    findings = "".join(f"<li><b>{esc(f['status'].upper())}</b> {esc(f['message'])}</li>" for f in record["findings"])
    head = "".join(f"<th>{esc(cell)}</th>" for cell in HEADER)
    body = "".join("<tr>" + "".join(f"<td>{esc(cell)}</td>" for cell in cells) + "</tr>" for cells in _rows(record))
    return (f"<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Drift from summaries</title>"
            f"<h1>Drift from summaries: {esc(record['status'].upper())}</h1><p>{esc(_lead(record))}</p>"
            f"<ul>{findings}</ul><table><tr>{head}</tr>{body}</table>"
            f"<p>Not computed: {esc(record['features']['not_computed'])}</p></html>\n")
