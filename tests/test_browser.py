"""The published book in a real browser: headless Chromium over every page in _toc.yml.

The site is served from _build/html on 127.0.0.1 (a thread in this process) and loaded by
Debian's Chromium, driven by Playwright; anything the pages ask for outside 127.0.0.1 is
blocked and reported. One crawl visits every page once and records what the tests below
assert, so each test names every page that fails it rather than stopping at the first.
Screenshots of three pages go to _build/screenshots/ for a person to look at.

Needs Chromium (Debian: `apt-get install chromium fonts-noto-cjk`; or set CHROMIUM to a
Chromium binary) and the `playwright` package (`pip install -e '.[test]'`); without either
these tests skip and the rest of the suite runs. Playwright's own browser download is not
used.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import yaml

from book_site import BUILD, HTML, ROOT, is_notebook, toc_pages

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("book")]

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = BUILD / "screenshots"
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
FAVICON = "/_static/" + CONFIG["html"]["favicon"].rsplit("/", 1)[-1]  # Sphinx puts it there
# Pages that the phone-width and screenshot tests look at.
HOME = "book/intro"
DERIVATION = "book/ch04_chain_rule/05_two_layer"  # the most display math in the book
ASSIGNMENT = "exercises/a1_numerical_gradients/a1_numerical_gradients"
GLOSSARY = "book/glossary"
# (English, Chinese) glossary terms the search box must find on the glossary page.
SEARCHES = [("backpropagation", "反向传播"), ("weight decay", "权重衰减")]
# TeX that MathJax should have replaced, as it would show in the page's prose.
RAW_TEX = re.compile(r"\$\$|\\[(\[]|\\(?:frac|partial|sum|begin|end|mathbf|mathrm|sigma|cdot|"
                     r"odot|top|left|right|nabla|delta)(?![a-zA-Z])")


# ---- the browser and the site ------------------------------------------------------------

@pytest.fixture(scope="session")
def chromium() -> str:
    """Chromium's path, or a skip that says what to install (checked before the build)."""
    path = os.environ.get("CHROMIUM") or shutil.which("chromium")
    if not path or not os.access(path, os.X_OK):
        pytest.skip(f"browser tests need Chromium ({path or 'chromium'} not found): "
                    "apt-get install chromium fonts-noto-cjk (Debian), or set "
                    "CHROMIUM=/path/to/chromium")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("browser tests need Playwright: pip install -e '.[test]' "
                    "(the Python package only; `playwright install` is not needed)")
    return path


@pytest.fixture(scope="session")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="session")
def site(chromium, book) -> str:
    """The built site, served on an ephemeral port of 127.0.0.1; its base URL."""
    assert (HTML / "index.html").is_file(), "the book did not build (see test_book.py)"
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join()


class Traffic:
    """Everything one browser context asks for: 127.0.0.1 goes through, the rest is blocked.

    `problems` collects, for the page being visited, console errors, script errors, failed
    requests and HTTP errors; `outside` every URL that was blocked.
    """

    def __init__(self, context, base: str):
        self.base = base
        self.outside: list[str] = []
        self.problems: list[str] = []
        self.pending: set = set()
        self.requests = 0
        context.route("**/*", self._route)
        context.on("request", self._request)
        context.on("requestfinished", self._finished)
        context.on("requestfailed", self._failed)
        context.on("response", self._response)
        context.on("page", self._page)

    def _route(self, route) -> None:
        if route.request.url.startswith(self.base):
            route.continue_()
        else:
            self.outside.append(route.request.url)
            self.problems.append(f"blocked, not on 127.0.0.1: {route.request.url}")
            route.abort("blockedbyclient")

    def _request(self, request) -> None:
        self.requests += 1
        self.pending.add(request)

    def _finished(self, request) -> None:
        self.pending.discard(request)

    def _failed(self, request) -> None:
        self.pending.discard(request)
        # Chromium asks for the page's icon only after the page has loaded, so moving on to
        # the next page may cancel it (an icon that is not there shows as an HTTP 404 here).
        if request.failure == "net::ERR_ABORTED" and request.url.endswith(FAVICON):
            return
        if request.url.startswith(self.base):
            self.problems.append(f"request failed: {request.url} ({request.failure})")

    def _response(self, response) -> None:
        if response.status >= 400:
            self.problems.append(f"HTTP {response.status}: {response.url}")

    def _page(self, page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))

    def _console(self, message) -> None:
        if message.type == "error":
            self.problems.append(f"console error: {message.text}")

    def visit(self, page, address: str) -> list[str]:
        """Load a page, wait for MathJax and every request; the problems seen meanwhile."""
        self.problems = []
        response = page.goto(address, wait_until="load")
        if response is None or response.status != 200:
            self.problems.append(f"HTTP {response and response.status}: {address}")
        page.evaluate(WAIT_FOR_MATHJAX)
        self.settle(page)
        return self.problems

    def settle(self, page, seconds: float = 10) -> None:
        """Wait until no request is in flight (leaving a page earlier cancels them)."""
        deadline = time.monotonic() + seconds
        while self.pending and time.monotonic() < deadline:
            page.wait_for_timeout(20)
        self.problems += [f"still loading after {seconds} s: {r.url}" for r in self.pending]


