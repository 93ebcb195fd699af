"""Serve MathJax 3 from the built site, so math renders with no network.

Sphinx loads MathJax from a CDN by default. This extension copies the MathJax build that
the PyPI package `django-static-mathjax` ships (plain static files; Django is not needed)
into `<outdir>/_mathjax/` and points `mathjax_path` at it. The folder is deliberately not
under `_static/`: Jupyter Book adds every .js file found there to every page.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config

TARGET = "_mathjax"
ENTRY = "tex-chtml.js"
# Components the pages never load; skipping them keeps the site ~20 MB smaller.
UNUSED = ("*-full*", "mml-*", "tex-mml-*", "tex-svg*", "node-main.js", "sre", "svg")


def _mathjax_es5() -> Path:
    import mathjax  # provided by django-static-mathjax

    es5 = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
    if not (es5 / ENTRY).is_file():
        raise FileNotFoundError(f"offline_mathjax: {es5 / ENTRY} is missing; reinstall "
                                "django-static-mathjax")
    return es5


def _configure(app: Sphinx, config: Config) -> None:
    # mathjax_path is resolved relative to _static/, so step out of it.
    config.mathjax_path = f"../{TARGET}/{ENTRY}"


def _copy(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / TARGET
    if (target / ENTRY).is_file():
        return
    shutil.copytree(_mathjax_es5(), target, ignore=shutil.ignore_patterns(*UNUSED),
                    dirs_exist_ok=True)


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", _configure)
    app.connect("build-finished", _copy)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
