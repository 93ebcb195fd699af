"""The integrity report: a static scan of the code a student wrote, before it is graded.

The grading kernel (`autograder/execute.py`) catches tampering while it happens; this scan
reads each submitted notebook beforehand and lists the lines an instructor should read:

- **tampering**: patching what the tests rely on (numpy, backprop_ref, the builtins, the
  check helpers), or reaching into the tests through frames, trace hooks, `gc`, `ctypes`;
- **reference-call**: using backprop_ref's implementation of what the part asks for;
- **file-access**: files, shell commands, notebooks, the course folder;
- **hard-coded**: answers written as numbers, or special cases for the visible tests;
- **disruptive**: code that would hurt the grading run (exit, kill, endless loops, threads);
- **edited-test**: a test cell edited, retyped or deleted (nbgrader restores it: information);
- **unreadable**: a file that is not a notebook nbformat can read (as autograder/intake.py).

It reads solution cells, cells the student added, and test cells that differ from the
release; it never runs them. A finding is a reason to look, not a verdict: see
`Finding.why`. `scan(submitted, released) -> [Finding]`, `scan_file(path, released)`,
`write_report({student: {notebook: [Finding]}}, path)` (Markdown, and a CSV beside it).

The modules, in the order a scan uses them:

    cells      a notebook's cells (their nbgrader role and code) and why a file is unreadable
    release    what the released notebook shows: its code, imports, and visible-test values
    magics     cells that are not plain Python: IPython syntax, code that does not parse
    names      what a name refers to, through imports, aliases and scopes
    literals   numbers written in code, and the value of constant expressions
    answers    hard-coded answers: literals copied from the visible tests or written in
    rules      Finding, and the tables of suspicious names, attributes and calls
    scanner    the visitor that applies the rules to one cell
    notebook   scan and scan_file: the student's cells, and the test cells they changed
    report     write_report: Markdown and CSV
"""

from __future__ import annotations

from .notebook import scan, scan_file
from .report import write_report
from .rules import INFORMATIONAL, RULES, Finding

__all__ = ["INFORMATIONAL", "RULES", "Finding", "scan", "scan_file", "write_report"]