# MathJax typesets after `load`; its startup promise resolves when the page is done, and
# document.fonts.ready once the fonts it asked for have arrived.
WAIT_FOR_MATHJAX = """async () => {
  const typeset = window.MathJax?.startup?.promise;
  const timeout = new Promise(resolve => setTimeout(resolve, 15000));
  if (typeset) await Promise.race([typeset, timeout]);
  await document.fonts.ready;
}"""


def _context(browser, site: str, **options):
    context = browser.new_context(**options)
    return context, Traffic(context, site)


@pytest.fixture(scope="session")
def desktop(browser, site):
    context, traffic = _context(browser, site, viewport=DESKTOP)
    page = context.new_page()
    yield page, traffic
    context.close()


def url(site: str, docname: str) -> str:
    return f"{site}{docname}.html"


# ---- one crawl of every page -------------------------------------------------------------

# What each test needs from a page, read once the page has settled.
RECORD = """() => {
  const article = document.querySelector("article.bd-article") || document.body;
  const prose = article.cloneNode(true);
  prose.querySelectorAll("pre, code, mjx-container, script, style").forEach(e => e.remove());
  return {
    lang: document.documentElement.getAttribute("lang"),
    headings: [...document.querySelectorAll("h1, h2, h3, h4, h5, h6")]
      .filter(h => h.checkVisibility())
      .map(h => [Number(h.tagName[1]), h.textContent.replace("#", "").trim()]),
    images: [...document.images].map(img => ({
      src: img.getAttribute("src"), alt: img.getAttribute("alt"), width: img.naturalWidth})),
    math: document.querySelectorAll("span.math, div.math").length,
    rendered: document.querySelectorAll("mjx-container").length,
    unrendered: [...document.querySelectorAll("span.math, div.math")]
      .filter(m => !m.querySelector("mjx-container")).map(m => m.textContent.trim()),
    math_errors: [...document.querySelectorAll("mjx-merror")].map(e => e.textContent),
    prose: prose.textContent,
    text: article.innerText,  // what shows
    source: article.textContent,  // and what is there, shown or hidden
    links: [...document.querySelectorAll("a[href]")].map(a => a.href),
  };
}"""


@dataclass
class Visit:
    problems: list[str]
    lang: str | None = None
    headings: list = field(default_factory=list)
    images: list = field(default_factory=list)
    math: int = 0
    rendered: int = 0
    unrendered: list = field(default_factory=list)
    math_errors: list = field(default_factory=list)
    prose: str = ""
    text: str = ""
    source: str = ""
    links: list = field(default_factory=list)


@pytest.fixture(scope="session")
def crawl(desktop, site) -> dict[str, Visit]:
    """Every page in _toc.yml, loaded once in the desktop-sized browser: docname -> Visit."""
    page, traffic = desktop
    visits = {}
    for docname in toc_pages():
        problems = list(traffic.visit(page, url(site, docname)))
        visits[docname] = Visit(problems, **page.evaluate(RECORD))
    return visits


