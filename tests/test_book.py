"""The book builds with warnings as errors, every page ran, and nothing leaks or breaks.

The build runs once per test session (the `book` fixture in conftest.py: about 3-5 minutes
from clean, seconds when the execution cache is warm); these tests and the browser tests share
one xdist group so it runs on one worker.
"""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from book_site import BUILD, HTML, ROOT, is_notebook, toc_pages

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("book")]

def test_book_builds_with_warnings_as_errors(book):
    # Sphinx's own messages ("path:line: WARNING: ..."), not the kernels' log lines.
    warnings = [line for line in book.stdout.splitlines() + book.stderr.splitlines()
                if "WARNING:" in line or "ERROR:" in line]
    assert book.returncode == 0, "\n".join(warnings[-30:]) or book.stderr[-3000:]
    assert not warnings, "\n".join(warnings)


def test_every_toc_page_is_in_the_site(book):
    missing = [p for p in toc_pages() if not (HTML / f"{p}.html").is_file()]
    assert not missing


def _executed_notebooks() -> dict[str, object]:
    """The executed notebook of every page, from Jupyter's execution cache.

    (myst-nb 1.4 writes _build/jupyter_execute/*.ipynb without outputs when a page comes
    from the cache, so the cache itself is the record of what ran.)
    """
    from jupyter_cache import get_cache

    cache = get_cache(BUILD / ".jupyter_cache")
    latest = {}
    for record in cache.list_cache_records():
        if record.uri not in latest or record.accessed > latest[record.uri].accessed:
            latest[record.uri] = record
    return {uri: cache.get_cache_bundle(r.pk).nb for uri, r in latest.items()}


def test_every_notebook_page_executed_with_outputs_and_no_unexpected_errors(book):
    notebooks = [p for p in toc_pages() if is_notebook(p)]
    assert len(notebooks) >= 9, "every chapter has at least one executed page"
    executed = _executed_notebooks()
    problems = []
    for page in notebooks:
        nb = executed.get(str(ROOT / f"{page}.md"))
        if nb is None:
            problems.append(f"{page}: not executed")
            continue
        cells = [c for c in nb.cells if c.cell_type == "code"]
        if not any(c.outputs for c in cells):
            problems.append(f"{page}: no outputs at all")
        for i, cell in enumerate(cells):
            if cell.get("execution_count") is None:
                problems.append(f"{page}: code cell {i} did not run")
            tags = cell.get("metadata", {}).get("tags", [])
            errors = [o for o in cell.outputs if o["output_type"] == "error"]
            if errors and "raises-exception" not in tags:
                problems.append(f"{page}: cell {i} raised {errors[0]['ename']}")
            if "raises-exception" in tags and not errors:
                problems.append(f"{page}: cell {i} is tagged raises-exception but did not raise")
    assert not problems, "\n".join(problems)


def test_no_page_takes_more_than_60_seconds_to_execute(book):
    from jupyter_cache import get_cache

    records = get_cache(BUILD / ".jupyter_cache").list_cache_records()
    assert records, "the execution cache is empty"
    slow = {Path(r.uri).name: r.data.get("execution_seconds") for r in records
            if (r.data.get("execution_seconds") or 0) > 60}
    assert not slow


def test_every_chapter_has_at_least_one_figure(book):
    chapters = sorted(p.name for p in (ROOT / "book").glob("ch[0-9][0-9]_*") if p.is_dir())
    assert len(chapters) == 9
    without = []
    for chapter in chapters:
        pages = (HTML / "book" / chapter).glob("*.html")
        if not any(re.search(r"<img[^>]+src=\"[^\"]*_images/", p.read_text()) for p in pages):
            without.append(chapter)
    assert not without


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag in ("img", "script") and attrs.get("src"):
            self.links.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            self.links.append(attrs["href"])


def _parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(errors="replace"))
    return parser


def test_internal_links_and_anchors_all_resolve(book):
    # _static/ holds the theme's Jinja macro files, not pages.
    pages = {p: _parse(p) for p in HTML.rglob("*.html") if "_static" not in p.relative_to(HTML).parts}
    broken = []
    for page, parsed in pages.items():
        for link in parsed.links:
            parts = urlsplit(link)
            if parts.scheme or link.startswith(("//", "mailto:", "javascript:")):
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{page.relative_to(HTML)}: {link} (no such file)")
            elif parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else _parse(target).ids
                if unquote(parts.fragment) not in ids:
                    broken.append(f"{page.relative_to(HTML)}: {link} (no such anchor)")
    assert not broken, "\n".join(sorted(set(broken))[:40])


