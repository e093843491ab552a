"""Versions of what an index holds: bump one when the code that makes that output changes it.

An index records them all (its manifest's ``pipeline``); when one differs from the code's, the
index is stale and is rebuilt. Editing a comment or moving a function changes nothing here, so
it rebuilds nothing; changing what a stage writes must bump its number in the same commit.
"""

from __future__ import annotations

#: Reading and cleaning seed files into documents (qa/ingest/readers/, decode, clean, meta,
#: corpus and textnorm in qa/ingest/, the character classes of qa/text.py). 2: documents carry
#: their page starts, and formats other than .txt are read.
DOCUMENTS = 2
#: Cutting documents into chunks and sentence windows (qa/ingest/chunk.py).
CHUNKS = 1
#: The keyword side: jieba tokens and their user dictionary (qa/store/tokenize.py).
TOKENS = 1
#: The translation tables made from the corpus's words (qa/query/translate.py, the build).
LEXICON = 1
#: What the build writes and how (qa/store/index.py); its folder layout is FORMAT_VERSION.
#: 2: the character index is written with the build (``chars/``, qa/store/chars.py).
BUILD = 2


def pipeline_version() -> str:
    """All of the above in one string, as recorded in an index's manifest."""
    return f"documents{DOCUMENTS}.chunks{CHUNKS}.tokens{TOKENS}.lexicon{LEXICON}.build{BUILD}"
