"""English and pinyin questions → Simplified Chinese query terms for the keyword search.

The corpus is Chinese, so an English or pinyin question finds passages by keyword only once its
Latin-script parts are corpus words. :class:`~qa.query.translate.lexicon.Lexicon` does that:

* English words and phrases through CC-CEDICT glosses ("work style" → 作风),
* pinyin, including place and person names ("Zhucheng" → 诸城, "zuofengjianshe" → 作风 建设),
* number words ("five" → 五, "six kinds of" → 六种).

:func:`~qa.query.translate.build.build_lexicon` runs once at index-build time and keeps only
what maps to words of the corpus vocabulary, so the saved tables are small and the query path
needs nothing but the standard library (no CC-CEDICT, no pypinyin). What the build reads from
CC-CEDICT and pypinyin is cached in the user's cache folder (``QA_CACHE_DIR``), so that only the
first build on a machine reads the whole dictionary.

Modules: ``english`` (word forms, number words), ``pinyin`` (splitting and spelling),
``cedict`` (the dictionary and the build's cache), ``build`` (the tables), ``lexicon`` (the
query side and persistence).
"""

from qa.query.translate.build import build_lexicon, vocabulary_tables
from qa.query.translate.cedict import dictionary
from qa.query.translate.english import STOPWORDS, content_words
from qa.query.translate.lexicon import SOURCES, Lexicon, QueryTerm, lexicon_of

__all__ = [
    "SOURCES",
    "STOPWORDS",
    "Lexicon",
    "QueryTerm",
    "build_lexicon",
    "content_words",
    "dictionary",
    "lexicon_of",
    "vocabulary_tables",
]
