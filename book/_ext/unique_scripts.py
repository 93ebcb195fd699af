"""Put each script on a page once.

sphinx-thebe (which Jupyter Book always loads) registers an inline script,
`const THEBE_JS_URL = ...`, after the HTML builder has started. Sphinx 7.4 then lists it
twice, once with the file name None and once with "" (which it compares as different), so
every page declared the constant twice and the browser reported "Identifier 'THEBE_JS_URL'
has already been declared". This keeps the first of each repeated script on a page.
"""

from __future__ import annotations

from sphinx.application import Sphinx


def _key(script) -> tuple:
    filename = getattr(script, "filename", script) or ""
    attributes = getattr(script, "attributes", {})
    return (str(filename), getattr(script, "priority", None),
            tuple(sorted((k, str(v)) for k, v in attributes.items())))


def _drop_repeats(app: Sphinx, pagename: str, templatename: str, context: dict,
                  doctree) -> None:
    scripts = context.get("script_files")  # the builder's own list, restored after each page
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        if _key(script) not in seen:
            seen.add(_key(script))
            unique.append(script)
    scripts[:] = unique


def setup(app: Sphinx) -> dict:
    app.connect("html-page-context", _drop_repeats, priority=900)  # after those that add
    return {"parallel_read_safe": True, "parallel_write_safe": True}