def _report(problems: list[str]) -> str:
    return f"{len(problems)} problem(s):\n" + "\n".join(problems)


def _every_page(crawl: dict[str, Visit], check) -> list[str]:
    return [f"{doc}: {problem}" for doc, visit in crawl.items() for problem in check(visit)]


# The checks, each from one page's Visit to what is wrong with it.

def math_problems(visit: Visit) -> list[str]:
    problems = [f"{visit.math} formulas, none typeset"] if visit.math and not visit.rendered \
        else []
    problems += [f"not typeset: {tex[:60]}" for tex in visit.unrendered[:3]]
    problems += [f"MathJax error: {error[:60]}" for error in visit.math_errors]
    for match in list(RAW_TEX.finditer(visit.prose))[:3]:
        context = visit.prose[max(0, match.start() - 30):match.end() + 30]
        problems.append(f"raw TeX {match.group()!r} in: ...{' '.join(context.split())}...")
    return problems


def figure_problems(visit: Visit) -> list[str]:
    return [f"image did not load: {img['src']}" for img in visit.images if not img["width"]]


def alt_text_problems(visit: Visit) -> list[str]:
    return [f"no alt text: {img['src']}" for img in visit.images
            if not (img["alt"] or "").strip()]


def heading_problems(visit: Visit) -> list[str]:
    levels = [level for level, _ in visit.headings]
    problems = [] if levels[:1] == [1] and levels.count(1) == 1 else \
        [f"{levels.count(1)} h1 headings, the first heading is h{levels[0] if levels else '-'}"]
    for (above, _), (level, title) in zip(visit.headings, visit.headings[1:]):
        if level > above + 1:
            problems.append(f"h{above} then h{level} ({title!r})")
    return problems


def language_problems(visit: Visit) -> list[str]:
    language = CONFIG["language"]
    return [] if visit.lang == language else [f"<html lang={visit.lang!r}>, not {language!r}"]


def test_the_crawl_visited_every_toc_page_and_nothing_outside_127_0_0_1(crawl, desktop):
    _, traffic = desktop
    assert set(crawl) == set(toc_pages())
    assert traffic.requests > 2 * len(crawl), "the pages' requests were not recorded"
    assert not traffic.outside, _report(sorted(set(traffic.outside)))


def test_every_page_loads_with_no_console_error_and_no_failed_request(crawl):
    problems = _every_page(crawl, lambda visit: visit.problems)
    assert not problems, _report(problems)


def test_every_page_with_math_shows_it_typeset_by_mathjax_and_no_raw_tex(crawl):
    with_math = [doc for doc, visit in crawl.items() if visit.math]
    assert len(with_math) >= 20, f"only {len(with_math)} pages have math: is it parsed?"
    problems = _every_page(crawl, math_problems)
    assert not problems, _report(problems)


def test_every_figure_loads(crawl):
    images = sum(len(visit.images) for visit in crawl.values())
    assert images >= 20, f"only {images} images in the whole book"
    problems = _every_page(crawl, figure_problems)
    assert not problems, _report(problems)


def test_every_image_has_alt_text(crawl):
    problems = _every_page(crawl, alt_text_problems)
    assert not problems, _report(problems)


def test_every_page_has_one_h1_and_no_heading_level_skipped_going_down(crawl):
    problems = _every_page(crawl, heading_problems)
    assert not problems, _report(problems)


def test_every_page_declares_its_language(crawl):
    problems = _every_page(crawl, language_problems)
    assert not problems, _report(problems)


# A page with one of each fault the checks look for: raw TeX where MathJax did not run, an image
# that does not load and has no alt text, a second h1 and a skipped level, and no lang.
BROKEN_PAGE = r"""<html><body><article class="bd-article">
<h1>Title</h1><p>At <span class="math">\(x\)</span> the slope is $$\frac{a}{b}$$.</p>
<img src="data:image/png;base64,bm90IGFuIGltYWdl"><h3>Skipped h2</h3><h1>Again</h1>
</article></body></html>"""


