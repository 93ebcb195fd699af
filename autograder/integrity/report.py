"""The integrity report: the findings of every submission, as Markdown and as a CSV."""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

from .rules import INFORMATIONAL, RULES, Finding

COLUMNS = ["student", "notebook", "rule", "cell", "line_number", "line", "why"]


def write_report(findings: Mapping[str, Mapping[str, list[Finding]]], path: Path) -> None:
    """findings[student][notebook] -> the report as Markdown at `path`, and a CSV beside it
    (same stem, .csv; one row per finding: student, notebook, rule, cell, line_number, line,
    why). Suspicious submissions come first, grouped by student, each finding with the line
    that triggered it; a count per rule at the top; 'No suspicious submissions.' when none."""
    path = Path(path)
    rows = [(student, notebook, f) for student in sorted(findings)
            for notebook in sorted(findings[student]) for f in findings[student][notebook]]
    rules = list(RULES) + sorted({f.rule for _, _, f in rows} - set(RULES))
    weight = Counter(s for s, _, f in rows if f.rule not in INFORMATIONAL)
    suspicious = sorted(weight, key=lambda s: (-weight[s], s))
    informational = sorted({s for s, _, _ in rows} - set(suspicious))
    clean = sorted(set(findings) - set(suspicious) - set(informational))

    out = ["# Integrity report", "",
           "A static scan of each submission before grading: the code the student wrote "
           "(solution cells, added cells) and the test cells they changed. A finding is a line "
           "to read, not a verdict.", "", "## Summary", "",
           "| rule | findings | students |", "|---|---:|---:|"]
    for rule in rules:
        found = [s for s, _, f in rows if f.rule == rule]
        out.append(f"| {rule} | {len(found)} | {len(set(found))} |")
    out += [f"| **total** | {len(rows)} | {len({s for s, _, _ in rows})} |", ""]
    if not suspicious:
        out += ["No suspicious submissions.", ""]
    out += _section("Suspicious submissions", suspicious, findings)
    out += _section("Changed test cells only (nbgrader restores them)", informational, findings)
    if clean:
        out += ["## No findings", "", ", ".join(_escape(s) for s in clean), ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out), encoding="utf-8")
    with path.with_suffix(".csv").open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(COLUMNS)
        writer.writerows([s, n, f.rule, f.cell, f.line_number, f.line, f.why] for s, n, f in rows)


def _section(title: str, students: list[str],
             findings: Mapping[str, Mapping[str, list[Finding]]]) -> list[str]:
    """Each student's findings, notebook by notebook, each with its cell, line and reason."""
    if not students:
        return []
    out = [f"## {title}", ""]
    for student in students:
        out += [f"### {_escape(student)}", ""]
        for notebook in sorted(findings[student]):
            listed = findings[student][notebook]
            if not listed:
                continue
            out += [f"#### {_code(notebook)}", ""]
            for f in listed:
                where = f"{_code(f.cell)}, line {f.line_number}" if f.line_number \
                    else _code(f.cell)
                shown = f": {_code(f.line)}" if f.line else ""
                out += [f"- **{f.rule}** in {where}{shown}  ", f"  {_escape(f.why)}"]
            out.append("")
    return out


def _code(text: str) -> str:
    """Markdown inline code that survives backticks in the text."""
    if not text:
        return "(no line)"
    run = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (run + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _escape(text: str) -> str:
    """Plain text in Markdown: no emphasis, links or HTML from a student's name or code."""
    return re.sub(r"([\\`*\[\]<>])", r"\\\1", str(text))
