"""A search index of the English pages that also finds the glossary's Chinese terms.

Sphinx indexes Chinese words only when `html_search_language` is "zh" and `jieba` is
importable (we install it from PyPI's `jieba-py`, a maintained fork with a wheel; upstream
`jieba` ships none). Two things then go wrong for this book, and this extension fixes both:

- jieba's dictionary does not know the course's terms: it cuts 反向传播 into 反向 / 传播,
  while the search box looks the whole query up, so 反向传播 found nothing. Every run of
  Chinese characters in a glossary term (反向传播; 优化器 from "Adam 优化器") is added to
  jieba's dictionary before the index is written.
- Sphinx's Chinese index stems English words with Porter2 but the search box stems queries
  with the original Porter algorithm; where the two differ ("decay": "decay" vs "decai")
  an English search found nothing. `EnglishAndChinese` stems with Porter on both sides,
  as Sphinx's English index does.
"""

from __future__ import annotations

import re

import snowballstemmer
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.search.en import SearchEnglish
from sphinx.search.zh import JIEBA, SearchChinese
from sphinx.util import logging

logger = logging.getLogger(__name__)
CHINESE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")


class EnglishAndChinese(SearchChinese):
    """Chinese words cut by jieba; English words stemmed as Sphinx's English index does."""

    lang = "zh"
    stopwords = SearchEnglish.stopwords
    js_stemmer_code = SearchEnglish.js_stemmer_code

    def init(self, options: dict[str, str]) -> None:
        super().init(options)
        self.stemmer = snowballstemmer.stemmer("porter")

    def stem(self, word: str) -> str:
        return self.stemmer.stemWord(word.lower())


def _chinese_search(app: Sphinx) -> bool:
    return (app.config.html_search_language or app.config.language or "").startswith("zh")


def _add_glossary_words(app: Sphinx, env: BuildEnvironment) -> None:
    if not _chinese_search(app):
        return
    if not JIEBA:
        logger.warning("chinese_search: jieba is not installed, so Chinese words are not "
                       "searchable; install the `book` extra (pip install -e '.[book]')")
        return
    import jieba

    jieba.setLogLevel(30)  # jieba logs its dictionary loading to stderr at DEBUG level
    std = env.get_domain("std")
    terms = [name for (objtype, name) in std.objects if objtype == "term"]
    for word in sorted({run for term in terms for run in CHINESE.findall(term)}):
        jieba.add_word(word)


def setup(app: Sphinx) -> dict:
    app.add_search_language(EnglishAndChinese)
    app.connect("env-updated", _add_glossary_words)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
