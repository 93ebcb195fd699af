"""Stable anchors for glossary terms that are not ASCII.

Sphinx derives a glossary term's anchor from its text; for a Chinese term that gives a
counter (`term-0`, `term-1`, ...) which changes whenever a term is added. Our glossary entries
carry the English term first and the Chinese term second, so this extension renames each
such anchor after the English term of its entry: `反向传播` gets `term-zh-backpropagation`.
The standard domain's records point `{term}` links at the stable anchor, and so do the term's
index entries, which the general index and the search box link to (the search box shows the
text of the element an anchor names, and the counter is left only as an empty second anchor).
"""

from __future__ import annotations

import re

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx


COUNTER_ID = re.compile(r"^term-\d+$")


def _rename(app: Sphinx, doctree: nodes.document) -> None:
    std = app.env.get_domain("std")
    docname = app.env.docname
    for glossary in doctree.findall(addnodes.glossary):
        for item in glossary.findall(nodes.definition_list_item):
            terms = list(item.findall(nodes.term))
            if not terms:
                continue
            english = nodes.make_id(terms[0].astext()) or "term"
            for term in terms[1:]:
                for old in [i for i in term["ids"] if COUNTER_ID.match(i)]:
                    new = f"term-zh-{english}"
                    term["ids"].insert(0, new)
                    doctree.ids[new] = term
                    _retarget(std, docname, old, new)
                    _retarget_index(app.env, docname, item, old, new)


def _retarget(std, docname: str, old: str, new: str) -> None:
    for store in (std.objects, std._terms):  # noqa: SLF001 - Sphinx keeps terms here
        for key, value in list(store.items()):
            if value[0] == docname and value[1] == old:
                store[key] = (docname, new)


def _retarget_index(env, docname: str, item: nodes.Node, old: str, new: str) -> None:
    def moved(entries):
        return [(kind, value, new if target == old else target, main, key)
                for (kind, value, target, main, key) in entries]

    for index in item.findall(addnodes.index):
        index["entries"] = moved(index["entries"])
    recorded = env.get_domain("index").entries  # filled before doctree-read
    if docname in recorded:
        recorded[docname] = moved(recorded[docname])


def setup(app: Sphinx) -> dict:
    app.connect("doctree-read", _rename)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
