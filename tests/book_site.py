"""The built book as the tests see it: where it is, and which pages _toc.yml lists.

Shared by test_book.py (the HTML text) and test_browser.py (the pages in Chromium); the
session fixture `book` in conftest.py builds the site once for both.
"""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build"
HTML = BUILD / "html"


def toc_pages() -> list[str]:
    """Every page in _toc.yml as a docname (book/ch01_background/01_cost), globs expanded."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                pages.append(entry["file"])
            if "glob" in entry:
                pages.extend(sorted(str(p.relative_to(ROOT).with_suffix(""))
                                    for suffix in (".md", ".ipynb")
                                    for p in ROOT.glob(entry["glob"] + suffix)))
            walk(entry.get("sections"))
            walk(entry.get("chapters"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return pages


def is_notebook(docname: str) -> bool:
    """A MyST Markdown notebook, executed by the build (released assignments are not run)."""
    path = ROOT / f"{docname}.md"
    if not path.is_file():
        return False
    text = path.read_text()
    return text.startswith("---") and "kernelspec:" in text.split("---")[1]
