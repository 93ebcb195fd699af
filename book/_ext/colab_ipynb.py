"""Point the Colab launch button of a Markdown notebook at its .ipynb.

Our pages are MyST Markdown notebooks. Binder opens them through jupytext, but Colab opens
only .ipynb files, and the theme's Colab link names the .md source. Every build writes each
page's executed notebook to `_sources/<page>.ipynb` (the download button serves it), and the
publishing workflow pushes the built site to the `gh-pages` branch, so Colab can open the
notebook from there. `colab_branch` (default "gh-pages") names that branch.
"""

from __future__ import annotations

from sphinx.application import Sphinx


def _retarget(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    if not context.get("ipynb_source"):  # set by the theme for Markdown notebooks only
        return
    for group in context.get("header_buttons", []):
        for button in group.get("buttons", []) if isinstance(group, dict) else []:
            if button.get("text") == "Colab" and "/blob/" in button.get("url", ""):
                prefix = button["url"].split("/blob/")[0]
                button["url"] = (f"{prefix}/blob/{app.config.colab_branch}/_sources/"
                                 f"{context['ipynb_source']}")


def setup(app: Sphinx) -> dict:
    app.add_config_value("colab_branch", "gh-pages", "html")
    app.connect("html-page-context", _retarget, priority=600)  # after the theme's (501)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