def test_the_page_checks_find_each_fault_planted_in_a_broken_page(desktop):
    page, _ = desktop
    page.set_content(BROKEN_PAGE)
    visit = Visit([], **page.evaluate(RECORD))
    found = {check.__name__: check(visit) for check in (
        math_problems, figure_problems, alt_text_problems, heading_problems, language_problems)}
    assert [p.split(" in: ")[0] for p in found["math_problems"]] == [
        "1 formulas, none typeset", "not typeset: \\(x\\)",
        "raw TeX '\\\\('", "raw TeX '$$'", "raw TeX '\\\\frac'"]
    image = "data:image/png;base64,bm90IGFuIGltYWdl"  # "not an image"
    assert found["figure_problems"] == [f"image did not load: {image}"]
    assert found["alt_text_problems"] == [f"no alt text: {image}"]
    assert found["heading_problems"] == ["2 h1 headings, the first heading is h1",
                                         "h1 then h3 ('Skipped h2')"]
    assert found["language_problems"] == ["<html lang=None>, not 'en'"]


# ---- notebooks and assignments -------------------------------------------------------------

def _repository() -> tuple[str, str]:
    repo = CONFIG["repository"]
    return urlsplit(repo["url"]).path.strip("/"), repo["branch"]


def _launch_problems(doc: str, links: list[str], source: str) -> list[str]:
    """Binder and Colab links of a page: present, and naming files that exist."""
    slug, branch = _repository()
    binder = [u for u in links if urlsplit(u).hostname == "mybinder.org"]
    colab = [u for u in links if urlsplit(u).hostname == "colab.research.google.com"]
    problems = [f"{doc}: no {name} link" for name, found in (("Binder", binder),
                                                             ("Colab", colab)) if not found]
    for link in binder:
        parts = urlsplit(link)
        (urlpath,) = parse_qs(parts.query).get("urlpath", [""])
        if parts.scheme != "https" or parts.path != f"/v2/gh/{slug}/{branch}" \
                or urlpath != f"lab/tree/{source}":
            problems.append(f"{doc}: Binder link {link} does not open {source} on {branch}")
    for link in colab:
        parts = urlsplit(link)
        prefix = f"/github/{slug}/blob/"
        target = parts.path.removeprefix(prefix).split("/", 1)
        if parts.scheme != "https" or not parts.path.startswith(prefix) or len(target) != 2:
            problems.append(f"{doc}: Colab link {link} is not a GitHub notebook link")
        elif target[0] == "gh-pages" and target[1] != f"_sources/{doc}.ipynb":
            problems.append(f"{doc}: Colab link opens {target[1]}, not this page's notebook")
        elif target[0] != "gh-pages" and (target[0], target[1]) != (branch, source):
            problems.append(f"{doc}: Colab link opens {target[1]} on {target[0]}, not {source}")
    return problems


def _download_problems(doc: str, links: list[str], request, site: str) -> list[str]:
    """The download button's links: each is served (HTTP 200) and is the page's source."""
    downloads = [u for u in links if u.startswith(f"{site}_sources/")]
    if not any(u.endswith(".ipynb") for u in downloads):
        return [f"{doc}: no .ipynb download link"]
    problems = []
    for link in downloads:
        response = request.get(link)
        name = unquote(link.removeprefix(f"{site}_sources/"))
        if response.status != 200:
            problems.append(f"{doc}: download {name}: HTTP {response.status}")
        elif (ROOT / name).is_file():  # the page's own source file
            if response.body() != (ROOT / name).read_bytes():
                problems.append(f"{doc}: download {name} differs from {name}")
        else:  # the notebook the build executed from a Markdown page
            notebook = json.loads(response.body())
            if notebook.get("nbformat") != 4 or not notebook.get("cells"):
                problems.append(f"{doc}: download {name} is not a notebook with cells")
    return problems


def _notebook_pages() -> dict[str, str]:
    """docname -> source file of every page that is a notebook (Markdown or .ipynb)."""
    pages = {}
    for doc in toc_pages():
        if (ROOT / f"{doc}.ipynb").is_file():
            pages[doc] = f"{doc}.ipynb"
        elif is_notebook(doc):
            pages[doc] = f"{doc}.md"
    return pages