def _regions(notebook: dict) -> list[list[str]]:
    """The solution regions and hidden tests of a notebook, as lists of stripped code lines."""
    regions = []
    for cell in notebook["cells"]:
        source = "".join(cell["source"])
        for block in re.findall(r"### BEGIN (?:SOLUTION|HIDDEN TESTS)(.*?)### END", source, re.S):
            lines = [line.strip() for line in block.splitlines()]
            regions.append([line for line in lines if line and not line.startswith("#")])
    return regions


def _fingerprints(region: list[str]) -> set[tuple[str, ...]]:
    """What would betray a region: any three consecutive lines of it; a region shorter than
    that, its one or two lines if they are long enough not to be everyday code."""
    if len(region) >= 3:
        return {tuple(region[i:i + 3]) for i in range(len(region) - 2)}
    return {tuple(region)} if region and sum(map(len, region)) >= 30 else set()


def _text_lines(text: str) -> list[str]:
    """Visible text of a file as stripped non-empty lines (HTML tags and entities removed)."""
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return [line.strip() for line in text.splitlines() if line.strip()]


def _leaks(fingerprints: set[tuple[str, ...]], files: dict[str, str]) -> list[str]:
    found = []
    for name, text in files.items():
        lines = _text_lines(text)
        for n in (1, 2, 3):
            windows = {tuple(lines[i:i + n]) for i in range(len(lines) - n + 1)}
            found += [f"{name}: {' / '.join(fp)}" for fp in fingerprints
                      if len(fp) == n and fp in windows]
    return found


def _site_files() -> dict[str, str]:
    return {str(p.relative_to(HTML)): p.read_text(errors="replace") for p in HTML.rglob("*")
            if p.is_file() and p.suffix in {".html", ".ipynb", ".md", ".txt", ".py"}
            and "_mathjax" not in p.parts and "_static" not in p.parts}


def test_no_solution_or_hidden_test_text_appears_in_the_site(book):
    fingerprints = set()
    for path in sorted((ROOT / "solutions").rglob("*.ipynb")):
        for region in _regions(json.loads(path.read_text())):
            fingerprints |= _fingerprints(region)
    files = _site_files()
    assert fingerprints, "no solution regions found in solutions/"
    assert not any("BEGIN SOLUTION" in t or "BEGIN HIDDEN TESTS" in t for t in files.values())
    leaked = _leaks(fingerprints, files)
    assert not leaked, "\n".join(leaked[:20])


def test_the_leak_scan_finds_a_planted_solution_in_highlighted_html_and_ignores_stubs():
    notebook = {"cells": [{"cell_type": "code", "source": [
        "def backward(dz, cache):\n",
        "    ### BEGIN SOLUTION\n",
        "    x, W = cache\n",
        "    dW = x.T @ dz  # weight gradient\n",
        "    return dz @ W.T, dW, dz.sum(axis=0)\n",
        "    ### END SOLUTION\n"]}]}
    fingerprints = set().union(*map(_fingerprints, _regions(notebook)))
    stub = "<pre>def backward(dz, cache):\n    raise NotImplementedError()</pre>"
    highlighted = ('<pre><span class="n">x</span>, <span class="n">W</span> = cache\n'
                   'dW = x.T &#64; dz  <span class="c1"># weight gradient</span>\n'
                   'return dz @ W.T, dW, dz.sum(axis=0)</pre>')
    assert _leaks(fingerprints, {"stub.html": stub}) == []
    assert _leaks(fingerprints, {"page.html": highlighted})


def test_every_executed_page_has_launch_buttons_and_a_downloadable_notebook(book):
    problems = []
    for page in (p for p in toc_pages() if is_notebook(p)):
        text = (HTML / f"{page}.html").read_text()
        if f"mybinder.org/v2/gh/" not in text or f"urlpath=lab/tree/{page}.md" not in text:
            problems.append(f"{page}: no Binder link to {page}.md")
        if f"/blob/gh-pages/_sources/{page}.ipynb" not in text:
            problems.append(f"{page}: no Colab link to the published .ipynb")
        if not (HTML / "_sources" / f"{page}.ipynb").is_file():
            problems.append(f"{page}: _sources/{page}.ipynb, which the download button serves, "
                            "is missing")
    assert not problems, "\n".join(problems)


def test_released_assignments_are_pages_showing_the_stubs_and_no_solution(book):
    released = sorted((ROOT / "exercises").glob("*/*.ipynb"))
    assert released
    for notebook in released:
        docname = notebook.relative_to(ROOT).with_suffix("")
        page = (HTML / f"{docname}.html").read_text()
        assert "NotImplementedError" in page, docname
        assert (HTML / "_sources" / f"{docname}.ipynb").is_file(), docname
