"""The translation tables built for the real seeds, against a golden copy.

``tests/golden/lexicon-seeds.json.gz`` is the ``lexicon.json`` an index of ``seeds/`` holds. A
change to the rules that changes the tables fails here: look at the difference, and when it is
wanted, bump ``qa.versions.LEXICON`` and write the file again with::

    QA_WRITE_GOLDEN=1 python -m pytest tests/test_translate_golden.py
"""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

from qa.query.translate import Lexicon, vocabulary_tables
from qa.settings import Settings
from qa.store.build import build_index
from qa.store.folder import current_build

GOLDEN = Path(__file__).resolve().parent / "golden" / "lexicon-seeds.json.gz"


def test_seeds_tables_are_the_golden_ones(settings: Settings, fake_embedder) -> None:
    build_index(settings, fake_embedder, tables=vocabulary_tables)
    build = current_build(settings.index_dir)
    assert build is not None
    built = json.loads((build / "lexicon.json").read_text(encoding="utf-8"))
    if os.environ.get("QA_WRITE_GOLDEN"):
        GOLDEN.write_bytes(gzip.compress(json.dumps(built, ensure_ascii=False).encode(), mtime=0))
    golden = json.loads(gzip.decompress(GOLDEN.read_bytes()))
    for table in ("phrases", "partial", "pinyin", "english", "foreign", "numbers", "morphemes"):
        assert built[table] == golden[table], f"the {table} table differs from the golden one"
    assert built == golden
    # The tables read back into the lexicon that translates questions.
    lexicon = Lexicon.from_dict(built)
    terms = {t.term for t in lexicon.translate("what are the five phases in Zhucheng")}
    assert {"五", "诸城"} <= terms, terms