def test_notebook_pages_have_download_links_that_serve_the_notebook_and_launch_links(
        crawl, desktop, site):
    page, _ = desktop
    notebooks = _notebook_pages()
    assert len(notebooks) >= 15
    problems = []
    for doc, source in notebooks.items():
        links = crawl[doc].links
        problems += _download_problems(doc, links, page.context.request, site)
        problems += _launch_problems(doc, links, source)
    assert not problems, _report(problems)


def _solution_lines(notebook: dict) -> set[str]:
    """Distinctive lines of the solution regions: long enough not to be everyday code."""
    lines = set()
    for cell in notebook["cells"]:
        source = "".join(cell["source"])
        for block in re.findall(r"### BEGIN SOLUTION(.*?)### END SOLUTION", source, re.S):
            lines |= {line.strip() for line in block.splitlines()
                      if len(line.strip()) >= 20 and not line.strip().startswith("#")}
    return lines


def test_assignment_pages_show_the_student_stubs_and_none_of_the_solution_code(crawl):
    assignments = [doc for doc in toc_pages() if doc.startswith("exercises/")]
    assert len(assignments) >= 6
    problems = []
    for doc in assignments:
        released = json.loads((ROOT / f"{doc}.ipynb").read_text())
        solution = json.loads((ROOT / "solutions" / f"{doc.split('/', 1)[1]}.ipynb").read_text())
        shown = {line.strip() for line in crawl[doc].text.splitlines()}
        present = {line.strip() for line in crawl[doc].source.splitlines()}
        stubs = ["".join(c["source"]) for c in released["cells"]
                 if c.get("metadata", {}).get("nbgrader", {}).get("solution")
                 and c["cell_type"] == "code"]
        if not stubs:
            problems.append(f"{doc}: the released notebook has no solution cells")
        for stub in stubs:
            missing = [line.strip() for line in stub.splitlines()
                       if line.strip() and line.strip() not in shown]
            if missing:
                problems.append(f"{doc}: stub line not shown: {missing[0]!r}")
        released_text = json.dumps(released)
        secret = {line for line in _solution_lines(solution)
                  if json.dumps(line)[1:-1] not in released_text}
        if not secret:
            problems.append(f"{doc}: no distinctive solution lines to look for")
        problems += [f"{doc}: solution code in the page: {line!r}"
                     for line in sorted(secret & present)]
    assert not problems, _report(problems)


# ---- search ------------------------------------------------------------------------------

def test_search_finds_glossary_terms_in_english_and_in_chinese(desktop, site):
    page, traffic = desktop
    glossary = f"{site}{GLOSSARY}.html"
    problems = []
    for query in (term for pair in SEARCHES for term in pair):
        problems += traffic.visit(page, f"{site}search.html?q={query}")
        page.wait_for_function(  # "Search finished, found ..." or "... did not match ..."
            "document.querySelector('#search-results .search-summary')?.textContent"
            ".match(/finished|did not match/)", timeout=15000)
        traffic.settle(page)  # each result's summary is fetched from its page
        found = page.eval_on_selector_all("#search-results ul.search li a",
                                          "links => links.map(a => a.href.split('?')[0])")
        if glossary not in found:
            problems.append(f"search {query!r}: {len(found)} results, not the glossary")
    assert not problems, _report(problems)


# ---- phone width -------------------------------------------------------------------------

# How wide the page is, and the elements that stick out past the right edge (the innermost
# ones, where a fix goes). The screen's width is the layout viewport's: in a phone browser
# innerWidth grows to fit a page that is too wide, so it would hide the very overflow sought.
OVERFLOW = """() => {
  const width = Math.min(window.innerWidth, document.documentElement.clientWidth);
  const wide = [...document.body.querySelectorAll("*")].filter(
      e => e.getBoundingClientRect().right > width + 1 && e.checkVisibility());
  return {scroll: document.documentElement.scrollWidth, width,
          culprits: wide.filter(e => !wide.some(o => o !== e && e.contains(o))).slice(0, 3)
                        .map(e => e.tagName.toLowerCase() + "." + [...e.classList].join(".")),
          cutOff: [...document.querySelectorAll("mjx-container[display=true]")].filter(
              m => m.scrollWidth > m.clientWidth + 1
                   && !/auto|scroll/.test(getComputedStyle(m).overflowX)).length};
}"""
WIDEST_EQUATION_TO_CENTRE = """() => [...document.querySelectorAll("mjx-container[display=true]")]
  .sort((a, b) => b.scrollWidth - a.scrollWidth)[0]?.scrollIntoView({block: "center"})"""


def sideways_problems(page) -> list[str]:
    """The page is no wider than the screen, and an equation wider than its box scrolls."""
    found = page.evaluate(OVERFLOW)
    problems = [f"{found['cutOff']} displayed equations cut off (wider than their box, which "
                "does not scroll)"] if found["cutOff"] else []
    if found["scroll"] > found["width"] + 1:
        problems.append(f"{found['scroll']} px wide on a {found['width']} px screen; "
                        f"sticking out: {', '.join(found['culprits'])}")
    return problems


def _phone(browser, site):
    context, traffic = _context(browser, site, viewport=PHONE, is_mobile=True, has_touch=True)
    return context, context.new_page(), traffic


def test_pages_do_not_scroll_sideways_at_phone_width(browser, site):
    context, page, traffic = _phone(browser, site)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems = []
    try:
        for doc in (HOME, DERIVATION, ASSIGNMENT, GLOSSARY):
            problems += [f"{doc}: {p}" for p in traffic.visit(page, url(site, doc))]
            problems += [f"{doc}: {p}" for p in sideways_problems(page)]
            if doc == DERIVATION:  # its widest equation, which must scroll inside its box
                page.evaluate(WIDEST_EQUATION_TO_CENTRE)
                page.screenshot(path=SCREENSHOTS / "derivation-phone.png")
    finally:
        context.close()
    assert not problems, _report(problems)


def test_a_planted_wide_page_cut_off_equation_and_request_elsewhere_are_caught(browser, site):
    context, page, traffic = _phone(browser, site)
    elsewhere = "http://127.0.0.1:9/elsewhere.png"  # another port: not the site, so blocked
    try:
        page.set_content('<meta name="viewport" content="width=device-width">'
                         '<mjx-container display="true" style="display: block; width: 100px; '
                         'overflow: hidden"><b style="display: block; width: 300px">x</b>'
                         '</mjx-container><div class="wide" style="width: 600px">x</div>'
                         f'<img src="{elsewhere}">')
        wide = sideways_problems(page)
    finally:
        context.close()
    assert wide == [  # the 8 px are the body's margin
        "1 displayed equations cut off (wider than their box, which does not scroll)",
        "608 px wide on a 390 px screen; sticking out: div.wide"]
    assert traffic.outside == [elsewhere]


# ---- screenshots -------------------------------------------------------------------------

ON_SCREEN = """selector => [...document.querySelectorAll(selector)].filter(e => {
  const box = e.getBoundingClientRect();
  return box.bottom > 0 && box.top < window.innerHeight;
}).length"""


def _png_size(path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", header[16:24])


def test_screenshots_of_home_derivation_and_assignment_show_typeset_math_and_a_stub(desktop, site):
    page, traffic = desktop
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems = []
    for name, doc in (("home", HOME), ("derivation", DERIVATION), ("assignment", ASSIGNMENT)):
        problems += [f"{doc}: {p}" for p in traffic.visit(page, url(site, doc))]
        if name == "derivation":  # the first displayed equation, in the middle of the screen
            page.locator("div.math mjx-container").first.evaluate(
                "e => e.scrollIntoView({block: 'center'})")
            if not page.evaluate(ON_SCREEN, "mjx-container"):
                problems.append(f"{doc}: no typeset math on screen")
        if name == "assignment":  # the first stub a student fills in
            page.locator("div.cell", has_text="NotImplementedError").first.evaluate(
                "e => e.scrollIntoView({block: 'center'})")
            if not page.evaluate(ON_SCREEN, "div.cell pre"):
                problems.append(f"{doc}: no code cell on screen")
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=path)
        if _png_size(path) != (DESKTOP["width"], DESKTOP["height"]):
            problems.append(f"{path}: {_png_size(path)} pixels")
    assert not problems, _report(problems)
